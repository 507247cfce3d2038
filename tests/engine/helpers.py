"""Shared helpers for the engine tests: where modules live, polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

MODULES = Path(__file__).parent / "modules"
GAME = Path(__file__).parents[2] / "stdblite" / "examples" / "game.py"

T = TypeVar("T")


def module_path(name: str) -> Path:
    """The file of a test module in ``tests/engine/modules``."""
    return MODULES / f"{name}.py"


def wait_until(check: Callable[[], T], timeout: float = 3.0, what: str = "") -> T:
    """Poll ``check`` until it returns something truthy, or fail the test.

    Scheduled reducers and threads are waited for this way: never a fixed
    sleep, and bounded, so a broken engine fails instead of hanging.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {what or check}")
        time.sleep(0.005)


def sql_rows(db: Any, query: str) -> list[tuple[Any, ...]]:
    """The rows of a query, sorted, for comparing with a model."""
    return sorted(db.sql(query).rows)
