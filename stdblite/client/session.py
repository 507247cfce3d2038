"""The client's side of the protocol: each event, applied to the client cache.

A :class:`Session` holds what one connection knows: who it is, the
schema, the client cache, the reducer calls waiting for an outcome and
the query sets. :meth:`Session.handle` takes one transport event under
the session's lock, changes that state, and returns the callbacks to
run, which the connection runs after the lock is released (so a
callback may read the cache, call reducers or subscribe).

After a reconnect, the session sends every live query set again and
fills a fresh cache state in the background; when the last set is
applied, it compares that state with the one the program has been
reading, swaps them, and fires callbacks for the difference only.
Transactions that arrive in between update the fresh state silently:
their effects are in the difference.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import (
    ArgumentError,
    ClientError,
    NotConnected,
    ProtocolError,
    QueryError,
    StdbliteError,
)
from ..identity import ConnectionId, Identity
from ..protocol import (
    CallReducer,
    Error,
    ReducerResult,
    Subscribe,
    SubscribeApplied,
    SubscriptionError,
    TableUpdate,
    TransactionUpdate,
    Unsubscribe,
    UnsubscribeApplied,
    encode,
)
from ..query import Query, compile_query
from .builder import Settings
from .cache import CacheState, Change
from .events import ReducerEvent, SubscriptionEvent
from .reducers import PendingCall, RemoteReducers, ThenCallback, outcome_error
from .remote_schema import ReducerSignature, RemoteSchema, read_schema
from .subscriptions import AppliedCallback, ErrorCallback, SubscriptionHandle
from .tables import ClientCache, RemoteTables
from .transport import Closed, Event, Opened, Received, Transport

if TYPE_CHECKING:
    from .connection import DbConnection

__all__ = ["Session"]

log = logging.getLogger("stdblite.client")

Call = Callable[[], None]


class OpenView(NamedTuple):
    """What exists once the schema is known: the tables and the reducers."""

    tables: RemoteTables
    reducers: RemoteReducers


class Session:
    """One connection's state, changed only by :meth:`handle` and the calls."""

    def __init__(
        self, conn: DbConnection, settings: Settings, transport: Transport
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.transport = transport
        self.lock = threading.RLock()
        self.connected = threading.Event()
        self.finished = False
        self.closing = False
        self.identity: Identity | None = None
        self.connection_id: ConnectionId | None = None
        self.schema: RemoteSchema | None = None
        self.cache: ClientCache | None = None
        self.view: OpenView | None = None
        self.generation = 0
        self.connect_error: StdbliteError | None = None
        self.fatal: StdbliteError | None = None
        self.calls: dict[int, PendingCall] = {}
        self.subscriptions: dict[int, SubscriptionHandle] = {}
        self.requests: dict[int, int] = {}
        self.shadow: CacheState | None = None
        self.waiting: set[int] = set()
        self._ids = itertools.count(1)

    # -- questions ---------------------------------------------------------------

    def require_open(self) -> OpenView:
        """The tables and reducers, or NotConnected before the schema came."""
        if self.view is None:
            raise NotConnected(
                "the schema arrives when the connection opens: use the tables and "
                "reducers in on_connect, or after conn.wait_until_connected()"
            )
        return self.view

    def connected_identity(self) -> Identity:
        """After ``connected`` is set: the identity, or why there is none."""
        if self.connect_error is not None:
            raise self.connect_error
        if self.identity is None:
            raise NotConnected("the connection closed before it opened")
        return self.identity

    def all_tables_queries(self) -> tuple[str, ...]:
        """``SELECT * FROM t`` for every public table."""
        if self.schema is None:
            return ()
        return tuple(
            f"SELECT * FROM {name}"
            for name, table in self.schema.tables.items()
            if table.public
        )

    # -- events ------------------------------------------------------------------

    def handle(self, event: Event) -> list[Call]:
        """Apply one transport event; return the callbacks it calls for."""
        with self.lock:
            if isinstance(event, Opened):
                return self._opened(event)
            if isinstance(event, Closed):
                return self._closed(event)
            if event.generation != self.generation:
                return []  # from a socket that has closed since
            try:
                return self._received(event)
            except (TypeError, KeyError) as exc:
                kind = type(event.message).__name__
                log.error("cannot apply %s from the server: %r", kind, exc)
                return []

    def _opened(self, event: Opened) -> list[Call]:
        """A socket opened: the first time, set up; later, resynchronise."""
        first = self.schema is None
        try:
            schema = read_schema(
                event.schema, None if first else self.schema, self.settings.bindings
            )
        except ClientError as exc:
            return self._fail(exc)
        if self.schema is not None and schema.tables is not self.schema.tables:
            return self._fail(
                ClientError(
                    f"database {self.conn.database_name} was republished with "
                    "other tables; build a new connection to follow it"
                )
            )
        self._adopt(schema, event)
        if first:
            for handle in list(self.subscriptions.values()):
                self._send_subscribe(handle)  # made while connecting
            self.connected.set()
            return [self._on_connect(event)]
        return self._resubscribe()

    def _adopt(self, schema: RemoteSchema, event: Opened) -> None:
        """Take the schema, the identity and the new socket as current."""
        if self.cache is None:
            self.cache = ClientCache(schema.tables, self.lock)
        self.schema = schema
        tables = RemoteTables(self.cache, self.conn.database_name)
        self.view = OpenView(tables, RemoteReducers(self.conn, schema.reducers))
        self.generation = event.generation
        self.identity = event.initial.identity
        self.connection_id = event.initial.connection_id

    def _on_connect(self, event: Opened) -> Call:
        """The on_connect callback, bound to its arguments."""
        callback = self.settings.on_connect
        identity, token = event.initial.identity, event.initial.token
        if callback is None:
            return _nothing
        return lambda: callback(self.conn, identity, token)

    def _fail(self, error: StdbliteError) -> list[Call]:
        """Give up on the connection; the final close reports ``error``."""
        log.error("%s", error)
        self.fatal = error
        self.transport.stop()
        return []

    def _closed(self, event: Closed) -> list[Call]:
        """A socket closed: fail the calls in flight; report a final close."""
        self.generation = 0
        self.shadow = None
        self.requests.clear()
        calls = self._lose_calls()
        if not event.final:
            log.info("connection to %s lost; reconnecting", self.conn.database_name)
            return calls
        self.finished = True
        for handle in self.subscriptions.values():
            handle.state = "ended"
        error = self.fatal or event.error
        ctx = self.conn._context()
        self.connected.set()
        name = self.conn.database_name
        if self.schema is None:
            self.connect_error = error or NotConnected("disconnected before connecting")
            on_error = self.settings.on_connect_error
            # Without a callback to hear it, the failure must not go unseen.
            level = logging.INFO if on_error or not error else logging.WARNING
            log.log(level, "could not connect to %s: %s", name, error)
            if on_error is not None and error is not None:
                calls.append(lambda: on_error(ctx, error))
            return calls
        on_disconnect = self.settings.on_disconnect
        level = logging.INFO if on_disconnect or not error else logging.WARNING
        log.log(level, "disconnected from %s%s", name, f": {error}" if error else "")
        if on_disconnect is not None:
            calls.append(lambda: on_disconnect(ctx, error))
        return calls

    def _lose_calls(self) -> list[Call]:
        """Reducer calls that will never hear their outcome."""
        calls: list[Call] = []
        for pending in self.calls.values():
            lost = NotConnected(
                f"the connection closed before {pending.reducer} answered; "
                "it may or may not have run"
            )
            calls.append(pending.resolver(None, lost))
        self.calls.clear()
        return calls

    # -- messages ----------------------------------------------------------------

    def _received(self, event: Received) -> list[Call]:
        """Dispatch one message by its type."""
        message = event.message
        if isinstance(
            message, SubscribeApplied | UnsubscribeApplied | SubscriptionError
        ):
            self.requests.pop(message.request_id, None)
        if isinstance(message, TransactionUpdate):
            return self._transaction(message)
        if isinstance(message, ReducerResult):
            return self._reducer_result(message)
        if isinstance(message, SubscribeApplied):
            return self._applied(message)
        if isinstance(message, UnsubscribeApplied):
            return self._ended(message.query_set_id)
        if isinstance(message, SubscriptionError):
            return self._refused(message.query_set_id, message.error)
        if isinstance(message, Error):
            return self._error(message)
        log.debug("ignored %s", type(message).__name__)
        return []

    def _transaction(self, message: TransactionUpdate) -> list[Call]:
        """Someone's transaction changed rows this client subscribed to."""
        event = ReducerEvent(
            message.reducer,
            "committed",
            None,
            message.tx_id,
            message.timestamp,
            message.caller_identity,
            message.caller_connection_id,
            is_mine=message.caller_connection_id == self.connection_id,
        )
        return self._notify(event, self._apply(message.tables))

    def _reducer_result(self, message: ReducerResult) -> list[Call]:
        """Our own call's outcome, with its changes folded in."""
        pending = self.calls.pop(message.request_id, None)
        assert self.identity is not None
        event = ReducerEvent(
            pending.reducer if pending else "?",
            message.outcome,
            message.error,
            message.tx_id,
            message.timestamp,
            self.identity,
            self.connection_id,
            is_mine=True,
            args=pending.args if pending else None,
        )
        calls = self._notify(event, self._apply(message.tables))
        if pending is None:
            log.warning(
                "an outcome for request %d, which is not ours", message.request_id
            )
            return calls
        return calls + self._settle(pending, event)

    def _settle(self, pending: PendingCall, event: ReducerEvent) -> list[Call]:
        """Tell the caller how the call ended: callback, future, or the log."""
        calls = [pending.resolver(event, outcome_error(event))]
        then = pending.then
        if then is not None:
            ctx = self.conn._context(event)
            calls.insert(0, lambda: then(ctx))
        return calls

    def _applied(self, message: SubscribeApplied) -> list[Call]:
        """A query set's first rows: into the cache (or the fresh state)."""
        handle = self.subscriptions.get(message.query_set_id)
        if handle is None or handle.state == "ended":
            return []
        if handle.cancelled:
            handle.state = "ending"
            self._send_unsubscribe(handle)
            return self._resynced(handle.query_set_id)
        handle.compiled = self._compile(handle.queries)
        target = self._target()
        changes = []
        for table in message.tables:
            rows = self._decode(table.table, table.rows)
            changes += target.add_rows(handle.query_set_id, table.table, rows)
        handle.state = "active"
        if self.shadow is not None:
            return self._resynced(handle.query_set_id)
        event = SubscriptionEvent("applied", handle.queries)
        return self._notify(event, changes) + self._first_applied([handle])

    def _first_applied(self, handles: list[SubscriptionHandle]) -> list[Call]:
        """on_applied, once per subscription, however often it is resent."""
        calls: list[Call] = []
        for handle in handles:
            if handle.applied_once or handle.state != "active":
                continue
            handle.applied_once = True
            callback = handle.on_applied
            if callback is not None:
                ctx = self.conn._context(SubscriptionEvent("applied", handle.queries))
                calls.append(functools.partial(callback, ctx))
        return calls

    def _ended(self, set_id: int) -> list[Call]:
        """An unsubscribe took effect: drop rows no other set holds."""
        handle = self.subscriptions.pop(set_id, None)
        if handle is None:
            return []
        handle.state = "ended"
        changes = self._target().drop_set(set_id)
        log.info("subscription %d ended", set_id)
        return self._notify(SubscriptionEvent("ended", handle.queries), changes)

    def _refused(self, set_id: int, text: str) -> list[Call]:
        """The server refused a query set, or dropped it later."""
        handle = self.subscriptions.pop(set_id, None)
        if handle is None:
            log.warning("subscription %d: %s", set_id, text)
            return []
        was_held = handle.state in ("active", "ending")
        handle.state = "ended"
        event = SubscriptionEvent("error", handle.queries)
        changes = self._target().drop_set(set_id) if was_held else []
        calls = self._notify(event, changes) + self._resynced(set_id)
        error = QueryError(text)
        on_error = handle.on_error
        if on_error is None:
            log.warning("subscription refused: %s", text)
        else:
            ctx = self.conn._context(event)
            calls.append(lambda: on_error(ctx, error))
        return calls

    def _error(self, message: Error) -> list[Call]:
        """The server could not read one of our frames."""
        request_id = message.request_id
        if request_id is not None and request_id in self.calls:
            pending = self.calls.pop(request_id)
            error = ProtocolError(message.error, request_id)
            return [pending.resolver(None, error)]
        if request_id is not None and request_id in self.requests:
            return self._refused(self.requests.pop(request_id), message.error)
        log.error("the server could not read a message: %s", message.error)
        return []

    # -- applying rows -----------------------------------------------------------

    def _target(self) -> CacheState:
        """Where rows go: the fresh state while resynchronising, else the cache."""
        if self.shadow is not None:
            return self.shadow
        assert self.cache is not None
        return self.cache.state

    def _apply(self, updates: list[TableUpdate]) -> list[Change]:
        """Apply a transaction's changes, table by table, all before any callback."""
        target = self._target()
        changes: list[Change] = []
        for update in updates:
            deletes = self._decode(update.table, update.deletes)
            inserts = self._decode(update.table, update.inserts)
            changes += target.apply(update.table, deletes, inserts, self._holders)
        return changes

    def _decode(self, table: str, rows: list[dict[str, Any]]) -> list[Any]:
        """Rows from JSON, through the table's column codecs."""
        assert self.schema is not None
        schema = self.schema.tables[table]
        return [schema.row_from_json(row) for row in rows]

    def _holders(self, table: str, row: Any) -> set[int]:
        """The query sets whose queries match a row the server sent."""
        on_table = {
            set_id: handle.compiled
            for set_id, handle in self.subscriptions.items()
            if handle.compiled and any(q.table == table for q in handle.compiled)
        }
        found = {
            set_id
            for set_id, queries in on_table.items()
            if any(q.table == table and q.matches(row) for q in queries)
        }
        # The server matched it with the same code; if this side cannot
        # tell which set holds it, every set on the table does.
        return found or set(on_table)

    def _compile(self, queries: tuple[str, ...]) -> list[Query]:
        """The query set compiled here too, to know which rows it holds."""
        assert self.schema is not None
        compiled = []
        for sql in queries:
            try:
                compiled.append(
                    compile_query(sql, self.schema.tables, can_see_private=True)
                )
            except QueryError as exc:
                log.warning("cannot match %r on the client: %s", sql, exc)
        return compiled

    def _notify(
        self, event: ReducerEvent | SubscriptionEvent, changes: list[Change]
    ) -> list[Call]:
        """Row callbacks for changes, unless they went to the fresh state."""
        if self.shadow is not None or not changes:
            return []
        assert self.cache is not None
        return self.cache.notifications(self.conn._context(event), changes)

    # -- reconnecting --------------------------------------------------------------

    def _resubscribe(self) -> list[Call]:
        """After a reconnect: send every live query set again."""
        assert self.schema is not None
        self.shadow = CacheState(self.schema.tables.values())
        self.waiting = set()
        log.info("reconnected to %s; resubscribing", self.conn.database_name)
        for handle in list(self.subscriptions.values()):
            if handle.cancelled or handle.state == "ending":
                # Unsubscribed while away: its rows leave in the difference.
                self.subscriptions.pop(handle.query_set_id)
                handle.state = "ended"
                continue
            self.waiting.add(handle.query_set_id)
            self._send_subscribe(handle)
        return [] if self.waiting else self._finish_resync()

    def _resynced(self, set_id: int) -> list[Call]:
        """One query set is settled again; the last one ends the resync."""
        if self.shadow is None or set_id not in self.waiting:
            return []
        self.waiting.discard(set_id)
        return [] if self.waiting else self._finish_resync()

    def _finish_resync(self) -> list[Call]:
        """Swap in the fresh state; fire callbacks for what really changed."""
        assert self.shadow is not None and self.cache is not None
        fresh, self.shadow = self.shadow, None
        changes = self.cache.state.diff(fresh)
        self.cache.state = fresh
        queries = tuple(q for h in self.subscriptions.values() for q in h.queries)
        log.info("client cache reconciled: %d rows changed", len(changes))
        calls = self._notify(SubscriptionEvent("reconnected", queries), changes)
        return calls + self._first_applied(list(self.subscriptions.values()))

    # -- what the program asks -----------------------------------------------------

    def call(
        self,
        signature: ReducerSignature,
        values: list[Any],
        encoded: list[Any],
        then: ThenCallback | None,
        warn: bool,
    ) -> Future[ReducerEvent]:
        """Send a reducer call now; its future settles with the outcome."""
        with self.lock:
            self._require_socket()
            request_id = next(self._ids)
            try:
                frame = encode(CallReducer(request_id, signature.name, encoded))
            except ProtocolError as exc:
                raise ArgumentError(f"{signature.signature}: {exc}") from None
            future: Future[ReducerEvent] = Future()
            pending = PendingCall(signature.name, tuple(values), future, then, warn)
            self.calls[request_id] = pending
            if not self.transport.send(frame, self.generation):
                del self.calls[request_id]
                raise NotConnected("the connection is not open right now")
        return future

    def _require_socket(self) -> None:
        """Refuse to send while there is no open socket."""
        if self.finished or self.closing:
            raise NotConnected("the connection is closed")
        if self.generation == 0:
            raise NotConnected(
                "the connection is not open right now; it is reconnecting"
            )

    def subscribe(
        self,
        queries: tuple[str, ...] | None,
        on_applied: AppliedCallback | None,
        on_error: ErrorCallback | None,
    ) -> SubscriptionHandle:
        """Register a query set; send it now if a socket is open."""
        with self.lock:
            if self.finished or self.closing:
                raise NotConnected("the connection is closed")
            set_id = next(self._ids)
            handle = SubscriptionHandle(
                self.conn, set_id, queries, on_applied, on_error
            )
            self.subscriptions[set_id] = handle
            if self.generation != 0:
                if self.shadow is not None:
                    self.waiting.add(set_id)
                self._send_subscribe(handle)
            return handle

    def unsubscribe(self, handle: SubscriptionHandle) -> None:
        """End a query set: at once if never sent, else through the server."""
        with self.lock:
            if handle.state in ("ending", "ended") or handle.cancelled:
                return
            if handle.state == "pending" and self.generation == 0:
                self.subscriptions.pop(handle.query_set_id, None)
                handle.state = "ended"
            elif handle.state == "pending":
                handle.cancelled = True  # unsubscribed as soon as it is applied
            else:
                handle.state = "ending"
                if self.generation != 0:
                    self._send_unsubscribe(handle)

    def _send_subscribe(self, handle: SubscriptionHandle) -> None:
        """Send one query set; the server answers applied, or refused."""
        request_id = next(self._ids)
        self.requests[request_id] = handle.query_set_id
        message = Subscribe(request_id, handle.query_set_id, list(handle.queries))
        self.transport.send(encode(message), self.generation)

    def _send_unsubscribe(self, handle: SubscriptionHandle) -> None:
        """Ask the server to end a query set."""
        request_id = next(self._ids)
        self.requests[request_id] = handle.query_set_id
        message = Unsubscribe(request_id, handle.query_set_id)
        self.transport.send(encode(message), self.generation)


def _nothing() -> None:
    """A callback that was not given."""
