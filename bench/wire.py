"""Reducer calls over the wire: stdblite against two baselines, in one run.

The workload is the tutorial's: every client is a player subscribed to
``SELECT * FROM player`` who calls ``move_player(x, y)``; every move is
checked by the game's rules, made durable, answered to the caller, and
pushed to every other client. Three servers take the same load from the
same load generator, each in its own process, rounds interleaved:

- stdblite: ``stdb start`` with ``stdblite/examples/game.py`` published;
- naive (``bench/baselines/naive.py``): one DuckDB transaction per call;
- transport only (``bench/baselines/transport_only.py``): no storage at
  all, only routing and fan-out: the ceiling of a per-call server on the
  same ``websockets`` transport.

Per server and client count, one extra client watches: it measures the
time from a move being sent to its TransactionUpdate arriving, the move
as another player's screen gets it. Then:

- lockstep (throughput): each client keeps one call in flight (send, wait
  for its ReducerResult, send the next); calls answered per second, and
  the latency under that full load;
- steady (latency): each client moves at a game-like rate, for each of
  ``--rates`` moves a second, and only the latency counts.

Before each measurement every server is left to go idle, so that one
measurement's backlog never slows the next. The clients are
:mod:`lean_socket` connections, so that receiving 100 copies of every move
does not make the load generator the bottleneck; it reports how busy it
was next to each server's CPU use. In the steady phase it also counts the
updates the clients received and the server's CPU time, so that
``bench/report.py``, which builds on these pieces, can put a CPU cost on
each delivered update. Prints medians of ``--rounds`` rounds and the
ratios to the baselines; writes every figure as JSON. It is not a test.

    python bench/wire.py [--seconds 3] [--rounds 3] [--clients 1,10,100]
                         [--rates 2,10] [--pipeline 1]
                         [--json bench/results/wire.json]

``--pipeline N`` keeps N calls in flight per client in the throughput
phase instead of one, as a client that does not wait for each answer
would: ``--clients 10 --pipeline 8`` is ten callers pipelining.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lean_socket import LeanSocket

from stdblite.cli.remote import admin, get_json
from stdblite.protocol import Publish

HERE = Path(__file__).parent
GAME = HERE.parent / "stdblite" / "examples" / "game.py"
RESULTS = HERE / "results" / "wire.json"
DESIGNS = ("stdblite", "naive", "transport_only")
SPAWN_X, SPAWN_Y = 7712.0, 5408.0
LAUNCH_TIMEOUT = 60.0
ANSWER_TIMEOUT = 30.0


# --- the servers, each in its own process ------------------------------------


class Launched:
    """A server process, its address read from the line announcing it."""

    def __init__(self, command: list[str], announce: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **env},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = self._wait_for(re.compile(announce))

    def _drain(self) -> None:
        """Keep reading the output, so the server never blocks on a pipe."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def _wait_for(self, announce: re.Pattern[str]) -> str:
        """The address in the announcing line."""
        deadline = time.monotonic() + LAUNCH_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1.0)
            except queue.Empty:
                continue
            found = announce.search(line)
            if found:
                return found.group(1)
        self.stop()
        raise SystemExit(f"server did not start: {self.process.args}")

    def cpu_seconds(self) -> float:
        """CPU time the process's threads have used so far (Linux).

        Summed over each thread's scheduler statistics, which count
        nanoseconds: ``/proc/PID/stat`` counts ticks of 10 ms, too coarse
        for the few updates one client gets. A thread that has ended is no
        longer counted, so the sum can go down; the servers here keep
        their threads for as long as their clients stay connected.
        """
        total = 0
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/schedstat"):
            try:
                total += int(task.read_text().split()[0])
            except (OSError, IndexError, ValueError):
                continue
        return total / 1e9 if total else float("nan")

    def rss_mb(self) -> float:
        """The process's resident memory now, in MiB (Linux)."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return float("nan")
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) / 1024 if found else float("nan")

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass
class Target:
    """A running server and the WebSocket address of each client slot."""

    name: str
    server: Launched
    addresses: list[str]


def launch(name: str, folder: Path, slots: int) -> Target:
    """Start one design's server and prepare ``slots`` client addresses."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "stdblite":
        return _launch_stdblite(folder, slots)
    script = HERE / "baselines" / f"{name}.py"
    command = [sys.executable, str(script), "--port", "0", "--data-dir", str(folder)]
    server = Launched(command, r"listening on ((?:ws|http)://\S+)", {})
    addresses = [f"{server.url}/?player=p{i}" for i in range(slots)]
    return Target(name, server, addresses)


