"""The two back ends of a checked WHERE clause: Python and DuckDB SQL.

:func:`row_test` compiles the tree once into nested closures that answer
True, False or None (SQL's "unknown", from a NULL) for a row dataclass;
:func:`to_sql` writes the same tree as a parameterised DuckDB condition.
They agree row for row: NULL makes a comparison unknown, NOT keeps it
unknown, and floats order as in DuckDB, NaN equal to itself and above all.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from .tree import Compare, CompareColumns, Constant, IsNull, Junction, Node, Not, Truth

__all__ = ["Test", "quote", "row_test", "to_sql"]

# A row test answers True, False, or None for SQL's "unknown" (a NULL).
Test = Callable[[Any], bool | None]

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


def quote(name: str) -> str:
    """Quote an identifier for DuckDB (the query layer needs no engine)."""
    return '"' + name.replace('"', '""') + '"'


def _float_key(value: float) -> tuple[bool, float]:
    """Order floats as DuckDB does: NaN equals NaN and sorts above all."""
    return (True, 0.0) if value != value else (False, value)


def row_test(node: Node) -> Test:
    """Compile a checked tree into nested closures, once per query."""
    match node:
        case Compare():
            return _compare_test(node)
        case CompareColumns():
            return _columns_test(node)
        case IsNull(column, negated):
            get = attrgetter(column.name)
            if negated:
                return lambda row: get(row) is not None
            return lambda row: get(row) is None
        case Truth(column):
            return attrgetter(column.name)
        case Constant(value):
            return lambda row: value
        case Not(part):
            return _not_test(row_test(part))
        case Junction("AND", parts):
            return _and_test([row_test(p) for p in parts])
        case Junction(_, parts):
            return _or_test([row_test(p) for p in parts])
    raise AssertionError(f"unknown query node {node!r}")


def _compare_test(node: Compare) -> Test:
    """Column against a constant; a NULL column gives unknown."""
    get = attrgetter(node.column.name)
    holds = _OPERATORS[node.op]
    if node.column.type.kind == "float":
        key = _float_key(node.value)

        def compare_float(row: Any) -> bool | None:
            value = get(row)
            return None if value is None else holds(_float_key(value), key)

        return compare_float
    constant = node.value

    def compare(row: Any) -> bool | None:
        value = get(row)
        return None if value is None else holds(value, constant)

    return compare


def _columns_test(node: CompareColumns) -> Test:
    """Column against column; either NULL gives unknown."""
    get_left, get_right = attrgetter(node.left.name), attrgetter(node.right.name)
    holds = _OPERATORS[node.op]
    key = _float_key if node.left.type.kind == "float" else None

    def compare(row: Any) -> bool | None:
        left, right = get_left(row), get_right(row)
        if left is None or right is None:
            return None
        if key is not None:
            return holds(key(left), key(right))
        return holds(left, right)

    return compare


def _not_test(part: Test) -> Test:
    """NOT unknown is still unknown."""

    def negate(row: Any) -> bool | None:
        result = part(row)
        return None if result is None else not result

    return negate


def _and_test(parts: list[Test]) -> Test:
    """False wins, then unknown, then True."""

    def every(row: Any) -> bool | None:
        unknown = False
        for part in parts:
            result = part(row)
            if result is False:
                return False
            unknown = unknown or result is None
        return None if unknown else True

    return every


def _or_test(parts: list[Test]) -> Test:
    """True wins, then unknown, then False."""

    def some(row: Any) -> bool | None:
        unknown = False
        for part in parts:
            result = part(row)
            if result is True:
                return True
            unknown = unknown or result is None
        return None if unknown else False

    return some


def to_sql(node: Node, params: list[Any]) -> str:
    """Write the checked tree as SQL, appending constants to ``params``."""
    match node:
        case Compare(column, op, value):
            params.append(column.type.to_db(value))
            return f"{quote(column.name)} {op} ?"
        case CompareColumns(left, op, right):
            return f"{quote(left.name)} {op} {quote(right.name)}"
        case IsNull(column, negated):
            return f"{quote(column.name)} IS {'NOT ' if negated else ''}NULL"
        case Truth(column):
            return quote(column.name)
        case Constant(value):
            return "TRUE" if value else "FALSE"
        case Not(part):
            return f"(NOT {to_sql(part, params)})"
        case Junction(word, parts):
            return "(" + f" {word} ".join(to_sql(p, params) for p in parts) + ")"
    raise AssertionError(f"unknown query node {node!r}")
