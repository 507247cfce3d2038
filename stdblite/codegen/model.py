"""What the bindings hold, worked out from a schema before any text is written.

The schema is read by the client's own reader
(:func:`stdblite.client.remote_schema.read_schema`), so the bindings see
exactly what a connection sees. From it come the names the generated
code uses, each a valid Python name that clashes with nothing:

- a table or reducer named like a Python keyword gets a trailing ``_``
  (``class`` -> ``conn.db.class_``), as PEP 8 suggests;
- so does a column accessor named like a method of the table view
  (``count``, ``iter`` ...), and a reducer named like a private helper
  of the reducers' base class;
- two generated classes with one name (a table ``event_context`` and
  the generated ``EventContext``, or two enums called ``Color``) cannot
  be renamed without surprising someone, so they are refused, naming
  both.

Private tables get no handle (a client cannot subscribe to them), and
lifecycle and scheduled reducers get no method (only the server calls
them). A private table's row class is still written when a reducer a
client may call takes one of its rows.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..client.remote_schema import Param, ReducerSignature, read_schema
from ..errors import ClientError, CodegenError
from ..schema import ColumnType, TableSchema

__all__ = [
    "Bindings",
    "ColumnSpec",
    "EnumSpec",
    "ReducerSpec",
    "TableSpec",
    "plan",
]

# Names every generated package defines or imports at its top level.
FIXED_NAMES = frozenset(
    {
        "BINDINGS",
        "DbConnection",
        "DbConnectionBuilder",
        "EventContext",
        "RemoteReducers",
        "RemoteTables",
        "ReducerEvent",
        "SubscriptionEvent",
        "UntypedDbConnection",
        "Identity",
        "ConnectionId",
        "Timestamp",
        "ScheduleAt",
        "Any",
        "Callable",
        "Coroutine",
        "TYPE_CHECKING",
        "Bindings",
        "TableView",
        "KeyedTableView",
        "UniqueView",
        "IndexView",
        "TypedConnection",
        "TypedConnectionBuilder",
        "TypedReducers",
        "dataclasses",
        "enum",
    }
)
# Attributes of the table views and reducers' base that a name must not hide.
TABLE_VIEW_NAMES = frozenset(
    {"count", "iter", "on_delete", "on_insert", "on_update", "table_name"}
)
REDUCERS_NAMES = frozenset({"_call", "_call_async", "_call_then", "_conn"})


@dataclass(frozen=True)
class EnumSpec:
    """An enum class: its name and member names (each member's value too)."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class ColumnSpec:
    """One column: field name, annotation, and its accessor if it has one."""

    name: str
    annotation: str
    kind: str
    accessor: str | None
    view: str | None
    describes: str


@dataclass(frozen=True)
class TableSpec:
    """A table: its row class, and its handle if clients can subscribe."""

    name: str
    row_class: str
    columns: tuple[ColumnSpec, ...]
    attribute: str | None
    handle_class: str | None
    has_primary_key: bool


@dataclass(frozen=True)
class ReducerSpec:
    """A reducer a client may call, and the methods of its three forms."""

    name: str
    method: str
    then_method: str | None
    async_method: str | None
    params: tuple[tuple[str, str], ...]
    kinds: frozenset[str]
    local_types: frozenset[str]

    @property
    def signature(self) -> str:
        """``move_player(x: float, y: float)``, as the module declares it."""
        args = ", ".join(f"{name}: {annotation}" for name, annotation in self.params)
        return f"{self.name}({args})"

    @property
    def callback(self) -> str:
        """The name of the ``_then`` form's callback parameter."""
        names = {name for name, _ in self.params}
        return "callback_" if "callback" in names else "callback"


@dataclass(frozen=True)
class Bindings:
    """Everything one generated package holds."""

    enums: tuple[EnumSpec, ...]
    tables: tuple[TableSpec, ...]
    reducers: tuple[ReducerSpec, ...]

    @property
    def handles(self) -> tuple[TableSpec, ...]:
        """The tables that get a handle in ``conn.db``."""
        return tuple(t for t in self.tables if t.handle_class is not None)

    def kinds(self, where: str) -> set[str]:
        """The column kinds used by the rows (``tables``) or reducers."""
        if where == "tables":
            return {c.kind for t in self.tables for c in t.columns}
        return {kind for r in self.reducers for kind in r.kinds}


def plan(description: Mapping[str, Any]) -> Bindings:
    """Work out the bindings of a schema; CodegenError if they cannot be made."""
    try:
        schema = read_schema(description)
    except ClientError as exc:
        raise CodegenError(f"cannot read the schema: {exc}") from None
    scheduled = {t.scheduled for t in schema.tables.values() if t.scheduled}
    callable_reducers = [
        r
        for r in schema.reducers.values()
        if r.kind == "reducer" and r.name not in scheduled
    ]
    taken = {table.name for r in callable_reducers for table in _row_params(r)}
    tables = tuple(
        _table(t) for t in schema.tables.values() if t.public or t.name in taken
    )
    reducers = _reducers(callable_reducers)
    enums = _enums([*schema.tables.values()], callable_reducers, taken)
    _check_clashes(enums, tables)
    return Bindings(enums, tables, reducers)


def _row_params(reducer: ReducerSignature) -> list[TableSchema]:
    """The tables whose rows a reducer takes as arguments."""
    return [p.type for p in reducer.params if isinstance(p.type, TableSchema)]


def _table(table: TableSchema) -> TableSpec:
    """A table's row class, and its handle and accessors if it is public."""
    row_class = table.row_type.__name__
    columns = tuple(_column(table, c.name) for c in table.columns)
    if not table.public:
        columns = tuple(
            ColumnSpec(c.name, c.annotation, c.kind, None, None, c.describes)
            for c in columns
        )
    return TableSpec(
        name=table.name,
        row_class=row_class,
        columns=columns,
        attribute=_python_name(table.name, ()) if table.public else None,
        handle_class=f"{row_class}Table" if table.public else None,
        has_primary_key=table.primary_key is not None,
    )


def _column(table: TableSchema, name: str) -> ColumnSpec:
    """One column; a unique or indexed one gets a ``find`` or ``filter``."""
    column = table.column(name)
    annotation = _annotation(column.type)
    if column.primary_key:
        view, describes = "UniqueView", "the primary key"
    elif column.unique:
        view, describes = "UniqueView", "a unique column"
    elif column.indexed:
        view, describes = "IndexView", "an indexed column"
    else:
        return ColumnSpec(name, annotation, column.type.kind, None, None, "")
    accessor = _python_name(name, TABLE_VIEW_NAMES)
    return ColumnSpec(name, annotation, column.type.kind, accessor, view, describes)


def _reducers(reducers: list[ReducerSignature]) -> tuple[ReducerSpec, ...]:
    """Method names for each reducer's three forms.

    A form whose name is another reducer's (``x_then`` when the module
    defines a reducer ``x_then``) is left to that reducer, as in the
    dynamic client.
    """
    methods = {r.name: _python_name(r.name, REDUCERS_NAMES) for r in reducers}
    plain = set(methods.values())
    specs = []
    for reducer in reducers:
        method = methods[reducer.name]
        then = _python_name(f"{reducer.name}_then", REDUCERS_NAMES)
        run_async = _python_name(f"{reducer.name}_async", REDUCERS_NAMES)
        params = tuple((_param_name(p.name), _param_type(p)) for p in reducer.params)
        specs.append(
            ReducerSpec(
                name=reducer.name,
                method=method,
                then_method=None if then in plain else then,
                async_method=None if run_async in plain else run_async,
                params=params,
                kinds=frozenset(_param_kinds(reducer.params)),
                local_types=frozenset(_local_types(reducer.params)),
            )
        )
    return tuple(specs)


def _param_name(name: str) -> str:
    """A parameter name usable in a method (``self`` is the method's own)."""
    return "self_" if name == "self" else name


def _param_type(param: Param) -> str:
    """A parameter's annotation: a column type, or a row class."""
    if isinstance(param.type, TableSchema):
        return param.type.row_type.__name__
    return _annotation(param.type)


def _param_kinds(params: Iterable[Param]) -> set[str]:
    """The column kinds a reducer's parameters use (for the imports)."""
    return {p.type.kind for p in params if isinstance(p.type, ColumnType)}


def _local_types(params: Iterable[Param]) -> set[str]:
    """The row classes and enums a reducer's parameters name."""
    found = set()
    for param in params:
        if isinstance(param.type, TableSchema):
            found.add(param.type.row_type.__name__)
        elif param.type.enum_cls is not None:
            found.add(param.type.enum_cls.__name__)
    return found


def _annotation(column_type: ColumnType) -> str:
    """``float``, ``Identity | None``, ``Color``: a column's annotation."""
    return column_type.name


def _enums(
    tables: list[TableSchema], reducers: list[ReducerSignature], taken: set[str]
) -> tuple[EnumSpec, ...]:
    """Every enum the rows and parameters use, once each, by name."""
    types = [c.type for t in tables if t.public or t.name in taken for c in t.columns]
    types += [
        p.type for r in reducers for p in r.params if isinstance(p.type, ColumnType)
    ]
    found: dict[str, EnumSpec] = {}
    for column_type in types:
        if column_type.enum_cls is None:
            continue
        spec = EnumSpec(
            column_type.enum_cls.__name__,
            tuple(m.name for m in column_type.enum_cls),
        )
        if found.setdefault(spec.name, spec) != spec:
            raise CodegenError(
                f"two enums are named {spec.name} but have different members; "
                "rename one of them"
            )
        _check_members(spec)
    return tuple(found.values())


def _check_members(spec: EnumSpec) -> None:
    """Member names must be usable as class attributes."""
    for member in spec.members:
        if not member.isidentifier() or keyword.iskeyword(member):
            raise CodegenError(
                f"enum {spec.name} has a member {member!r}, which cannot be a "
                "Python name in the bindings"
            )


def _check_clashes(enums: tuple[EnumSpec, ...], tables: tuple[TableSpec, ...]) -> None:
    """No two generated classes, or a class and an import, share a name."""
    owners: dict[str, str] = {name: "a name the bindings use" for name in FIXED_NAMES}
    named = [(e.name, f"enum {e.name}") for e in enums]
    for table in tables:
        named.append((table.row_class, f"the row class of table {table.name}"))
        if table.handle_class is not None:
            named.append((table.handle_class, f"the handle of table {table.name}"))
    for name, owner in named:
        if keyword.iskeyword(name):
            raise CodegenError(
                f"cannot generate bindings: {owner} would be called {name}, a "
                "Python keyword; rename the table"
            )
        earlier = owners.setdefault(name, owner)
        if earlier != owner:
            raise CodegenError(
                f"cannot generate bindings: {owner} and {earlier} would both be "
                f"called {name}; rename the table or the enum"
            )


def _python_name(name: str, reserved: Iterable[str]) -> str:
    """``name``, or ``name_`` if it is a keyword or an attribute in the way."""
    if not name.isidentifier():
        raise CodegenError(
            f"cannot generate bindings: {name!r} cannot be a Python name; rename it"
        )
    if name.startswith("__"):
        raise CodegenError(
            f"cannot generate bindings: {name!r} starts with __, and Python "
            "mangles such names inside a class; rename it"
        )
    if keyword.iskeyword(name) or name in reserved:
        return f"{name}_"
    return name