def _launch_stdblite(folder: Path, slots: int) -> Target:
    """``stdb start``, the game published, and one saved token per slot."""
    command = [sys.executable, "-m", "stdblite", "start"]
    command += ["--listen-addr", "127.0.0.1:0", "--data-dir", str(folder / "data")]
    env = {"STDB_HOME": str(folder / "home")}
    server = Launched(command, r"listening on (http://[^;\s]+)", env)
    owner = str(get_json(server.url, "/v1/identity")["token"])
    admin(server.url, owner, Publish(1, "game", GAME.read_text("utf-8"), False))
    base = "ws" + server.url[4:] + "/v1/database/game/subscribe?token="
    tokens = [get_json(server.url, "/v1/identity")["token"] for _ in range(slots)]
    return Target("stdblite", server, [base + urllib.parse.quote(t) for t in tokens])


# --- the load generator ----------------------------------------------------------

UPDATE = b'{"TransactionUp'
"""How every TransactionUpdate frame begins: one per move, to each client."""


@dataclass
class Client:
    """One player's connection, as the load generator drives it."""

    socket: LeanSocket
    identity: str
    window: asyncio.Semaphore | None = None
    answered: int = 0
    updates: int = 0

    def as_player(self) -> None:
        """From now on, count answers and updates; an answer frees the next call."""

        def take(payload: bytes) -> None:
            if payload.startswith(b'{"ReducerResult"'):
                self.answered += 1
                if self.window is not None:
                    self.window.release()
            elif payload.startswith(UPDATE):
                self.updates += 1

        self.socket.on_text = take

    def as_watcher(self, watch: Watch) -> None:
        """From now on, time every move from its sending to its arrival here."""

        def take(payload: bytes) -> None:
            now = time.perf_counter()
            if not payload.startswith(UPDATE):
                return
            self.updates += 1
            if not watch.recording:
                return
            update = json.loads(payload)["TransactionUpdate"]
            for row in update["tables"][0]["inserts"]:
                sent = watch.sent.pop((row["identity"], row["position_x"]), None)
                if sent is not None:
                    watch.samples.append(now - sent)

        self.socket.on_text = take


@dataclass
class Watch:
    """What the watching client saw: latency samples, in seconds."""

    sent: dict[tuple[str, float], float] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    recording: bool = False


class Meter:
    """A count, the server's CPU time and the generator's, over one window.

    Usage::

        meter = Meter(server, lambda: sum(c.answered for c in clients))
        ...  # the load
        meter.stop()
        meter.per_second, meter.server_busy, meter.server_ms_each
    """

    def __init__(self, server: Launched, count: Callable[[], int]) -> None:
        self.server, self.count = server, count
        self._counted, self._cpu = count(), time.process_time()
        self._server_cpu, self._started = server.cpu_seconds(), time.perf_counter()

    def stop(self) -> None:
        """Close the window: what was counted and used since the start."""
        self.elapsed = time.perf_counter() - self._started
        self.counted = self.count() - self._counted
        self.generator_cpu = time.process_time() - self._cpu
        self.server_cpu = self.server.cpu_seconds() - self._server_cpu

    @property
    def per_second(self) -> float:
        """What was counted, per second."""
        return self.counted / self.elapsed

    @property
    def generator_busy(self) -> float:
        """The share of one core the load generator used."""
        return self.generator_cpu / self.elapsed

    @property
    def server_busy(self) -> float:
        """The share of one core the server used."""
        return self.server_cpu / self.elapsed

    @property
    def server_ms_each(self) -> float:
        """Server CPU milliseconds per thing counted (NaN if none was)."""
        return self.server_cpu * 1000 / self.counted if self.counted else math.nan


async def open_client(address: str) -> Client:
    """Connect, read InitialConnection, subscribe to every player."""
    arrived: asyncio.Queue[bytes] = asyncio.Queue()
    socket = await LeanSocket.open(address, arrived.put_nowait)
    first = json.loads(await arrived.get())
    client = Client(socket, first["InitialConnection"]["identity"])
    subscribe = {
        "request_id": 1,
        "query_set_id": 1,
        "queries": ["SELECT * FROM player"],
    }
    socket.send_text(json.dumps({"Subscribe": subscribe}))
    while not (await arrived.get()).startswith(b'{"SubscribeApplied"'):
        pass
    return client


