"""Churn: hundreds of clients come and go while one player keeps playing.

500 clients connect to the tutorial's game, subscribe, call reducers and
leave, half with a clean close and half by cutting the socket, spread over
a minute. Meanwhile one well-behaved client walks back and forth. After
the crowd has gone, every ``client_connected`` has its
``client_disconnected``, nobody is left online, the server's memory and
open files are back near where they started, and the steady player's calls
committed in every stretch of the run.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

from stdblite.protocol import Subscribe, SubscribeApplied, encode

from .helpers import GAME, SUMMARY, RawClient, ServerProcess, new_token, publish, sql

CLIENTS = 500
SECONDS = 60.0
WINDOWS = 6
"""The run is cut into this many stretches; each must see steady commits."""


async def visitor(ws_url: str, index: int) -> int:
    """One short visit: connect, subscribe, rename, walk, leave. Its calls."""
    client = await RawClient.connect(ws_url, "game")
    await client.send(encode(Subscribe(1, 1, ["SELECT * FROM player"])))
    while not isinstance(await client.receive(), SubscribeApplied):
        pass
    calls = 0
    for result in [
        await client.call("register_player", f"visitor-{index}"),
        await client.call("move_player", 7712.0 - 10, 5408.0),
    ]:
        assert result.outcome == "committed", result.error
        calls += 1
    await asyncio.sleep(random.uniform(0.0, 2.0))
    if index % 2:
        client.drop()
    else:
        await client.close()
    return calls


async def steady_player(ws_url: str, stop: asyncio.Event) -> list[float]:
    """Walk left and right until told to stop; when each call committed."""
    client = await RawClient.connect(ws_url, "game")
    committed, step = [], 10.0
    while not stop.is_set():
        step = -step
        result = await client.call("move_player", 7712.0 + step, 5408.0)
        assert result.outcome == "committed", result.error
        committed.append(time.monotonic())
        await asyncio.sleep(0.05)
    await client.close()
    return committed


async def crowd(ws_url: str) -> tuple[int, list[float], float]:
    """The whole run: visitors arriving evenly, and the steady player."""
    stop = asyncio.Event()
    steady = asyncio.create_task(steady_player(ws_url, stop))
    started = time.monotonic()
    visits = []
    for index in range(CLIENTS):
        visits.append(asyncio.create_task(visitor(ws_url, index)))
        await asyncio.sleep(SECONDS / CLIENTS)
    calls = sum(await asyncio.gather(*visits))
    stop.set()
    return calls, await steady, started


def wait_for(check, seconds: float = 20.0) -> None:
    """Poll ``check`` until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the server did not settle in time"
        time.sleep(0.2)


def test_500_clients_come_and_go_and_leave_nothing_behind(tmp_path: Path):
    server = ServerProcess(tmp_path / "data").start()
    owner = new_token(server.url)
    publish(server.url, owner, "game", GAME.read_text())

    # Warm up once, so the baseline includes what the first visit loads.
    asyncio.run(visitor(server.ws_url, CLIENTS))
    time.sleep(1.0)
    memory_before, files_before = server.memory_mib(), server.open_files()

    calls, steady, started = asyncio.run(crowd(server.ws_url))

    def tally(reducer: str) -> int:
        query = f"SELECT count(*) AS n FROM st_transaction WHERE reducer = '{reducer}'"
        return int(sql(server.url, owner, "game", query)[0]["n"])

    def everyone_left() -> bool:
        online = "SELECT count(*) AS n FROM player WHERE is_online"
        quiet = int(sql(server.url, owner, "game", online)[0]["n"]) == 0
        return quiet and tally("identity_connected") == tally("identity_disconnected")

    wait_for(everyone_left)
    assert tally("identity_connected") == CLIENTS + 2  # the warm-up and steady

    # Every stretch of the run saw the steady player's calls commit.
    span = (time.monotonic() - started) / WINDOWS
    stretches = {int((moment - started) // span) for moment in steady}
    assert set(range(WINDOWS - 1)) <= stretches

    # What the crowd held is given back: sockets closed, memory settled.
    wait_for(lambda: server.open_files() <= files_before + 2)
    memory_after = server.memory_mib()
    assert memory_after < memory_before * 1.5 + 20, (memory_before, memory_after)
    assert server.stop() == 0

    SUMMARY["runs"] += 1
    SUMMARY["calls"] += calls + len(steady)
