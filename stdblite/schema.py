"""Declaring tables in code: column markers, the ``table`` decorator, types.

A table is a class whose annotations are its columns::

    @table(public=True)
    class Player:
        identity: PrimaryKey[Identity]
        username: Unique[str]
        position_x: float

``table`` turns it into a frozen dataclass (the row type) and attaches a
:class:`TableSchema` that the engine, the query layer and the client read.
Each column has a :class:`ColumnType` that knows how the value is checked,
stored in DuckDB and written as JSON: one place for every conversion.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias, TypeVar, dataclass_transform

from .errors import SchemaError
from .identity import ConnectionId, Identity, Timestamp

__all__ = [
    "AutoInc",
    "ColumnSchema",
    "ColumnType",
    "Index",
    "PrimaryKey",
    "ScheduleAt",
    "TableSchema",
    "Unique",
    "snake_case",
    "table",
]

T = TypeVar("T")


class _Marker:
    """A column constraint carried inside ``Annotated``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


PRIMARY_KEY = _Marker("PrimaryKey")
UNIQUE = _Marker("Unique")
AUTO_INC = _Marker("AutoInc")
INDEX = _Marker("Index")

PrimaryKey: TypeAlias = Annotated[T, PRIMARY_KEY]
"""The column that identifies a row; ``update`` replaces rows by it."""
Unique: TypeAlias = Annotated[T, UNIQUE]
"""No two rows share a value; ``find`` and ``delete`` work on it."""
AutoInc: TypeAlias = Annotated[T, AUTO_INC]
"""An ``int`` column filled from a sequence when a row is inserted with 0."""
Index: TypeAlias = Annotated[T, INDEX]
"""A non-unique b-tree: ``filter(value)`` and ``filter(range)`` work on it."""

_INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True, slots=True)
class ScheduleAt:
    """When a scheduled row's reducer runs: once at a time, or repeatedly.

    Usage::

        ScheduleAt.interval(dt.timedelta(milliseconds=100))
        ScheduleAt.time(ctx.timestamp + dt.timedelta(seconds=5))
    """

    at: Timestamp | None = None
    every_micros: int | None = None

    @classmethod
    def time(cls, at: Timestamp) -> ScheduleAt:
        """Run once, at (or soon after) the given moment."""
        return cls(at=at)

    @classmethod
    def interval(cls, every: dt.timedelta | float) -> ScheduleAt:
        """Run repeatedly, every ``every`` (a timedelta or seconds)."""
        if isinstance(every, dt.timedelta):
            micros = every // dt.timedelta(microseconds=1)
        else:
            micros = round(every * 1_000_000)
        if micros <= 0:
            raise ValueError("a schedule interval must be positive")
        return cls(every_micros=micros)

    def to_text(self) -> str:
        """The stored form: ``at:MICROS`` or ``every:MICROS``."""
        if self.at is not None:
            return f"at:{self.at.micros_since_unix_epoch}"
        return f"every:{self.every_micros}"

    @classmethod
    def from_text(cls, text: str) -> ScheduleAt:
        """Parse the stored form written by :meth:`to_text`."""
        kind, _, number = text.partition(":")
        if kind == "at":
            return cls(at=Timestamp(int(number)))
        if kind == "every":
            return cls(every_micros=int(number))
        raise ValueError(f"not a schedule: {text!r}")

    def __str__(self) -> str:
        if self.at is not None:
            return f"at {self.at}"
        return f"every {(self.every_micros or 0) / 1_000_000:g}s"


# The base kinds: name -> (Python class, DuckDB type).
_KINDS: dict[str, tuple[type, str]] = {
    "bool": (bool, "BOOLEAN"),
    "int": (int, "BIGINT"),
    "float": (float, "DOUBLE"),
    "str": (str, "VARCHAR"),
    "bytes": (bytes, "BLOB"),
    "identity": (Identity, "VARCHAR"),
    "connection_id": (ConnectionId, "VARCHAR"),
    "timestamp": (Timestamp, "TIMESTAMP"),
    "schedule_at": (ScheduleAt, "VARCHAR"),
}
_KIND_OF = {cls: name for name, (cls, _) in _KINDS.items()}