def move_frame(request_id: int, x: float) -> str:
    """A CallReducer of move_player, written directly (it is the hot path)."""
    return (
        f'{{"CallReducer":{{"request_id":{request_id},'
        f'"reducer":"move_player","args":[{x!r},{SPAWN_Y!r}]}}}}'
    )


def step_x(sequence: int) -> float:
    """The x of a client's n-th move: small steps, each x distinct for a while."""
    return SPAWN_X + (sequence % 200) * 0.5


async def move_pipelined(
    client: Client, watch: Watch, until: float, depth: int = 1
) -> None:
    """Throughput with ``depth`` calls in flight: each answer frees the next.

    With ``depth`` 1 this is lockstep: send a move, wait for its answer,
    send the next.
    """
    client.window = asyncio.Semaphore(depth)
    sequence = 0
    while time.perf_counter() < until:
        try:
            await asyncio.wait_for(client.window.acquire(), ANSWER_TIMEOUT)
        except TimeoutError:
            raise SystemExit(f"no answer to a call within {ANSWER_TIMEOUT} s") from None
        sequence += 1
        x = step_x(sequence)
        watch.sent[(client.identity, x)] = time.perf_counter()
        client.socket.send_text(move_frame(sequence, x))
    client.window = None


async def paced(rate: float, offset: float, until: float) -> AsyncIterator[int]:
    """Move numbers 1, 2, ..., each due 1/rate seconds after the one before.

    A late move is sent at once, not skipped: the load stays what was asked
    for, as a crowd of players keeps moving whatever the server does.
    """
    sequence, start = 0, time.perf_counter() + offset
    while (due := start + sequence / rate) < until:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        sequence += 1
        yield sequence


async def move_steadily(
    client: Client, watch: Watch, rate: float, offset: float, until: float
) -> None:
    """Latency: a move every 1/rate seconds, whatever the answers do."""
    async for sequence in paced(rate, offset, until):
        x = step_x(sequence)
        watch.sent[(client.identity, x)] = time.perf_counter()
        client.socket.send_text(move_frame(sequence, x))


@dataclass
class Measured:
    """One round of one design at one client count.

    ``latency_ms`` is keyed by phase and percentile (``steady_10_p99``),
    ``cpu_ms_per_update`` by steady phase (``steady_10``): the server's CPU
    time in that phase over the updates all clients received in it.
    ``polls_per_second`` is the polling design's only: the polls answered
    per client and second, against the 30 it asks for.
    """

    calls_per_second: float
    generator_busy: float
    server_busy: float
    latency_ms: dict[str, float]
    cpu_ms_per_update: dict[str, float] = field(default_factory=dict)
    server_rss_mb: float = math.nan
    polls_per_second: float = math.nan

    def figures(self) -> dict[str, float]:
        """Every figure under one flat name, as the tables and medians use it."""
        names = ("calls_per_second", "generator_busy", "server_busy")
        flat = {name: float(getattr(self, name)) for name in names}
        flat["server_rss_mb"] = self.server_rss_mb
        flat["polls_per_second"] = self.polls_per_second
        flat.update(self.latency_ms)
        for phase, value in self.cpu_ms_per_update.items():
            flat[f"{phase}_cpu_ms_per_update"] = value
        return flat


Measurer = Callable[[Target, int, float, list[float]], Awaitable[Measured]]
"""How a design is measured: server, moving clients, seconds, steady rates."""


async def measure(
    target: Target,
    players: int,
    seconds: float,
    rates: list[float],
    pipeline: int = 1,
) -> Measured:
    """Both phases against one server with ``players`` moving clients.

    ``pipeline`` is how many calls each client keeps in flight in the
    throughput phase (1: lockstep).
    """
    clients = [await open_client(a) for a in target.addresses[:players]]
    watcher = await open_client(target.addresses[players])
    watch = Watch()
    for client in clients:
        client.as_player()
    watcher.as_watcher(watch)
    everyone = [*clients, watcher]
    try:
        calls, busy, samples = await _lockstep_phase(
            target, clients, watch, seconds, pipeline
        )
        measured = Measured(calls, *busy, phase_percentiles("lockstep", samples))
        for rate in rates:
            await settle(target.server)
            phase = f"steady_{rate:g}"
            samples, per_update = await _steady_phase(
                target, clients, everyone, watch, seconds, rate
            )
            measured.latency_ms.update(phase_percentiles(phase, samples))
            measured.cpu_ms_per_update[phase] = per_update
        measured.server_rss_mb = target.server.rss_mb()
    finally:
        await asyncio.gather(*(c.socket.close() for c in everyone))
    return measured


