"""One hosted database: its engine, its connected clients, and the fan-out.

The engine tells the server about each durable commit on its writer
thread; :class:`HostedDatabase` hands the transactions to the event loop,
in commit order, and there works out who must hear of them. A group
commit of many transactions wakes the loop once, not once each: waking it
from another thread costs a system call. Clients whose queries are the
same get the same message, so it is matched, encoded and framed once per
distinct set of queries, not once per client. The caller of the
reducer gets its :class:`ReducerResult` in the same pass, so no client
ever sees a later transaction before the answer to its own call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from websockets.frames import Frame, Opcode

from ..engine import Database, Transaction
from ..protocol import ReducerResult, TableUpdate, TransactionUpdate, encode
from ..query import Query
from ..schema import TableSchema

if TYPE_CHECKING:
    from .session import ClientSession

__all__ = ["HostedDatabase", "text_frame"]

log = logging.getLogger("stdblite.server")


class HostedDatabase:
    """A :class:`Database` on the server, with the sessions subscribed to it."""

    def __init__(self, db: Database, loop: asyncio.AbstractEventLoop) -> None:
        self.db = db
        self.loop = loop
        self.sessions: set[ClientSession] = set()
        self._committed_lock = threading.Lock()
        self._waiting: list[Transaction] = []
        self._remove_listener = db.on_commit(self._committed)

    @property
    def name(self) -> str:
        """The database's name on this server."""
        return self.db.name

    def close(self) -> None:
        """Stop listening and close the engine (runs client_disconnected)."""
        self._remove_listener()
        self.db.close()

    def _committed(self, tx: Transaction) -> None:
        """On the writer thread: queue the commit for the loop, in order.

        Only the first commit queued since the loop last looked wakes it;
        the ones after it wait in the same list and go out in the same turn.
        """
        with self._committed_lock:
            self._waiting.append(tx)
            if len(self._waiting) > 1:
                return
        self.loop.call_soon_threadsafe(self._fan_out_waiting)

    def _fan_out_waiting(self) -> None:
        """On the loop: fan out every queued commit, oldest first."""
        with self._committed_lock:
            waiting, self._waiting = self._waiting, []
        for tx in waiting:
            # One transaction's failure must not keep the next from its
            # clients, as it would if the rest of the list were dropped.
            try:
                self.fan_out(tx)
            except Exception:
                log.exception("fan-out of transaction %d failed", tx.tx_id)

    def fan_out(self, tx: Transaction) -> None:
        """On the loop: send each affected client what matches its queries."""
        rows = _RowCache(self.db.schemas)
        encoded: dict[tuple[str, ...], bytes | None] = {}
        caller, request_id = _caller(tx)
        for session in list(self.sessions):
            if session is caller:
                continue
            signature = session.signature
            if signature not in encoded:
                encoded[signature] = _update_frame(tx, session.queries(), rows)
            frame = encoded[signature]
            if frame is not None:
                session.send_frame(frame)
        if caller is not None and request_id is not None:
            tables = _table_updates(tx, caller.queries(), rows)
            result = ReducerResult(
                request_id, tx.tx_id, tx.timestamp, "committed", None, tables
            )
            caller.send(result)


def _caller(tx: Transaction) -> tuple[ClientSession | None, int | None]:
    """The session and request id a transaction answers, if it came over WS."""
    request: Any = tx.request
    if isinstance(request, tuple) and len(request) == 2:
        return request[0], request[1]
    return None, None


class _RowCache:
    """Each changed row turned into JSON once per transaction."""

    def __init__(self, schemas: dict[str, TableSchema]) -> None:
        self.schemas = schemas
        self.cache: dict[int, dict[str, Any]] = {}

    def json(self, table: str, row: Any) -> dict[str, Any]:
        """The row as JSON, made the first time it is asked for."""
        found = self.cache.get(id(row))
        if found is None:
            found = self.cache[id(row)] = self.schemas[table].row_to_json(row)
        return found


def _table_updates(
    tx: Transaction, queries: Iterable[Query], rows: _RowCache
) -> list[TableUpdate]:
    """The rows of a transaction that any of ``queries`` matches, per table."""
    by_table: dict[str, list[Callable[[Any], bool]]] = {}
    for query in queries:
        by_table.setdefault(query.table, []).append(query.matches)
    updates = []
    for table, delta in tx.deltas.items():
        tests = by_table.get(table)
        if not tests:
            continue
        inserts = [rows.json(table, r) for r in delta.inserts if _any(tests, r)]
        deletes = [rows.json(table, r) for r in delta.deletes if _any(tests, r)]
        if inserts or deletes:
            updates.append(TableUpdate(table, inserts, deletes))
    return updates


def _any(tests: list[Callable[[Any], bool]], row: Any) -> bool:
    """True if any query matches the row."""
    return any(test(row) for test in tests)


def _update_frame(
    tx: Transaction, queries: list[Query], rows: _RowCache
) -> bytes | None:
    """The TransactionUpdate for these queries as a frame, or None if empty."""
    tables = _table_updates(tx, queries, rows)
    if not tables:
        return None
    message = TransactionUpdate(
        tx.tx_id, tx.timestamp, tx.reducer, tx.sender, tx.connection_id, tables
    )
    return text_frame(encode(message).encode())


def text_frame(payload: bytes) -> bytes:
    """A whole WebSocket text frame holding UTF-8 ``payload``, as sent.

    A server's frames are not masked, and a message is never compressed
    here (the server turns compression off, and an uncompressed frame is
    valid even where it is on), so the bytes are the same for every client:
    made once, they are written as they are to each client's socket, beside
    the frames ``websockets`` itself writes (pings, pongs, the close).
    """
    return Frame(Opcode.TEXT, payload).serialize(mask=False)
