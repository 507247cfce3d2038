"""Committed transactions: their row deltas and how they print.

Every transaction that commits becomes a :class:`Transaction`: which
reducer ran, with what arguments, for whom, when, and the rows it inserted
and deleted per table (an update is a delete and an insert of rows with the
same primary key). The engine hands these to ``on_commit`` listeners and
records them in the ``st_transaction`` system table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..identity import ConnectionId, Identity, Timestamp
from ..schema import TableSchema

__all__ = ["TableDelta", "Transaction"]

Row = Any


@dataclass
class TableDelta:
    """The rows one transaction deleted from and inserted into one table."""

    deletes: list[Row] = field(default_factory=list)
    inserts: list[Row] = field(default_factory=list)

    def to_json(self, schema: TableSchema) -> dict[str, list[dict[str, Any]]]:
        """Both lists as JSON rows."""
        return {
            "deletes": [schema.row_to_json(r) for r in self.deletes],
            "inserts": [schema.row_to_json(r) for r in self.inserts],
        }


@dataclass(repr=False)
class Transaction:
    """One committed transaction, as listeners and history see it.

    Usage::

        db.on_commit(lambda tx: print(tx))
        tx = db.call("register_player", "Sara", sender=sara)
        tx.deltas["player"].inserts
    """

    tx_id: int
    timestamp: Timestamp
    reducer: str
    args: list[Any]
    sender: Identity
    connection_id: ConnectionId | None
    deltas: dict[str, TableDelta]
    request: Any = field(default=None, repr=False, compare=False)
    """What the caller attached to its call (the server's request), if any."""

    def record(
        self, schemas: dict[str, TableSchema], args_json: list[Any]
    ) -> tuple[int, str]:
        """The ``st_transaction_log`` row: the id and one JSON record."""
        deltas = {name: d.to_json(schemas[name]) for name, d in self.deltas.items()}
        record = {
            "timestamp": self.timestamp.micros_since_unix_epoch,
            "reducer": self.reducer,
            "args": args_json,
            "sender": self.sender.to_hex(),
            "connection_id": self.connection_id and self.connection_id.to_hex(),
            "deltas": deltas,
        }
        return self.tx_id, json.dumps(record)

    def describe_changes(self) -> list[str]:
        """One line per changed row: ``+ player(...)``, ``- player(...)``.

        A delete and an insert with the same primary key print as one
        ``~`` line, the way a learner thinks of an update.
        """
        lines = []
        for table, delta in self.deltas.items():
            inserted = {_key(r): r for r in delta.inserts}
            for row in delta.deletes:
                after = inserted.pop(_key(row), None)
                if after is None:
                    lines.append(f"  - {table} {_show(row)}")
                else:
                    lines.append(f"  ~ {table} {_show_update(row, after)}")
            lines.extend(f"  + {table} {_show(r)}" for r in inserted.values())
        return lines

    def __repr__(self) -> str:
        return f"<Transaction {str(self).splitlines()[0]}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Jupyter shows a transaction the way ``print`` does."""
        printer.text(str(self))

    def __str__(self) -> str:
        args = ", ".join(repr(a) for a in self.args)
        who = str(self.sender)[:10] + "..."
        head = f"tx {self.tx_id} {self.reducer}({args}) by {who}"
        return "\n".join([head, *self.describe_changes()]) if self.deltas else head


def _key(row: Row) -> Any:
    """The primary-key value of a row, or the row itself."""
    schema: TableSchema = type(row).__stdb_table__
    pk = schema.primary_key
    return row if pk is None else getattr(row, pk.name)


def _show(row: Row) -> str:
    """``(col=value, ...)`` with identities shortened for reading."""
    schema: TableSchema = type(row).__stdb_table__
    parts = [f"{c.name}={_value(getattr(row, c.name))}" for c in schema.columns]
    return "(" + ", ".join(parts) + ")"


def _show_update(before: Row, after: Row) -> str:
    """The key and only the columns that changed: ``x: 1.0 -> 2.0``."""
    schema: TableSchema = type(after).__stdb_table__
    pk = schema.primary_key
    assert pk is not None
    changed = []
    for column in schema.columns:
        old, new = getattr(before, column.name), getattr(after, column.name)
        if old != new:
            changed.append(f"{column.name}: {_value(old)} -> {_value(new)}")
    return f"({pk.name}={_value(getattr(after, pk.name))}) " + ", ".join(changed)


def _value(value: Any) -> str:
    """A value as a short, readable text."""
    if isinstance(value, Identity | ConnectionId):
        return str(value)[:10] + "..."
    if isinstance(value, Timestamp | str):
        return repr(str(value)) if isinstance(value, str) else str(value)
    return repr(value)
