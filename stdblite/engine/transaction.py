"""A reducer's private view of the tables: the overlay and its handles.

Each transaction reads through an overlay on the working set: what it
inserted, and which committed keys it deleted. It sees its own writes and
nobody else's; if it fails, the overlay is simply dropped, and nothing it
did ever existed. Unique constraints are checked here, before anything
reaches DuckDB, so a reducer can catch :class:`UniqueConstraintViolation`
and go on.

``ctx.db.<table>`` is a :class:`TableHandle`; ``ctx.db.<table>.<column>``
is a :class:`UniqueColumn` or an :class:`IndexColumn`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import SchemaError, StdbliteError, UniqueConstraintViolation
from ..schema import ColumnSchema
from .working_set import Key, Row, TableState, WorkingSet

__all__ = ["DbView", "IndexColumn", "Overlay", "TableHandle", "UniqueColumn"]


class RowNotFound(StdbliteError, LookupError):
    """``update`` named a primary key that has no row."""


@dataclass
class TableOverlay:
    """One table's uncommitted writes inside one transaction."""

    state: TableState
    inserted: dict[Key, Row] = field(default_factory=dict)
    deleted: set[Key] = field(default_factory=set)
    unique: dict[str, dict[Any, Key]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    def get(self, key: Key) -> Row | None:
        """The row at ``key`` as this transaction sees it."""
        row = self.inserted.get(key)
        if row is not None or key in self.deleted:
            return row
        return self.state.rows.get(key)

    def find(self, column: str, value: Any) -> Row | None:
        """The row whose unique ``column`` holds ``value``, if any."""
        if self.state.schema.primary_key and column == self.pk_name:
            return self.get(value)
        key = self.unique.get(column, {}).get(value)
        if key is not None:
            return self.inserted[key]
        key = self.state.unique[column].get(value)
        if key is None or key in self.deleted:
            return None
        return self.state.rows[key]

    @property
    def pk_name(self) -> str | None:
        """The primary-key column's name, if any."""
        pk = self.state.schema.primary_key
        return pk.name if pk else None

    def rows(self) -> Iterator[Row]:
        """Every row as this transaction sees it."""
        deleted, inserted = self.deleted, self.inserted
        for key, row in list(self.state.rows.items()):
            if key not in deleted and key not in inserted:
                yield row
        yield from list(inserted.values())

    def count(self) -> int:
        """How many rows this transaction sees."""
        base = len(self.state.rows)
        gone = sum(1 for k in self.deleted if k in self.state.rows)
        fresh = sum(1 for k in self.inserted if k not in self.state.rows)
        back = sum(1 for k in self.inserted if k in self.deleted)
        return base - gone + fresh + back

    def add(self, key: Key, row: Row) -> None:
        """Place a checked row in the overlay."""
        self.inserted[key] = row
        for name in self.state.unique:
            self.unique.setdefault(name, {})[getattr(row, name)] = key

    def drop(self, key: Key) -> None:
        """Remove the row at ``key`` from this transaction's view."""
        row = self.inserted.pop(key, None)
        if row is not None:
            for name in self.state.unique:
                del self.unique[name][getattr(row, name)]
        if key in self.state.rows:
            self.deleted.add(key)


class Overlay:
    """All of one transaction's writes, over the shared working set."""

    def __init__(self, working_set: WorkingSet) -> None:
        self.working_set = working_set
        self.tables: dict[str, TableOverlay] = {}

    def table(self, name: str) -> TableOverlay:
        """This transaction's overlay for one table, made on first use."""
        found = self.tables.get(name)
        if found is None:
            found = self.tables[name] = TableOverlay(self.working_set.tables[name])
        return found

    def changes(self) -> dict[str, tuple[list[Row], list[Row]]]:
        """Per table, (deleted rows, inserted rows) against the working set.

        A key deleted and put back unchanged is no change at all.
        """
        changes = {}
        for name, overlay in self.tables.items():
            rows = overlay.state.rows
            deletes = [rows[k] for k in overlay.deleted]
            inserts = list(overlay.inserted.values())
            same = set(deletes) & set(inserts)
            deletes = [r for r in deletes if r not in same]
            inserts = [r for r in inserts if r not in same]
            if deletes or inserts:
                changes[name] = (deletes, inserts)
        return changes


class TableHandle:
    """``ctx.db.<table>``: insert, delete and read one table's rows.

    Usage::

        ctx.db.player.insert(Player(identity=ctx.sender, ...))
        for player in ctx.db.player: ...
        ctx.db.player.identity.find(ctx.sender)

    Unique and indexed columns are attributes of the handle.
    """

    def __init__(self, overlay: TableOverlay) -> None:
        self._overlay = overlay
        self._schema = overlay.state.schema

    def __getattr__(self, name: str) -> UniqueColumn | IndexColumn:
        try:
            column = self._schema.column(name)
        except KeyError:
            raise AttributeError(
                f"table {self._schema.name} has no column {name!r}"
            ) from None
        if column.is_unique:
            return UniqueColumn(self, column)
        if column.indexed:
            return IndexColumn(self, column)
        raise AttributeError(
            f"column {self._schema.name}.{name} has no index: declare it "
            "Unique[...], PrimaryKey[...] or Index[...] to look rows up by it"
        )

    def insert(self, row: Row) -> Row:
        """Insert a row and return it, with any AutoInc column filled in.

        Raises UniqueConstraintViolation, before anything is written, if a
        unique column's value is taken.
        """
        row = self._checked(row)
        row = self._fill_sequences(row)
        key = self._overlay.state.key_of(row)
        if self._schema.primary_key is None and self._overlay.get(key) is not None:
            return row
        self._check_unique(row, key)
        self._overlay.add(key, row)
        return row

    def try_insert(self, row: Row) -> Row | None:
        """Insert a row, or return None if a unique value is taken."""
        try:
            return self.insert(row)
        except UniqueConstraintViolation:
            return None

    def delete(self, row: Row) -> bool:
        """Delete this exact row; False if it is not in the table."""
        key = self._overlay.state.key_of(row)
        if self._overlay.get(key) != row:
            return False
        self._overlay.drop(key)
        return True

    def iter(self) -> Iterator[Row]:
        """Every row, in no particular order."""
        return self._overlay.rows()

    def __iter__(self) -> Iterator[Row]:
        return self._overlay.rows()

    def count(self) -> int:
        """How many rows the table holds."""
        return self._overlay.count()

    def len(self) -> int:
        """The same as :meth:`count`, under SpacetimeDB's other name."""
        return self._overlay.count()

    def __len__(self) -> int:
        return self._overlay.count()

    def __repr__(self) -> str:
        return f"<table {self._schema.name}: {self.count()} rows>"

    def _checked(self, row: Row) -> Row:
        """Refuse a row of the wrong type or with a wrongly typed value."""
        if type(row) is not self._schema.row_type:
            raise SchemaError(
                f"{self._schema.name}.insert takes a "
                f"{self._schema.row_type.__name__}, got {type(row).__name__}"
            )
        changed = {}
        for column in self._schema.columns:
            value = getattr(row, column.name)
            try:
                checked = column.type.check(value)
            except TypeError as exc:
                raise SchemaError(f"{self._schema.name}.{column.name}: {exc}") from None
            if checked is not value:
                changed[column.name] = checked
        return _replace(row, changed)

    def _fill_sequences(self, row: Row) -> Row:
        """Give each AutoInc column that holds 0 the sequence's next value."""
        filled = {}
        overlay = self._overlay
        for name, committed in overlay.state.sequences.items():
            value = getattr(row, name)
            current = overlay.sequences.get(name, committed)
            if value == 0:
                filled[name] = current
                overlay.sequences[name] = current + 1
            elif value >= current:
                overlay.sequences[name] = value + 1
        return _replace(row, filled)

    def _check_unique(self, row: Row, key: Key) -> None:
        """Raise UniqueConstraintViolation if any unique value is taken."""
        pk = self._schema.primary_key
        if pk is not None and self._overlay.get(key) is not None:
            self._violation(pk, key)
        for name in self._overlay.state.unique:
            value = getattr(row, name)
            if self._overlay.find(name, value) is not None:
                self._violation(self._schema.column(name), value)

    def _violation(self, column: ColumnSchema, value: Any) -> None:
        """Raise the violation, naming the table, column and value."""
        raise UniqueConstraintViolation(
            f"{self._schema.name}.{column.name} already holds {value!r:.80}"
        )


def _replace(row: Row, changes: dict[str, Any]) -> Row:
    """A copy of a frozen row with some columns changed (or the row itself)."""
    return dataclasses.replace(row, **changes) if changes else row


class UniqueColumn:
    """``ctx.db.<table>.<unique column>``: find, delete and update by value."""

    def __init__(self, table: TableHandle, column: ColumnSchema) -> None:
        self._table = table
        self._column = column

    def find(self, value: Any) -> Row | None:
        """The row holding ``value`` in this column, or None."""
        return self._table._overlay.find(self._column.name, value)

    def delete(self, value: Any) -> bool:
        """Delete the row holding ``value``; False if there is none."""
        row = self.find(value)
        return row is not None and self._table.delete(row)

    def update(self, row: Row) -> Row:
        """Replace the row with the same value in this column by ``row``.

        Raises RowNotFound if no row holds it, and UniqueConstraintViolation
        (leaving the old row in place) if another unique value is taken.
        """
        value = getattr(row, self._column.name)
        old = self.find(value)
        if old is None:
            raise RowNotFound(
                f"{self._table._schema.name}.{self._column.name}.update: "
                f"no row holds {value!r:.80}"
            )
        self._table.delete(old)
        try:
            return self._table.insert(row)
        except StdbliteError:
            self._table.insert(old)
            raise


class IndexColumn:
    """``ctx.db.<table>.<Index column>``: rows by value or by range."""

    def __init__(self, table: TableHandle, column: ColumnSchema) -> None:
        self._table = table
        self._column = column

    def filter(self, value: Any) -> Iterator[Row]:
        """Rows whose column equals ``value``, or lies in a ``range``.

        A Python ``range`` (or any object with ``start`` and ``stop``) is
        half-open like range; ``slice(low, high)`` works for floats too.
        """
        overlay = self._table._overlay
        name = self._column.name
        index = overlay.state.indexes[name]
        if isinstance(value, range | slice):
            keys = list(index.between(value.start, value.stop, False))
            low, high = value.start, value.stop

            def wanted(v: Any) -> bool:
                return (low is None or v >= low) and (high is None or v < high)
        else:
            keys = list(index.keys.get(value, ()))

            def wanted(v: Any) -> bool:
                return bool(v == value)

        for key in keys:
            if key not in overlay.deleted and key not in overlay.inserted:
                yield overlay.state.rows[key]
        for row in list(overlay.inserted.values()):
            if wanted(getattr(row, name)):
                yield row


class DbView:
    """``ctx.db``: one attribute per table, each a :class:`TableHandle`."""

    def __init__(self, overlay: Overlay) -> None:
        self._overlay = overlay

    def __getattr__(self, name: str) -> TableHandle:
        if name not in self._overlay.working_set.tables:
            known = ", ".join(sorted(self._overlay.working_set.tables)) or "none"
            raise AttributeError(f"no table named {name!r} (tables: {known})")
        return TableHandle(self._overlay.table(name))

    def __dir__(self) -> list[str]:
        return sorted(self._overlay.working_set.tables)
