"""Read-only SQL for learners, and results that print as tables.

A query is parsed by DuckDB itself (``json_serialize_sql``) and its tree
walked before it runs: only ``SELECT`` is allowed, every table it reads
must be visible to the asker (the owner sees all; others see public tables
only), and table functions and side-effecting functions are refused. File
access is already switched off and locked in the connection, so this walk
is about visibility and read-only-ness, not about files.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import PermissionDenied, QueryError

__all__ = ["SqlResult", "run_query"]

# Table functions a query may read from: generators with no hidden state.
_TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}
# Scalar functions that change state or reveal the machine or settings.
_BANNED_FUNCTIONS = {
    "nextval",
    "currval",
    "setseed",
    "getenv",
    "current_setting",
    "query",
    "query_table",
    "read_text",
    "read_blob",
    "glob",
}


@dataclass(frozen=True)
class SqlResult:
    """Rows from a query: prints as an aligned table, shows as HTML.

    Usage::

        result = db.sql("SELECT username FROM player")
        print(result)          # a psql-style table
        result.rows            # a list of tuples
        result.dicts()         # a list of {column: value}
    """

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        """Each row as a dict keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def json_rows(self) -> list[list[Any]]:
        """The rows as JSON data: text for times, decimals and the like."""
        return [[_json_value(v) for v in row] for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def __str__(self) -> str:
        cells = [[_cell(v) for v in row] for row in self.rows]
        widths = [len(c) for c in self.columns]
        for row in cells:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
        head = " | ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True))
        rule = "-+-".join("-" * w for w in widths)
        body = [
            " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
            for row in cells
        ]
        count = f"({len(self.rows)} row{'s' if len(self.rows) != 1 else ''})"
        return "\n".join(
            [" " + head, "-" + rule + "-", *(" " + b for b in body), count]
        )

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
            for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _json_value(value: Any) -> Any:
    """A DuckDB result value as JSON data."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def _cell(value: Any) -> str:
    """A value as table text."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def run_query(
    conn: duckdb.DuckDBPyConnection, query: str, visible: set[str], is_owner: bool
) -> SqlResult:
    """Check and run one read-only query on its own cursor."""
    cursor = conn.cursor()
    try:
        _check(cursor, query, visible, is_owner)
        result = cursor.execute(query)
        columns = [d[0] for d in result.description or []]
        return SqlResult(columns, [tuple(r) for r in result.fetchall()])
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    finally:
        cursor.close()


def _check(
    cursor: duckdb.DuckDBPyConnection, query: str, visible: set[str], is_owner: bool
) -> None:
    """Refuse anything but one SELECT over visible tables."""
    try:
        statements = cursor.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc
    if len(statements) != 1:
        raise QueryError("send exactly one SQL statement")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        # Name the statement as the learner wrote it: DuckDB files INSTALL
        # under LOAD and CHECKPOINT under CALL.
        verb = query.split(None, 1)[0].upper()
        verb = verb if verb.isalpha() else kind.name
        raise PermissionDenied(
            f"{verb} is not allowed: SQL here is read-only; "
            "change data by calling a reducer"
        )
    found = cursor.execute("SELECT json_serialize_sql(?)", [query]).fetchone()
    tree = json.loads(found[0]) if found else {"error": True}
    if tree.get("error"):
        raise QueryError(tree.get("error_message", "the query cannot be parsed"))
    # A CTE may take any free name, but never the name of a real table the
    # caller cannot see: "WITH vault AS (SELECT * FROM vault)" must not
    # turn the hidden table into a visible one.
    real = cursor.execute(
        "SELECT lower(table_name) FROM information_schema.tables"
    ).fetchall()
    hidden = {name for (name,) in real if name not in visible}
    if is_owner:
        hidden = {name for name in hidden if not name.startswith("st_")}
    _walk(tree, visible, is_owner, set(), hidden)


def _walk(
    node: Any, visible: set[str], is_owner: bool, ctes: set[str], hidden: set[str]
) -> None:
    """Visit every node of the parsed query, refusing what is not allowed."""
    if isinstance(node, list):
        for item in node:
            _walk(item, visible, is_owner, ctes, hidden)
        return
    if not isinstance(node, dict):
        return
    for entry in node.get("cte_map", {}).get("map", []) if "cte_map" in node else []:
        ctes = ctes | {str(entry.get("key", "")).lower()}
    _check_node(node, visible, is_owner, ctes - hidden)
    for value in node.values():
        _walk(value, visible, is_owner, ctes, hidden)


def _check_node(
    node: dict[str, Any], visible: set[str], is_owner: bool, ctes: set[str]
) -> None:
    """Refuse one node if it reads a hidden table or calls a banned function."""
    kind = node.get("type")
    if kind == "BASE_TABLE":
        table = str(node.get("table_name", "")).lower()
        schema = str(node.get("schema_name", "")).lower()
        if table in ctes and not schema:
            return
        if table not in visible and not (is_owner and table.startswith("st_")):
            raise PermissionDenied(f"no table {table!r} is visible to you")
    elif kind == "TABLE_FUNCTION":
        name = str(node.get("function", {}).get("function_name", "")).lower()
        if name not in _TABLE_FUNCTIONS:
            raise PermissionDenied(f"table function {name}() is not allowed here")
    elif kind == "SHOW_REF" and not is_owner:
        raise PermissionDenied("DESCRIBE and SHOW are for the owner")
    elif node.get("class") == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        if name in _BANNED_FUNCTIONS or name.startswith(("duckdb_", "pragma_")):
            raise PermissionDenied(f"function {name}() is not allowed here")


def _first_line(exc: BaseException) -> str:
    """DuckDB's message without its caret diagram."""
    return str(exc).strip().splitlines()[0]
