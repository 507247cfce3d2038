"""The benchmark report's plots, drawn from its published figures.

Each plot takes the report in the shape of ``book/benchmarks/report.json``
and writes one PNG with matplotlib's Agg canvas (no display needed): the
clients on a log axis, each design one line in the same colour in every
plot, and a figure a design lacks left out of its line.

Used by ``bench/report.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

Report = dict[str, Any]

STYLE = {
    "stdblite": ("#1f77b4", "o"),
    "naive": ("#d62728", "s"),
    "transport_only": ("#7f7f7f", "^"),
    "polling": ("#ff7f0e", "D"),
}
CLIENTS_LABEL = "clients (moving players; one more client watches)"


def draw_all(report: Report, folder: Path) -> list[Path]:
    """Every plot, into ``folder``; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        calls_plot(report, folder / "calls.png"),
        latency_plot(report, folder / "latency.png"),
        cpu_plot(report, folder / "cpu.png"),
        memory_plot(report, folder / "memory.png"),
    ]


def calls_plot(report: Report, path: Path) -> Path:
    """Calls per second by clients and design, with the machine's limits."""
    figure, axes = _axes(report, "Reducer calls per second, one in flight per client")
    _lines(axes, report, "calls_per_second")
    limits = report["limits"]
    _level(
        axes,
        limits["raw_duckdb"]["transactions_per_second"],
        "limit: raw DuckDB, durable transactions/s",
        "#2ca02c",
    )
    _level(
        axes,
        limits["raw_websocket"]["round_trips_per_second"],
        "limit: raw WebSocket, round trips/s (1 client)",
        "#9467bd",
    )
    _log_y(axes, "calls answered per second (log scale)")
    return _save(figure, axes, path)


def latency_plot(report: Report, path: Path) -> Path:
    """Move-to-screen p99 (solid) and p50 (dashed) by clients and design."""
    rate = report["settings"]["rate_hz"]
    title = f"Move to another client's screen, {rate:g} moves/s per client"
    figure, axes = _axes(report, title)
    _lines(axes, report, "p99_ms")
    _lines(axes, report, "p50_ms", dashed=True)
    period = 1000 / report["settings"]["poll_hz"]
    _level(axes, period, f"one polling period ({period:.0f} ms)", "#ff7f0e")
    _level(axes, 20.0, "target: stdblite p99 < 20 ms", "#2ca02c")
    axes.plot([], [], "k-", linewidth=2, label="solid lines: p99")
    axes.plot([], [], "k--", linewidth=1, label="dashed lines: p50")
    _log_y(axes, "move-to-screen latency, ms (log scale)")
    return _save(figure, axes, path)


def cpu_plot(report: Report, path: Path) -> Path:
    """Server CPU per delivered update by clients and design."""
    rate = report["settings"]["rate_hz"]
    title = f"Server CPU per update delivered to a client, {rate:g} moves/s each"
    figure, axes = _axes(report, title)
    _lines(axes, report, "cpu_ms_per_update")
    _log_y(axes, "server CPU ms per delivered update (log scale)")
    return _save(figure, axes, path)


def memory_plot(report: Report, path: Path) -> Path:
    """Server resident memory by clients and design."""
    figure, axes = _axes(report, "Server memory with every client connected")
    _lines(axes, report, "server_rss_mb")
    axes.set_ylim(bottom=0)
    axes.set_ylabel("server resident memory (RSS), MiB")
    return _save(figure, axes, path)


def _axes(report: Report, title: str) -> tuple[Figure, Axes]:
    """A figure with one set of axes, clients along x."""
    figure = Figure(figsize=(8.0, 6.0), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.set_title(title)
    axes.set_xlabel(CLIENTS_LABEL)
    clients = report["clients"]
    axes.set_xscale("log")
    axes.set_xticks(clients, [str(n) for n in clients])
    axes.minorticks_off()
    axes.set_xlim(min(clients) / 1.6, max(clients) * 1.6)
    axes.grid(True, which="major", alpha=0.3)
    return figure, axes


def _log_y(axes: Axes, label: str) -> None:
    """A log scale on y, its ticks written as plain numbers."""
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.set_ylabel(label)


def _lines(axes: Axes, report: Report, name: str, dashed: bool = False) -> None:
    """One line per design through the figure ``name`` at each client count."""
    for design, entry in report["designs"].items():
        points = [
            (n, entry["by_clients"][str(n)][name])
            for n in report["clients"]
            if entry["by_clients"][str(n)][name] is not None
        ]
        colour, marker = STYLE[design]
        axes.plot(
            [n for n, _ in points],
            [value for _, value in points],
            "--" if dashed else "-",
            color=colour,
            marker=marker,
            markersize=4 if dashed else 6,
            linewidth=1 if dashed else 2,
            alpha=0.7 if dashed else 1.0,
            label=None if dashed else entry["label"],
        )


def _level(axes: Axes, value: float | None, label: str, colour: str) -> None:
    """A horizontal line marking a limit or a target."""
    if value is not None:
        axes.axhline(value, color=colour, linestyle=":", linewidth=1.5, label=label)


def _save(figure: Figure, axes: Axes, path: Path) -> Path:
    """The legend under the plot, in two columns, then the PNG."""
    figure.legend(
        *axes.get_legend_handles_labels(),
        loc="outside lower center",
        ncols=2,
        fontsize="small",
        frameon=False,
    )
    figure.savefig(path)
    return path
