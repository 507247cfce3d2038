"""Engine throughput against a naive DuckDB loop, side by side in one run.

The workload is the tutorial's hot path: ``move_player`` finds a player by
primary key and updates two columns, on a file database of 1,000 players.
Both sides are durable: a call returns after DuckDB committed it.

- naive: one ``BEGIN; SELECT; UPDATE; COMMIT`` per call, one caller;
- naive + history (not a baseline, an explanation): the same, plus the
  ``INSERT`` of a transaction record that stdblite writes with every
  commit, so the one-caller gap can be read as the price of history;
- stdblite, 1 caller: ``db.call`` in a loop;
- stdblite, 32 callers: 32 threads calling at once (group commit);
- stdblite, 32 in flight: one thread keeps 32 calls submitted, as the
  server's event loop does for its clients (group commit without 32
  threads fighting over the GIL).

Each figure is the median of several rounds. Then the memory the working
set holds for 100,000 rows. Prints its figures; it is not a test.

    python bench/engine.py [--seconds 1.5] [--rounds 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import queue
import statistics
import tempfile
import threading
import time
import tracemalloc
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import duckdb

from stdblite import Database

MODULE = Path(__file__).parent / "modules" / "players.py"
PLAYERS = 1_000


def naive_round(path: Path, seconds: float) -> float:
    """Calls per second of the obvious design: one transaction per call."""
    conn = duckdb.connect(str(path))
    calls, deadline = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        player_id = calls % PLAYERS
        conn.execute("BEGIN")
        conn.execute("SELECT x, y FROM player WHERE id = ?", [player_id]).fetchone()
        conn.execute("UPDATE player SET x = x + 1, y = y + 1 WHERE id = ?", [player_id])
        conn.execute("COMMIT")
        calls += 1
    elapsed = time.perf_counter() - start
    conn.close()
    return calls / elapsed


def naive_history_round(path: Path, seconds: float) -> float:
    """The naive loop plus one history record per call, as stdblite keeps."""
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE IF NOT EXISTS history (tx_id BIGINT, record VARCHAR)")
    calls, deadline = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        player_id = calls % PLAYERS
        record = json.dumps({"reducer": "move_player", "args": [player_id, 1, 1]})
        conn.execute("BEGIN")
        conn.execute("SELECT x, y FROM player WHERE id = ?", [player_id]).fetchone()
        conn.execute("UPDATE player SET x = x + 1, y = y + 1 WHERE id = ?", [player_id])
        conn.execute("INSERT INTO history VALUES (?, ?)", [calls, record])
        conn.execute("COMMIT")
        calls += 1
    elapsed = time.perf_counter() - start
    conn.close()
    return calls / elapsed


def stdblite_round(db: Database, seconds: float, callers: int) -> float:
    """Calls per second with ``callers`` threads calling at once."""
    counts = [0] * callers
    deadline = time.perf_counter() + seconds

    def caller(index: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            db.call("move_player", (index * 31 + n) % PLAYERS, 1.0, 1.0)
            n += 1
        counts[index] = n

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def stdblite_inflight_round(db: Database, seconds: float, inflight: int) -> float:
    """Calls per second with one thread keeping ``inflight`` calls queued."""
    finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
    deadline = time.perf_counter() + seconds
    start, sent, done = time.perf_counter(), 0, 0

    def send() -> None:
        nonlocal sent
        future = db.submit("move_player", [sent % PLAYERS, 1.0, 1.0])
        future.add_done_callback(finished.put)
        sent += 1

    for _ in range(inflight):
        send()
    while done < sent:
        finished.get().result()
        done += 1
        if time.perf_counter() < deadline:
            send()
    return done / (time.perf_counter() - start)


def print_targets(medians: dict[str, float]) -> None:
    """Each target beside its measured ratio, met or not."""
    naive = medians["naive"]
    targets = [
        ("32 callers (threads) >= 10x naive", medians["stdblite_32"] / naive, 10.0),
        ("32 in flight >= 10x naive", medians["stdblite_inflight_32"] / naive, 10.0),
        ("1 caller >= 1x naive", medians["stdblite_1"] / naive, 1.0),
    ]
    print("\ntargets")
    for name, ratio, goal in targets:
        verdict = "MET" if ratio >= goal else "NOT MET"
        print(f"  {name:<36}{ratio:>7.2f}x  {verdict}")


def make_naive_file(folder: Path) -> Path:
    """A DuckDB file with the same table and rows as the module creates."""
    path = folder / "naive.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute(
        "CREATE TABLE player (id BIGINT PRIMARY KEY, name VARCHAR, x DOUBLE, y DOUBLE)"
    )
    conn.execute(
        f"INSERT INTO player SELECT i, 'player-' || i, 0, 0 FROM range({PLAYERS}) t(i)"
    )
    conn.close()
    return path


def working_set_memory(rows: int) -> tuple[float, float]:
    """MiB held by the working set for ``rows`` players, and bytes per row."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    db = Database.open(MODULE, ":memory:")
    db.call("seed", rows)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    db.close()
    return held / 2**20, held / rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="stdblite-bench-"))
    naive_path = make_naive_file(folder)
    db = Database.open(MODULE, folder / "engine.duckdb")
    db.call("seed", PLAYERS)

    # Interleave the rounds so that machine noise hits every side alike.
    figures: dict[str, list[float]] = {
        "naive": [],
        "naive_history": [],
        "stdblite_1": [],
        "stdblite_32": [],
        "stdblite_inflight_32": [],
    }
    for _ in range(options.rounds):
        figures["naive"].append(naive_round(naive_path, options.seconds))
        figures["naive_history"].append(
            naive_history_round(naive_path, options.seconds)
        )
        figures["stdblite_1"].append(stdblite_round(db, options.seconds, 1))
        figures["stdblite_32"].append(stdblite_round(db, options.seconds, 32))
        figures["stdblite_inflight_32"].append(
            stdblite_inflight_round(db, options.seconds, 32)
        )
    stats = db.stats()
    db.close()

    medians = {k: statistics.median(v) for k, v in figures.items()}
    naive = medians["naive"]
    print(f"move_player on a file database of {PLAYERS} players, durable commits")
    print(f"median of {options.rounds} rounds of {options.seconds:g} s each\n")
    print(f"{'design':<28}{'calls/s':>10}{'vs naive':>10}")
    for label, key in (
        ("naive (1 txn per call)", "naive"),
        ("  naive + history record", "naive_history"),
        ("stdblite, 1 caller", "stdblite_1"),
        ("stdblite, 32 callers", "stdblite_32"),
        ("stdblite, 32 in flight", "stdblite_inflight_32"),
    ):
        print(f"{label:<28}{medians[key]:>10.0f}{medians[key] / naive:>9.2f}x")
    per_group = stats["transactions"] / max(1, stats["groups"])
    print(
        f"\nstdblite wrote {stats['groups']} groups, {per_group:.1f} transactions each"
    )

    print_targets(medians)
    mib, per_row = working_set_memory(100_000)
    print(f"working set for 100,000 rows: {mib:.1f} MiB ({per_row:.0f} bytes per row)")
    if options.json:
        report = {"medians": medians, "rounds": figures, "working_set_mib": mib}
        options.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
