"""The database's schema as the server describes it, rebuilt on the client.

The server answers ``GET /v1/database/NAME/schema`` with the module's
tables and reducers as JSON (what ``stdb describe`` shows). From that
text the client rebuilds, for each table, a :class:`TableSchema` whose
row type is a frozen dataclass made by :func:`dataclasses.make_dataclass`,
and for each reducer its signature. Rows then decode, and reducer
arguments are checked, with the very :class:`ColumnType` codecs the
server uses, so no generated code is needed.

An enum column arrives as its class name and member names only, so the
client's enum has the same names, and each member's value is its name.

Generated bindings (``stdb generate``) bring their own classes instead,
as :class:`Bindings`: a table's rows are then instances of the generated
dataclass, and an enum column holds the generated enum's members. Each
class is checked against the server's description first, so bindings
generated from another version of the module fail at connect, naming
the difference, rather than later with a puzzling row.
"""

from __future__ import annotations

import dataclasses
import enum
import keyword
import threading
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ..errors import ArgumentError, ClientError
from ..schema import ColumnSchema, ColumnType, TableSchema

__all__ = ["Bindings", "Param", "ReducerSignature", "RemoteSchema", "read_schema"]

_KINDS = (
    "bool",
    "int",
    "float",
    "str",
    "bytes",
    "identity",
    "connection_id",
    "timestamp",
    "schedule_at",
    "enum",
)


# Row dataclasses and enums made so far, by shape, shared by all connections.
_ROW_TYPES: dict[tuple[str, tuple[tuple[str, ColumnType], ...]], type] = {}
_ENUMS: dict[tuple[str, tuple[str, ...]], type[enum.Enum]] = {}
_SHARED_LOCK = threading.Lock()


@dataclass(frozen=True)
class Bindings:
    """The classes generated bindings bring: row types by table, enums by name."""

    tables: Mapping[str, type]
    enums: Mapping[str, type[enum.Enum]]


@dataclass(frozen=True)
class Param:
    """One reducer parameter: a column type, or a table's row type."""

    name: str
    type: ColumnType | TableSchema

    @property
    def type_name(self) -> str:
        """The annotation as the module's author wrote it."""
        if isinstance(self.type, TableSchema):
            return self.type.row_type.__name__
        return self.type.name

    def to_json(self, value: Any) -> Any:
        """Check one argument and encode it; TypeError says what is wrong."""
        if isinstance(self.type, TableSchema):
            if not isinstance(value, self.type.row_type):
                got = type(value).__name__
                raise TypeError(f"expected a {self.type_name} row, got {got}")
            return self.type.row_to_json(value)
        enum_cls = self.type.enum_cls
        if enum_cls is not None and isinstance(value, str | enum.Enum):
            value = _member(enum_cls, value)
        return self.type.to_json(self.type.check(value))


