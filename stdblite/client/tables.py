"""The client cache as a program sees it: ``conn.db.<table>`` and callbacks.

:class:`ClientCache` holds the current :class:`CacheState` behind a lock
(the thread that drives the connection writes it; any thread may read)
and each table's :class:`TableHandle`. Handles read a snapshot under the
lock, so ``iter()`` from a notebook cell never sees half a transaction
while ``run_threaded`` applies one. Callbacks are kept per table and
fired by the connection once a whole transaction is in the cache.

Column accessors (``conn.db.player.identity.find(x)``) are attributes of
the handle; a column named like a handle method (``iter``, ``count``,
``schema`` ...) is reachable only through :meth:`TableHandle.column`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ClientError
from ..schema import ColumnSchema, TableSchema
from .cache import CacheState, Change

if TYPE_CHECKING:
    from .events import EventContext

__all__ = [
    "ClientCache",
    "IndexColumn",
    "RemoteTables",
    "TableHandle",
    "UniqueColumn",
]

Row = Any
InsertCallback = Callable[["EventContext", Row], None]
UpdateCallback = Callable[["EventContext", Row, Row], None]


class UnknownName(ClientError, AttributeError):
    """No table or column of that name (also an AttributeError, for hasattr)."""


class ClientCache:
    """The rows a connection's subscriptions hold, and who to tell of changes."""

    def __init__(
        self, schemas: Mapping[str, TableSchema], lock: threading.RLock
    ) -> None:
        self.lock = lock
        self.state = CacheState(schemas.values())
        self.handles = {name: TableHandle(self, s) for name, s in schemas.items()}

    def notifications(
        self, ctx: EventContext, changes: list[Change]
    ) -> list[Callable[[], None]]:
        """The callbacks to run for these changes, bound to their arguments."""
        calls: list[Callable[[], None]] = []
        for change in changes:
            handle = self.handles[change.table]
            calls.extend(handle._bind(ctx, change))
        return calls


class TableHandle:
    """One table of the client cache: ``conn.db.player``.

    Usage::

        conn.db.player.count()
        for player in conn.db.player.iter(): ...
        conn.db.player.identity.find(conn.identity)
        remove = conn.db.player.on_insert(lambda ctx, row: print(row))
        remove()

    Rows are frozen dataclasses built from the server's schema. Callbacks
    run in the thread that drives the connection, after the whole
    transaction is in the cache; each ``on_...`` returns a function that
    removes the callback.
    """

    def __init__(self, cache: ClientCache, schema: TableSchema) -> None:
        self._cache = cache
        self.schema = schema
        self.table_name = schema.name
        self._inserts: list[InsertCallback] = []
        self._deletes: list[InsertCallback] = []
        self._updates: list[UpdateCallback] = []

    # -- reading -------------------------------------------------------------

    def iter(self) -> Iterator[Row]:
        """The cached rows, as they are now, in no particular order."""
        with self._cache.lock:
            return self._cache.state.rows(self.table_name)

    def __iter__(self) -> Iterator[Row]:
        return self.iter()

    def count(self) -> int:
        """How many rows the cache holds for this table."""
        with self._cache.lock:
            return len(self._cache.state.tables[self.table_name].rows)

    def __len__(self) -> int:
        return self.count()

    def column(self, name: str) -> UniqueColumn | IndexColumn:
        """The accessor of a unique or indexed column, by name."""
        try:
            column = self.schema.column(name)
        except KeyError:
            columns = ", ".join(self.schema.column_names)
            raise UnknownName(
                f"table {self.table_name} has no column {name!r}; "
                f"its columns: {columns}"
            ) from None
        if column.is_unique:
            return UniqueColumn(self, column)
        if column.indexed:
            return IndexColumn(self, column)
        raise UnknownName(
            f"{self.table_name}.{name} is neither unique nor indexed, so it has no "
            f"find or filter; use {self.table_name}.iter() and test the rows"
        )

    def __getattr__(self, name: str) -> UniqueColumn | IndexColumn:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.column(name)

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.schema.column_names]

    def __repr__(self) -> str:
        return f"<table {self.table_name}: {self.count()} cached rows>"

    # -- callbacks -------------------------------------------------------------

    def on_insert(self, callback: InsertCallback) -> Callable[[], None]:
        """Call ``callback(ctx, row)`` for each row that enters the cache."""
        return self._add("_inserts", callback)

    def on_delete(self, callback: InsertCallback) -> Callable[[], None]:
        """Call ``callback(ctx, row)`` for each row that leaves the cache."""
        return self._add("_deletes", callback)

    def on_update(self, callback: UpdateCallback) -> Callable[[], None]:
        """Call ``callback(ctx, old, new)`` when a row changes in place.

        An update is a delete and an insert of the same primary key in one
        transaction, so only tables with a primary key have updates; it
        fires neither ``on_delete`` nor ``on_insert``.
        """
        if self.schema.primary_key is None:
            raise ClientError(
                f"table {self.table_name} has no primary key, so its rows are never "
                "updated, only deleted and inserted"
            )
        return self._add("_updates", callback)

    def _add(self, kind: str, callback: Callable[..., None]) -> Callable[[], None]:
        """Register a callback (copy on write: firing needs no lock)."""
        if not callable(callback):
            raise ClientError(f"a callback must be callable, not {callback!r:.60}")
        with self._cache.lock:
            setattr(self, kind, [*getattr(self, kind), callback])

        def remove() -> None:
            with self._cache.lock:
                kept = [c for c in getattr(self, kind) if c is not callback]
                setattr(self, kind, kept)

        return remove

    def _bind(self, ctx: EventContext, change: Change) -> list[Callable[[], None]]:
        """The callbacks one change calls, with their arguments."""
        old, new = change.old, change.new
        if old is None:
            return [_bound(c, ctx, new) for c in self._inserts]
        if new is None:
            return [_bound(c, ctx, old) for c in self._deletes]
        return [_bound(c, ctx, old, new) for c in self._updates]


