"""Fuzz: valid and broken protocol messages, and a server that never falls.

Hypothesis builds frames: well-formed calls, subscriptions and queries with
odd values, and broken ones (wrong types, huge numbers, deep nesting,
unknown messages and fields, invalid UTF-8, frames over the size limit,
text that is not JSON). After each frame a probe query checks that the
connection still answers, or the connection was closed with a reason.
At the end the store's rows equal a model built only from the calls the
server said were committed: no failed message changed anything.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from stdblite.errors import ProtocolError
from stdblite.protocol import (
    CallReducer,
    Error,
    InitialConnection,
    OneOffQuery,
    OneOffQueryResult,
    ReducerResult,
    decode_client,
    decode_server,
    encode,
)
from stdblite.server import Server

from .helpers import MODULES, SUMMARY, new_token, publish, sql

LIMIT = 64 * 1024
"""The server's frame size limit in this test."""

PROBE_ID = 999_999_999


class Session:
    """One connection to the store, reopened whenever the server closes it."""

    def __init__(self, server: Server) -> None:
        self.url = f"{server.ws_url}/v1/database/store/subscribe"
        self.socket: ClientConnection | None = None
        self.model: dict[str, int] = {}
        self.closes: list[str] = []
        self._call_ids = itertools.count(2**40)
        self._closing = contextlib.ExitStack()

    def open(self) -> ClientConnection:
        """The open connection, connecting first if needed."""
        if self.socket is None:
            self._closing.close()
            self.socket = self._closing.enter_context(
                connect(self.url, max_size=None, open_timeout=10)
            )
            first = decode_server(self.socket.recv(timeout=10))
            assert isinstance(first, InitialConnection)
        return self.socket

    def send(self, frame: str | bytes) -> None:
        """Send one frame and wait until the server has dealt with it.

        A well-formed call gets an id of its own, and its result is awaited,
        so a commit is never missed; then a probe query shows that the
        connection still answers. A closed connection must give a reason.
        """
        frame, call = self._own_call_id(frame)
        socket = self.open()
        try:
            socket.send(frame, text=isinstance(frame, TextBytes) or None)
            if call is not None:
                self._await_result(socket, call)
            socket.send(encode(OneOffQuery(PROBE_ID, "SELECT count(*) FROM item")))
            self._await(socket, PROBE_ID)
        except ConnectionClosed as closed:
            self.socket = None
            assert call is None, "a well-formed call closed the connection"
            assert closed.rcvd is not None, "the server vanished without a reason"
            assert closed.rcvd.code in (1002, 1003, 1007, 1008, 1009), closed.rcvd
            assert closed.rcvd.reason, "a close must say why"
            self.closes.append(closed.rcvd.reason)

    def _own_call_id(
        self, frame: str | bytes
    ) -> tuple[str | bytes, CallReducer | None]:
        """A well-formed CallReducer, renumbered; other frames as they are."""
        try:
            message = decode_client(frame)
        except ProtocolError:
            return frame, None
        if not isinstance(message, CallReducer):
            return frame, None
        call = CallReducer(next(self._call_ids), message.reducer, message.args)
        return encode(call), call

    def _await_result(self, socket: ClientConnection, call: CallReducer) -> None:
        """Wait for a call's result; a committed put goes into the model."""
        result = self._await(socket, call.request_id)
        assert isinstance(result, ReducerResult), result
        if result.outcome == "committed":
            assert call.reducer == "put", call
            key, value = call.args
            self.model[key] = value

    def _await(self, socket: ClientConnection, request_id: int) -> Any:
        """The answer to one request, skipping other messages."""
        while True:
            message = decode_server(socket.recv(timeout=10))
            answers = ReducerResult | OneOffQueryResult | Error
            if isinstance(message, answers) and message.request_id == request_id:
                return message


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data = tmp_path_factory.mktemp("data")
    server = Server(data, port=0, max_message_size=LIMIT).start()
    owner = new_token(server.url)
    publish(server.url, owner, "store", (MODULES / "store.py").read_text())
    yield server, owner
    server.stop()


