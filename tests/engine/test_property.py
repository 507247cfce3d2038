"""Random sequences of reducer calls, checked against a plain-Python model.

Every step's outcome (committed, or which error) is predicted by the model,
and after every step the table, read through ``db.rows()`` and through
``db.sql()``, must equal the model; a file database must still equal it
after closing and reopening.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stdblite import (
    ArgumentError,
    Database,
    InternalReducerError,
    NoSuchReducer,
    ReducerError,
)
from stdblite.module import load_module

from .helpers import module_path

STOCK = load_module(module_path("stock"))

# Calls refused before they run: (reducer, arguments, error).
BAD_CALLS = [
    ("receive", ("ax", "3"), ArgumentError),
    ("receive", ("ax", True), ArgumentError),
    ("receive", ("ax", 2**63), ArgumentError),
    ("receive", ("ax",), ArgumentError),
    ("ship", (1, 2), ArgumentError),
    ("steal", ("ax",), NoSuchReducer),
]

skus = st.sampled_from(["ax", "bo", "cy", "du"])
amounts = st.integers(-2, 6)
steps = st.one_of(
    st.tuples(st.just("receive"), skus, amounts),
    st.tuples(st.just("receive_or_add"), skus, amounts),
    st.tuples(st.just("restock"), skus, amounts),
    st.tuples(st.just("ship"), skus, amounts),
    st.tuples(st.just("relabel"), skus, skus),
    st.tuples(st.just("clear_below"), st.integers(-1, 4)),
    st.tuples(st.just("bad"), st.sampled_from(range(len(BAD_CALLS)))),
)


@dataclass
class Model:
    """What the stock table should hold: sku -> qty, and sku -> id."""

    qty: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    highest_id: int = 0
    committed: int = 1  # opening a new database records its init

    def predict(self, step: tuple[Any, ...]) -> type[Exception] | None:
        """Apply ``step`` to the model; return the error the call must raise."""
        kind, *args = step
        error = getattr(self, kind)(*args)
        if error is None:
            self.committed += 1
        return error

    def receive(self, sku: str, qty: int) -> type[Exception] | None:
        if qty <= 0:
            return ReducerError
        if sku in self.qty:
            return InternalReducerError  # an uncaught unique violation
        self.qty[sku] = qty
        return None

    def receive_or_add(self, sku: str, qty: int) -> type[Exception] | None:
        if qty <= 0:
            return ReducerError
        self.qty[sku] = self.qty.get(sku, 0) + qty
        return None

    def restock(self, sku: str, qty: int) -> type[Exception] | None:
        if sku not in self.qty or self.qty[sku] + qty <= 0:
            return ReducerError
        self.qty[sku] += qty
        return None

    def ship(self, sku: str, qty: int) -> type[Exception] | None:
        if sku not in self.qty or not 0 < qty <= self.qty[sku]:
            return ReducerError
        self.qty[sku] -= qty
        if not self.qty[sku]:
            del self.qty[sku], self.ids[sku]
        return None

    def relabel(self, sku: str, new_sku: str) -> type[Exception] | None:
        if sku not in self.qty:
            return ReducerError
        if new_sku != sku and new_sku in self.qty:
            return InternalReducerError
        self.qty[new_sku] = self.qty.pop(sku)
        self.ids[new_sku] = self.ids.pop(sku)
        return None

    def clear_below(self, limit: int) -> type[Exception] | None:
        for sku in [s for s, q in self.qty.items() if q < limit]:
            del self.qty[sku], self.ids[sku]
        return None

    def bad(self, which: int) -> type[Exception] | None:
        return BAD_CALLS[which][2]


def call(db: Database, step: tuple[Any, ...]) -> None:
    kind, *args = step
    if kind == "bad":
        kind, args, _ = BAD_CALLS[args[0]]
    db.call(kind, *args)


def run_step(db: Database, model: Model, step: tuple[Any, ...]) -> None:
    expected = model.predict(step)
    if expected is None:
        call(db, step)
    else:
        with pytest.raises(expected):
            call(db, step)
    adopt_new_ids(db, model)
    check(db, model)


def adopt_new_ids(db: Database, model: Model) -> None:
    """Learn the ids of rows the step inserted; each must be a fresh number."""
    for row in db.rows("stock"):
        if row.sku in model.qty and row.sku not in model.ids:
            assert row.id > model.highest_id, "an AutoInc number was reused"
            model.ids[row.sku] = row.id
            model.highest_id = row.id


def check(db: Database, model: Model) -> None:
    expected = sorted((model.ids[s], s, q) for s, q in model.qty.items())
    assert sorted((r.id, r.sku, r.qty) for r in db.rows("stock")) == expected
    assert sorted(db.sql("SELECT id, sku, qty FROM stock").rows) == expected
    assert len(db.history()) == model.committed


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(steps, max_size=25))
def test_random_calls_match_the_model(plan):
    model = Model()
    with Database.open(STOCK) as db:
        for step in plan:
            run_step(db, model, step)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(steps, min_size=1, max_size=20), st.data())
def test_random_calls_survive_reopening_the_file(plan, data):
    reopen_at = data.draw(st.integers(0, len(plan)), label="reopen_at")
    model = Model()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stock.duckdb"
        db = Database.open(STOCK, path)
        try:
            for index, step in enumerate(plan):
                if index == reopen_at:
                    db.close()
                    db = Database.open(STOCK, path)
                    check(db, model)
                run_step(db, model, step)
        finally:
            db.close()

        # A last reopen: the file holds the model, and a new sku gets a
        # number above every number handed out before.
        with Database.open(STOCK, path) as db:
            check(db, model)
            run_step(db, model, ("receive_or_add", "new", 1))
