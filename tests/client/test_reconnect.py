"""Reconnecting: the client cache reconciled after the server comes back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stdblite import Database, Identity
from stdblite.client import DbConnection, SubscriptionEvent
from stdblite.errors import ClientError, NotConnected, TokenError
from stdblite.server import Server

from .helpers import GAME, Client, Recorder, new_token, publish

FAST = {"initial_delay": 0.05, "max_delay": 0.3}


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers (again) on a port; stop whatever still runs at the end."""
    started: list[Server] = []

    def start(data: Path = tmp_path / "data", port: int = 0) -> Server:
        server = Server(data, port=port, ping_interval=1.0).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def clients() -> Iterator[Callable[..., Client]]:
    """Open clients with reconnect settings; disconnect them at the end."""
    made: list[DbConnection] = []

    def open_(url: str, token: str | None = None, **reconnect: Any) -> Client:
        rec = Recorder()
        builder = (
            DbConnection.builder()
            .with_uri(url)
            .with_database_name("game")
            .with_token(token)
            .on_connect(rec.callback("connect"))
            .on_disconnect(rec.callback("disconnect"))
        )
        if reconnect:
            builder = builder.with_reconnect(**reconnect)
        conn = builder.build()
        made.append(conn)
        conn.run_threaded()
        client = Client(conn, rec)
        client.connected()
        return client

    yield open_
    for conn in made:
        conn.disconnect()
        conn._transport.join(10)


def follow(client: Client) -> None:
    """Record the player table's callbacks."""
    for kind in ("insert", "update", "delete"):
        getattr(client.conn.db.player, f"on_{kind}")(client.rec.callback(kind))


def test_callbacks_fire_only_for_what_changed_while_away(
    servers: Callable[..., Server],
    clients: Callable[..., Client],
    tmp_path: Path,
) -> None:
    server = servers()
    publish(server.url, new_token(server.url), "game", GAME)
    john = clients(server.url, **FAST)
    sara = clients(server.url)
    john.subscribe("SELECT * FROM player")
    john.conn.reducers.register_player("John")
    sara.conn.reducers.register_player("Sara")
    john.rec.wait_for(lambda: {"John", "Sara"} <= set(john.rows()))
    before = john.rows()
    follow(john)

    # The server stops; while it is down, Zed registers and Sara is gone.
    server.stop()
    ((_, error),) = sara.rec.wait_for(lambda: sara.rec.named("disconnect"))
    assert isinstance(error, ClientError)
    db = Database.reopen(tmp_path / "data" / "databases" / "game.duckdb", name="game")
    db.call("register_player", "Zed", sender=Identity.random())
    db.close()
    servers(port=server.port)

    # John is back: one insert (Zed), one update (Sara offline), nothing else.
    john.rec.wait_for(lambda: john.rec.named("update"))
    inserts, updates = john.rec.named("insert"), john.rec.named("update")
    assert [row.username for _, row in inserts] == ["Zed"]
    ((ctx, old, new),) = updates
    assert (old, new.is_online) == (before["Sara"], False)
    assert not john.rec.named("delete")
    assert isinstance(ctx.event, SubscriptionEvent) and ctx.event.kind == "reconnected"
    assert john.rows()["John"] == before["John"]
    assert len(john.rec.named("connect")) == 1 and not john.rec.named("disconnect")

    # The cache matches the server, and the connection works as before.
    observer = clients(server.url)
    observer.subscribe("SELECT * FROM player")
    observer.rec.wait_for(lambda: len(observer.rows()) == 4)
    # Rows of the same table compare equal across connections.
    seen_by_john = john.rows()
    assert {n: observer.rows()[n] for n in seen_by_john} == seen_by_john
    event = asyncio.run(john.conn.reducers.move_player_async(7700.0, 5400.0))
    assert event.outcome == "committed"


def test_a_refused_token_ends_the_retries(
    servers: Callable[..., Server],
    clients: Callable[..., Client],
    tmp_path: Path,
) -> None:
    server = servers()
    publish(server.url, new_token(server.url), "game", GAME)
    john = clients(server.url, **FAST)
    server.stop()
    # A server that lost its data directory, and with it its signing key.
    fresh = servers(tmp_path / "fresh", port=server.port)
    publish(fresh.url, new_token(fresh.url), "game", GAME)
    ((_, error),) = john.rec.wait_for(lambda: john.rec.named("disconnect"))
    assert isinstance(error, TokenError)
    john.rec.wait_for(lambda: not john.conn.is_active())


def test_retries_stop_after_max_attempts(
    servers: Callable[..., Server], clients: Callable[..., Client]
) -> None:
    server = servers()
    publish(server.url, new_token(server.url), "game", GAME)
    john = clients(server.url, max_attempts=2, **FAST)
    server.stop()
    ((_, error),) = john.rec.wait_for(lambda: john.rec.named("disconnect"))
    assert "cannot reach" in str(error)
    assert not john.conn.is_active()


def test_subscriptions_changed_while_away_take_effect_on_return(
    servers: Callable[..., Server],
    clients: Callable[..., Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = servers()
    publish(server.url, new_token(server.url), "game", GAME)
    john = clients(server.url, **FAST)
    sara = clients(server.url)
    john.conn.reducers.register_player("John")
    sara.conn.reducers.register_player("Sara")
    on_john = john.subscribe("SELECT * FROM player WHERE username = 'John'")
    on_sara = john.subscribe("SELECT * FROM player WHERE username = 'Sara'")
    john.rec.wait_for(lambda: set(john.rows()) == {"John", "Sara"})
    follow(john)

    with caplog.at_level(logging.INFO, logger="stdblite.client"):
        server.stop()
        john.rec.wait_for(lambda: "lost; reconnecting" in caplog.text)
    with pytest.raises(NotConnected, match="reconnecting"):
        john.conn.reducers.register_player("Johnny")
    on_john.unsubscribe()
    offline = (
        john.conn.subscription_builder()
        .on_applied(john.rec.callback("offline applied"))
        .subscribe("SELECT * FROM player WHERE NOT is_online")
    )
    assert not offline.is_active()
    servers(port=server.port)

    ((ctx,),) = john.rec.wait_for(lambda: john.rec.named("offline applied"))
    assert on_john.is_ended() and on_sara.is_active() and offline.is_active()
    assert set(john.rows()) == {"Sara"} and not john.rows()["Sara"].is_online
    assert [row.username for _, row in john.rec.named("delete")] == ["John"]
    assert [new.username for _, _, new in john.rec.named("update")] == ["Sara"]
    assert not john.rec.named("insert")
    assert ctx.db.player.count() == 1  # on_applied ran after the swap
