"""The benchmark report: every design under the tutorial's load, in one run.

The workload is the tutorial's: every client is a player who sees every
other player and calls ``move_player(x, y)``; each move is checked by the
game's rules, made durable, and must reach every other client. Four
designs take it from the same load generator, each server in its own
process, their rounds interleaved so that machine noise hits all alike:

- stdblite: ``stdb start`` with the game published; pushes row deltas,
  commits in groups (``bench/wire.py``);
- naive: the same protocol, one DuckDB transaction per call
  (``bench/baselines/naive.py``);
- transport only: the same protocol and fan-out, no storage at all
  (``bench/baselines/transport_only.py``);
- polling: an HTTP API over DuckDB, every client asking for every
  position 30 times a second (``bench/polling.py``);

and, in the same run, the machine's limits: raw DuckDB transactions and
raw WebSocket round trips (``bench/limits.py``). For each client count it
measures calls answered per second (lockstep: one call in flight per
client), the latency from a move to another client seeing it (p50, p99)
at a steady 10 moves a second per client, the server's CPU time per
update delivered to a client at that rate, and the server's resident
memory. It prints the medians of the rounds with the ratios, then each
target, MET or NOT MET.

It always writes ``bench/results/report.json`` (scratch, with every
round). With ``--publish`` it also writes ``book/benchmarks/``: the
published ``report.json``, ``figures.md`` and ``targets.md`` (included by
the book's benchmark page) and the plots.

Defaults: 3 s per phase, 3 rounds, 1, 10 and 100 clients: about six
minutes on a 2-core machine. ``--quick`` is a smoke run of 0.5 s per
phase and one round (well under a minute), whose figures are noisy.
It is not a test.

    python bench/report.py [--seconds 3] [--rounds 3] [--clients 1,10,100]
                           [--quick] [--publish]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from limits import Limits, measure_limits
from plots import draw_all
from polling import POLL_HZ, measure_polling
from wire import Measured, Measurer, measure, median_of, run_rounds

Report = dict[str, Any]
Rounds = dict[str, dict[int, list[Measured]]]

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "report.json"
BOOK = HERE.parent / "book" / "benchmarks"
RATE_HZ = 10.0
PHASE = f"steady_{RATE_HZ:g}"
GENERATED = "<!-- Written by bench/report.py --publish (make bench); do not edit. -->"

DESIGNS: dict[str, tuple[str, Measurer]] = {
    "stdblite": ("stdblite (push, group commit)", measure),
    "naive": ("naive (one DuckDB transaction per call)", measure),
    "transport_only": ("transport only (no storage)", measure),
    "polling": (f"HTTP API + polling at {POLL_HZ:g} Hz", measure_polling),
}
FIGURES = {
    "calls_per_second": "calls_per_second",
    "p50_ms": f"{PHASE}_p50",
    "p99_ms": f"{PHASE}_p99",
    "cpu_ms_per_update": f"{PHASE}_cpu_ms_per_update",
    "server_rss_mb": "server_rss_mb",
}
"""Each published figure, and the name it has in :meth:`Measured.figures`."""


def main() -> None:
    """Measure the limits and every design, print the report, write it."""
    options = parse_options()
    counts = [int(n) for n in options.clients.split(",")]
    measured = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with tempfile.TemporaryDirectory(prefix="stdblite-report-") as name:
        folder = Path(name)
        limits = measure_limits(folder, options.seconds, options.rounds)
        measurers = {design: how for design, (_, how) in DESIGNS.items()}
        rounds = run_rounds(folder, counts, [RATE_HZ], options, measurers)
    report = summarize(options, counts, rounds, limits, measured)
    details = _details(counts, rounds)
    print_report(report, details)
    _write_json(RESULTS, {**report, "details": details})
    print(f"\nfigures written to {RESULTS}")
    if options.publish:
        publish(report, details)


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with ``--quick`` filling in what was not given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, help="per phase (3; quick 0.5)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (3; quick 1)")
    parser.add_argument("--clients", default="1,10,100", help="client counts")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument(
        "--publish",
        action="store_true",
        help=f"also write {BOOK.relative_to(HERE.parent)}",
    )
    options = parser.parse_args(argv)
    if options.seconds is None:
        options.seconds = 0.5 if options.quick else 3.0
    if options.rounds is None:
        options.rounds = 1 if options.quick else 3
    return options


# --- the figures -------------------------------------------------------------


def summarize(
    options: argparse.Namespace,
    counts: list[int],
    rounds: Rounds,
    limits: Limits,
    measured: str,
) -> Report:
    """The medians in the published shape, targets included."""
    designs = {
        design: {
            "label": label,
            "by_clients": {
                str(n): {
                    key: _value(median_of(rounds[design][n], name))
                    for key, name in FIGURES.items()
                }
                for n in counts
            },
        }
        for design, (label, _) in DESIGNS.items()
    }
    report: Report = {
        "measured": measured,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "seconds": float(options.seconds),
            "rounds": options.rounds,
            "rate_hz": RATE_HZ,
            "poll_hz": POLL_HZ,
        },
        "clients": counts,
        "designs": designs,
        "limits": {
            "raw_duckdb": {
                "transactions_per_second": _value(limits.transactions_per_second)
            },
            "raw_websocket": {
                "round_trips_per_second": _value(limits.round_trips_per_second),
                "p50_ms": _value(limits.p50_ms),
                "p99_ms": _value(limits.p99_ms),
            },
        },
    }
    report["targets"] = targets(report)
    return report


def targets(report: Report) -> list[dict[str, Any]]:
    """Every target with its measured value, and whether it is met."""
    counts = report["clients"]
    found = []
    for n in (c for c in counts if c in (10, 100)):
        ratio = _ratio(report, "calls_per_second", n, "stdblite", "naive")
        name = f"calls/s vs naive at {_clients(n)}"
        found.append(_target(name, ">= 4x", ratio, lambda r: r >= 4.0))
    for n in counts:
        ratio = _ratio(report, "calls_per_second", n, "stdblite", "transport_only")
        name = f"calls/s vs transport only at {_clients(n)}"
        found.append(_target(name, ">= 0.6x", ratio, lambda r: r >= 0.6))
    for n in counts:
        ratio = _ratio(report, "cpu_ms_per_update", n, "stdblite", "polling")
        name = f"server CPU per delivered update vs polling at {_clients(n)}"
        found.append(_target(name, "<= 0.1x", ratio, lambda r: r <= 0.1))
    if 100 in counts:
        p99 = report["designs"]["stdblite"]["by_clients"]["100"]["p99_ms"]
        name = "stdblite move-to-screen p99 at 100 clients"
        found.append(_target(name, "< 20 ms", p99, lambda p: p < 20.0))
    return found


def _clients(n: int) -> str:
    """``1 client``, ``10 clients``."""
    return f"{n} client" if n == 1 else f"{n} clients"


def _target(
    name: str, goal: str, measured: float | None, test: Callable[[float], bool]
) -> dict[str, Any]:
    """One target as published: not met if it could not be measured."""
    met = measured is not None and test(measured)
    return {"name": name, "target": goal, "measured": measured, "met": met}


def _ratio(report: Report, figure: str, n: int, top: str, bottom: str) -> float | None:
    """One design's figure over another's at ``n`` clients, if both exist."""
    designs = report["designs"]
    a = designs[top]["by_clients"][str(n)][figure]
    b = designs[bottom]["by_clients"][str(n)][figure]
    return a / b if a is not None and b else None


def _value(figure: float) -> float | None:
    """A figure for the report: None where it could not be measured."""
    return None if math.isnan(figure) else float(figure)


def _details(counts: list[int], rounds: Rounds) -> dict[str, Any]:
    """What the published shape leaves out: loads, poll rates, every round."""
    return {
        "generator_busy_lockstep": {
            d: {
                str(n): _value(median_of(rounds[d][n], "generator_busy"))
                for n in counts
            }
            for d in DESIGNS
        },
        "polls_per_second_per_client": {
            str(n): _value(median_of(rounds["polling"][n], "polls_per_second"))
            for n in counts
        },
        "every_round": {
            d: {str(n): [vars(m) for m in rounds[d][n]] for n in counts}
            for d in DESIGNS
        },
    }


# --- the outputs --------------------------------------------------------------


def print_report(report: Report, details: dict[str, Any]) -> None:
    """The figures, the limits and the targets, as a table for a terminal."""
    for line in _heading(report):
        print(line)
    print(
        f"\n{'clients':>7}  {'design':<15}{'calls/s':>8}{'vs naive':>10}"
        f"{'vs transp.':>11}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/upd':>12}"
        f"{'vs poll.':>10}{'RSS MiB':>9}{'gen.':>6}"
    )
    busy = details["generator_busy_lockstep"]
    for n, design, row in _rows(report):
        print(
            f"{n:>7}  {design:<15}{_num(row['calls_per_second'], '.0f'):>8}"
            f"{_num(row['vs_naive'], '.2f', 'x'):>10}"
            f"{_num(row['vs_transport'], '.0%'):>11}"
            f"{_num(row['p50_ms'], '.1f'):>9}{_num(row['p99_ms'], '.1f'):>9}"
            f"{_num(row['cpu_ms_per_update'], '.3f'):>12}"
            f"{_num(row['vs_polling'], '.2f', 'x'):>10}"
            f"{_num(row['server_rss_mb'], '.0f'):>9}"
            f"{_num(busy[design][str(n)], '.0%'):>6}"
        )
    print("\ngen.: the load generator's share of one core in the lockstep phase")
    print(_limits_sentence(report))
    print(_polls_sentence(report, details))
    print("\ntargets")
    for target in report["targets"]:
        verdict = "MET" if target["met"] else "NOT MET"
        print(
            f"  {target['name']:<58}{target['target']:>9}"
            f"{_shown(target):>11}   {verdict}"
        )
    for note in freshness_notes(report, details):
        print(f"\nnote: {note}")


def _heading(report: Report) -> list[str]:
    """What was measured, how, and where."""
    settings, machine = report["settings"], report["machine"]
    return [
        "\nmove_player over the wire; every client sees every other player move",
        f"median of {_rounds(settings['rounds'])}, {settings['seconds']:g} s per "
        f"phase; latency and CPU at {settings['rate_hz']:g} moves/s per client; "
        f"polling at {settings['poll_hz']:g} Hz",
        f"measured {report['measured']} on {machine['cpus']} CPUs, "
        f"Python {machine['python']}, {machine['platform']}",
    ]


def _rows(report: Report) -> list[tuple[int, str, dict[str, float | None]]]:
    """Each client count and design with its figures and its ratios."""
    rows = []
    designs = report["designs"]
    for n in report["clients"]:
        for design, entry in designs.items():
            row = dict(entry["by_clients"][str(n)])
            ratios = {
                "vs_naive": ("calls_per_second", "naive"),
                "vs_transport": ("calls_per_second", "transport_only"),
                "vs_polling": ("cpu_ms_per_update", "polling"),
            }
            for key, (figure, other) in ratios.items():
                row[key] = _ratio(report, figure, n, design, other)
            rows.append((n, design, row))
    return rows


def _limits_sentence(report: Report) -> str:
    """The machine's limits in one sentence."""
    duck, sock = report["limits"]["raw_duckdb"], report["limits"]["raw_websocket"]
    return (
        f"limits: raw DuckDB {_num(duck['transactions_per_second'], '.0f')} "
        "durable transactions/s (BEGIN; UPDATE; COMMIT, one connection); "
        f"raw WebSocket {_num(sock['round_trips_per_second'], '.0f')} round "
        f"trips/s, p50 {_num(sock['p50_ms'], '.2f')} ms, "
        f"p99 {_num(sock['p99_ms'], '.2f')} ms (echo server, one client)"
    )


