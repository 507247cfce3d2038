"""The client cache's data: the rows subscriptions hold, and how they change.

This module keeps rows and works out what changed; it calls no callback
and does no I/O (the connection fires the callbacks from the changes it
returns). Each table keeps its rows by primary key, or by the row itself
for a table without one (such a table is a set, as on the server), with
a map per unique column and per indexed column for ``find`` and
``filter``.

Several query sets may hold the same row: the cache keeps one copy, and
remembers which query sets hold it. A subscription adds itself to the
rows it brings; dropping a query set drops only the rows no other set
still holds. The server sends each changed row once per transaction,
however many of a client's queries match it, so the cache asks the
compiled queries (:mod:`stdblite.query`, the same code the server runs)
which sets hold a row it inserts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..schema import TableSchema

__all__ = ["CacheState", "Change", "TableState"]

Row = Any
Key = Hashable
Holders = Callable[[str, Row], set[int]]
"""Given a table and a row, the ids of the query sets whose queries match it."""


class Change(NamedTuple):
    """One row that changed: an insert (no old), a delete (no new), an update."""

    table: str
    old: Row | None
    new: Row | None


@dataclass
class TableState:
    """One table's cached rows, who holds them, and their lookup maps."""

    schema: TableSchema
    rows: dict[Key, Row] = field(default_factory=dict)
    holders: dict[Key, set[int]] = field(default_factory=dict)
    unique: dict[str, dict[Any, Key]] = field(default_factory=dict)
    indexes: dict[str, dict[Any, set[Key]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for column in self.schema.columns:
            if column.unique and not column.primary_key:
                self.unique[column.name] = {}
            elif column.indexed and not column.is_unique:
                self.indexes[column.name] = {}

    def key(self, row: Row) -> Key:
        """Where a row lives: its primary key, or the row itself."""
        column = self.schema.primary_key
        key: Key = row if column is None else getattr(row, column.name)
        return key

    def put(self, key: Key, row: Row, holders: set[int]) -> Row | None:
        """Store a row at ``key``; return the row it replaced, if any."""
        old = self.drop(key)
        self.rows[key] = row
        self.holders[key] = holders
        for name, found in self.unique.items():
            found[getattr(row, name)] = key
        for name, index in self.indexes.items():
            index.setdefault(getattr(row, name), set()).add(key)
        return old

    def drop(self, key: Key) -> Row | None:
        """Remove the row at ``key``; return it, or None if there was none."""
        row = self.rows.pop(key, None)
        if row is None:
            return None
        del self.holders[key]
        for name, found in self.unique.items():
            found.pop(getattr(row, name), None)
        for name, index in self.indexes.items():
            keys = index[getattr(row, name)]
            keys.discard(key)
            if not keys:
                del index[getattr(row, name)]
        return row

    def find(self, column: str, value: Any) -> Row | None:
        """The row whose unique ``column`` holds ``value``, if cached."""
        if column in self.unique:
            key = self.unique[column].get(value)
            return None if key is None else self.rows[key]
        return self.rows.get(value)

    def filter(self, column: str, value: Any) -> list[Row]:
        """The rows whose indexed ``column`` holds ``value``."""
        return [self.rows[key] for key in self.indexes[column].get(value, ())]


class CacheState:
    """Every table's cached rows: what one connection's subscriptions hold."""

    def __init__(self, schemas: Iterable[TableSchema]) -> None:
        self.tables = {schema.name: TableState(schema) for schema in schemas}

    # -- subscriptions ---------------------------------------------------------

    def add_rows(self, set_id: int, table: str, rows: Iterable[Row]) -> list[Change]:
        """A query set now holds these rows; new ones are inserts."""
        state = self.tables[table]
        changes = []
        for row in rows:
            key = state.key(row)
            old = state.rows.get(key)
            if old == row:
                state.holders[key].add(set_id)
                continue
            # Another set held an older version: the server's is newer.
            holders = {set_id} | (state.holders.get(key) or set())
            state.put(key, row, holders)
            changes.append(Change(table, old, row))
        return changes

    def drop_set(self, set_id: int) -> list[Change]:
        """A query set is gone: drop the rows no other set holds."""
        changes = []
        for name, state in self.tables.items():
            for key, holders in list(state.holders.items()):
                holders.discard(set_id)
                if not holders:
                    changes.append(Change(name, state.drop(key), None))
        return changes

    # -- transactions ----------------------------------------------------------

    def apply(
        self, table: str, deletes: list[Row], inserts: list[Row], holders: Holders
    ) -> list[Change]:
        """Apply one table's part of a transaction.

        A delete and an insert of the same primary key become one update.
        Returns the changes as deletes, then updates, then inserts.
        """
        state = self.tables[table]
        removed = {state.key(row): row for row in deletes}
        added = {state.key(row): row for row in inserts}
        keyed = state.schema.primary_key is not None
        gone, updated, new = [], [], []
        for key in removed.keys() - added.keys():
            old = state.drop(key)
            if old is not None:
                gone.append(Change(table, old, None))
        for key, row in added.items():
            old = state.put(key, row, holders(table, row) or set())
            if old is None:
                new.append(Change(table, None, row))
            elif old != row or (keyed and key in removed):
                updated.append(Change(table, old, row))
        return gone + updated + new

    # -- reconnecting ----------------------------------------------------------

    def diff(self, newer: CacheState) -> list[Change]:
        """What changed from this state to ``newer``: only real changes."""
        changes = []
        for name, state in self.tables.items():
            after = newer.tables[name].rows
            for key, row in state.rows.items():
                if key not in after:
                    changes.append(Change(name, row, None))
            for key, row in after.items():
                old = state.rows.get(key)
                if old is None:
                    changes.append(Change(name, None, row))
                elif old != row:
                    changes.append(Change(name, old, row))
        return changes

    def rows(self, table: str) -> Iterator[Row]:
        """The cached rows of a table, in no particular order."""
        return iter(list(self.tables[table].rows.values()))
