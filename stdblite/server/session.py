"""One client connection at ``/v1/database/<name>/subscribe``.

A :class:`ClientSession` lives from the WebSocket handshake to the close.
It runs ``client_connected`` before the client hears anything, sends
:class:`InitialConnection`, then answers frames one at a time, in the
order they came.

Outgoing frames are never awaited, so a slow client never holds up the
fan-out to everyone else. The frames a client is due in one turn of the
event loop (a group commit's updates, say) are written to its socket
together, in order, in one system call: with many transactions per group
and many clients, writing each frame on its own would cost a system call
per frame per client. A frame many clients get is built once (see
:func:`text_frame`). A client whose unsent data passes
:data:`MAX_BUFFERED` bytes is too far behind, and is disconnected.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from ..engine import Transaction
from ..errors import (
    InternalReducerError,
    ProtocolError,
    QueryError,
    ReducerCallError,
    ReducerError,
    StdbliteError,
)
from ..identity import ConnectionId, Identity, Timestamp
from ..protocol import (
    CallReducer,
    ClientMessage,
    Error,
    InitialConnection,
    OneOffQuery,
    OneOffQueryResult,
    Outcome,
    ReducerResult,
    ServerMessage,
    Subscribe,
    SubscribeApplied,
    SubscriptionError,
    TableRows,
    Unsubscribe,
    UnsubscribeApplied,
    decode_client,
    encode,
)
from ..query import Query, compile_query
from ..schema import TableSchema
from .hosted import HostedDatabase, text_frame

__all__ = ["ClientSession"]

log = logging.getLogger("stdblite.server")

MAX_BUFFERED = 8 << 20
"""Bytes a client may fall behind by before it is disconnected."""
SLOW_CLOSE_TIMEOUT = 1.0
"""Seconds a client dropped for being slow has to read the close frame."""


class ClientSession:
    """One connected client: identity, subscriptions and outgoing queue."""

    def __init__(
        self,
        hosted: HostedDatabase,
        websocket: ServerConnection,
        identity: Identity,
        token: str,
    ) -> None:
        self.hosted = hosted
        self.websocket = websocket
        self.identity = identity
        self.token = token
        self.connection_id = ConnectionId.random()
        self.query_sets: dict[int, list[Query]] = {}
        self.signature: tuple[str, ...] = ()
        self._pending: list[bytes] = []
        self._closer: asyncio.Future[None] | None = None

    @property
    def is_owner(self) -> bool:
        """True if this client's identity owns the database."""
        return self.identity == self.hosted.db.owner

    def queries(self) -> list[Query]:
        """Every live query of every query set of this client."""
        return [q for queries in self.query_sets.values() for q in queries]

    # -- the connection's life -----------------------------------------------

    async def run(self) -> None:
        """Connect, serve frames until the close, then disconnect."""
        db = self.hosted.db
        try:
            await asyncio.to_thread(db.connect, self.identity, self.connection_id)
        except StdbliteError as refusal:
            log.info("connection refused by client_connected: %s", refusal)
            await self.websocket.close(1008, _reason(f"refused: {refusal}"))
            return
        self.hosted.sessions.add(self)
        log.info("client %s connected to %s", self.identity, db.name)
        try:
            self.send(InitialConnection(self.identity, self.connection_id, self.token))
            async for frame in self.websocket:
                await self.handle(frame)
        except ConnectionClosed:
            pass
        finally:
            await self._finish()

    async def _finish(self) -> None:
        """Leave the fan-out and run client_disconnected."""
        self.hosted.sessions.discard(self)
        try:
            await asyncio.to_thread(self.hosted.db.disconnect, self.connection_id)
        except StdbliteError as exc:
            log.warning("client_disconnected failed for %s: %s", self.identity, exc)
        log.info("client %s disconnected from %s", self.identity, self.hosted.name)

    # -- sending ---------------------------------------------------------------

    def send(self, message: ServerMessage) -> None:
        """Queue a message for this client; call it on the event loop only."""
        try:
            self.send_text(encode(message))
        except ProtocolError as exc:
            log.error("cannot encode a message for %s: %s", self.identity, exc)
            self.send_text(
                encode(Error(getattr(message, "request_id", None), str(exc)))
            )

    def send_text(self, text: str) -> None:
        """Queue an encoded message, to be written with this turn's others."""
        self.send_frame(text_frame(text.encode()))

    def send_frame(self, frame: bytes) -> None:
        """Queue a ready WebSocket frame, as :func:`text_frame` makes them.

        Call it on the event loop only. The fan-out frames a message once
        and hands the same bytes to every client that gets it.
        """
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(frame)

    def _flush(self) -> None:
        """Write the queued frames in one go; drop a client far behind."""
        frames, self._pending = self._pending, []
        connection = self.websocket
        if connection.protocol.state is not State.OPEN or self._closer is not None:
            return  # closing: the client hears no more
        if connection.transport.get_write_buffer_size() > MAX_BUFFERED:
            log.warning("client %s is too slow; disconnecting", self.identity)
            self._closer = asyncio.ensure_future(self._drop_slow())
            return
        connection.transport.write(b"".join(frames))

    async def _drop_slow(self) -> None:
        """Close a client that fell too far behind, and soon.

        The close frame waits behind everything the client has not read, so
        a client still reading gets the reason; one that stopped reading
        would keep the close handshake waiting, and its connection open, for
        websockets' whole close timeout: it is cut after a second instead.
        """
        connection = self.websocket
        try:
            closing = connection.close(1008, "too slow: too far behind")
            await asyncio.wait_for(closing, SLOW_CLOSE_TIMEOUT)
        except TimeoutError:
            connection.transport.abort()

    # -- receiving -------------------------------------------------------------

    async def handle(self, frame: str | bytes) -> None:
        """Answer one frame; a bad one gets an Error and changes nothing."""
        try:
            message = decode_client(frame)
        except ProtocolError as exc:
            log.debug("bad frame from %s: %s", self.identity, exc)
            self.send(Error(exc.request_id, str(exc)))
            return
        log.debug("%s from %s", type(message).__name__, self.identity)
        await self._dispatch(message)

    async def _dispatch(self, message: ClientMessage) -> None:
        """Route a decoded message to its handler."""
        match message:
            case CallReducer():
                self._call(message)
            case Subscribe():
                await self._subscribe(message)
            case Unsubscribe():
                await self._unsubscribe(message)
            case OneOffQuery():
                await self._one_off(message)

    def _call(self, message: CallReducer) -> None:
        """Submit a reducer call without waiting: calls may be pipelined.

        A committed call is answered by the fan-out, in commit order; a
        refused or failed one is answered here when its future settles.
        """
        db = self.hosted.db
        try:
            future = db.submit(
                message.reducer,
                message.args,
                sender=self.identity,
                connection_id=self.connection_id,
                from_json=True,
                request=(self, message.request_id),
            )
        except StdbliteError as exc:
            self.send(_failure(message.request_id, exc))
            return
        loop = asyncio.get_running_loop()

        def settled(done: Future[Transaction]) -> None:
            # On the writer thread: only a call that did not commit needs the
            # loop woken; the fan-out answers the committed ones.
            error = done.exception()
            if error is not None:
                loop.call_soon_threadsafe(self._refused, message, error)

        future.add_done_callback(settled)

    def _refused(self, message: CallReducer, error: BaseException) -> None:
        """Answer a call that did not commit."""
        self.send(_failure(message.request_id, error))

    async def _subscribe(self, message: Subscribe) -> None:
        """Compile the queries, then read the first rows between two commits."""
        set_id = message.query_set_id
        try:
            if set_id in self.query_sets:
                raise QueryError(f"query set {set_id} is already subscribed")
            queries = [self._compile(sql) for sql in message.queries]
        except QueryError as exc:
            self.send(SubscriptionError(message.request_id, set_id, str(exc)))
            return
        loop = asyncio.get_running_loop()

        def snapshot() -> None:
            rows = [(q.table, self._initial_rows(q)) for q in queries]
            loop.call_soon_threadsafe(self._applied, message, queries, rows)

        await asyncio.wrap_future(self.hosted.db.submit_read(snapshot))

    def _compile(self, sql: str) -> Query:
        """One subscription query, checked against what this client may see."""
        return compile_query(sql, self.hosted.db.schemas, can_see_private=self.is_owner)

    def _initial_rows(self, query: Query) -> list[Any]:
        """On the writer thread: the rows a query matches now, from DuckDB."""
        sql, params = query.to_duckdb()
        return self.hosted.db.fetch_rows(query.table, sql, params)

    def _applied(
        self, message: Subscribe, queries: list[Query], rows: list[tuple[str, Any]]
    ) -> None:
        """On the loop, in commit order: go live, and send the first rows.

        Rows are grouped by table, each once, however many of the set's
        queries match it.
        """
        self.query_sets[message.query_set_id] = queries
        self._resign()
        tables = _grouped(self.hosted.db.schemas, rows)
        applied = SubscribeApplied(message.request_id, message.query_set_id, tables)
        self.send(applied)

    async def _unsubscribe(self, message: Unsubscribe) -> None:
        """Drop a query set; tell the client which rows no other set holds."""
        set_id = message.query_set_id
        if set_id not in self.query_sets:
            error = f"query set {set_id} is not subscribed"
            self.send(SubscriptionError(message.request_id, set_id, error))
            return
        loop = asyncio.get_running_loop()

        def snapshot() -> None:
            dropped = self.query_sets.get(set_id, [])
            rows = [(q.table, self._initial_rows(q)) for q in dropped]
            loop.call_soon_threadsafe(self._unapplied, message, rows)

        await asyncio.wrap_future(self.hosted.db.submit_read(snapshot))

    def _unapplied(self, message: Unsubscribe, rows: list[tuple[str, Any]]) -> None:
        """On the loop, in commit order: stop the set, list rows to drop."""
        self.query_sets.pop(message.query_set_id, None)
        self._resign()
        kept = self.queries()
        dropped = [
            (table, [r for r in table_rows if not _held(kept, table, r)])
            for table, table_rows in rows
        ]
        tables = _grouped(self.hosted.db.schemas, dropped)
        self.send(UnsubscribeApplied(message.request_id, message.query_set_id, tables))

    def _resign(self) -> None:
        """Recompute the key under which the fan-out shares encoded frames."""
        self.signature = tuple(sorted({q.sql for q in self.queries()}))

    async def _one_off(self, message: OneOffQuery) -> None:
        """Run a read-only query as this client, off the event loop."""
        db = self.hosted.db
        try:
            result = await asyncio.to_thread(db.sql, message.query, self.identity)
        except StdbliteError as exc:
            self.send(OneOffQueryResult(message.request_id, [], [], str(exc)))
            return
        rows = result.json_rows()
        self.send(OneOffQueryResult(message.request_id, result.columns, rows, None))


