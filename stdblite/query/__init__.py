"""The subscription SQL subset: read a query once, then match rows fast.

A client subscribes with queries of one shape::

    SELECT * FROM player
    SELECT * FROM player WHERE is_online = true AND position_x < 10.5

:func:`compile_query` reads the text with a small tokenizer and a
recursive-descent parser, checks the table and its columns against the
module's schemas, and converts every literal to its column's type once.
The :class:`Query` it returns answers the two questions a server asks:
does this changed row match (:meth:`Query.matches`, plain Python, run for
every row a transaction touches), and which rows match now
(:meth:`Query.to_duckdb`, the same filter as parameterised DuckDB SQL, run
once for a subscription's initial rows). Both follow SQL's three-valued
logic, so a NULL column matches no comparison, not even under ``NOT``; and
both order floats as DuckDB does, with NaN equal to itself and above every
number. The grammar::

    query     := SELECT [name '.'] '*' FROM table [[AS] alias]
                 [WHERE expr] [';']
    expr      := conjunct (OR conjunct)*
    conjunct  := negation (AND negation)*
    negation  := NOT negation | '(' expr ')' | predicate
    predicate := operand op operand | column IS [NOT] NULL
               | column (a bool column alone) | TRUE | FALSE
    op        := = | != | <> | < | > | <= | >=
    operand   := column | [table '.'] column | literal
    literal   := 'text' | 42 | -1.5 | 1e3 | 0x00ff | TRUE | FALSE

Literals follow their column: an int becomes a float for a float column;
an ``Identity`` or ``ConnectionId`` column takes ``0x...`` hex, bare or
quoted; a ``Timestamp`` column takes an ISO 8601 string; an enum column
takes a member's name as a string; a ``bytes`` column takes ``0x...`` hex.
Everything else (column lists, joins, functions, ORDER BY, LIMIT,
subqueries, several statements, NOT and parentheses nested over
``MAX_DEPTH`` deep) raises :class:`UnsupportedQuery`; a private table
raises :class:`PermissionDenied` unless the asker may see it. Both are
:class:`QueryError`, whose one-line message is meant for the learner.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..schema import TableSchema
from .match import quote, row_test, to_sql
from .parse import MAX_DEPTH, SHAPE, parse
from .tree import Node

__all__ = ["MAX_DEPTH", "SHAPE", "Query", "compile_query"]


class Query:
    """A compiled subscription query: its table, its text, its row filter.

    Usage::

        query = compile_query(
            "SELECT * FROM player WHERE is_online", schemas, can_see_private=False
        )
        query.table             # 'player'
        query.matches(row)      # for a row of that table: True or False
        sql, params = query.to_duckdb()

    ``to_duckdb`` names the columns in declaration order, so each result
    row lines up with ``query.schema.columns``.
    """

    __slots__ = ("_test", "_where", "schema", "sql", "table")

    def __init__(self, sql: str, schema: TableSchema, where: Node | None) -> None:
        self.sql = sql
        self.schema = schema
        self.table = schema.name
        self._where = where
        self._test = None if where is None else row_test(where)

    def matches(self, row: Any) -> bool:
        """True if the row passes the WHERE clause (NULL comparisons fail)."""
        return self._test is None or self._test(row) is True

    def to_duckdb(self) -> tuple[str, list[Any]]:
        """The same filter as a DuckDB SELECT with ``?`` parameters."""
        columns = ", ".join(quote(c.name) for c in self.schema.columns)
        select = f"SELECT {columns} FROM {quote(self.table)}"
        if self._where is None:
            return select, []
        params: list[Any] = []
        return f"{select} WHERE {to_sql(self._where, params)}", params

    def __repr__(self) -> str:
        return f"Query({self.sql!r})"


def compile_query(
    sql: str, tables: Mapping[str, TableSchema], *, can_see_private: bool
) -> Query:
    """Parse and check one subscription query against the module's tables.

    ``can_see_private`` is True for the database's owner, who may subscribe
    to private tables too. Raises :class:`UnsupportedQuery` for anything
    outside the subset and :class:`PermissionDenied` for a private table.
    """
    schema, where = parse(sql, tables, can_see_private)
    return Query(sql, schema, where)
