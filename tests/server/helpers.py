"""Shared helpers for the server tests: a raw protocol client, publishing.

The client here speaks the wire protocol directly over a real WebSocket
(``websockets``' sync client), message by message, so every test sees
exactly the frames a server sends, in the order it sends them.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from stdblite.cli.remote import admin, get_json
from stdblite.identity import Identity
from stdblite.protocol import (
    CallReducer,
    ClientMessage,
    InitialConnection,
    OneOffQuery,
    OneOffQueryResult,
    Publish,
    ReducerResult,
    ServerMessage,
    Subscribe,
    SubscribeApplied,
    SubscriptionError,
    TransactionUpdate,
    Unsubscribe,
    UnsubscribeApplied,
    decode_server,
    encode,
)

MODULES = Path(__file__).parent / "modules"
GAME = Path(__file__).parents[2] / "stdblite" / "examples" / "game.py"
TIMEOUT = 10.0

M = TypeVar("M")


def module_source(name: str) -> str:
    """The source of a test module in ``tests/server/modules``."""
    return (MODULES / f"{name}.py").read_text(encoding="utf-8")


def new_token(url: str) -> str:
    """A fresh identity's token, minted by the server at ``url``."""
    return str(get_json(url, "/v1/identity")["token"])


def publish(
    url: str, token: str, name: str, source: str, delete_data: bool = False
) -> dict[str, Any]:
    """Publish module source as ``token``'s identity; StdbliteError if refused."""
    return admin(url, token, Publish(1, name, source, delete_data))


def put(client: Client, id: int, label: str, value: float) -> ReducerResult:
    """Insert or replace a reading, and check that it committed."""
    result = client.call("put", id, label, value, id, True)
    assert result.outcome == "committed", result.error
    return result


def ids(update: TransactionUpdate, table: str = "reading") -> tuple[list[int], ...]:
    """The ids a TransactionUpdate inserts and deletes."""
    inserts = [r["id"] for t in update.tables if t.table == table for r in t.inserts]
    deletes = [r["id"] for t in update.tables if t.table == table for r in t.deletes]
    return sorted(inserts), sorted(deletes)


def apply(cache: dict[int, dict[str, Any]], update: TransactionUpdate) -> None:
    """Apply an update to a client cache, refusing any row it does not hold."""
    for table in update.tables:
        for row in table.deletes:
            assert cache.pop(row["id"]) == row
        for row in table.inserts:
            assert row["id"] not in cache
            cache[row["id"]] = row


