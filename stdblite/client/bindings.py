"""What generated bindings stand on: typed views of a ``DbConnection``.

``stdb generate`` writes a package for one module (see
:mod:`stdblite.codegen`). Its classes subclass the generic ones here and
add only what belongs to the module: the row dataclasses, a property per
table and per unique or indexed column, a method per reducer. Every view
forwards to an ordinary :class:`DbConnection`, kept as ``conn.untyped``,
so the bindings behave exactly like the dynamic client; what they add is
types, for the type checker and for an editor's completion.

Two things make the types true at run time, not just on paper:

- the builder hands the generated classes to the client cache
  (:class:`Bindings`), so a row of ``player`` *is* a generated
  ``Player``, checked against the server's schema when the connection
  opens;
- callbacks are wrapped so that they receive the generated
  ``EventContext`` (whose ``db`` and ``reducers`` are typed too), made
  by the generated connection's ``_context``.

Usage (what a generated package does)::

    class PlayerTable(KeyedTableView[Player, "EventContext"]):
        @property
        def identity(self) -> UniqueView[Player, Identity]:
            return UniqueView(self, "identity")
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any, Generic, Self, TypeVar

from ..errors import ClientError, StdbliteError
from ..identity import Identity
from .builder import DbConnectionBuilder, _callable
from .connection import DbConnection
from .events import EventContext, ReducerEvent, SubscriptionEvent
from .remote_schema import Bindings
from .subscriptions import SubscriptionHandle
from .tables import IndexColumn, TableHandle, UniqueColumn

__all__ = [
    "Bindings",
    "IndexView",
    "KeyedTableView",
    "TableView",
    "TypedConnection",
    "TypedConnectionBuilder",
    "TypedReducers",
    "TypedSubscriptionBuilder",
    "UniqueView",
]

RowT = TypeVar("RowT")
ValueT = TypeVar("ValueT")
CtxT = TypeVar("CtxT")
ConnT = TypeVar("ConnT", bound="TypedConnection[Any]")
Event = ReducerEvent | SubscriptionEvent | None


class TypedConnection(abc.ABC, Generic[CtxT]):
    """The base of a generated ``DbConnection``: the untyped one, forwarded.

    Usage::

        conn = DbConnection.builder().with_uri(url).with_database_name(name).build()
        conn.run_threaded()
        conn.wait_until_connected()
        conn.untyped          # the same connection without the types

    A subclass sets ``db`` and ``reducers`` to its typed views and makes
    its ``EventContext`` in :meth:`_context`.
    """

    def __init__(self, untyped: DbConnection) -> None:
        self.untyped = untyped

    @abc.abstractmethod
    def _context(self, event: Event) -> CtxT:
        """The generated ``EventContext`` a callback receives."""

    @property
    def identity(self) -> Identity:
        """This client's identity; NotConnected before the server says it."""
        return self.untyped.identity

    def try_identity(self) -> Identity | None:
        """This client's identity, or None before the connection opened."""
        return self.untyped.try_identity()

    @property
    def database_name(self) -> str:
        """The name of the database this connection is to."""
        return self.untyped.database_name

    def is_active(self) -> bool:
        """True until the connection is over for good, and that is processed."""
        return self.untyped.is_active()

    def subscription_builder(self) -> TypedSubscriptionBuilder[CtxT]:
        """Start a subscription whose callbacks get the typed context."""
        return TypedSubscriptionBuilder(self)

    def disconnect(self) -> None:
        """Close the connection cleanly; returns at once."""
        self.untyped.disconnect()

    def frame_tick(self) -> None:
        """Process every event that has arrived, then return; never blocks."""
        self.untyped.frame_tick()

    def run_threaded(self) -> None:
        """Process events in a background thread until the connection ends."""
        self.untyped.run_threaded()

    async def run_async(self) -> None:
        """Process events in the running asyncio loop until the connection ends."""
        await self.untyped.run_async()

    def wait_until_connected(self, timeout: float = 10.0) -> Identity:
        """Block until ``on_connect`` has run; return this client's identity."""
        return self.untyped.wait_until_connected(timeout)

    def __repr__(self) -> str:
        return repr(self.untyped).replace("<DbConnection", "<typed DbConnection", 1)


