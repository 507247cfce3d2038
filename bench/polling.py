"""The polling stack under the same load as the push designs.

Drives ``bench/baselines/polling.py`` the way its clients would: each
player moves through ``POST /move`` and, on a second kept-alive
connection, asks ``GET /players`` 30 times a second and works out who
moved. It is measured in the phases of ``bench/wire.py``, into the same
:class:`wire.Measured`:

- lockstep: each client keeps one move in flight while every client goes
  on polling at 30 Hz, as the push designs' clients go on receiving
  updates: a client that stopped looking would not be playing the game;
- steady: every client moves at a game-like rate; a move's latency runs
  from its sending to the first poll of the watching client that shows it;
- server CPU per delivered update: an update is one other player's new
  position reaching one client, here a position that changed in a poll's
  answer since that client's poll before.

A poll that comes back late is not made up for with a burst: the next
one waits for its own tick, so no client asks more than 30 times a
second; the polls the server really answered are counted
(``polls_per_second``), because a server that cannot keep up delivers
staler positions than 30 Hz promises.

Used by ``bench/report.py``; not a test.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from dataclasses import dataclass, field

from baselines.common import identity_of
from wire import (
    ANSWER_TIMEOUT,
    SPAWN_Y,
    Measured,
    Meter,
    Target,
    Watch,
    paced,
    phase_percentiles,
    settle,
    step_x,
)

POLL_HZ = 30.0
DRAIN_LIMIT = 5.0


class HttpConnection:
    """One kept-alive HTTP/1.1 connection, a request at a time."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        """Connect to the server."""
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def request(self, method: str, path: str) -> tuple[int, bytes]:
        """Send one request, read its answer: status and body."""
        head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\n\r\n"
        self.writer.write(head.encode())
        status_line = await self.reader.readline()
        if not status_line:
            raise SystemExit("the polling server closed a connection")
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        body = await self.reader.readexactly(length)
        return int(status_line.split()[1]), body

    def close(self) -> None:
        """Close the connection."""
        self.writer.close()


@dataclass
class Player:
    """A polling client: a connection to move on, one to poll on.

    ``seen`` is every player's position as this client last saw it;
    ``updates`` counts the other players' new positions its polls showed.
    """

    name: str
    identity: str
    mover: HttpConnection
    poller: HttpConnection
    seen: dict[str, tuple[float, float]] = field(default_factory=dict)
    last_x: float | None = None
    moves: int = 0
    polls: int = 0
    updates: int = 0

    @classmethod
    async def join(cls, address: str) -> Player:
        """Connect to ``http://host:port/?player=NAME`` and come online."""
        parts = urllib.parse.urlsplit(address)
        assert parts.hostname is not None and parts.port is not None
        name = urllib.parse.parse_qs(parts.query)["player"][0]
        mover = await HttpConnection.open(parts.hostname, parts.port)
        poller = await HttpConnection.open(parts.hostname, parts.port)
        await mover.request("POST", f"/connect?player={name}")
        player = cls(name, identity_of(name), mover, poller)
        # A first look at the world, so later polls count only what changed.
        await player.poll()
        return player

    async def move(self, sequence: int) -> None:
        """Make this player's n-th move, and wait for its answer."""
        x = step_x(sequence)
        path = f"/move?player={self.name}&x={x!r}&y={SPAWN_Y!r}"
        status, body = await self.mover.request("POST", path)
        if status != 200:
            raise SystemExit(f"the polling server refused a move: {body!r}")
        self.moves += 1
        self.last_x = x

    async def poll(self) -> list[tuple[str, float]]:
        """Ask for every row; the other players who moved since, with their x."""
        _, body = await self.poller.request("GET", "/players")
        self.polls += 1
        moved = []
        for row in json.loads(body):
            identity = row["identity"]
            where = (row["position_x"], row["position_y"])
            if identity != self.identity and self.seen.get(identity, where) != where:
                moved.append((identity, where[0]))
            self.seen[identity] = where
        self.updates += len(moved)
        return moved

    def close(self) -> None:
        """Leave."""
        self.mover.close()
        self.poller.close()


async def measure_polling(
    target: Target, players: int, seconds: float, rates: list[float]
) -> Measured:
    """Both phases against the polling server, as wire.measure runs them."""
    clients = [await Player.join(a) for a in target.addresses[:players]]
    watcher = await Player.join(target.addresses[players])
    everyone = [*clients, watcher]
    try:
        calls, busy, samples = await _lockstep_phase(target, clients, watcher, seconds)
        measured = Measured(calls, *busy, phase_percentiles("lockstep", samples))
        for rate in rates:
            await settle(target.server)
            # Catch up on the lockstep's last moves, so they count nowhere.
            await asyncio.gather(*(p.poll() for p in everyone))
            phase = f"steady_{rate:g}"
            samples, per_update, polled = await _steady_phase(
                target, clients, watcher, seconds, rate
            )
            measured.latency_ms.update(phase_percentiles(phase, samples))
            measured.cpu_ms_per_update[phase] = per_update
            measured.polls_per_second = polled
        measured.server_rss_mb = target.server.rss_mb()
    finally:
        for player in everyone:
            player.close()
    return measured