async def settle(server: Launched, limit: float = 60.0) -> None:
    """Wait until a server is idle, so no backlog leaks into what comes next."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        await asyncio.sleep(0.25)
        # Less than 10% of a core is idle; less than nothing, a thread ended.
        if 0 <= server.cpu_seconds() - before < 0.25 * 0.1:
            return


async def _lockstep_phase(
    target: Target,
    clients: list[Client],
    watch: Watch,
    seconds: float,
    pipeline: int = 1,
) -> tuple[float, tuple[float, float], list[float]]:
    """Calls a second with ``pipeline`` calls in flight per client."""
    warm_up = min(1.0, seconds / 3)
    until = time.perf_counter() + warm_up + seconds

    movers = [
        asyncio.create_task(move_pipelined(c, watch, until, pipeline)) for c in clients
    ]
    await asyncio.sleep(warm_up)
    # Count answers and CPU over the measured window only.
    meter = Meter(target.server, lambda: sum(c.answered for c in clients))
    watch.samples, watch.recording = [], True
    await asyncio.sleep(seconds)
    meter.stop()
    watch.recording = False
    samples = watch.samples
    await asyncio.gather(*movers)
    return meter.per_second, (meter.generator_busy, meter.server_busy), samples


async def _steady_phase(
    target: Target,
    clients: list[Client],
    everyone: list[Client],
    watch: Watch,
    seconds: float,
    rate: float,
) -> tuple[list[float], float]:
    """Move-to-screen latencies at ``rate``, and server CPU ms per update."""
    watch.sent.clear()
    until = time.perf_counter() + seconds
    spread = 1.0 / rate / max(1, len(clients))
    meter = Meter(target.server, lambda: sum(c.updates for c in everyone))
    movers = [
        asyncio.create_task(move_steadily(c, watch, rate, i * spread, until))
        for i, c in enumerate(clients)
    ]
    watch.samples, watch.recording = [], True
    await asyncio.gather(*movers)
    await drain(watch)
    meter.stop()
    watch.recording = False
    return watch.samples, meter.server_ms_each


async def drain(watch: Watch, limit: float = 5.0) -> None:
    """Wait for the last moves' updates, but not for ever if the server lags."""
    deadline = time.perf_counter() + limit
    while watch.sent and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Median and 99th percentile of latencies in seconds, in milliseconds."""
    if len(samples) < 2:
        return math.nan, math.nan
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def phase_percentiles(phase: str, samples: list[float]) -> dict[str, float]:
    """A phase's median and 99th percentile, named after the phase."""
    p50, p99 = percentiles(samples)
    return {f"{phase}_p50": p50, f"{phase}_p99": p99}


# --- the run ---------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default="1,10,100")
    parser.add_argument(
        "--rates", default="2,10", help="steady moves a second per client"
    )
    parser.add_argument(
        "--pipeline", type=int, default=1, help="calls in flight per client"
    )
    parser.add_argument("--json", type=Path, default=RESULTS)
    options = parser.parse_args()
    counts = [int(n) for n in options.clients.split(",")]
    rates = [float(r) for r in options.rates.split(",")]
    how = functools.partial(measure, pipeline=options.pipeline)
    with tempfile.TemporaryDirectory(prefix="stdblite-wire-") as folder:
        designs = {design: how for design in DESIGNS}
        rounds = run_rounds(Path(folder), counts, rates, options, designs)
    report(options, counts, rates, rounds)


