"""Fixtures for the client tests: a real server on 127.0.0.1, real clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stdblite.client import DbConnection
from stdblite.server import Server

from .helpers import (
    BOARD,
    GAME,
    AsyncProgram,
    Client,
    GameLoop,
    Recorder,
    new_token,
    publish,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A running server with the game published as ``game``, and a board."""
    server = Server(tmp_path / "data", port=0, ping_interval=1.0).start()
    owner = new_token(server.url)
    publish(server.url, owner, "game", GAME)
    publish(server.url, owner, "board", BOARD)
    yield server
    server.stop()


@pytest.fixture
def connect(server: Server) -> Iterator[Callable[..., Client]]:
    """Open clients to the test server; disconnect them all at the end.

    ``drive`` is ``threaded`` (the default), ``frame_tick`` (a game loop
    thread), ``async`` (an asyncio program in a thread), or None to let the
    test drive the connection itself.
    """
    made: list[DbConnection] = []
    drivers: list[GameLoop | AsyncProgram] = []

    def connect_(
        database: str = "game",
        token: str | None = None,
        drive: str | None = "threaded",
        uri: str | None = None,
        configure: Callable[[Any], Any] = lambda builder: builder,
    ) -> Client:
        rec = Recorder()
        builder = (
            DbConnection.builder()
            .with_uri(uri or server.url)
            .with_database_name(database)
            .with_token(token)
            .on_connect(rec.callback("connect"))
            .on_connect_error(rec.callback("connect_error"))
            .on_disconnect(rec.callback("disconnect"))
        )
        conn = configure(builder).build()
        made.append(conn)
        if drive == "threaded":
            conn.run_threaded()
        elif drive == "frame_tick":
            drivers.append(GameLoop(conn))
        elif drive == "async":
            drivers.append(AsyncProgram(conn))
        return Client(conn, rec)

    yield connect_
    for conn in made:
        conn.disconnect()
    for conn in made:
        conn._transport.join(10)
    for driver in drivers:
        driver.stop()
