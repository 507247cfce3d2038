"""Fixtures for the engine tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stdblite import Database

from .helpers import module_path


@pytest.fixture
def open_db() -> Iterator[Callable[..., Database]]:
    """Open databases by module name or path; close the rest at the end.

    A failing test then leaks no writer thread and no open DuckDB file.
    """
    opened: list[Database] = []

    def open_(module: str | Path, path: str | Path = ":memory:", **kw: Any) -> Database:
        if isinstance(module, str):
            module = module_path(module)
        db = Database.open(module, path, **kw)
        opened.append(db)
        return db

    yield open_
    for db in opened:
        db.close()