def _bound(callback: Callable[..., None], *args: Any) -> Callable[[], None]:
    """``callback`` with its arguments, to be called later."""
    return lambda: callback(*args)


class UniqueColumn:
    """A unique column (or the primary key): ``conn.db.player.identity``."""

    def __init__(self, handle: TableHandle, column: ColumnSchema) -> None:
        self._handle = handle
        self.column = column

    def find(self, value: Any) -> Row | None:
        """The cached row whose column holds ``value``, or None."""
        value = _checked(self._handle, self.column, value)
        with self._handle._cache.lock:
            state = self._handle._cache.state.tables[self._handle.table_name]
            return state.find(self.column.name, value)


class IndexColumn:
    """An indexed column: ``conn.db.item.price.filter(10)``."""

    def __init__(self, handle: TableHandle, column: ColumnSchema) -> None:
        self._handle = handle
        self.column = column

    def filter(self, value: Any) -> list[Row]:
        """The cached rows whose column equals ``value``."""
        value = _checked(self._handle, self.column, value)
        with self._handle._cache.lock:
            state = self._handle._cache.state.tables[self._handle.table_name]
            return state.filter(self.column.name, value)


def _checked(handle: TableHandle, column: ColumnSchema, value: Any) -> Any:
    """The value in the column's type (an int for a float column becomes one)."""
    try:
        return column.type.check(value)
    except TypeError as exc:
        raise ClientError(f"{handle.table_name}.{column.name}: {exc}") from None


class RemoteTables:
    """The client cache by table name: ``conn.db.player``.

    Every table of the module is here, public or not; only the tables a
    subscription covers ever hold rows.
    """

    def __init__(self, cache: ClientCache, database: str) -> None:
        self._cache = cache
        self._database = database

    def __getattr__(self, name: str) -> TableHandle:
        if name.startswith("_"):
            raise AttributeError(name)
        handle = self._cache.handles.get(name)
        if handle is None:
            tables = ", ".join(self._cache.handles) or "none"
            raise UnknownName(
                f"database {self._database} has no table {name!r}; its tables: {tables}"
            )
        return handle

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._cache.handles]

    def __repr__(self) -> str:
        return f"<tables of {self._database}: {', '.join(self._cache.handles)}>"
