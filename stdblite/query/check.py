"""Where literals meet columns: type checks and conversions, done once.

Every refusal here is an :class:`UnsupportedQuery` whose message names the
column, its type, what was given and what the column takes instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import UnsupportedQuery
from ..identity import ConnectionId, Identity, Timestamp
from ..schema import ColumnSchema
from .tree import Compare, CompareColumns, Node, Truth

__all__ = ["Literal", "compare", "truth"]

# The operator that means the same with its operands swapped: 1 < x is x > 1.
_MIRRORED = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


@dataclass(frozen=True)
class Literal:
    """A literal before it meets its column: kind and the value as read."""

    kind: str  # "string", "int", "float", "hex", "bool" or "null"
    value: Any
    text: str

    def describe(self) -> str:
        """The literal as a message shows it."""
        shown = self.text if len(self.text) <= 40 else self.text[:37] + "..."
        if self.kind in ("bool", "null"):
            return shown.upper()
        return f"the {self.kind.replace('hex', 'hex literal')} {shown}"


def truth(column: ColumnSchema) -> Node:
    """A bool column standing alone as a condition."""
    if column.type.kind != "bool":
        raise UnsupportedQuery(
            f"column {column.name!r} ({column.type.name}) is not a condition; "
            "compare it with a value, like WHERE x = 1"
        )
    return Truth(column)


def compare(
    left: ColumnSchema | Literal, op: str, right: ColumnSchema | Literal
) -> Node:
    """Check that two operands can be compared; put the column on the left."""
    if isinstance(left, Literal) and isinstance(right, Literal):
        raise UnsupportedQuery(
            f"{left.text} {op} {right.text} compares two values; "
            "a comparison needs a column on at least one side"
        )
    if isinstance(left, Literal):
        left, op, right = right, _MIRRORED[op], left
    assert isinstance(left, ColumnSchema)
    _check_operator(left, op)
    if isinstance(right, ColumnSchema):
        return _compare_columns(left, op, right)
    return Compare(left, op, _coerce(left, right))


def _check_operator(column: ColumnSchema, op: str) -> None:
    """Refuse orderings that have no meaning for the column's type."""
    kind = column.type.kind
    if kind == "schedule_at":
        raise UnsupportedQuery(
            f"column {column.name!r} is a ScheduleAt; queries cannot filter on it"
        )
    if kind == "enum" and op not in ("=", "!="):
        raise UnsupportedQuery(
            f"column {column.name!r} is an enum ({column.type.name}); "
            "compare it with = or != only"
        )


def _compare_columns(left: ColumnSchema, op: str, right: ColumnSchema) -> Node:
    """Two columns compare only if they hold the same type."""
    _check_operator(right, op)
    same = left.type.kind == right.type.kind
    if not same or left.type.enum_cls is not right.type.enum_cls:
        raise UnsupportedQuery(
            f"cannot compare column {left.name!r} ({left.type.name}) with "
            f"column {right.name!r} ({right.type.name}): their types differ"
        )
    return CompareColumns(left, op, right)


def _coerce(column: ColumnSchema, literal: Literal) -> Any:
    """The literal converted to the column's type, or a clear refusal."""
    if literal.kind == "null":
        raise UnsupportedQuery(
            f"comparing with NULL never matches; use {column.name} IS NULL "
            f"or {column.name} IS NOT NULL"
        )
    try:
        return _CONVERTERS[column.type.kind](literal, column)
    except (ValueError, TypeError) as exc:
        raise UnsupportedQuery(
            f"cannot compare column {column.name!r} ({column.type.name}) with "
            f"{literal.describe()}: {_reason(exc, column)}"
        ) from None


def _reason(exc: Exception, column: ColumnSchema) -> str:
    """Why a literal was refused, for the second half of the message.

    A bad value says what is wrong with it; a value of the wrong kind says
    what the column takes instead.
    """
    if isinstance(exc, ValueError):
        return str(exc)
    if column.type.enum_cls is not None:
        names = ", ".join(repr(m.name) for m in column.type.enum_cls)
        return f"use one of {names}"
    return _TAKES[column.type.kind]


def _want(literal: Literal, *kinds: str) -> Any:
    """The literal's value if its kind is one of ``kinds``; else TypeError."""
    if literal.kind not in kinds:
        raise TypeError(literal.kind)
    return literal.value


def _to_int(literal: Literal, column: ColumnSchema) -> int:
    """An integer that fits the 64-bit column."""
    value: int = _want(literal, "int")
    if not -(2**63) <= value < 2**63:
        raise ValueError("it does not fit in a 64-bit int")
    return value


def _to_float(literal: Literal, column: ColumnSchema) -> float:
    """A float from a float or an int literal."""
    try:
        return float(_want(literal, "int", "float"))
    except OverflowError:
        raise ValueError("it is too large for a float") from None


def _to_bytes(literal: Literal, column: ColumnSchema) -> bytes:
    """Bytes from a hex literal, two digits a byte."""
    digits: str = _want(literal, "hex")
    if len(digits) % 2:
        raise ValueError("a hex literal for bytes needs an even number of digits")
    return bytes.fromhex(digits)


def _to_hex_id(literal: Literal, column: ColumnSchema) -> Identity | ConnectionId:
    """An Identity or ConnectionId from hex, bare or quoted."""
    text = _want(literal, "hex", "string")
    cls = Identity if column.type.kind == "identity" else ConnectionId
    return cls.from_hex(text)


def _to_timestamp(literal: Literal, column: ColumnSchema) -> Timestamp:
    """A moment from an ISO 8601 string; a naive one is UTC."""
    try:
        moment = dt.datetime.fromisoformat(_want(literal, "string"))
    except ValueError:
        raise TypeError("not ISO 8601") from None
    return Timestamp.from_datetime(moment)


def _to_enum(literal: Literal, column: ColumnSchema) -> Any:
    """The enum member the string names."""
    assert column.type.enum_cls is not None
    try:
        return column.type.enum_cls[_want(literal, "string")]
    except KeyError:
        raise TypeError("no such member") from None


_CONVERTERS: dict[str, Callable[[Literal, ColumnSchema], Any]] = {
    "bool": lambda literal, column: _want(literal, "bool"),
    "int": _to_int,
    "float": _to_float,
    "str": lambda literal, column: _want(literal, "string"),
    "bytes": _to_bytes,
    "identity": _to_hex_id,
    "connection_id": _to_hex_id,
    "timestamp": _to_timestamp,
    "enum": _to_enum,
}
# What each kind of column takes, for a literal of the wrong kind.
_TAKES = {
    "bool": "use true or false",
    "int": "use an integer like 42",
    "float": "use a number like 1.5",
    "str": "use a quoted string like 'text'",
    "bytes": "use a hex literal like 0x00ff",
    "identity": "use 0x followed by 64 hex digits",
    "connection_id": "use 0x followed by 32 hex digits",
    "timestamp": "use an ISO 8601 string like '2025-01-31T12:00:00Z'",
}