class Client:
    """A protocol client: one WebSocket to ``/v1/database/NAME/subscribe``.

    Usage::

        with Client(server.ws_url, "game") as john:
            john.subscribe("SELECT * FROM player")
            john.call("move_player", 7700.0, 5408.0)
    """

    def __init__(
        self,
        ws_url: str,
        database: str,
        token: str | None = None,
        *,
        via_header: bool = False,
    ) -> None:
        path = f"/v1/database/{database}/subscribe"
        headers = {}
        if token is not None and via_header:
            headers["Authorization"] = f"Bearer {token}"
        elif token is not None:
            path += "?" + urllib.parse.urlencode({"token": token})
        self._closing = contextlib.ExitStack()
        self.socket: ClientConnection = self._closing.enter_context(
            connect(
                ws_url + path,
                compression=None,
                open_timeout=TIMEOUT,
                additional_headers=headers,
                max_size=None,
            )
        )
        self._next_id = 100
        self.initial = self.expect(InitialConnection)

    @property
    def identity(self) -> Identity:
        """This connection's identity, from InitialConnection."""
        return self.initial.identity

    @property
    def token(self) -> str:
        """This connection's token, from InitialConnection."""
        return self.initial.token

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the WebSocket cleanly."""
        self._closing.close()

    def request_id(self) -> int:
        """A request id not used before on this connection."""
        self._next_id += 1
        return self._next_id

    def send(self, message: ClientMessage) -> None:
        """Send one message."""
        self.socket.send(encode(message))

    def send_text(self, text: str | bytes) -> None:
        """Send a raw frame, however malformed."""
        self.socket.send(text)

    def recv(self, timeout: float = TIMEOUT) -> ServerMessage:
        """The next message from the server."""
        return decode_server(self.socket.recv(timeout=timeout))

    def expect(self, kind: type[M], timeout: float = TIMEOUT) -> M:
        """The next message, which must be of type ``kind``."""
        message = self.recv(timeout)
        assert isinstance(message, kind), f"expected {kind.__name__}, got {message}"
        return message

    def call(self, reducer: str, *args: Any) -> ReducerResult:
        """Call a reducer and return its result (nothing else may come first)."""
        request_id = self.request_id()
        self.send(CallReducer(request_id, reducer, list(args)))
        result = self.expect(ReducerResult)
        assert result.request_id == request_id
        return result

    def subscribe(
        self, *queries: str, query_set_id: int = 1
    ) -> SubscribeApplied | SubscriptionError:
        """Subscribe to a query set; the server's answer."""
        request_id = self.request_id()
        self.send(Subscribe(request_id, query_set_id, list(queries)))
        answer = self.recv()
        assert isinstance(answer, SubscribeApplied | SubscriptionError), answer
        assert answer.request_id == request_id
        return answer

    def unsubscribe(self, query_set_id: int = 1) -> UnsubscribeApplied:
        """Drop a query set; the server's answer."""
        request_id = self.request_id()
        self.send(Unsubscribe(request_id, query_set_id))
        answer = self.expect(UnsubscribeApplied)
        assert answer.request_id == request_id
        return answer

    def query(self, sql: str) -> OneOffQueryResult:
        """Run a one-off query; the server's answer."""
        request_id = self.request_id()
        self.send(OneOffQuery(request_id, sql))
        answer = self.expect(OneOffQueryResult)
        assert answer.request_id == request_id
        return answer

    def update(self, timeout: float = TIMEOUT) -> TransactionUpdate:
        """The next message, which must be a TransactionUpdate."""
        return self.expect(TransactionUpdate, timeout)

    def close_reason(self, timeout: float = TIMEOUT) -> tuple[int, str]:
        """Wait for the server to close this connection: (code, reason)."""
        return closed_with(lambda: self.socket.recv(timeout=timeout))


def closed_with(action: Callable[[], Any]) -> tuple[int, str]:
    """Run ``action`` until the server closes the connection: (code, reason).

    Messages that arrive first are skipped.
    """
    try:
        while True:
            action()
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "closed without a close frame"
        return closed.rcvd.code, closed.rcvd.reason


def refused(
    ws_url: str, database: str, token: str | None, *, via_header: bool = False
) -> tuple[int, str]:
    """Open a client expecting the server to close it before any message."""
    path = f"/v1/database/{database}/subscribe"
    headers = {}
    if token is not None and via_header:
        headers["Authorization"] = f"Bearer {token}"
    elif token is not None:
        path += "?" + urllib.parse.urlencode({"token": token})
    with connect(
        ws_url + path,
        compression=None,
        open_timeout=TIMEOUT,
        additional_headers=headers,
    ) as socket:
        try:
            frame = socket.recv(timeout=TIMEOUT)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "closed without a close frame"
            return closed.rcvd.code, closed.rcvd.reason
    raise AssertionError(f"the server sent a message instead of closing: {frame!r}")


def rows_of(message: SubscribeApplied | UnsubscribeApplied) -> list[dict[str, Any]]:
    """Every row of every table a subscription message carries."""
    return [row for table in message.tables for row in table.rows]


def silent_socket(ws_url: str, path: str) -> socket.socket:
    """A client that completes the handshake, then never reads or answers.

    It stands for a player whose machine vanished: no close frame, no
    reset, no pong to the server's keepalive pings.
    """
    parts = urllib.parse.urlsplit(ws_url)
    assert parts.hostname is not None and parts.port is not None
    raw = socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = raw.recv(4096)
        assert chunk, "the server closed during the handshake"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 101"), answer[:80]
    return raw