@dataclass(frozen=True)
class ColumnType:
    """A column's value type: checking, DuckDB storage and JSON form.

    Identities and connection ids are stored as their ``0x`` hex text, so a
    learner's ``SELECT`` shows the same text that ``str()`` prints; enums
    are stored by member name; timestamps as DuckDB ``TIMESTAMP`` in UTC.
    """

    kind: str
    optional: bool = False
    enum_cls: type[enum.Enum] | None = None

    @classmethod
    def from_annotation(cls, annotation: Any) -> ColumnType:
        """Resolve a Python annotation; raise SchemaError if unsupported."""
        optional = False
        args = typing.get_args(annotation)
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType) and type(None) in args:
            rest = [a for a in args if a is not type(None)]
            if len(rest) != 1:
                raise SchemaError(f"unsupported column type {annotation!r}")
            optional, annotation = True, rest[0]
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return cls("enum", optional, annotation)
        if annotation in _KIND_OF:
            return cls(_KIND_OF[annotation], optional)
        shown = getattr(annotation, "__name__", repr(annotation))
        raise SchemaError(
            f"unsupported column type {shown}: use bool, int, float, str, bytes, "
            "Identity, ConnectionId, Timestamp, ScheduleAt, an Enum, or T | None"
        )

    @property
    def python_type(self) -> type:
        """The class values of this column are instances of."""
        if self.enum_cls is not None:
            return self.enum_cls
        return _KINDS[self.kind][0]

    @property
    def name(self) -> str:
        """A readable name: ``int``, ``str | None``, ``Color``."""
        base = self.python_type.__name__
        return f"{base} | None" if self.optional else base

    def duckdb_type(self) -> str:
        """The DuckDB column type that stores this."""
        return "VARCHAR" if self.kind == "enum" else _KINDS[self.kind][1]

    def check(self, value: Any) -> Any:
        """Return ``value`` normalised (int -> float), or raise TypeError."""
        if value is None:
            if self.optional:
                return None
            raise TypeError(f"expected {self.name}, got None")
        if self.kind == "float" and type(value) is int:
            return float(value)
        if self.kind == "int" and type(value) is int:
            if not _INT64[0] <= value <= _INT64[1]:
                raise TypeError(f"{value} does not fit in a 64-bit int")
            return value
        if type(value) is bool and self.kind != "bool":
            raise TypeError(f"expected {self.name}, got bool")
        if isinstance(value, self.python_type):
            return value
        raise TypeError(f"expected {self.name}, got {type(value).__name__}")

    def to_db(self, value: Any) -> Any:
        """The value as DuckDB's Python client takes it."""
        if value is None:
            return None
        if self.kind in ("identity", "connection_id"):
            return value.to_hex()
        if self.kind == "timestamp":
            return value.to_datetime().replace(tzinfo=None)
        if self.kind == "schedule_at":
            return value.to_text()
        if self.kind == "enum":
            return value.name
        return value

    def from_db(self, value: Any) -> Any:
        """Turn what DuckDB returns back into the column's Python value."""
        if value is None:
            return None
        if self.kind == "identity":
            return Identity.from_hex(value)
        if self.kind == "connection_id":
            return ConnectionId.from_hex(value)
        if self.kind == "timestamp":
            return Timestamp.from_datetime(value)
        if self.kind == "schedule_at":
            return ScheduleAt.from_text(value)
        if self.kind == "enum":
            assert self.enum_cls is not None
            return self.enum_cls[value]
        if self.kind == "bytes":
            return bytes(value)
        return value

    def to_json(self, value: Any) -> Any:
        """The value as plain JSON data (hex text, micros, member names)."""
        if value is None:
            return None
        if self.kind == "timestamp":
            return value.micros_since_unix_epoch
        if self.kind == "bytes":
            return value.hex()
        if self.kind in ("identity", "connection_id", "schedule_at", "enum"):
            return self.to_db(value)
        return value

    def from_json(self, data: Any) -> Any:
        """Decode JSON data into the column's Python value; TypeError if bad."""
        if data is None:
            return self.check(None)
        try:
            value = self._decode_json(data)
        except (ValueError, KeyError, AttributeError, TypeError):
            raise TypeError(f"expected {self.name}, got {data!r:.60}") from None
        return self.check(value)

    def _decode_json(self, data: Any) -> Any:
        """The per-kind decoding behind :meth:`from_json`."""
        if self.kind == "timestamp" and type(data) is int:
            return Timestamp(data)
        if self.kind == "bytes":
            return bytes.fromhex(data)
        if self.kind in ("identity", "connection_id", "schedule_at", "enum"):
            return self.from_db(data)
        return data

    def describe(self) -> dict[str, Any]:
        """A JSON description, read by clients, codegen and migrations."""
        described: dict[str, Any] = {"type": self.kind, "optional": self.optional}
        if self.enum_cls is not None:
            described["enum"] = self.enum_cls.__name__
            described["variants"] = [m.name for m in self.enum_cls]
        return described


@dataclass(frozen=True)
class ColumnSchema:
    """One column: its name, type and constraints."""

    name: str
    type: ColumnType
    primary_key: bool = False
    unique: bool = False
    auto_inc: bool = False
    indexed: bool = False
    default: Any = None
    has_default: bool = False

    @property
    def is_unique(self) -> bool:
        """True for a primary key or a unique column."""
        return self.primary_key or self.unique

    def describe(self) -> dict[str, Any]:
        """A JSON description of the column."""
        described = {"name": self.name, **self.type.describe()}
        for flag in ("primary_key", "unique", "auto_inc", "indexed"):
            if getattr(self, flag):
                described[flag] = True
        if self.has_default:
            described["default"] = self.type.to_json(self.default)
        return described


