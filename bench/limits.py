"""The limits of this machine, measured beside the designs.

No design can beat them on the same hardware, so they bound what the
figures could ever be:

- raw DuckDB: one connection on a file, in a loop of ``BEGIN; UPDATE;
  COMMIT`` of one player's position, each commit durable: the naive
  server's storage work with nothing around it;
- raw WebSocket: the ``bench/baselines/echo.py`` server in its own
  process, and one :mod:`lean_socket` client (the designs' load
  generator) sending a move-sized frame and waiting for it to come back.

Used by ``bench/report.py``; not a test.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from lean_socket import LeanSocket
from wire import SPAWN_X, SPAWN_Y, launch, move_frame, percentiles

PLAYERS = 101
CREATE = (
    "CREATE TABLE IF NOT EXISTS player (identity VARCHAR PRIMARY KEY, "
    "username VARCHAR UNIQUE, position_x DOUBLE, position_y DOUBLE, "
    "is_online BOOLEAN)"
)
FILL = (
    "INSERT OR IGNORE INTO player "
    "SELECT 'p' || i, 'player-' || i, ?, ?, true FROM range(?) t(i)"
)
UPDATE = "UPDATE player SET position_x = ?, position_y = ? WHERE identity = ?"


@dataclass
class Limits:
    """Medians over the rounds: DuckDB transactions, WebSocket round trips."""

    transactions_per_second: float
    round_trips_per_second: float
    p50_ms: float
    p99_ms: float


def duckdb_round(path: Path, seconds: float) -> float:
    """Durable transactions a second on ``path``, one row updated in each."""
    conn = duckdb.connect(str(path))
    try:
        conn.execute(CREATE)
        conn.execute(FILL, [SPAWN_X, SPAWN_Y, PLAYERS])
        done, started = 0, time.perf_counter()
        while time.perf_counter() < started + seconds:
            conn.execute("BEGIN")
            conn.execute(UPDATE, [SPAWN_X + done % 200, SPAWN_Y, f"p{done % PLAYERS}"])
            conn.execute("COMMIT")
            done += 1
        return done / (time.perf_counter() - started)
    finally:
        conn.close()


async def websocket_round(url: str, seconds: float) -> tuple[float, list[float]]:
    """Round trips a second, one at a time, and each one's time in seconds."""
    waiting: list[asyncio.Future[None]] = []
    socket = await LeanSocket.open(url, lambda _: waiting.pop().set_result(None))
    try:
        await _echo_for(socket, waiting, min(1.0, seconds / 3))
        started = time.perf_counter()
        samples = await _echo_for(socket, waiting, seconds)
        return len(samples) / (time.perf_counter() - started), samples
    finally:
        await socket.close()


async def _echo_for(
    socket: LeanSocket, waiting: list[asyncio.Future[None]], seconds: float
) -> list[float]:
    """Send a move and wait for it to come back, again and again."""
    loop = asyncio.get_running_loop()
    frame = move_frame(1, SPAWN_X)
    samples: list[float] = []
    until = time.perf_counter() + seconds
    while (sent := time.perf_counter()) < until:
        back = loop.create_future()
        waiting.append(back)
        socket.send_text(frame)
        await back
        samples.append(time.perf_counter() - sent)
    return samples


def measure_limits(folder: Path, seconds: float, rounds: int) -> Limits:
    """Both limits, ``rounds`` times each, interleaved; their medians."""
    echo = launch("echo", folder / "echo", 1)
    transactions: list[float] = []
    trips: list[float] = []
    p50s: list[float] = []
    p99s: list[float] = []
    try:
        for number in range(rounds):
            transactions.append(duckdb_round(folder / "raw.duckdb", seconds))
            rate, samples = asyncio.run(websocket_round(echo.addresses[0], seconds))
            p50, p99 = percentiles(samples)
            trips.append(rate)
            p50s.append(p50)
            p99s.append(p99)
            print(
                f"round {number + 1}, limits: raw DuckDB {transactions[-1]:.0f} "
                f"transactions/s, raw WebSocket {rate:.0f} round trips/s",
                flush=True,
            )
    finally:
        echo.server.stop()
    median = statistics.median
    return Limits(median(transactions), median(trips), median(p50s), median(p99s))