@dataclass(frozen=True)
class ReducerSignature:
    """A reducer as a client may call it: name, kind and parameters."""

    name: str
    kind: str
    params: tuple[Param, ...]

    @property
    def signature(self) -> str:
        """The call as a learner writes it: ``move_player(x: float, y: float)``."""
        args = ", ".join(f"{p.name}: {p.type_name}" for p in self.params)
        return f"{self.name}({args})"

    def bind(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[Any]:
        """Arguments in parameter order; ArgumentError if they do not fit."""
        names = [p.name for p in self.params]
        unknown = sorted(set(kwargs) - set(names[len(args) :]))
        if len(args) > len(names) or unknown:
            given = len(args) + len(kwargs)
            raise ArgumentError(
                f"{self.signature} takes {len(names)} argument(s), got {given}"
                + (f" (unexpected {', '.join(unknown)})" if unknown else "")
            )
        missing = [n for n in names[len(args) :] if n not in kwargs]
        if missing:
            given = len(args) + len(kwargs)
            raise ArgumentError(
                f"{self.signature} takes {len(names)} argument(s), got {given} "
                f"(missing {', '.join(missing)})"
            )
        return [*args, *(kwargs[n] for n in names[len(args) :])]

    def args_to_json(self, values: Sequence[Any]) -> list[Any]:
        """Check bound arguments and encode them as JSON data.

        Raises :class:`ArgumentError` naming the signature, so nothing is
        sent for a call that cannot work.
        """
        encoded = []
        for param, value in zip(self.params, values, strict=True):
            try:
                encoded.append(param.to_json(value))
            except TypeError as exc:
                raise ArgumentError(
                    f"{self.signature}: argument {param.name!r}: {exc}"
                ) from None
        return encoded


@dataclass(frozen=True)
class RemoteSchema:
    """Every table and reducer of one database, as the client sees them."""

    tables: dict[str, TableSchema]
    reducers: dict[str, ReducerSignature]
    description: dict[str, Any]


def read_schema(
    description: Any,
    known: RemoteSchema | None = None,
    bindings: Bindings | None = None,
) -> RemoteSchema:
    """Rebuild a schema from the server's JSON; ClientError if unreadable.

    With ``known`` (the schema of an earlier connection), unchanged tables
    are kept as they were, so a caller sees that nothing changed by
    ``schema.tables is known.tables``; reducers are always read afresh.
    With ``bindings``, their classes are used for the tables and enums
    they name; ClientError says how they differ from the description.
    """
    given = bindings or Bindings({}, {})
    try:
        if known is not None and known.description["tables"] == description["tables"]:
            tables = known.tables
        else:
            tables = {}
            for table_json in description["tables"]:
                table = _table(table_json, given)
                tables[table.name] = table
        reducers = {}
        for reducer_json in description["reducers"]:
            signature = _reducer(reducer_json, tables, given)
            reducers[signature.name] = signature
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ClientError(f"the server's schema cannot be read: {exc!r:.120}") from exc
    missing = sorted(set(given.tables) - set(tables))
    if missing:
        raise _stale(f"table(s) {', '.join(missing)}, which the database lacks")
    return RemoteSchema(tables, reducers, description)


def _table(data: dict[str, Any], bindings: Bindings) -> TableSchema:
    """One table: its columns, and a frozen dataclass as its row type."""
    name = _text(data["name"])
    columns = tuple(_column(c, bindings) for c in data["columns"])
    public, scheduled = bool(data.get("public")), data.get("scheduled")
    row_type = bindings.tables.get(name)
    if row_type is None:
        row_type = _row_type(name, columns)
    else:
        _check_row_type(name, row_type, columns)
    return TableSchema(name, row_type, columns, public, scheduled)


def _check_row_type(
    table: str, row_type: type, columns: tuple[ColumnSchema, ...]
) -> None:
    """A generated row class must have the table's columns, typed alike."""
    wanted = {c.name: _annotation(c.type) for c in columns}
    try:
        hints = typing.get_type_hints(row_type)
        fields = {f.name: hints[f.name] for f in dataclasses.fields(row_type)}
    except (TypeError, NameError, KeyError) as exc:
        raise _stale(f"an unreadable row class for {table} ({exc})") from None
    if list(fields.items()) != list(wanted.items()):
        shown = ", ".join(f"{c.name}: {c.type.name}" for c in columns)
        raise _stale(f"another {row_type.__name__}: table {table} now has ({shown})")


def _stale(difference: str) -> ClientError:
    """The error for bindings generated from another version of the module."""
    return ClientError(
        f"the generated bindings do not match the database: they have "
        f"{difference}; run stdb generate again"
    )


def _row_type(name: str, columns: tuple[ColumnSchema, ...]) -> type:
    """The row dataclass of a table, shared by every connection that sees it.

    Rows compare equal only within one class, so two connections to the
    same database (or one before and after a reconnect) must share it.
    """
    shape = (name, tuple((c.name, c.type) for c in columns))
    with _SHARED_LOCK:
        found = _ROW_TYPES.get(shape)
        if found is None:
            fields = [(c.name, _annotation(c.type)) for c in columns]
            found = dataclasses.make_dataclass(_class_name(name), fields, frozen=True)
            found.__module__ = __name__
            found.__doc__ = f"A row of the {name} table, as a client cache holds it."
            _ROW_TYPES[shape] = found
        return found


def _column(data: dict[str, Any], bindings: Bindings) -> ColumnSchema:
    """One column: its type and the constraints the client cache uses."""
    column_type = _column_type(data, bindings)
    return ColumnSchema(
        name=_identifier(data["name"]),
        type=column_type,
        primary_key=bool(data.get("primary_key")),
        unique=bool(data.get("unique")),
        auto_inc=bool(data.get("auto_inc")),
        indexed=bool(data.get("indexed")),
    )


def _column_type(data: dict[str, Any], bindings: Bindings) -> ColumnType:
    """A column type from its description; an enum class is made only once."""
    kind = data["type"]
    if kind not in _KINDS:
        raise ValueError(f"unknown column type {kind!r}")
    optional = bool(data.get("optional"))
    if kind != "enum":
        return ColumnType(kind, optional)
    key = (_identifier(data["enum"]), tuple(str(v) for v in data["variants"]))
    given = bindings.enums.get(key[0])
    if given is not None:
        if tuple(m.name for m in given) != key[1]:
            raise _stale(f"another enum {key[0]}: now ({', '.join(key[1])})")
        return ColumnType("enum", optional, given)
    with _SHARED_LOCK:
        if key not in _ENUMS:
            members = [(variant, variant) for variant in key[1]]
            made = enum.Enum(key[0], members, module=__name__)  # type: ignore[misc]
            _ENUMS[key] = cast(type[enum.Enum], made)
        return ColumnType("enum", optional, _ENUMS[key])


def _reducer(
    data: dict[str, Any], tables: dict[str, TableSchema], bindings: Bindings
) -> ReducerSignature:
    """One reducer's signature; a row parameter names its table."""
    params = []
    for param in data["params"]:
        if param["type"] == "row":
            params.append(Param(param["name"], tables[param["table"]]))
        else:
            params.append(Param(param["name"], _column_type(param, bindings)))
    return ReducerSignature(_text(data["name"]), _text(data["kind"]), tuple(params))


def _annotation(column_type: ColumnType) -> Any:
    """The Python annotation of a column, for the row dataclass."""
    base = column_type.python_type
    return base | None if column_type.optional else base


def _identifier(name: Any) -> str:
    """A name a dataclass field or class can have: columns and enums."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{name!r} is not a usable name")
    return name


def _text(name: Any) -> str:
    """A table or reducer name (a keyword still works through ``getattr``)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{name!r} is not a name")
    return name


def _class_name(table: str) -> str:
    """``wander_schedule`` -> ``WanderSchedule``: the row dataclass's name."""
    return "".join(part[:1].upper() + part[1:] for part in table.split("_")) or table


def _member(enum_cls: type[enum.Enum], value: str | enum.Enum) -> enum.Enum:
    """An enum argument given by name, or as a member of a same-named enum."""
    name = value if isinstance(value, str) else value.name
    try:
        return enum_cls[name]
    except KeyError:
        names = ", ".join(m.name for m in enum_cls)
        raise TypeError(f"{name!r} is not a {enum_cls.__name__} ({names})") from None
