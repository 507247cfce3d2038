"""The ``stdb`` command's side of the wire: GETs and short WebSocket talks.

Everything here is synchronous, and every network error becomes one clear
:class:`StdbliteError` line.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from ..errors import StdbliteError
from ..protocol import AdminRequest, AdminResult, decode_server, encode_admin

__all__ = ["admin", "get_json", "open_socket", "ws_url"]

TIMEOUT = 10.0


def ws_url(server: str, path: str, token: str | None = None) -> str:
    """The WebSocket address of ``path`` on ``server`` (token in the query)."""
    base = "ws" + server[4:] if server.startswith("http") else server
    query = "" if token is None else "?" + urllib.parse.urlencode({"token": token})
    return base + path + query


def get_json(server: str, path: str, token: str | None = None) -> Any:
    """GET a JSON document; a server's error answer becomes its message."""
    request = urllib.request.Request(server + path)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise StdbliteError(_error_text(exc)) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise _unreachable(server, exc) from exc


def _error_text(exc: urllib.error.HTTPError) -> str:
    """The ``error`` field of a JSON error answer, or the status line."""
    try:
        return str(json.loads(exc.read())["error"])
    except (ValueError, KeyError, TypeError):
        return f"the server answered {exc.code} {exc.reason}"


def _unreachable(server: str, exc: BaseException) -> StdbliteError:
    """The message for a server that cannot be reached at all."""
    reason = getattr(exc, "reason", exc)
    return StdbliteError(
        f"cannot reach {server} ({reason}); is `stdb start` running there?"
    )


@contextmanager
def open_socket(
    server: str, path: str, token: str | None, headers: dict[str, str] | None = None
) -> Iterator[ClientConnection]:
    """A WebSocket to ``path``; a refused or closed one says why."""
    url = ws_url(server, path, token)
    with ExitStack() as closing:
        # Entered as a context manager, as websockets asks; it closes the
        # socket however the block ends.
        try:
            socket = closing.enter_context(
                connect(
                    url,
                    compression=None,
                    open_timeout=TIMEOUT,
                    additional_headers=headers,
                )
            )
        except (InvalidURI, InvalidHandshake, OSError, TimeoutError) as exc:
            raise _unreachable(server, exc) from exc
        try:
            yield socket
        except ConnectionClosed as exc:
            reason = exc.rcvd.reason if exc.rcvd else ""
            raise StdbliteError(f"the server closed the connection: {reason}") from exc


def admin(
    server: str, token: str | None, request: AdminRequest, key: str | None = None
) -> dict[str, Any]:
    """Send one request to ``/v1/admin`` and return its result."""
    headers = {"X-Stdb-Publish-Key": key} if key else None
    with open_socket(server, "/v1/admin", token, headers) as socket:
        socket.send(encode_admin(request))
        reply = decode_server(socket.recv(timeout=120))
    if not isinstance(reply, AdminResult):
        raise StdbliteError(
            f"unexpected answer from the server: {type(reply).__name__}"
        )
    if reply.error is not None:
        raise StdbliteError(reply.error)
    return reply.result or {}