class TypedConnectionBuilder(Generic[ConnT, CtxT]):
    """The base of a generated builder: the client's builder, typed.

    ``with_...`` methods return the builder itself, so a chain keeps the
    generated type; :meth:`build` returns the generated connection.
    """

    def __init__(
        self, connection: Callable[[DbConnection], ConnT], bindings: Bindings
    ) -> None:
        self._untyped = DbConnectionBuilder()._with_bindings(bindings)
        self._connection = connection
        self._on_connect: Callable[[ConnT, Identity, str], None] | None = None
        self._on_connect_error: Callable[[CtxT, StdbliteError], None] | None = None
        self._on_disconnect: Callable[[CtxT, StdbliteError | None], None] | None = None

    def with_uri(self, uri: str) -> Self:
        """The server: ``http://``, ``https://``, ``ws://`` or ``wss://``."""
        self._untyped.with_uri(uri)
        return self

    def with_database_name(self, name: str) -> Self:
        """The database to connect to, as it was published."""
        self._untyped.with_database_name(name)
        return self

    def with_token(self, token: str | None) -> Self:
        """Connect as the identity of a saved token; None asks for a new one."""
        self._untyped.with_token(token)
        return self

    def with_reconnect(
        self,
        enabled: bool = True,
        *,
        initial_delay: float = 0.2,
        max_delay: float = 10.0,
        max_attempts: int | None = None,
    ) -> Self:
        """Reopen a lost connection; see ``DbConnectionBuilder.with_reconnect``."""
        self._untyped.with_reconnect(
            enabled,
            initial_delay=initial_delay,
            max_delay=max_delay,
            max_attempts=max_attempts,
        )
        return self

    def on_connect(self, callback: Callable[[ConnT, Identity, str], None]) -> Self:
        """Call ``callback(conn, identity, token)`` once connected."""
        self._on_connect = _callable(callback)
        return self

    def on_connect_error(self, callback: Callable[[CtxT, StdbliteError], None]) -> Self:
        """Call ``callback(ctx, error)`` if the first connection fails."""
        self._on_connect_error = _callable(callback)
        return self

    def on_disconnect(
        self, callback: Callable[[CtxT, StdbliteError | None], None]
    ) -> Self:
        """Call ``callback(ctx, error)`` when the connection ends for good."""
        self._on_disconnect = _callable(callback)
        return self

    def build(self) -> ConnT:
        """Check the settings and start connecting in the background."""
        # The callbacks need the typed connection, which needs the untyped
        # one. They run only when a driver processes events, which starts
        # after build returns, so ``made`` is filled by then.
        made: list[ConnT] = []
        on_connect = self._on_connect
        if on_connect is not None:
            self._untyped.on_connect(
                lambda _, who, token: on_connect(made[0], who, token)
            )
        on_error = self._on_connect_error
        if on_error is not None:
            self._untyped.on_connect_error(
                lambda ctx, error: on_error(made[0]._context(ctx.event), error)
            )
        on_disconnect = self._on_disconnect
        if on_disconnect is not None:
            self._untyped.on_disconnect(
                lambda ctx, error: on_disconnect(made[0]._context(ctx.event), error)
            )
        made.append(self._connection(self._untyped.build()))
        return made[0]


class TypedSubscriptionBuilder(Generic[CtxT]):
    """A subscription builder whose callbacks get the typed context."""

    def __init__(self, conn: TypedConnection[CtxT]) -> None:
        self._conn = conn
        self._untyped = conn.untyped.subscription_builder()

    def on_applied(self, callback: Callable[[CtxT], None]) -> Self:
        """Call ``callback(ctx)`` once the first rows are in the cache."""
        _callable(callback)
        conn = self._conn
        self._untyped.on_applied(lambda ctx: callback(conn._context(ctx.event)))
        return self

    def on_error(self, callback: Callable[[CtxT, StdbliteError], None]) -> Self:
        """Call ``callback(ctx, error)`` if the server refuses the queries."""
        _callable(callback)
        conn = self._conn
        self._untyped.on_error(
            lambda ctx, error: callback(conn._context(ctx.event), error)
        )
        return self

    def subscribe(self, queries: str | Sequence[str]) -> SubscriptionHandle:
        """Subscribe to one query, or a list of them, as one query set."""
        return self._untyped.subscribe(queries)

    def subscribe_to_all_tables(self) -> SubscriptionHandle:
        """Subscribe to every row of every public table."""
        return self._untyped.subscribe_to_all_tables()


