"""History: the recorded transactions, and the world as it stood after one.

Every committed transaction is a row of ``st_transaction`` with its row
deltas as JSON. Replaying the deltas in order rebuilds every table as it
stood after any transaction: :class:`Snapshot` is that rebuilt, read-only
past, with rows per table and SQL over a private in-memory DuckDB.

Rows recorded before a migration added a column are given the column's
default, so an old transaction replays into today's row shape.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import StdbliteError
from ..identity import ConnectionId, Identity, Timestamp
from ..module import Module
from ..schema import TableSchema
from .records import TableDelta, Transaction
from .sql import SqlResult, run_query
from .storage import quote

__all__ = ["Snapshot", "read_history"]


def read_history(
    conn: duckdb.DuckDBPyConnection,
    schemas: dict[str, TableSchema],
    module: Module,
    limit: int | None,
) -> list[Transaction]:
    """Recorded transactions, oldest first; the newest ``limit`` if given."""
    cursor = conn.cursor()
    try:
        query = "SELECT tx_id, record FROM st_transaction_log ORDER BY tx_id"
        if limit is not None:
            query = f"SELECT * FROM ({query} DESC LIMIT {int(limit)}) ORDER BY 1"
        raw = cursor.execute(query).fetchall()
    finally:
        cursor.close()
    return [_transaction(row, schemas, module) for row in raw]


def _transaction(
    raw: tuple[Any, ...], schemas: dict[str, TableSchema], module: Module
) -> Transaction:
    """One ``st_transaction_log`` row back as a :class:`Transaction`."""
    tx_id, text = raw
    record = json.loads(text)
    reducer, sender = record["reducer"], record["sender"]
    connection = record["connection_id"]
    deltas = {}
    for table, delta in record["deltas"].items():
        schema = schemas.get(table)
        if schema is not None:
            deltas[table] = TableDelta(
                [_row(schema, r) for r in delta["deletes"]],
                [_row(schema, r) for r in delta["inserts"]],
            )
    definition = module.reducers.get(reducer)
    values = record["args"]
    if definition is not None and len(values) == len(definition.params):
        values = [
            p.from_json(v) for p, v in zip(definition.params, values, strict=True)
        ]
    return Transaction(
        int(tx_id),
        Timestamp(int(record["timestamp"])),
        str(reducer),
        values,
        Identity.from_hex(sender),
        None if connection is None else ConnectionId.from_hex(connection),
        deltas,
    )


def _row(schema: TableSchema, data: dict[str, Any]) -> Any:
    """A recorded JSON row, with defaults for columns added since."""
    filled = dict(data)
    for column in schema.columns:
        if column.name not in filled and column.has_default:
            filled[column.name] = column.type.to_json(column.default)
    return schema.row_from_json(filled)


@dataclass
class Snapshot:
    """The tables as they stood after one transaction; read-only.

    Usage::

        past = db.at(tx_id=3)
        past.rows("player")
        print(past.sql("SELECT username, position_x FROM player"))
    """

    tx_id: int
    tables: dict[str, dict[Hashable, Any]]
    schemas: dict[str, TableSchema]

    @classmethod
    def rebuild(
        cls, history: list[Transaction], schemas: dict[str, TableSchema], tx_id: int
    ) -> Snapshot:
        """Replay ``history`` up to and including ``tx_id``."""
        if not any(tx.tx_id == tx_id for tx in history):
            raise StdbliteError(f"no transaction {tx_id} in the history")
        tables: dict[str, dict[Hashable, Any]] = {name: {} for name in schemas}
        for tx in history:
            if tx.tx_id > tx_id:
                break
            for name, delta in tx.deltas.items():
                _replay(tables[name], schemas[name], delta)
        return cls(tx_id, tables, schemas)

    def rows(self, table: str) -> list[Any]:
        """The rows of one table at that moment."""
        return list(self.tables[table].values())

    def sql(self, query: str) -> SqlResult:
        """Run a read-only query over the past tables (in memory)."""
        conn = duckdb.connect(":memory:")
        try:
            for name, schema in self.schemas.items():
                _load(conn, schema, self.rows(name))
            conn.execute("SET enable_external_access = false")
            return run_query(conn, query, set(self.schemas), False)
        finally:
            conn.close()


def _replay(rows: dict[Hashable, Any], schema: TableSchema, delta: TableDelta) -> None:
    """Apply one recorded delta to a table's rows."""
    pk = schema.primary_key
    for row in delta.deletes:
        rows.pop(row if pk is None else getattr(row, pk.name), None)
    for row in delta.inserts:
        rows[row if pk is None else getattr(row, pk.name)] = row


def _load(
    conn: duckdb.DuckDBPyConnection, schema: TableSchema, rows: list[Any]
) -> None:
    """Create one table in a scratch connection and fill it."""
    columns = ", ".join(
        f"{quote(c.name)} {c.type.duckdb_type()}" for c in schema.columns
    )
    conn.execute(f"CREATE TABLE {quote(schema.name)} ({columns})")
    if not rows:
        return
    marks = "(" + ", ".join("?" * len(schema.columns)) + ")"
    values = [[c.type.to_db(getattr(r, c.name)) for c in schema.columns] for r in rows]
    conn.executemany(f"INSERT INTO {quote(schema.name)} VALUES {marks}", values)