# -- the frames -----------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.text(min_size=1, max_size=10)
put_calls = st.builds(
    lambda request_id, key, value: {
        "CallReducer": {
            "request_id": request_id,
            "reducer": "put",
            "args": [key, value],
        }
    },
    st.integers(0, 2**31),
    keys,
    st.integers(-5, 2**70),
)
odd_calls = st.builds(
    lambda request_id, reducer, args: {
        "CallReducer": {"request_id": request_id, "reducer": reducer, "args": args}
    },
    st.integers(-5, 2**40),
    st.sampled_from(["put", "nope", "", "init", "client_connected"]),
    st.lists(json_values, max_size=4),
)
queries = st.sampled_from(
    [
        "SELECT * FROM item",
        "SELECT * FROM item WHERE value > 3",
        "SELECT * FROM secret",
        "SELECT * FROM nowhere",
        "DELETE FROM item",
        "SELECT * FROM read_text('/etc/passwd')",
        "",
    ]
) | st.text(max_size=40)
subscriptions = st.builds(
    lambda request_id, set_id, qs: {
        "Subscribe": {"request_id": request_id, "query_set_id": set_id, "queries": qs}
    },
    st.integers(0, 2**31),
    st.integers(-3, 2**31),
    st.lists(queries, max_size=3),
)
unsubscriptions = st.builds(
    lambda request_id, set_id: {
        "Unsubscribe": {"request_id": request_id, "query_set_id": set_id}
    },
    st.integers(0, 2**31),
    st.integers(-3, 2**40),
)
one_offs = st.builds(
    lambda request_id, query: {
        "OneOffQuery": {"request_id": request_id, "query": query}
    },
    st.integers(0, 2**31),
    queries,
)
messages = put_calls | odd_calls | subscriptions | unsubscriptions | one_offs


def _mangle(message: dict[str, Any], how: str, value: Any) -> Any:
    """A message broken one way: a field of the wrong type, an extra field."""
    ((kind, body),) = message.items()
    if how == "wrong type" and body:
        field = sorted(body)[0]
        return {kind: {**body, field: value}}
    if how == "extra field":
        return {kind: {**body, "surprise": value}}
    if how == "unknown message":
        return {"DropAllTables": body}
    return [message]


broken_messages = st.builds(
    _mangle,
    messages,
    st.sampled_from(["wrong type", "extra field", "unknown message", "not an object"]),
    json_values,
)
raw_frames = st.sampled_from(
    [
        "not json",
        "{",
        "[]",
        "null",
        '{"CallReducer": NaN}',
        "[" * 5000 + "]" * 5000,
        '{"CallReducer": {"request_id": 1, "reducer": "put", "args": '
        + "[" * 100
        + "]" * 100
        + "}}",
        "x" * (LIMIT + 10),
    ]
)


class TextBytes(bytes):
    """Bytes to send in a text frame: how invalid UTF-8 reaches a server."""


invalid_utf8 = st.sampled_from([b"\xff\xfe\xfd", b'{"a": "\xc3\x28"}', b"\xed\xa0\x80"])
binary_frames = invalid_utf8 | st.just(b'{"OneOffQuery": {}}')
frames = (
    messages.map(json.dumps)
    | broken_messages.map(json.dumps)
    | raw_frames
    | invalid_utf8.map(TextBytes)
    | binary_frames
)


def test_the_server_answers_every_frame_and_changes_nothing_on_failure(store):
    server, owner = store
    session = Session(server)

    @settings(max_examples=1000, deadline=None)
    @given(frame=frames)
    def each_frame(frame: str | bytes) -> None:
        session.send(frame)
        SUMMARY["bad inputs tried"] += 1

    each_frame()

    # The rows are exactly what committed calls wrote: no failed frame
    # changed anything.
    rows = sql(server.url, owner, "store", "SELECT key, value FROM item")
    assert {row["key"]: row["value"] for row in rows} == session.model
    assert session.closes, "no frame ever made the server close a connection"
    # And a newcomer is served as if nothing had happened.
    newcomer = Session(server)
    newcomer.send(encode(CallReducer(1, "put", ["newcomer", 1])))
    assert newcomer.model == {"newcomer": 1}
    SUMMARY["runs"] += 1
    SUMMARY["calls"] += len(session.model)
