"""Loading a module file: the tables and reducers a learner writes.

A module is a plain Python file. It is executed in a fresh namespace each
time it is loaded, so two databases with different modules (or two copies
of one) never share state; the tables and reducers are collected from what
the file defines, not from a global registry.
"""

from __future__ import annotations

import inspect
import itertools
import random
import sys
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

from .errors import ArgumentError, ModuleLoadError, SchemaError
from .identity import ConnectionId, Identity, Timestamp
from .schema import ColumnType, TableSchema

__all__ = [
    "Module",
    "ParamSchema",
    "ReducerContext",
    "ReducerDef",
    "load_module",
    "reducer",
]

ReducerKind = Literal["reducer", "init", "client_connected", "client_disconnected"]
LIFECYCLE: tuple[ReducerKind, ...] = ("init", "client_connected", "client_disconnected")
F = TypeVar("F", bound=Callable[..., Any])


class ReducerContext:
    """What a reducer receives first: the database and who is calling.

    Usage::

        @reducer
        def say_hello(ctx: ReducerContext) -> None:
            player = ctx.db.player.identity.find(ctx.sender)

    ``db`` reads and writes this transaction's view of the tables;
    ``sender`` is the caller's identity; ``connection_id`` is None for
    ``init`` and scheduled calls; ``timestamp`` strictly increases from one
    transaction to the next; ``rng`` is seeded from the timestamp, so a
    transaction replayed draws the same numbers; ``identity`` is the
    database's own.
    """

    __slots__ = ("connection_id", "db", "identity", "rng", "sender", "timestamp")

    def __init__(
        self,
        db: Any,
        sender: Identity,
        connection_id: ConnectionId | None,
        timestamp: Timestamp,
        identity: Identity,
    ) -> None:
        self.db = db
        self.sender = sender
        self.connection_id = connection_id
        self.timestamp = timestamp
        self.rng = random.Random(timestamp.micros_since_unix_epoch)
        self.identity = identity


class _ReducerDecorator:
    """The ``reducer`` decorator and its lifecycle forms.

    Usage::

        @reducer
        def move(ctx: ReducerContext, x: float, y: float) -> None: ...

        @reducer.client_connected
        def on_connect(ctx: ReducerContext) -> None: ...

    The function is returned unchanged (it can still be called directly in
    a unit test); the mark is read when the module is loaded.
    """

    @overload
    def __call__(self, func: F) -> F: ...
    @overload
    def __call__(self, *, name: str) -> Callable[[F], F]: ...

    def __call__(
        self, func: F | None = None, *, name: str | None = None
    ) -> F | Callable[[F], F]:
        if func is None:
            return lambda f: _mark(f, "reducer", name)
        return _mark(func, "reducer", name)

    def init(self, func: F) -> F:
        """Run once, when the database is first published."""
        return _mark(func, "init", None)

    def client_connected(self, func: F) -> F:
        """Run when a client connects; raising rejects the connection."""
        return _mark(func, "client_connected", None)

    def client_disconnected(self, func: F) -> F:
        """Run whenever a client goes away, cleanly or not."""
        return _mark(func, "client_disconnected", None)


def _mark(func: F, kind: ReducerKind, name: str | None) -> F:
    """Attach the reducer mark that :func:`load_module` collects."""
    if not callable(func):
        raise SchemaError(f"@reducer decorates a function, not {func!r}")
    func.__stdb_reducer__ = (kind, name or func.__name__)  # type: ignore[attr-defined]
    return func


reducer = _ReducerDecorator()


@dataclass(frozen=True)
class ParamSchema:
    """One reducer parameter: a column type, or a table's row type."""

    name: str
    type: ColumnType | TableSchema

    @property
    def type_name(self) -> str:
        """The annotation as a learner wrote it."""
        if isinstance(self.type, TableSchema):
            return self.type.row_type.__name__
        return self.type.name

    def check(self, value: Any) -> Any:
        """Return the value normalised, or raise TypeError."""
        if isinstance(self.type, ColumnType):
            return self.type.check(value)
        if isinstance(value, self.type.row_type):
            return value
        raise TypeError(f"expected {self.type_name}, got {type(value).__name__}")

    def from_json(self, data: Any) -> Any:
        """Decode a JSON argument, or raise TypeError."""
        if isinstance(self.type, ColumnType):
            return self.type.from_json(data)
        if not isinstance(data, dict):
            raise TypeError(f"expected a {self.type_name} object")
        return self.type.row_from_json(data)

    def to_json(self, value: Any) -> Any:
        """Encode an argument as JSON data."""
        if isinstance(self.type, ColumnType):
            return self.type.to_json(value)
        return self.type.row_to_json(value)

    def describe(self) -> dict[str, Any]:
        """A JSON description of the parameter."""
        if isinstance(self.type, TableSchema):
            return {"name": self.name, "type": "row", "table": self.type.name}
        return {"name": self.name, **self.type.describe()}


