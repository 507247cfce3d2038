"""The reliability suite prints its figures as one table when the run ends."""

from __future__ import annotations

from typing import Any

from .helpers import SUMMARY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Runs, calls, crashes survived, bad inputs tried and rows lost."""
    if not any(SUMMARY.values()):
        return
    terminalreporter.section("reliability summary")
    width = max(len(name) for name in SUMMARY)
    for name, value in SUMMARY.items():
        terminalreporter.line(f"{name:<{width}}  {value:>8}")
