"""The working set: every table's committed rows and indexes, in memory.

DuckDB is the storage of record, but a reducer never waits on it to read:
the engine keeps each table's rows here, keyed by primary key (or by the
row itself for a table without one, which makes such a table a set), with
a hash map per unique column and a sorted index per ``Index`` column.

Only the engine's writer thread touches this. A group commit records what
each key held before the group (:class:`GroupUndo`), so that if DuckDB
refuses the group, the working set is put back exactly as it was.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..schema import TableSchema

__all__ = ["GroupUndo", "SortedIndex", "TableState", "WorkingSet"]

Row = Any
Key = Hashable


class SortedIndex:
    """A non-unique index: value -> keys, plus the values in order.

    The sorted list makes ``filter(range)`` a pair of binary searches;
    ``None`` is kept out of the order (it compares with nothing).
    """

    def __init__(self) -> None:
        self.keys: dict[Any, set[Key]] = {}
        self.order: list[Any] = []

    def add(self, value: Any, key: Key) -> None:
        """Record that the row at ``key`` holds ``value``."""
        keys = self.keys.get(value)
        if keys is None:
            keys = self.keys[value] = set()
            if value is not None:
                bisect.insort(self.order, value)
        keys.add(key)

    def remove(self, value: Any, key: Key) -> None:
        """Forget that the row at ``key`` holds ``value``."""
        keys = self.keys[value]
        keys.discard(key)
        if not keys:
            del self.keys[value]
            if value is not None:
                del self.order[bisect.bisect_left(self.order, value)]

    def between(self, low: Any, high: Any, inclusive_high: bool) -> Iterator[Key]:
        """Keys whose value is in [low, high) or [low, high]; None is open."""
        start = 0 if low is None else bisect.bisect_left(self.order, low)
        if high is None:
            stop = len(self.order)
        elif inclusive_high:
            stop = bisect.bisect_right(self.order, high)
        else:
            stop = bisect.bisect_left(self.order, high)
        for value in self.order[start:stop]:
            yield from self.keys[value]


@dataclass
class TableState:
    """One table's committed rows, unique maps and sorted indexes."""

    schema: TableSchema
    rows: dict[Key, Row] = field(default_factory=dict)
    unique: dict[str, dict[Any, Key]] = field(default_factory=dict)
    indexes: dict[str, SortedIndex] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        pk = self.schema.primary_key
        for column in self.schema.columns:
            if column.unique and column is not pk:
                self.unique[column.name] = {}
            if column.indexed:
                self.indexes[column.name] = SortedIndex()
            if column.auto_inc:
                self.sequences.setdefault(column.name, 1)

    def key_of(self, row: Row) -> Key:
        """The key a row is stored under: its primary key, or itself."""
        pk = self.schema.primary_key
        key: Key = row if pk is None else getattr(row, pk.name)
        return key

    def put(self, key: Key, row: Row) -> None:
        """Store a row under a free key, updating every index."""
        self.rows[key] = row
        for name, values in self.unique.items():
            values[getattr(row, name)] = key
        for name, index in self.indexes.items():
            index.add(getattr(row, name), key)

    def remove(self, key: Key) -> Row:
        """Remove and return the row at ``key``, updating every index."""
        row = self.rows.pop(key)
        for name, values in self.unique.items():
            del values[getattr(row, name)]
        for name, index in self.indexes.items():
            index.remove(getattr(row, name), key)
        return row


class WorkingSet:
    """All tables' committed state, by table name."""

    def __init__(self, schemas: dict[str, TableSchema]) -> None:
        self.tables = {name: TableState(s) for name, s in schemas.items()}

    def load(self, name: str, rows: list[Row]) -> None:
        """Fill a table from storage and move its sequences past its rows."""
        state = self.tables[name]
        for row in rows:
            state.put(state.key_of(row), row)
        for column in state.sequences:
            highest = max((getattr(r, column) for r in rows), default=0)
            state.sequences[column] = max(state.sequences[column], highest + 1)

    def memory_rows(self) -> int:
        """How many rows are held, over all tables."""
        return sum(len(t.rows) for t in self.tables.values())


@dataclass
class GroupUndo:
    """What each touched key held before the current group began.

    ``before[(table, key)]`` is the old row, or None where the key was
    free. Rolling back removes every touched key and puts the old rows
    back; the net change of the group is read from the same record.
    """

    before: dict[tuple[str, Key], Row | None] = field(default_factory=dict)
    sequences: dict[tuple[str, str], int] = field(default_factory=dict)

    def remember(self, state: TableState, key: Key) -> None:
        """Note a key's committed row the first time the group touches it."""
        slot = (state.schema.name, key)
        if slot not in self.before:
            self.before[slot] = state.rows.get(key)

    def remember_sequence(self, state: TableState, column: str) -> None:
        """Note a sequence's value the first time the group moves it."""
        slot = (state.schema.name, column)
        self.sequences.setdefault(slot, state.sequences[column])

    def rollback(self, working_set: WorkingSet) -> None:
        """Put every touched key and sequence back as it was."""
        for (name, key), _ in self.before.items():
            state = working_set.tables[name]
            if key in state.rows:
                state.remove(key)
        for (name, key), row in self.before.items():
            if row is not None:
                working_set.tables[name].put(key, row)
        for (name, column), value in self.sequences.items():
            working_set.tables[name].sequences[column] = value
        self.clear()

    def clear(self) -> None:
        """Start a new group."""
        self.before.clear()
        self.sequences.clear()
