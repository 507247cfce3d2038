"""``DbConnection``: one client's connection, its cache, and who drives it.

Two threads share the work. The private I/O thread (:mod:`.transport`)
owns the socket and turns what arrives into events in a queue; whoever
*drives* the connection takes events from that queue, applies them to the
client cache and fires the callbacks, always in the order they came:

- :meth:`DbConnection.frame_tick` processes what has arrived, in the
  caller's thread, and never blocks (a game calls it every frame);
- :meth:`DbConnection.run_threaded` does it in a background thread;
- ``await`` :meth:`DbConnection.run_async` does it in an asyncio loop.

One driver at a time. Callbacks run in the driver's thread; one that
raises is logged (with its traceback) and the others still run. The
messages themselves are handled by :class:`~.session.Session`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from ..errors import ClientError, NotConnected
from ..identity import Identity
from .builder import DbConnectionBuilder, Settings
from .events import EventContext, ReducerEvent
from .reducers import RemoteReducers, ThenCallback
from .remote_schema import ReducerSignature
from .session import Session
from .subscriptions import (
    AppliedCallback,
    ErrorCallback,
    SubscriptionBuilder,
    SubscriptionHandle,
)
from .tables import RemoteTables
from .transport import Event, Transport

__all__ = ["DbConnection"]

log = logging.getLogger("stdblite.client")


def _nothing() -> None:
    """The waker when no asyncio loop is waiting for events."""


class DbConnection:
    """A connection to one database: the client cache, reducers, callbacks.

    Usage::

        builder = DbConnection.builder().with_uri(url).with_database_name("game")
        conn = builder.on_connect(lambda conn, identity, token: ...).build()
        conn.run_threaded()                  # or frame_tick(), or run_async()
        conn.wait_until_connected()
        conn.subscription_builder().subscribe("SELECT * FROM player")
        conn.reducers.register_player("John")
        conn.db.player.count()
        conn.disconnect()

    ``db`` and ``reducers`` come from the server's schema, so they exist
    once the connection has opened; before that they raise
    :class:`NotConnected`.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._wake: Callable[[], None] = _nothing
        self._processing = threading.Lock()
        self._driver: str | None = None
        self._driver_thread: int | None = None
        self._transport = Transport(
            settings.target, settings.token, settings.backoff, self._post
        )
        self._session = Session(self, settings, self._transport)

    @staticmethod
    def builder() -> DbConnectionBuilder:
        """Start describing a connection; see :class:`DbConnectionBuilder`."""
        return DbConnectionBuilder()

    @classmethod
    def _start(cls, settings: Settings) -> DbConnection:
        """Make the connection and start its I/O thread."""
        conn = cls(settings)
        conn._transport.start()
        return conn

    # -- who we are, and what there is -----------------------------------------

    @property
    def db(self) -> RemoteTables:
        """The client cache by table: ``conn.db.player``."""
        return self._session.require_open().tables

    @property
    def reducers(self) -> RemoteReducers:
        """The reducers by name: ``conn.reducers.register_player("John")``."""
        return self._session.require_open().reducers

    @property
    def identity(self) -> Identity:
        """This client's identity; NotConnected before the server says it."""
        identity = self._session.identity
        if identity is None:
            raise NotConnected("the server has not said who this client is yet")
        return identity

    def try_identity(self) -> Identity | None:
        """This client's identity, or None before the connection opened."""
        return self._session.identity

    @property
    def database_name(self) -> str:
        """The name of the database this connection is to."""
        return self._settings.target.database

    def is_active(self) -> bool:
        """True until the connection is over for good, and that is processed.

        It is True while connecting and while reconnecting, so a game can
        loop ``while conn.is_active(): conn.frame_tick()``; it turns False
        once the final close has been processed (``on_disconnect`` or
        ``on_connect_error`` has run).
        """
        return not self._session.finished

    def subscription_builder(self) -> SubscriptionBuilder:
        """Start a subscription; see :class:`SubscriptionBuilder`."""
        return SubscriptionBuilder(self)

    def disconnect(self) -> None:
        """Close the connection cleanly; returns at once.

        ``on_disconnect(ctx, None)`` runs once the driver processes the
        close. The client cache keeps its last rows.
        """
        self._session.closing = True
        self._transport.stop()

    def __repr__(self) -> str:
        state = "active" if self.is_active() else "closed"
        return f"<DbConnection to {self.database_name} ({state})>"

    # -- driving -----------------------------------------------------------------

    def frame_tick(self) -> None:
        """Process every event that has arrived, then return; never blocks.

        Call it often (every frame of a game). Refused while
        :meth:`run_threaded` or :meth:`run_async` drives the connection;
        a call from inside a callback does nothing.
        """
        if self._driver is not None:
            raise ClientError(f"this connection is driven by {self._driver}()")
        if not self._processing.acquire(blocking=False):
            return
        try:
            for _ in range(self._inbox.qsize()):
                self._process(self._inbox.get_nowait())
        finally:
            self._processing.release()

    def run_threaded(self) -> None:
        """Process events in a background thread until the connection ends.

        Callbacks run in that thread (a daemon named ``stdblite-client``).
        Returns at once, and returns nothing, so a notebook cell that
        calls it shows no output.
        """
        self._claim("run_threaded")
        thread = threading.Thread(
            target=self._run_blocking, name="stdblite-client", daemon=True
        )
        thread.start()

    async def run_async(self) -> None:
        """Process events in the running asyncio loop until the connection ends.

        Callbacks run in the loop's thread, between other tasks; start it
        as a task (``asyncio.create_task(conn.run_async())``) to go on
        doing other work.
        """
        self._claim("run_async")
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        self._driver_thread = threading.get_ident()

        def wake() -> None:
            loop.call_soon_threadsafe(ready.set)

        self._wake = wake
        try:
            while not self._session.finished:
                ready.clear()
                self._drain()
                if not self._session.finished:
                    await ready.wait()
        finally:
            self._wake = _nothing
            self._release_driver()

    def wait_until_connected(self, timeout: float = 10.0) -> Identity:
        """Block until ``on_connect`` has run; return this client's identity.

        For scripts and notebook cells. With no driver running yet, it
        processes events itself in this thread, like repeated
        :meth:`frame_tick` calls. Raises the connection's error if it
        failed, or :class:`ClientError` after ``timeout`` seconds. Inside
        the loop that runs :meth:`run_async` it would wait forever, so
        there it raises; use ``on_connect`` instead.
        """
        if self._driver in (None, "frame_tick"):
            self._process_until_connected(time.monotonic() + timeout)
        elif self._driver_thread == threading.get_ident():
            raise ClientError(
                "wait_until_connected() would block the loop that runs run_async(); "
                "use on_connect instead"
            )
        elif not self._session.connected.wait(timeout):
            raise ClientError(f"not connected after {timeout:g} seconds")
        return self._session.connected_identity()

    # -- the driver's work -------------------------------------------------------

    def _post(self, event: Event) -> None:
        """From the I/O thread: queue an event and wake an asyncio driver."""
        self._inbox.put(event)
        try:
            self._wake()
        except RuntimeError:  # that loop has closed
            self._wake = _nothing

    def _process(self, event: Event) -> None:
        """Apply one event, then run the callbacks it calls for."""
        for call in self._session.handle(event):
            try:
                call()
            except Exception:
                log.exception("a callback raised; the others still run")

    def _drain(self) -> None:
        """Process what has arrived (run_async's step)."""
        with self._processing:
            while True:
                try:
                    event = self._inbox.get_nowait()
                except queue.Empty:
                    return
                self._process(event)

    def _run_blocking(self) -> None:
        """run_threaded's thread: wait for events, process, until the end."""
        try:
            while not self._session.finished:
                event = self._inbox.get()
                with self._processing:
                    self._process(event)
        finally:
            self._release_driver()

    def _process_until_connected(self, deadline: float) -> None:
        """Process events in this thread until connected or out of time."""
        while not self._session.connected.is_set():
            remaining = deadline - time.monotonic()
            try:
                event = self._inbox.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                raise ClientError("not connected in time") from None
            with self._processing:
                self._process(event)

    def _claim(self, driver: str) -> None:
        """Become the one driver, or say who already is."""
        with self._session.lock:
            if self._driver is not None:
                raise ClientError(f"this connection is driven by {self._driver}()")
            self._driver = driver

    def _release_driver(self) -> None:
        """The driver has stopped."""
        with self._session.lock:
            self._driver = None
            self._driver_thread = None

    # -- what the public objects ask of the connection ---------------------------

    def _call_reducer(
        self,
        signature: ReducerSignature,
        args: Sequence[Any],
        kwargs: dict[str, Any],
        then: ThenCallback | None,
        warn: bool = False,
    ) -> Future[ReducerEvent]:
        """Check the arguments, send the call, and return its outcome's future."""
        values = signature.bind(args, kwargs)
        encoded = signature.args_to_json(values)
        return self._session.call(signature, values, encoded, then, warn)

    def _subscribe(
        self,
        queries: tuple[str, ...] | None,
        on_applied: AppliedCallback | None,
        on_error: ErrorCallback | None,
    ) -> SubscriptionHandle:
        """Register a query set, and send it if the connection is open."""
        return self._session.subscribe(queries, on_applied, on_error)

    def _unsubscribe(self, handle: SubscriptionHandle) -> None:
        """End a query set."""
        self._session.unsubscribe(handle)

    def _all_tables_queries(self) -> tuple[str, ...]:
        """One query per public table."""
        return self._session.all_tables_queries()

    def _context(self, event: Any = None) -> EventContext:
        """An event context for a callback."""
        return EventContext(self, event)