def _polls_sentence(report: Report, details: dict[str, Any]) -> str:
    """How many polls a second the polling server really answered."""
    polled = details["polls_per_second_per_client"]
    counts = report["clients"]
    rates = ", ".join(_num(polled[str(n)], ".1f") for n in counts)
    clients = ", ".join(str(n) for n in counts)
    return (
        f"polling: {rates} polls answered per second per client at {clients} "
        f"clients ({report['settings']['poll_hz']:g} asked)"
    )


def freshness_notes(report: Report, details: dict[str, Any]) -> list[str]:
    """Where the polling server fell behind its 30 Hz, and so was staler.

    A poll that comes late shows more moved players at once, so a server
    that cannot keep up spends less CPU per delivered update, not more:
    its figure is then not at the freshness the CPU target asks for.
    """
    notes = []
    asked = report["settings"]["poll_hz"]
    for n in report["clients"]:
        polled = details["polls_per_second_per_client"][str(n)]
        if polled is None or polled >= 0.9 * asked:
            continue
        ours = report["designs"]["stdblite"]["by_clients"][str(n)]["p99_ms"]
        theirs = report["designs"]["polling"]["by_clients"][str(n)]["p99_ms"]
        notes.append(
            f"at {_clients(n)} the polling server answered {polled:.1f} polls a "
            f"second per client, not {asked:g}: its positions were staler "
            f"(p99 {_num(theirs, '.0f')} ms against stdblite's "
            f"{_num(ours, '.0f')} ms), and each poll carried more updates, so "
            "its CPU per update there is lower than it would be at 30 Hz."
        )
    return notes