def run_rounds(
    folder: Path,
    counts: list[int],
    rates: list[float],
    options: argparse.Namespace,
    designs: Mapping[str, Measurer] | None = None,
) -> dict[str, dict[int, list[Measured]]]:
    """Start the servers, measure every design at every client count.

    ``designs`` names the servers to launch (see :func:`launch`) and how
    each is measured; by default, this module's three, each by
    :func:`measure`. ``options`` gives ``seconds`` and ``rounds``.
    """
    chosen = designs or {design: measure for design in DESIGNS}
    rounds: dict[str, dict[int, list[Measured]]] = {
        d: {n: [] for n in counts} for d in chosen
    }
    targets: list[Target] = []
    try:
        for design in chosen:
            targets.append(launch(design, folder / design, max(counts) + 1))
        for number in range(options.rounds):
            # Interleaved, so that machine noise hits every design alike.
            for players in counts:
                for target in targets:
                    quietly = _measure_quietly(
                        targets, target, players, options, rates, chosen[target.name]
                    )
                    started = time.monotonic()
                    measured = asyncio.run(quietly)
                    rounds[target.name][players].append(measured)
                    print(
                        f"round {number + 1}, {players:>3} clients, {target.name}: "
                        f"{measured.calls_per_second:.0f} calls/s "
                        f"({time.monotonic() - started:.1f} s)",
                        flush=True,
                    )
    finally:
        for target in targets:
            target.server.stop()
    return rounds


async def _measure_quietly(
    targets: list[Target],
    target: Target,
    players: int,
    options: argparse.Namespace,
    rates: list[float],
    measurer: Measurer,
) -> Measured:
    """Measure one server once every server is idle."""
    for other in targets:
        await settle(other.server)
    return await measurer(target, players, options.seconds, rates)


def median_of(found: list[Measured], name: str) -> float:
    """The median of one figure over the rounds (NaN rounds left out)."""
    values = [m.figures().get(name, math.nan) for m in found]
    kept = [v for v in values if not math.isnan(v)]
    return statistics.median(kept) if kept else math.nan


def report(
    options: argparse.Namespace,
    counts: list[int],
    rates: list[float],
    rounds: dict[str, dict[int, list[Measured]]],
) -> None:
    """Print the medians and ratios, and write everything as JSON."""
    phases = ["lockstep", *(f"steady_{r:g}" for r in rates)]
    names = ["calls_per_second", "generator_busy", "server_busy"]
    names += [f"{p}_{q}" for p in phases for q in ("p50", "p99")]
    medians = {
        d: {n: {k: median_of(rounds[d][n], k) for k in names} for n in counts}
        for d in DESIGNS
    }
    ratios = _print_table(options, counts, phases, medians)
    options.json.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "workload": "move_player, every client subscribed to every player",
        "seconds_per_phase": options.seconds,
        "rounds": options.rounds,
        "calls_in_flight_per_client": getattr(options, "pipeline", 1),
        "steady_moves_per_second_per_client": rates,
        "latency": "ms from sending a move to another client receiving it",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "medians": medians,
        "stdblite_ratios": ratios,
        "every_round": {
            d: {n: [vars(m) for m in rounds[d][n]] for n in counts} for d in DESIGNS
        },
    }
    options.json.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\nfigures written to {options.json}")


def _print_table(
    options: argparse.Namespace,
    counts: list[int],
    phases: list[str],
    medians: dict[str, dict[int, dict[str, float]]],
) -> dict[int, dict[str, float]]:
    """The medians as a table; returns stdblite's ratios per client count."""
    print("\nmove_player over WebSocket; every client subscribed to every player")
    print(
        f"median of {options.rounds} rounds, {options.seconds:g} s per phase; "
        "latency: a move's sending to its arrival at another client, in ms"
    )
    depth = getattr(options, "pipeline", 1)
    print(f"calls/s and lockstep latency with {depth} call(s) in flight per client")
    columns = "".join(f"{p + ' p50/p99':>22}" for p in phases)
    print(
        f"\n{'clients':>7}  {'design':<15}{'calls/s':>8}{'vs naive':>10}"
        f"{'vs transp.':>11}{columns}{'CPU gen/srv':>14}"
    )
    ratios = {}
    for n in counts:
        naive = medians["naive"][n]["calls_per_second"]
        ceiling = medians["transport_only"][n]["calls_per_second"]
        for d in DESIGNS:
            m = medians[d][n]
            calls = m["calls_per_second"]
            latencies = "".join(
                f"{m[p + '_p50']:>13.1f} / {m[p + '_p99']:<6.1f}" for p in phases
            )
            print(
                f"{n:>7}  {d:<15}{calls:>8.0f}{calls / naive:>9.2f}x"
                f"{calls / ceiling:>10.0%}{latencies}"
                f"{m['generator_busy']:>7.0%} / {m['server_busy']:<4.0%}"
            )
        stdb = medians["stdblite"][n]["calls_per_second"]
        ratios[n] = {"vs_naive": stdb / naive, "vs_transport_only": stdb / ceiling}
    return ratios


if __name__ == "__main__":
    main()