def _start_polling(
    everyone: list[Player], watcher: Player, watch: Watch, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    """Every client polling at 30 Hz, their ticks spread over one period."""
    spread = 1.0 / POLL_HZ / len(everyone)
    return [
        asyncio.create_task(
            _keep_polling(p, watch if p is watcher else None, i * spread, stop)
        )
        for i, p in enumerate(everyone)
    ]


async def _keep_polling(
    player: Player, watch: Watch | None, offset: float, stop: asyncio.Event
) -> None:
    """Poll on every tick until stopped; the watcher times what it sees."""
    tick = time.perf_counter() + offset
    while not stop.is_set():
        await asyncio.sleep(max(0.0, tick - time.perf_counter()))
        moved = await player.poll()
        now = time.perf_counter()
        if watch is not None and watch.recording:
            for key in moved:
                sent = watch.sent.pop(key, None)
                if sent is not None:
                    watch.samples.append(now - sent)
        # A late answer moves the next tick on rather than bunching polls.
        tick = max(tick + 1.0 / POLL_HZ, now)


async def _lockstep_phase(
    target: Target, clients: list[Player], watcher: Player, seconds: float
) -> tuple[float, tuple[float, float], list[float]]:
    """Moves a second with one in flight per client, everyone polling."""
    watch, stop = Watch(), asyncio.Event()
    warm_up = min(1.0, seconds / 3)
    until = time.perf_counter() + warm_up + seconds
    pollers = _start_polling([*clients, watcher], watcher, watch, stop)
    movers = [asyncio.create_task(_move_in_lockstep(c, watch, until)) for c in clients]
    await asyncio.sleep(warm_up)
    # Count moves and CPU over the measured window only.
    meter = Meter(target.server, lambda: sum(c.moves for c in clients))
    watch.recording = True
    await asyncio.sleep(seconds)
    meter.stop()
    watch.recording = False
    await asyncio.gather(*movers)
    stop.set()
    await asyncio.gather(*pollers)
    return meter.per_second, (meter.generator_busy, meter.server_busy), watch.samples


async def _move_in_lockstep(client: Player, watch: Watch, until: float) -> None:
    """Throughput: a move, its answer, the next move."""
    sequence = 0
    while time.perf_counter() < until:
        sequence += 1
        watch.sent[(client.identity, step_x(sequence))] = time.perf_counter()
        try:
            await asyncio.wait_for(client.move(sequence), ANSWER_TIMEOUT)
        except TimeoutError:
            raise SystemExit(f"no answer to a move within {ANSWER_TIMEOUT} s") from None


async def _steady_phase(
    target: Target,
    clients: list[Player],
    watcher: Player,
    seconds: float,
    rate: float,
) -> tuple[list[float], float, float]:
    """Latencies at ``rate``, server CPU ms per update, polls a second each."""
    everyone = [*clients, watcher]
    watch, stop = Watch(recording=True), asyncio.Event()
    until = time.perf_counter() + seconds
    spread = 1.0 / rate / max(1, len(clients))
    meter = Meter(target.server, lambda: sum(p.updates for p in everyone))
    polls = sum(p.polls for p in everyone)
    pollers = _start_polling(everyone, watcher, watch, stop)
    movers = [
        asyncio.create_task(_move_steadily(c, watch, rate, i * spread, until))
        for i, c in enumerate(clients)
    ]
    await asyncio.gather(*movers)
    await _drain(clients, watcher)
    meter.stop()
    polled = (sum(p.polls for p in everyone) - polls) / len(everyone)
    watch.recording = False
    stop.set()
    await asyncio.gather(*pollers)
    return watch.samples, meter.server_ms_each, polled / meter.elapsed


async def _move_steadily(
    client: Player, watch: Watch, rate: float, offset: float, until: float
) -> None:
    """Latency: a move every 1/rate seconds, each waiting for its answer."""
    async for sequence in paced(rate, offset, until):
        watch.sent[(client.identity, step_x(sequence))] = time.perf_counter()
        await client.move(sequence)


async def _drain(clients: list[Player], watcher: Player) -> None:
    """Wait until the watcher has seen every player's last move, or a limit.

    Not until every move was seen: a move overtaken by the same player's
    next one before any poll is never on anyone's screen.
    """
    deadline = time.perf_counter() + DRAIN_LIMIT
    while time.perf_counter() < deadline and any(
        not _has_seen(watcher, c) for c in clients
    ):
        await asyncio.sleep(0.05)


def _has_seen(watcher: Player, mover: Player) -> bool:
    """True if the watcher's last poll showed the mover's last move."""
    seen = watcher.seen.get(mover.identity)
    return mover.last_x is None or (seen is not None and seen[0] == mover.last_x)