def _held(queries: list[Query], table: str, row: Any) -> bool:
    """True if any of ``queries`` still matches a row of ``table``."""
    return any(q.table == table and q.matches(row) for q in queries)


def _grouped(
    schemas: dict[str, TableSchema], rows: list[tuple[str, list[Any]]]
) -> list[TableRows]:
    """Rows as JSON, one entry per table, each distinct row once."""
    by_table: dict[str, dict[str, Any]] = {}
    for table, table_rows in rows:
        found = by_table.setdefault(table, {})
        for row in table_rows:
            data = schemas[table].row_to_json(row)
            found.setdefault(repr(sorted(data.items())), data)
    return [TableRows(table, list(found.values())) for table, found in by_table.items()]


def _failure(request_id: int, error: BaseException) -> ReducerResult:
    """The ReducerResult for a call that did not commit."""
    outcome: Outcome = "internal_error"
    if isinstance(error, ReducerError | ReducerCallError):
        outcome = "failed"
    elif not isinstance(error, InternalReducerError | StdbliteError):
        log.error("unexpected error from a reducer call", exc_info=error)
    return ReducerResult(request_id, None, Timestamp.now(), outcome, str(error), [])


def _reason(text: str) -> str:
    """A close reason cut to the 123 bytes a close frame can carry."""
    data = text.encode("utf-8")[:120]
    return data.decode("utf-8", "ignore")
