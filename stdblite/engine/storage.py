"""DuckDB as the storage of record: tables, system tables, group writes.

Everything the engine sends to DuckDB goes through :class:`Storage`, which
is also where DuckDB's exceptions are translated into stdblite's. A group
of transactions becomes one ``BEGIN ... COMMIT`` with bulk statements per
table: one ``DELETE`` for the rows that went, one ``UPDATE`` for the rows
that changed, one ``INSERT`` for the new ones, and one ``INSERT`` of the
transaction records. The statements of the last group are kept as a trace
a learner can print.

Keys and unique columns are enforced by the engine in memory, not declared
to DuckDB: DuckDB checks constraints statement by statement, so a group in
which two players swap names, valid as a whole, could be refused halfway.
DuckDB gets a plain index on the primary key instead, which keeps the bulk
``UPDATE`` and ``DELETE`` fast.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..errors import CommitError, StdbliteError
from ..schema import ColumnSchema, TableSchema

__all__ = ["GroupWrite", "Storage", "TableWrite", "quote"]

log = logging.getLogger("stdblite.engine")

Row = Any

SYSTEM_DDL = (
    "CREATE TABLE IF NOT EXISTS st_module (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS st_transaction_log (tx_id BIGINT, record VARCHAR)",
    # The record is one JSON text, which keeps the per-commit INSERT cheap;
    # the view spreads it into columns for a learner's SELECT.
    "CREATE OR REPLACE VIEW st_transaction AS SELECT tx_id, "
    "make_timestamp(CAST(record->>'$.timestamp' AS BIGINT)) AS timestamp, "
    "record->>'$.reducer' AS reducer, record->'$.args' AS args, "
    "record->>'$.sender' AS sender, record->>'$.connection_id' AS connection_id, "
    "record->'$.deltas' AS deltas FROM st_transaction_log",
    "CREATE TABLE IF NOT EXISTS st_client ("
    "connection_id VARCHAR, identity VARCHAR, connected_at TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS st_sequence ("
    "table_name VARCHAR, column_name VARCHAR, next_value BIGINT)",
)
SYSTEM_TABLES = (
    "st_module",
    "st_transaction",
    "st_transaction_log",
    "st_client",
    "st_sequence",
)
CLIENT_COLUMNS = [
    ("connection_id", "VARCHAR"),
    ("identity", "VARCHAR"),
    ("connected_at", "TIMESTAMP"),
]


def quote(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class TableWrite:
    """One table's net change in a group: rows gone, changed and new."""

    schema: TableSchema
    deletes: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)
    inserts: list[Row] = field(default_factory=list)
    update_columns: list[ColumnSchema] = field(default_factory=list)


@dataclass
class GroupWrite:
    """Everything one group commit writes."""

    tables: list[TableWrite] = field(default_factory=list)
    records: list[tuple[int, str]] = field(default_factory=list)
    clients_in: list[tuple[Any, ...]] = field(default_factory=list)
    clients_out: list[str] = field(default_factory=list)
    sequences: list[tuple[str, str, int]] = field(default_factory=list)


