"""The three ways to drive a connection, and a loop that is already running."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from stdblite.client import DbConnection
from stdblite.errors import ClientError, NotConnected
from stdblite.server import Server

from .helpers import TIMEOUT, Client


def test_frame_tick_runs_callbacks_in_the_callers_thread(
    connect: Callable[..., Client],
) -> None:
    client = connect(drive=None)
    threads: list[threading.Thread] = []
    client.conn.frame_tick()  # nothing may have arrived yet: returns anyway
    with pytest.raises(NotConnected):
        client.conn.db  # noqa: B018 - the schema comes with the connection
    client.rec.wait_for(
        lambda: client.rec.named("connect"), tick=client.conn.frame_tick
    )
    client.conn.subscription_builder().on_applied(
        lambda ctx: threads.append(threading.current_thread())
    ).subscribe("SELECT * FROM player")
    client.rec.wait_for(lambda: threads, tick=client.conn.frame_tick)
    assert threads == [threading.main_thread()]
    client.conn.disconnect()
    client.rec.wait_for(
        lambda: not client.conn.is_active(), tick=client.conn.frame_tick
    )
    ((_, error),) = client.rec.named("disconnect")
    assert error is None


def test_run_threaded_runs_callbacks_in_its_thread_until_the_end(
    connect: Callable[..., Client],
) -> None:
    client = connect(drive=None)
    assert client.conn.run_threaded() is None  # a notebook cell shows nothing
    threads: list[threading.Thread] = []
    client.conn.wait_until_connected()
    client.conn.subscription_builder().on_applied(
        lambda ctx: threads.append(threading.current_thread())
    ).subscribe("SELECT * FROM player")
    (thread,) = client.rec.wait_for(lambda: threads)
    assert thread.name == "stdblite-client" and thread is not threading.main_thread()
    with pytest.raises(ClientError, match="driven by run_threaded"):
        client.conn.frame_tick()
    with pytest.raises(ClientError, match="driven by run_threaded"):
        client.conn.run_threaded()
    client.conn.disconnect()
    thread.join(TIMEOUT)
    assert not thread.is_alive() and not client.conn.is_active()
    client.conn.frame_tick()  # the thread let go of the connection


def test_run_async_drives_the_connection_in_the_running_loop(
    server: Server,
) -> None:
    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        connected = asyncio.Event()
        seen: list[Any] = []

        def on_connect(conn: DbConnection, identity: Any, token: str) -> None:
            seen.append(asyncio.get_running_loop() is loop)
            connected.set()

        conn = (
            DbConnection.builder()
            .with_uri(server.url)
            .with_database_name("game")
            .on_connect(on_connect)
            .build()
        )
        runner = asyncio.create_task(conn.run_async())
        await asyncio.wait_for(connected.wait(), TIMEOUT)
        with pytest.raises(ClientError, match="would block the loop"):
            conn.wait_until_connected()
        conn.db.player.on_update(lambda ctx, old, new: seen.append(new.username))
        conn.subscription_builder().subscribe("SELECT * FROM player")
        event = await asyncio.wait_for(conn.reducers.register_player_async("Ann"), 10)
        seen.append(event.outcome)
        conn.disconnect()
        await asyncio.wait_for(runner, TIMEOUT)
        return seen

    assert asyncio.run(main()) == [True, "Ann", "committed"]


def test_a_loop_already_running_in_the_callers_thread(server: Server) -> None:
    """As in a Jupyter cell: the kernel's loop runs while the cell's code does."""

    async def cell() -> tuple[Any, ...]:
        threaded = (
            DbConnection.builder().with_uri(server.url).with_database_name("game")
        ).build()
        threaded.run_threaded()
        identity = threaded.wait_until_connected(TIMEOUT)
        ticked = (
            DbConnection.builder().with_uri(server.url).with_database_name("game")
        ).build()
        for _ in range(int(TIMEOUT / 0.01)):
            ticked.frame_tick()
            if ticked.try_identity() is not None:
                break
            await asyncio.sleep(0.01)
        result = await threaded.reducers.register_player_async("Bo")
        for conn in (threaded, ticked):
            conn.disconnect()
        return identity, ticked.try_identity(), result.outcome

    identity, other, outcome = asyncio.run(cell())
    assert identity is not None and other is not None and identity != other
    assert outcome == "committed"


def test_a_callback_that_raises_is_logged_and_the_others_run(
    connect: Callable[..., Client], caplog: pytest.LogCaptureFixture
) -> None:
    client = connect()
    client.connected()

    def broken(ctx: Any, row: Any) -> None:
        raise RuntimeError("a bug in the program")

    client.conn.db.player.on_insert(broken)
    remove = client.conn.db.player.on_insert(client.rec.callback("insert"))
    with caplog.at_level(logging.ERROR, logger="stdblite.client"):
        client.subscribe("SELECT * FROM player")
        client.rec.wait_for(lambda: client.rec.named("insert"))
    (record,) = [r for r in caplog.records if "callback raised" in r.message]
    assert record.exc_info is not None
    remove()
    connect().connected()
    client.rec.wait_for(lambda: client.conn.db.player.count() == 2)
    assert len(client.rec.named("insert")) == 1  # removed: not called again