@dataclass(frozen=True)
class ReducerDef:
    """A reducer found in a module: its function and checked signature."""

    name: str
    kind: ReducerKind
    func: Callable[..., Any]
    params: tuple[ParamSchema, ...]

    @property
    def signature(self) -> str:
        """The signature as a learner would write the call."""
        args = ", ".join(f"{p.name}: {p.type_name}" for p in self.params)
        return f"{self.name}({args})"

    def check_args(self, args: Sequence[Any]) -> list[Any]:
        """Check positional arguments against the signature.

        Raises ArgumentError naming the expected signature, so nothing runs.
        """
        if len(args) != len(self.params):
            raise ArgumentError(
                f"{self.signature} takes {len(self.params)} argument(s), "
                f"got {len(args)}"
            )
        return [
            self._one(p, p.check, a) for p, a in zip(self.params, args, strict=True)
        ]

    def args_from_json(self, data: Any) -> list[Any]:
        """Decode a JSON array (or an object by name) into arguments."""
        if isinstance(data, dict):
            names = [p.name for p in self.params]
            unknown = sorted(set(data) - set(names))
            if unknown or len(data) != len(names):
                raise ArgumentError(
                    f"{self.signature} takes {names}, got {sorted(data)}"
                )
            data = [data[n] for n in names]
        if not isinstance(data, list):
            raise ArgumentError(f"{self.signature}: arguments must be a list")
        if len(data) != len(self.params):
            return self.check_args(data)
        return [
            self._one(p, p.from_json, a) for p, a in zip(self.params, data, strict=True)
        ]

    def args_to_json(self, args: Sequence[Any]) -> list[Any]:
        """Encode checked arguments as JSON data."""
        return [p.to_json(a) for p, a in zip(self.params, args, strict=True)]

    def _one(
        self, param: ParamSchema, convert: Callable[[Any], Any], value: Any
    ) -> Any:
        """Convert one argument, naming it and the signature if it is wrong."""
        try:
            return convert(value)
        except TypeError as exc:
            raise ArgumentError(
                f"{self.signature}: argument {param.name!r}: {exc}"
            ) from None

    def describe(self) -> dict[str, Any]:
        """A JSON description of the reducer."""
        return {
            "name": self.name,
            "kind": self.kind,
            "params": [p.describe() for p in self.params],
        }


@dataclass
class Module:
    """A loaded module: its source, tables and reducers, by name."""

    name: str
    source: str
    tables: dict[str, TableSchema]
    reducers: dict[str, ReducerDef]
    namespace: dict[str, Any]

    def lifecycle(self, kind: ReducerKind) -> ReducerDef | None:
        """The lifecycle reducer of that kind, if the module defines one."""
        return next((r for r in self.reducers.values() if r.kind == kind), None)

    def describe(self) -> dict[str, Any]:
        """The schema as JSON: what clients, codegen and migrations read."""
        return {
            "tables": [t.describe() for t in self.tables.values()],
            "reducers": [r.describe() for r in self.reducers.values()],
        }


_load_counter = itertools.count(1)


