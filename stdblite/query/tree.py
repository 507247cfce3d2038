"""The checked form of a WHERE clause, shared by the parser and matchers.

The parser builds these nodes only after every column is resolved and every
literal converted to its column's type, so the two back ends (Python
closures and DuckDB SQL) never check anything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..schema import ColumnSchema

__all__ = [
    "COMPARISONS",
    "Compare",
    "CompareColumns",
    "Constant",
    "IsNull",
    "Junction",
    "Node",
    "Not",
    "Truth",
]

# The comparison operators of the subset, as both back ends spell them
# (the parser turns ``<>`` into ``!=``).
COMPARISONS = ("=", "!=", "<", ">", "<=", ">=")


@dataclass(frozen=True)
class Compare:
    """A column compared with a constant already of the column's type."""

    column: ColumnSchema
    op: str
    value: Any


@dataclass(frozen=True)
class CompareColumns:
    """Two columns of the same row compared with each other."""

    left: ColumnSchema
    op: str
    right: ColumnSchema


@dataclass(frozen=True)
class IsNull:
    """``column IS NULL``, or ``IS NOT NULL`` when negated."""

    column: ColumnSchema
    negated: bool


@dataclass(frozen=True)
class Truth:
    """A bool column used alone as a condition."""

    column: ColumnSchema


@dataclass(frozen=True)
class Constant:
    """``TRUE`` or ``FALSE`` used alone as a condition."""

    value: bool


@dataclass(frozen=True)
class Junction:
    """Several conditions joined by AND or by OR."""

    word: str
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """A negated condition."""

    part: Node


Node = Compare | CompareColumns | IsNull | Truth | Constant | Junction | Not