class Storage:
    """One DuckDB database file (or memory), locked down for learners' SQL.

    File access and configuration changes are switched off and locked
    right after opening, so no query, ours or a learner's, can read or
    write files or undo the lock.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.conn = duckdb.connect(path)
            # The engine's statements are small: a row or a group of rows.
            # Spreading each over DuckDB's worker threads costs more CPU
            # than it saves (measured here: a one-row commit 1.7 -> 1.3 ms).
            self.conn.execute("SET threads = 1")
            self.conn.execute("SET enable_external_access = false")
            self.conn.execute("SET lock_configuration = true")
        except duckdb.Error as exc:
            raise StdbliteError(f"cannot open database {path}: {exc}") from exc
        # The last group's statements and parameters, formatted only when
        # a learner asks (see ``trace``): formatting costs every commit.
        self._trace: list[tuple[str, list[Any], int]] = []
        # Fault injection for tests: a statement starting with this text
        # raises duckdb.IOException, as a failing disk would.
        self.fail_statement: str | None = None
        for ddl in SYSTEM_DDL:
            self.conn.execute(ddl)

    def close(self) -> None:
        """Checkpoint and close the DuckDB connection."""
        self.conn.close()

    # -- schema ------------------------------------------------------------

    def create_table(self, schema: TableSchema) -> None:
        """Create a user table and the index on its primary key."""
        columns = ", ".join(
            f"{quote(c.name)} {c.type.duckdb_type()}"
            + ("" if c.type.optional else " NOT NULL")
            for c in schema.columns
        )
        self.conn.execute(f"CREATE TABLE {quote(schema.name)} ({columns})")
        self.create_indexes(schema)

    def create_indexes(self, schema: TableSchema) -> None:
        """Index the primary key, if any, for bulk updates and deletes."""
        pk = schema.primary_key
        if pk is not None:
            index = quote(f"{schema.name}_pkey")
            self.conn.execute(
                f"CREATE INDEX IF NOT EXISTS {index} "
                f"ON {quote(schema.name)} ({quote(pk.name)})"
            )

    def drop_table(self, name: str) -> None:
        """Drop a user table (``delete_data`` only)."""
        self.conn.execute(f"DROP TABLE IF EXISTS {quote(name)}")

    def add_column(self, table: str, column: ColumnSchema) -> None:
        """Add a column with a default to an existing table (a migration)."""
        default = column.type.to_db(column.default)
        self.conn.execute(
            f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column.name)} "
            f"{column.type.duckdb_type()} DEFAULT {_literal(default)}"
        )

    def existing_tables(self) -> set[str]:
        """Names of the tables in the file."""
        rows = self.conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
        return {r[0] for r in rows}

    def get_meta(self, key: str) -> str | None:
        """A value from ``st_module`` (schema, source, owner, identity)."""
        row = self.conn.execute(
            "SELECT value FROM st_module WHERE key = ?", [key]
        ).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, values: dict[str, str]) -> None:
        """Store values in ``st_module``, replacing old ones."""
        for key, value in values.items():
            self.conn.execute(
                "INSERT OR REPLACE INTO st_module VALUES (?, ?)", [key, value]
            )

    # -- reading -----------------------------------------------------------

    def load_rows(self, schema: TableSchema) -> list[Row]:
        """Every row of a table, as row objects."""
        names = ", ".join(quote(c.name) for c in schema.columns)
        result = self.conn.execute(f"SELECT {names} FROM {quote(schema.name)}")
        columns = schema.columns
        return [
            schema.row_type(
                *(c.type.from_db(v) for c, v in zip(columns, raw, strict=True))
            )
            for raw in result.fetchall()
        ]

    def load_sequences(self) -> list[tuple[str, str, int]]:
        """Saved sequence positions: (table, column, next value)."""
        rows = self.conn.execute("SELECT * FROM st_sequence").fetchall()
        return [(str(t), str(c), int(n)) for t, c, n in rows]

    def open_clients(self) -> list[tuple[str, str]]:
        """Connections recorded as open: (connection id, identity) hex."""
        rows = self.conn.execute(
            "SELECT connection_id, identity FROM st_client ORDER BY connected_at"
        ).fetchall()
        return [(str(c), str(i)) for c, i in rows]

    def last_tx_id(self) -> tuple[int, int]:
        """The highest transaction id and timestamp (micros) recorded."""
        row = self.conn.execute(
            "SELECT max(tx_id), max(CAST(record->>'$.timestamp' AS BIGINT)) "
            "FROM st_transaction_log"
        ).fetchone()
        assert row is not None
        return int(row[0] or 0), int(row[1] or 0)

    # -- the group commit --------------------------------------------------

    @property
    def trace(self) -> list[str]:
        """The SQL the last group commit sent, parameters shown, one a line."""
        return [_traced(sql, shown, total) for sql, shown, total in self._trace]

    def write_group(self, group: GroupWrite) -> None:
        """Write one group in one DuckDB transaction, or raise CommitError.

        On any DuckDB error the transaction is rolled back, so the file
        holds all of the group or none of it.
        """
        self._trace = []
        try:
            self._run("BEGIN")
            for table in group.tables:
                self._write_table(table)
            self._write_system(group)
            self._run("COMMIT")
        except Exception as exc:
            # Not only duckdb.Error: a value DuckDB cannot convert raises
            # TypeError or ValueError, and must roll back the group the same.
            self._rollback()
            raise CommitError(f"the database refused the commit: {exc}") from exc

    def _rollback(self) -> None:
        """Roll back after a failed statement, recording it in the trace."""
        try:
            self.conn.execute("ROLLBACK")
            self._trace.append(("ROLLBACK", [], 0))
        except duckdb.Error:
            log.exception("rollback after a failed group commit failed")

    def _write_table(self, table: TableWrite) -> None:
        """The bulk statements for one table: delete, update, insert."""
        schema = table.schema
        if table.deletes:
            self._delete(schema, table.deletes)
        if table.updates and table.update_columns:
            self._update(schema, table.updates, table.update_columns)
        if table.inserts:
            columns = [(c.name, c.type.duckdb_type()) for c in schema.columns]
            rows = [_db_values(schema, row) for row in table.inserts]
            self._insert(quote(schema.name), columns, rows)

    def _delete(self, schema: TableSchema, rows: list[Row]) -> None:
        """Delete rows by primary key, or by every column for a keyless table."""
        name = quote(schema.name)
        pk = schema.primary_key
        if pk is not None:
            keys = [pk.type.to_db(getattr(r, pk.name)) for r in rows]
            column = quote(pk.name)
            if len(keys) == 1:
                self._run(f"DELETE FROM {name} WHERE {column} = ?", keys)
            else:
                cast = f"?::{pk.type.duckdb_type()}[]"
                self._run(
                    f"DELETE FROM {name} WHERE {column} IN (SELECT unnest({cast}))",
                    [keys],
                )
            return
        match = " AND ".join(
            f"{quote(c.name)} IS NOT DISTINCT FROM ?" for c in schema.columns
        )
        for row in rows:
            self._run(f"DELETE FROM {name} WHERE {match}", _db_values(schema, row))

    def _update(
        self, schema: TableSchema, rows: list[Row], columns: list[ColumnSchema]
    ) -> None:
        """Rewrite the changed columns of changed rows, matched on the key.

        One row is a plain ``UPDATE ... WHERE key = ?``; many rows are
        joined to their new values passed as one list per column, which
        keeps the statement's cost nearly flat in the number of rows.
        """
        pk = schema.primary_key
        assert pk is not None
        name, key = quote(schema.name), quote(pk.name)
        if len(rows) == 1:
            sets = ", ".join(f"{quote(c.name)} = ?" for c in columns)
            params = [c.type.to_db(getattr(rows[0], c.name)) for c in (*columns, pk)]
            self._run(f"UPDATE {name} SET {sets} WHERE {key} = ?", params)
            return
        sets = ", ".join(f"{quote(c.name)} = v.{quote(c.name)}" for c in columns)
        source = _unnest([(c.name, c.type.duckdb_type()) for c in (pk, *columns)])
        params = [
            [c.type.to_db(getattr(r, c.name)) for r in rows] for c in (pk, *columns)
        ]
        self._run(
            f"UPDATE {name} SET {sets} FROM ({source}) AS v "
            f"WHERE {name}.{key} = v.{key}",
            params,
        )

    def _insert(
        self, table: str, columns: list[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert rows: VALUES for one, one list per column for many.

        ``table`` is quoted already where it needs to be (system tables'
        names are plain, which keeps the trace easy to read).
        """
        names = "(" + ", ".join(quote(n) for n, _ in columns) + ")"
        target = f"{table} {names}"
        if len(rows) == 1:
            marks = ", ".join("?" * len(columns))
            self._run(f"INSERT INTO {target} VALUES ({marks})", list(rows[0]))
            return
        by_column = [list(values) for values in zip(*rows, strict=True)]
        self._run(f"INSERT INTO {target} {_unnest(columns)}", by_column)

    def _write_system(self, group: GroupWrite) -> None:
        """Transaction records, client bookkeeping and sequence positions."""
        if group.records:
            log_columns = [("tx_id", "BIGINT"), ("record", "VARCHAR")]
            self._insert("st_transaction_log", log_columns, group.records)
        if group.clients_in:
            self._insert("st_client", CLIENT_COLUMNS, group.clients_in)
        for connection in group.clients_out:
            self._run("DELETE FROM st_client WHERE connection_id = ?", [connection])
        for table, column, value in group.sequences:
            self._run(
                "DELETE FROM st_sequence WHERE table_name = ? AND column_name = ?",
                [table, column],
            )
            self._run(
                "INSERT INTO st_sequence VALUES (?, ?, ?)", [table, column, value]
            )

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Execute one statement and add it to the trace."""
        # Only the start of the parameters is kept: a bulk statement's
        # column lists can hold every row of the group.
        shown = [_cut(p) for p in params[:12]] if params else []
        self._trace.append((sql, shown, len(params) if params else 0))
        if self.fail_statement is not None and sql.startswith(self.fail_statement):
            raise duckdb.IOException(f"injected failure on {self.fail_statement!r}")
        self.conn.execute(sql, params)


def _unnest(columns: list[tuple[str, str]]) -> str:
    """``SELECT unnest(?::T[]) AS "c", ...``: rows passed as column lists."""
    parts = [f"unnest(?::{kind}[]) AS {quote(name)}" for name, kind in columns]
    return "SELECT " + ", ".join(parts)


def _db_values(schema: TableSchema, row: Row) -> list[Any]:
    """A row's values in column order, as DuckDB takes them."""
    return [c.type.to_db(getattr(row, c.name)) for c in schema.columns]


def _literal(value: Any) -> str:
    """A SQL literal for a column default (only simple values reach here)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, bytes):
        return "'" + "".join(f"\\x{b:02x}" for b in value) + "'::BLOB"
    return "'" + str(value).replace("'", "''") + "'"


def _traced(sql: str, shown: list[Any], total: int) -> str:
    """A statement as a learner reads it: parameters shown, long ones cut."""
    if not total:
        return sql
    text = json.dumps([_short(p) for p in shown], default=str)
    more = f" ... {total} values" if total > len(shown) else ""
    return f"{sql}  -- {text}{more}"


def _cut(value: Any) -> Any:
    """A parameter as the trace keeps it: a long column list cut short."""
    if isinstance(value, list) and len(value) > 6:
        return [*value[:5], f"... {len(value)} in all"]
    return value


def _short(value: Any) -> Any:
    """Cut long text so a trace line stays readable."""
    if isinstance(value, str) and len(value) > 24:
        return value[:20] + "..."
    return value
