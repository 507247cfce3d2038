"""Building a connection: what fails at once, and what fails on the wire."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

import pytest

from stdblite.client import DbConnection
from stdblite.errors import ClientError, NotConnected, TokenError
from stdblite.server import Server
from stdblite.tokens import TokenAuthority

from .helpers import Client


def builder(uri: Any = "http://127.0.0.1:3000", name: Any = "game") -> Any:
    """A builder with an address and a database name."""
    return DbConnection.builder().with_uri(uri).with_database_name(name)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DbConnection.builder().with_database_name("game"), "with_uri"),
        (lambda: builder(uri="ftp://127.0.0.1:3000"), "http, https, ws or wss"),
        (lambda: builder(uri="127.0.0.1:3000"), "give an address like"),
        (lambda: builder(uri="http://"), "give an address like"),
        (lambda: builder(uri="http://host:99999"), "Port out of range"),
        (lambda: builder(uri="http://host/?token=x"), "must not hold"),
        (lambda: builder(uri=3000), "must be text"),
        (lambda: DbConnection.builder().with_uri("http://h"), "with_database_name"),
        (lambda: builder(name="My Game"), "invalid database name"),
        (lambda: builder().with_token(""), "a token is the text"),
        (lambda: builder().with_token(42), "a token is the text"),
    ],
)
def test_arguments_that_cannot_work_fail_at_build(
    make: Callable[[], Any], message: str
) -> None:
    with pytest.raises(ClientError, match=message):
        make().build()


def test_callbacks_and_reconnect_settings_are_checked() -> None:
    with pytest.raises(ClientError, match="callable"):
        builder().on_connect("print")
    with pytest.raises(ClientError, match="delays"):
        builder().with_reconnect(initial_delay=0)
    with pytest.raises(ClientError, match="max_attempts"):
        builder().with_reconnect(max_attempts=0)


@pytest.mark.parametrize("scheme", ["http", "ws"])
def test_http_and_ws_addresses_reach_the_server(
    server: Server, connect: Callable[..., Client], scheme: str
) -> None:
    client = connect(uri=f"{scheme}://127.0.0.1:{server.port}/")
    _, identity, token = client.connected()
    assert client.conn.identity == identity and token


@pytest.mark.parametrize("scheme", ["https", "wss"])
def test_tls_addresses_are_accepted_and_fail_cleanly_on_a_plain_server(
    server: Server, connect: Callable[..., Client], scheme: str
) -> None:
    client = connect(uri=f"{scheme}://127.0.0.1:{server.port}")
    ((_, error),) = client.rec.wait_for(lambda: client.rec.named("connect_error"))
    assert isinstance(error, ClientError) and "cannot reach" in str(error)


def test_an_unreachable_server_is_a_connect_error(
    connect: Callable[..., Client],
) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    client = connect(uri=f"http://127.0.0.1:{port}")
    ((ctx, error),) = client.rec.wait_for(lambda: client.rec.named("connect_error"))
    assert f"cannot reach http://127.0.0.1:{port}" in str(error)
    assert ctx.event is None and ctx.conn is client.conn
    client.rec.wait_for(lambda: not client.conn.is_active())
    with pytest.raises(ClientError, match="cannot reach"):
        client.conn.wait_until_connected()
    with pytest.raises(NotConnected):
        client.conn.db  # noqa: B018
    assert client.conn.try_identity() is None
    assert not client.rec.named("disconnect")


def test_an_unknown_database_is_a_connect_error(
    connect: Callable[..., Client],
) -> None:
    client = connect("nowhere")
    ((_, error),) = client.rec.wait_for(lambda: client.rec.named("connect_error"))
    assert "no database named 'nowhere'" in str(error)


def test_a_token_from_another_server_is_refused(
    connect: Callable[..., Client],
) -> None:
    forged, _ = TokenAuthority.ephemeral().mint()
    client = connect(token=forged)
    ((_, error),) = client.rec.wait_for(lambda: client.rec.named("connect_error"))
    assert isinstance(error, TokenError)
    assert "another server" in str(error)


def test_wait_until_connected_drives_an_undriven_connection(
    connect: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="stdblite.client"):
        client = connect(drive=None)
        identity = client.conn.wait_until_connected()
        assert client.rec.named("connect")[0][1] == identity
        assert repr(client.conn) == "<DbConnection to game (active)>"
        client.conn.disconnect()
        client.rec.wait_for(
            lambda: client.rec.named("disconnect"), tick=client.conn.frame_tick
        )
    said = [r.getMessage() for r in caplog.records if r.name == "stdblite.client"]
    assert said[0].startswith("connecting to game at http://127.0.0.1:")
    assert said[1] == f"connected to game as {identity}"
    assert said[-1] == "disconnected from game"
    assert all(r.levelno == logging.INFO for r in caplog.records)