def _num(value: float | None, spec: str, unit: str = "") -> str:
    """A figure formatted, or n/a where there is none."""
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _shown(target: dict[str, Any]) -> str:
    """A target's measured value with its unit."""
    if target["target"].endswith("ms"):
        return _num(target["measured"], ".1f", " ms")
    return _num(target["measured"], ".2f", "x")


def publish(report: Report, details: dict[str, Any]) -> None:
    """The book's copy: report.json, the two tables, the plots."""
    _write_json(BOOK / "report.json", report)
    (BOOK / "figures.md").write_text(figures_markdown(report, details))
    (BOOK / "targets.md").write_text(targets_markdown(report, details))
    for path in draw_all(report, BOOK):
        print(f"plot written to {path}")
    print(f"published to {BOOK}")


def figures_markdown(report: Report, details: dict[str, Any]) -> str:
    """The figures as the book's table, with the limits and poll rates."""
    settings, machine = report["settings"], report["machine"]
    lines = [
        GENERATED,
        "",
        f"Measured {report['measured']} on {machine['cpus']} CPUs "
        f"({machine['platform']}, Python {machine['python']}): the median of "
        f"{_rounds(settings['rounds'])} of {settings['seconds']:g} s per phase; "
        f"latency and CPU at {settings['rate_hz']:g} moves a second per client.",
        "",
        "| clients | design | calls/s | vs naive | vs transport only | p50 ms "
        "| p99 ms | server CPU ms per update | vs polling | server RSS MiB |",
        "|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for n, design, row in _rows(report):
        lines.append(
            f"| {n} | {report['designs'][design]['label']} "
            f"| {_num(row['calls_per_second'], ',.0f')} "
            f"| {_num(row['vs_naive'], '.2f', 'x')} "
            f"| {_num(row['vs_transport'], '.0%')} "
            f"| {_num(row['p50_ms'], '.1f')} | {_num(row['p99_ms'], '.1f')} "
            f"| {_num(row['cpu_ms_per_update'], '.3f')} "
            f"| {_num(row['vs_polling'], '.2f', 'x')} "
            f"| {_num(row['server_rss_mb'], '.0f')} |"
        )
    lines += ["", _sentence(_limits_sentence(report)), ""]
    lines += [_sentence(_polls_sentence(report, details)), ""]
    return "\n".join(lines)


def targets_markdown(report: Report, details: dict[str, Any]) -> str:
    """The targets as the book's table, with the notes on freshness."""
    lines = [
        GENERATED,
        "",
        "| target | goal | measured | result |",
        "|:--|:--|--:|:--|",
    ]
    for target in report["targets"]:
        verdict = "**MET**" if target["met"] else "**NOT MET**"
        lines.append(
            f"| {target['name']} | {target['target']} | {_shown(target)} | {verdict} |"
        )
    notes = [f"Note: {_sentence(note)}" for note in freshness_notes(report, details)]
    return "\n\n".join(["\n".join(lines), *notes]) + "\n"


def _sentence(text: str) -> str:
    """``text`` as a sentence: its first letter upper case, a full stop."""
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _rounds(count: int) -> str:
    """``1 round``, ``3 rounds``."""
    return "1 round" if count == 1 else f"{count} rounds"


def _write_json(path: Path, data: Report) -> None:
    """JSON with every NaN turned to null, so any reader can load it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_nulls(data), indent=2) + "\n")


def _nulls(data: Any) -> Any:
    """``data`` with NaN floats replaced by None, all the way down."""
    if isinstance(data, float) and math.isnan(data):
        return None
    if isinstance(data, dict):
        return {key: _nulls(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_nulls(value) for value in data]
    return data


if __name__ == "__main__":
    main()