class TableView(Generic[RowT, CtxT]):
    """One table of the client cache, typed: ``conn.db.player``.

    A generated subclass adds a property per unique or indexed column.
    Like the untyped handle, it reads the cache only once the connection
    has opened (NotConnected before).
    """

    def __init__(self, conn: TypedConnection[CtxT], table_name: str) -> None:
        self._conn = conn
        self.table_name = table_name

    def _handle(self) -> TableHandle:
        """The untyped handle this view reads through."""
        handle: TableHandle = getattr(self._conn.untyped.db, self.table_name)
        return handle

    def iter(self) -> Iterator[RowT]:
        """The cached rows, as they are now, in no particular order."""
        return self._handle().iter()

    def __iter__(self) -> Iterator[RowT]:
        return self.iter()

    def count(self) -> int:
        """How many rows the cache holds for this table."""
        return self._handle().count()

    def __len__(self) -> int:
        return self.count()

    def on_insert(self, callback: Callable[[CtxT, RowT], None]) -> Callable[[], None]:
        """Call ``callback(ctx, row)`` for each row that enters the cache."""
        return self._handle().on_insert(self._typed(callback))

    def on_delete(self, callback: Callable[[CtxT, RowT], None]) -> Callable[[], None]:
        """Call ``callback(ctx, row)`` for each row that leaves the cache."""
        return self._handle().on_delete(self._typed(callback))

    def _typed(self, callback: Callable[..., None]) -> Callable[..., None]:
        """``callback`` called with the typed context instead of the untyped."""
        _callable(callback)
        conn = self._conn

        def typed(ctx: EventContext, *rows: Any) -> None:
            callback(conn._context(ctx.event), *rows)

        return typed

    def __repr__(self) -> str:
        return f"<typed table {self.table_name}>"


class KeyedTableView(TableView[RowT, CtxT]):
    """A table with a primary key, whose rows can also be updated."""

    def on_update(
        self, callback: Callable[[CtxT, RowT, RowT], None]
    ) -> Callable[[], None]:
        """Call ``callback(ctx, old, new)`` when a row changes in place."""
        return self._handle().on_update(self._typed(callback))


class UniqueView(Generic[RowT, ValueT]):
    """A unique column (or the primary key): ``conn.db.player.identity``."""

    def __init__(self, table: TableView[RowT, Any], column: str) -> None:
        self._table = table
        self.column = column

    def find(self, value: ValueT) -> RowT | None:
        """The cached row whose column holds ``value``, or None."""
        accessor = self._table._handle().column(self.column)
        if not isinstance(accessor, UniqueColumn):
            raise _not_any_more(self._table, self.column, "unique")
        row: RowT | None = accessor.find(value)
        return row


class IndexView(Generic[RowT, ValueT]):
    """An indexed column: ``conn.db.item.price.filter(10)``."""

    def __init__(self, table: TableView[RowT, Any], column: str) -> None:
        self._table = table
        self.column = column

    def filter(self, value: ValueT) -> list[RowT]:
        """The cached rows whose column equals ``value``."""
        accessor = self._table._handle().column(self.column)
        if not isinstance(accessor, IndexColumn):
            raise _not_any_more(self._table, self.column, "indexed")
        rows: list[RowT] = accessor.filter(value)
        return rows


def _not_any_more(table: TableView[Any, Any], column: str, was: str) -> ClientError:
    """A column the bindings knew as unique or indexed that no longer is."""
    return ClientError(
        f"{table.table_name}.{column} was {was} when the bindings were generated, "
        "and is not in the database now; run stdb generate again"
    )


class TypedReducers(Generic[CtxT]):
    """The base of a generated ``RemoteReducers``: one method per form.

    Each generated method names its reducer and passes its arguments on;
    they are checked against the server's signature, as in the dynamic
    client, before anything is sent.
    """

    def __init__(self, conn: TypedConnection[CtxT]) -> None:
        self._conn = conn

    def _call(self, reducer: str, *args: Any) -> None:
        """``name(...)``: send, and return at once."""
        reducers = self._conn.untyped.reducers
        reducers._plain(reducers._signature(reducer))(*args)

    def _call_then(
        self, reducer: str, args: tuple[Any, ...], callback: Callable[[CtxT], None]
    ) -> None:
        """``name_then(..., callback)``: send; ``callback(ctx)`` hears the outcome."""
        _callable(callback)
        conn = self._conn
        reducers = conn.untyped.reducers

        def then(ctx: EventContext) -> None:
            callback(conn._context(ctx.event))

        reducers._then(reducers._signature(reducer))(*args, then)

    def _call_async(
        self, reducer: str, *args: Any
    ) -> Coroutine[Any, Any, ReducerEvent]:
        """``name_async(...)``: send now; the coroutine awaits the outcome."""
        reducers = self._conn.untyped.reducers
        return reducers._async(reducers._signature(reducer))(*args)