@dataclass(frozen=True)
class TableSchema:
    """A table: its SQL name, row type, columns and visibility."""

    name: str
    row_type: type
    columns: tuple[ColumnSchema, ...]
    public: bool = False
    scheduled: str | None = None

    @functools.cached_property
    def primary_key(self) -> ColumnSchema | None:
        """The primary-key column, if the table has one."""
        return next((c for c in self.columns if c.primary_key), None)

    def column(self, name: str) -> ColumnSchema:
        """The column called ``name``; KeyError if there is none."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        """Column names in declaration order."""
        return [c.name for c in self.columns]

    def row_to_json(self, row: Any) -> dict[str, Any]:
        """A row as a JSON object keyed by column name."""
        return {c.name: c.type.to_json(getattr(row, c.name)) for c in self.columns}

    def row_from_json(self, data: dict[str, Any]) -> Any:
        """Build a row from its JSON object; TypeError names a bad column."""
        values = {}
        for column in self.columns:
            try:
                values[column.name] = column.type.from_json(data[column.name])
            except KeyError:
                raise TypeError(f"missing column {column.name!r}") from None
            except TypeError as exc:
                raise TypeError(f"column {column.name!r}: {exc}") from None
        return self.row_type(**values)

    def describe(self) -> dict[str, Any]:
        """A JSON description of the table."""
        described: dict[str, Any] = {
            "name": self.name,
            "public": self.public,
            "columns": [c.describe() for c in self.columns],
        }
        if self.scheduled:
            described["scheduled"] = self.scheduled
        return described


def snake_case(name: str) -> str:
    """``PlayerPosition`` -> ``player_position``: a class name as a table name."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass_transform(frozen_default=True)
def table(
    cls: type[T] | None = None,
    *,
    name: str | None = None,
    public: bool = False,
    scheduled: str | Callable[..., Any] | None = None,
) -> Any:
    """Declare a table; the class becomes its frozen-dataclass row type.

    Usage::

        @table(public=True)
        class Player:
            identity: PrimaryKey[Identity]
            name: str

    ``name`` overrides the snake_case SQL name; ``public`` lets every client
    read and subscribe; ``scheduled`` names the reducer the engine calls
    with each row when its ``scheduled_at`` column is due.
    """
    if isinstance(scheduled, str) or scheduled is None:
        reducer_name = scheduled
    else:
        reducer_name = scheduled.__name__

    def wrap(row_cls: type[T]) -> type[T]:
        row_type = dataclasses.dataclass(frozen=True)(row_cls)
        schema = _build_schema(row_type, name, public, reducer_name)
        row_type.__stdb_table__ = schema  # type: ignore[attr-defined]
        return row_type

    return wrap if cls is None else wrap(cls)


def _build_schema(
    row_type: type, name: str | None, public: bool, scheduled: str | None
) -> TableSchema:
    """Read the columns of a freshly made row dataclass."""
    table_name = name or snake_case(row_type.__name__)
    if not _IDENTIFIER.match(table_name) or table_name.startswith("st_"):
        raise SchemaError(
            f"table name {table_name!r} must be lowercase letters, digits and _, "
            "and must not start with st_ (reserved for system tables)"
        )
    try:
        hints = typing.get_type_hints(row_type, include_extras=True)
    except Exception as exc:
        raise SchemaError(
            f"table {table_name}: cannot read annotations: {exc}"
        ) from None
    fields = {f.name: f for f in dataclasses.fields(row_type)}
    columns = tuple(
        _column(table_name, field_name, hints[field_name], fields[field_name])
        for field_name in fields
    )
    schema = TableSchema(table_name, row_type, columns, public, scheduled)
    _check_table(schema)
    return schema


def _column(
    table_name: str, name: str, hint: Any, field: dataclasses.Field[Any]
) -> ColumnSchema:
    """One column from its annotation, unwrapping the markers."""
    markers: set[_Marker] = set()
    while typing.get_origin(hint) is Annotated:
        markers.update(m for m in hint.__metadata__ if isinstance(m, _Marker))
        hint = hint.__origin__
    try:
        column_type = ColumnType.from_annotation(hint)
    except SchemaError as exc:
        raise SchemaError(f"table {table_name}, column {name}: {exc}") from None
    if AUTO_INC in markers and column_type.kind != "int":
        raise SchemaError(f"table {table_name}, column {name}: AutoInc needs int")
    return ColumnSchema(
        name=name,
        type=column_type,
        primary_key=PRIMARY_KEY in markers,
        unique=UNIQUE in markers,
        auto_inc=AUTO_INC in markers,
        indexed=INDEX in markers,
        default=None if field.default is dataclasses.MISSING else field.default,
        has_default=field.default is not dataclasses.MISSING,
    )


def _check_table(schema: TableSchema) -> None:
    """Refuse declarations the engine cannot honour, naming the problem."""
    keys = [c.name for c in schema.columns if c.primary_key]
    if len(keys) > 1:
        raise SchemaError(
            f"table {schema.name} has {len(keys)} primary keys "
            f"({', '.join(keys)}); a table may have at most one"
        )
    if not schema.columns:
        raise SchemaError(f"table {schema.name} has no columns")
    if schema.scheduled is None:
        return
    names = schema.column_names
    at = "scheduled_at" in names and schema.column("scheduled_at")
    if not at or at.type.kind != "schedule_at" or not keys:
        raise SchemaError(
            f"scheduled table {schema.name} needs a primary key and a "
            "column scheduled_at: ScheduleAt"
        )