def load_module(path: str | Path, source: str | None = None) -> Module:
    """Load a module file (or a folder holding ``module.py``).

    ``source`` may be given to load text that is not on disk (a publish);
    ``path`` then only names it in messages. Every problem, from a syntax
    error to two primary keys, raises ModuleLoadError naming it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "module.py"
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ModuleLoadError(
                f"cannot read module {path}: {exc.strerror}"
            ) from None
    namespace = _execute(path, source)
    tables = _collect_tables(namespace)
    reducers = _collect_reducers(path, namespace, tables)
    return Module(path.stem, source, tables, reducers, namespace)


def _execute(path: Path, source: str) -> dict[str, Any]:
    """Run the file in a fresh module object and return its namespace.

    The module object is registered in ``sys.modules`` under a unique name
    so that string annotations (``from __future__ import annotations``)
    resolve against the file's own globals.
    """
    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ModuleLoadError(
            f"syntax error in {path}, line {exc.lineno}: {exc.msg}"
        ) from None
    unique = f"stdblite_modules.{path.stem}_{next(_load_counter)}"
    module = types.ModuleType(unique)
    module.__file__ = str(path)
    sys.modules[unique] = module
    try:
        exec(code, module.__dict__)
    except (SchemaError, ModuleLoadError) as exc:
        raise ModuleLoadError(f"{path}: {exc}") from None
    except Exception as exc:
        line = _error_line(exc, str(path))
        raise ModuleLoadError(f"{path}{line}: {type(exc).__name__}: {exc}") from exc
    return module.__dict__


def _error_line(exc: BaseException, filename: str) -> str:
    """', line N' for the deepest frame of the failing file, if any."""
    frames = [f for f in _walk_tb(exc.__traceback__) if f[0] == filename]
    return f", line {frames[-1][1]}" if frames else ""


def _walk_tb(tb: types.TracebackType | None) -> list[tuple[str, int]]:
    """Flatten a traceback into (filename, line) pairs."""
    found = []
    while tb is not None:
        found.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    return found


def _collect_tables(namespace: dict[str, Any]) -> dict[str, TableSchema]:
    """Every table class the file defines, refusing duplicate names."""
    tables: dict[str, TableSchema] = {}
    for value in namespace.values():
        schema = getattr(value, "__stdb_table__", None)
        if not isinstance(value, type) or not isinstance(schema, TableSchema):
            continue
        if schema.name in tables and tables[schema.name] is not schema:
            raise ModuleLoadError(f"two tables are named {schema.name!r}")
        tables[schema.name] = schema
    return tables


def _collect_reducers(
    path: Path, namespace: dict[str, Any], tables: dict[str, TableSchema]
) -> dict[str, ReducerDef]:
    """Every marked reducer, with its signature checked."""
    reducers: dict[str, ReducerDef] = {}
    for value in namespace.values():
        mark = getattr(value, "__stdb_reducer__", None)
        if mark is None or not callable(value):
            continue
        kind, name = mark
        definition = _reducer_def(path, name, kind, value, tables)
        if name in reducers:
            raise ModuleLoadError(f"{path}: two reducers are named {name!r}")
        reducers[name] = definition
    for kind in LIFECYCLE:
        found = [r.name for r in reducers.values() if r.kind == kind]
        if len(found) > 1:
            raise ModuleLoadError(f"{path}: more than one @reducer.{kind}: {found}")
    _check_schedules(path, reducers, tables)
    return reducers


def _reducer_def(
    path: Path,
    name: str,
    kind: ReducerKind,
    func: Callable[..., Any],
    tables: dict[str, TableSchema],
) -> ReducerDef:
    """Check a reducer's signature: a context first, then typed arguments."""
    where = f"{path}: reducer {name}"
    params = list(inspect.signature(func).parameters.values())
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:
        raise ModuleLoadError(f"{where}: cannot read annotations: {exc}") from None
    first = params[0] if params else None
    if first is None or hints.get(first.name, ReducerContext) is not ReducerContext:
        raise ModuleLoadError(
            f"{where} must take ctx: ReducerContext as its first parameter"
        )
    rest = params[1:]
    if kind != "reducer" and rest:
        raise ModuleLoadError(f"{where}: a lifecycle reducer takes only ctx")
    checked = tuple(_param(where, p, hints, tables) for p in rest)
    return ReducerDef(name, kind, func, checked)


def _param(
    where: str,
    param: inspect.Parameter,
    hints: dict[str, Any],
    tables: dict[str, TableSchema],
) -> ParamSchema:
    """Resolve one reducer parameter's annotation."""
    if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
        raise ModuleLoadError(f"{where}: *args and keyword-only are not supported")
    if param.name not in hints:
        raise ModuleLoadError(f"{where}: parameter {param.name!r} needs a type")
    hint = hints[param.name]
    row_schema = getattr(hint, "__stdb_table__", None)
    if isinstance(row_schema, TableSchema) and row_schema.name in tables:
        return ParamSchema(param.name, row_schema)
    try:
        return ParamSchema(param.name, ColumnType.from_annotation(hint))
    except SchemaError as exc:
        raise ModuleLoadError(f"{where}, parameter {param.name}: {exc}") from None


def _check_schedules(
    path: Path, reducers: dict[str, ReducerDef], tables: dict[str, TableSchema]
) -> None:
    """A scheduled table must name a reducer that takes one of its rows."""
    for schema in tables.values():
        if schema.scheduled is None:
            continue
        target = reducers.get(schema.scheduled)
        takes_row = (
            target is not None
            and len(target.params) == 1
            and target.params[0].type is schema
        )
        if not takes_row:
            raise ModuleLoadError(
                f"{path}: table {schema.name} is scheduled={schema.scheduled!r}, "
                f"which must be a reducer taking (ctx, row: "
                f"{schema.row_type.__name__})"
            )
