"""The engine: one :class:`Database`, its writer thread and group commits.

Reducers run one at a time on the database's writer thread, each in its
own transaction over the in-memory working set. Calls that arrive while a
group is being written wait in a queue; the next group takes all of them,
runs them one by one (a failing call only drops its own overlay), and
writes the survivors' changes to DuckDB in one ``BEGIN ... COMMIT``. Only
then are the callers answered and the ``on_commit`` listeners told. Under
light load a group is a single transaction, so a call costs one commit.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import (
    CommitError,
    DatabaseClosed,
    InternalReducerError,
    NoSuchReducer,
    ReducerError,
    StdbliteError,
)
from ..identity import ConnectionId, Identity, Timestamp
from ..module import Module, ReducerContext, ReducerDef, load_module
from ..schema import TableSchema
from .logs import DatabaseLog, LogLine
from .migrate import plan_migration
from .records import TableDelta, Transaction
from .scheduler import Scheduler
from .sql import SqlResult, run_query
from .storage import GroupWrite, Storage, TableWrite
from .transaction import DbView, Overlay
from .working_set import GroupUndo, WorkingSet

__all__ = ["Database"]

log = logging.getLogger("stdblite.engine")
logging.getLogger("stdblite_modules").setLevel(logging.DEBUG)

MAX_GROUP = 512
# How long the writer waits at most for busy callers to come back: about
# one commit's cost. A lone caller never waits (see ``_next_batch``).
GROUP_LINGER = 0.002
# How long a scheduled run lost to a refused commit waits before its retry:
# long enough that a database refusing every commit is not hammered.
RETRY_MICROS = 100_000

JobKind = Literal["call", "init", "connect", "disconnect", "scheduled", "read", "stop"]
_HOOK_NAMES = {
    "init": "init",
    "connect": "client_connected",
    "disconnect": "client_disconnected",
}


@dataclass
class _Job:
    """One request for the writer thread, answered through its future."""

    kind: JobKind
    future: Future[Any]
    reducer: ReducerDef | None = None
    args: list[Any] = field(default_factory=list)
    sender: Identity = field(default_factory=Identity.zero)
    connection_id: ConnectionId | None = None
    read: Callable[[], Any] | None = None
    slot: tuple[str, Hashable] | None = None
    request: Any = None


@dataclass
class _Done:
    """A transaction that ran: committed in memory, waiting for durability."""

    job: _Job
    tx: Transaction | None
    error: BaseException | None


class Database:
    """One database: a module's tables and reducers over one DuckDB file.

    Usage::

        db = Database.open("server/module.py", path=":memory:")
        john = Identity.random()
        db.connect(john)
        db.call("register_player", "John", sender=john)
        print(db.sql("SELECT * FROM player"))
        db.close()

    Every method is safe to call from any thread; reducers themselves run
    one at a time on the database's own writer thread.
    """

    def __init__(
        self,
        module: Module,
        storage: Storage,
        name: str,
        owner: Identity,
        identity: Identity,
        log_path: Path | None,
    ) -> None:
        self.module = module
        self.name = name
        self.owner = owner
        self.identity = identity
        self.log = DatabaseLog(log_path)
        self._storage = storage
        self._schemas = module.tables
        self._working_set = WorkingSet(module.tables)
        self._undo = GroupUndo()
        self._scheduler = Scheduler(module.tables)
        self._listeners: list[Callable[[Transaction], None]] = []
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._last_group = 0
        self._connections: dict[ConnectionId, Identity] = {}
        self._closed = threading.Event()
        self._tx_id, self._last_micros = storage.last_tx_id()
        self._stats = {"groups": 0, "transactions": 0, "failed": 0, "rolled_back": 0}
        self._thread = threading.Thread(
            target=self._serve, name=f"stdblite-{name}", daemon=True
        )

    # -- opening -----------------------------------------------------------

    @classmethod
    def open(
        cls,
        module: str | Path | Module,
        path: str | Path = ":memory:",
        *,
        owner: Identity | None = None,
        name: str | None = None,
        delete_data: bool = False,
    ) -> Database:
        """Open (or create) a database running ``module``.

        ``module`` is a module file, a folder holding ``module.py``, or an
        already loaded :class:`Module`. A new database creates its tables
        and runs ``init`` once, with ``owner`` as the sender. An existing
        file is migrated if the module only added things, and refused with
        a MigrationError naming the change otherwise, unless
        ``delete_data`` wipes it first.
        """
        loaded = module if isinstance(module, Module) else load_module(module)
        storage = Storage(str(path))
        try:
            return cls._start(loaded, storage, path, owner, name, delete_data)
        except BaseException:
            storage.close()
            raise

    @classmethod
    def reopen(cls, path: str | Path, *, name: str | None = None) -> Database:
        """Open an existing database file with the module source it keeps.

        This is how a server restarts its databases: every publish stores
        the module's source in the file's ``st_module`` table.
        """
        storage = Storage(str(path))
        try:
            source = storage.get_meta("source")
        finally:
            storage.close()
        if source is None:
            raise StdbliteError(f"{path} holds no published module")
        module = load_module(Path(path).with_suffix(".py"), source=source)
        return cls.open(module, path, name=name)

    @classmethod
    def _start(
        cls,
        module: Module,
        storage: Storage,
        path: str | Path,
        owner: Identity | None,
        name: str | None,
        delete_data: bool,
    ) -> Database:
        """Set up tables, load the working set, start the writer thread."""
        fresh = storage.get_meta("schema") is None or delete_data
        if delete_data:
            _wipe(storage)
        plan_migration(storage, module)
        owner = owner or _stored_identity(storage, "owner") or Identity.random()
        identity = _stored_identity(storage, "identity") or Identity.random()
        storage.set_meta(
            {
                "schema": json.dumps(module.describe()),
                "source": module.source,
                "owner": owner.to_hex(),
                "identity": identity.to_hex(),
            }
        )
        log_path = None if str(path) == ":memory:" else Path(f"{path}.log")
        db = cls(module, storage, name or module.name, owner, identity, log_path)
        db._load()
        db._thread.start()
        db._after_start(fresh)
        return db

    def _load(self) -> None:
        """Fill the working set, sequences and schedule from the file."""
        now = Timestamp.now().micros_since_unix_epoch
        for table_name, schema in self._schemas.items():
            rows = self._storage.load_rows(schema)
            self._working_set.load(table_name, rows)
            self._scheduler.follow(table_name, [], rows, now)
        for table_name, column, value in self._storage.load_sequences():
            state = self._working_set.tables.get(table_name)
            if state is not None and column in state.sequences:
                state.sequences[column] = max(state.sequences[column], value)

    def _after_start(self, fresh: bool) -> None:
        """Run ``init`` for a new database; close connections a crash left."""
        if fresh:
            init = self.module.lifecycle("init")
            self._wait(self._submit(_Job("init", Future(), init, sender=self.owner)))
        for connection_hex, identity_hex in self._storage.open_clients():
            connection = ConnectionId.from_hex(connection_hex)
            self._connections[connection] = Identity.from_hex(identity_hex)
            log.info("closing connection %s left open by a crash", connection_hex)
            self._disconnect_quietly(connection)

    # -- calling reducers ----------------------------------------------------

    def call(
        self,
        reducer_name: str,
        *args: Any,
        sender: Identity | None = None,
        connection_id: ConnectionId | None = None,
    ) -> Transaction:
        """Call a reducer and wait until its transaction is durable.

        Returns the committed :class:`Transaction`. Raises ReducerError if
        the reducer refused, InternalReducerError if it crashed,
        NoSuchReducer or ArgumentError if it never ran; in every case
        nothing of the call is visible anywhere.
        """
        future = self.submit(
            reducer_name, list(args), sender=sender, connection_id=connection_id
        )
        transaction: Transaction = self._wait(future)
        return transaction

    def submit(
        self,
        reducer_name: str,
        args: Sequence[Any],
        *,
        sender: Identity | None = None,
        connection_id: ConnectionId | None = None,
        from_json: bool = False,
        request: Any = None,
    ) -> Future[Transaction]:
        """Queue a reducer call and return a future of its transaction.

        Arguments are checked (or decoded, with ``from_json``) before the
        call is queued, so a wrong call fails here and changes nothing.
        ``request`` comes back on the committed transaction, so that an
        ``on_commit`` listener can answer the caller in commit order.
        """
        definition = self.reducer(reducer_name)
        if from_json:
            checked = definition.args_from_json(list(args))
        else:
            checked = definition.check_args(args)
        job = _Job(
            "call", Future(), definition, checked, sender or self.owner, connection_id
        )
        job.request = request
        return self._submit(job)

    def reducer(self, name: str) -> ReducerDef:
        """The callable reducer named ``name``, or NoSuchReducer."""
        found = self.module.reducers.get(name)
        if found is None or found.kind != "reducer":
            callable_names = sorted(
                r.name for r in self.module.reducers.values() if r.kind == "reducer"
            )
            raise NoSuchReducer(
                f"database {self.name} has no reducer {name!r} "
                f"(reducers: {', '.join(callable_names) or 'none'})"
            )
        return found

    # -- connections -------------------------------------------------------

    def connect(
        self, identity: Identity, connection_id: ConnectionId | None = None
    ) -> ConnectionId:
        """Open a connection for ``identity``: runs ``client_connected``.

        Returns the new connection's id. If the reducer raises, the
        connection is refused with that error and nothing is recorded.
        """
        connection = connection_id or ConnectionId.random()
        hook = self.module.lifecycle("client_connected")
        job = _Job("connect", Future(), hook, [], identity, connection)
        self._wait(self._submit(job))
        return connection

    def disconnect(self, who: Identity | ConnectionId) -> None:
        """Close a connection (or every connection of an identity).

        Runs ``client_disconnected`` for each. The connection is closed
        even if that reducer fails; its error is then raised here.
        """
        if isinstance(who, ConnectionId):
            targets = [who] if who in self._connections else []
        else:
            targets = [c for c, i in list(self._connections.items()) if i == who]
        errors = [self._disconnect_quietly(c) for c in targets]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first

    def connections(self) -> dict[ConnectionId, Identity]:
        """The open connections and whose they are."""
        return dict(self._connections)

    def _disconnect_quietly(self, connection: ConnectionId) -> StdbliteError | None:
        """Disconnect one connection; return the reducer's error, if any."""
        identity = self._connections.get(connection)
        if identity is None:
            return None
        hook = self.module.lifecycle("client_disconnected")
        job = _Job("disconnect", Future(), hook, [], identity, connection)
        try:
            self._wait(self._submit(job))
        except StdbliteError as exc:
            return exc
        return None

    # -- reading -----------------------------------------------------------

    def sql(self, query: str, as_identity: Identity | None = None) -> SqlResult:
        """Run a read-only SQL query; a result that prints as a table.

        ``as_identity`` runs it as that user: anyone but the owner sees
        only public tables. Changes to data go through reducers only.
        """
        self._check_open()
        is_owner = as_identity is None or as_identity == self.owner
        visible = {n for n, s in self._schemas.items() if s.public or is_owner}
        return run_query(self._storage.conn, query, visible, is_owner)

    def submit_read(self, reader: Callable[[], Any]) -> Future[Any]:
        """Queue ``reader`` for the writer thread, between two groups.

        The future-returning form of :meth:`read`, for callers (like the
        server's event loop) that must not block.
        """
        return self._submit(_Job("read", Future(), read=reader))

    def fetch_rows(self, table: str, sql: str, params: Sequence[Any]) -> list[Any]:
        """Rows of ``table`` that a trusted SELECT of all its columns returns.

        For engine-side callers (subscriptions' first rows), not for
        learners' SQL, which goes through :meth:`sql` and its checks.
        """
        schema = self._schemas[table]
        cursor = self._storage.conn.cursor()
        try:
            raw = cursor.execute(sql, list(params)).fetchall()
        finally:
            cursor.close()
        columns = schema.columns
        return [
            schema.row_type(
                *(c.type.from_db(v) for c, v in zip(columns, r, strict=True))
            )
            for r in raw
        ]

    def read(self, reader: Callable[[], Any]) -> Any:
        """Run ``reader`` on the writer thread between two groups.

        What it sees is a consistent committed state that no transaction
        is half-way through; subscriptions take their first rows this way.
        """
        return self._wait(self._submit(_Job("read", Future(), read=reader)))

    def rows(self, table: str) -> list[Any]:
        """Every committed row of a table, read consistently."""
        if table not in self._schemas:
            raise StdbliteError(f"no table named {table!r}")
        state = self._working_set.tables[table]
        result: list[Any] = self.read(lambda: list(state.rows.values()))
        return result

    @property
    def schemas(self) -> dict[str, TableSchema]:
        """The tables of the running module, by name."""
        return dict(self._schemas)

    def on_commit(self, listener: Callable[[Transaction], None]) -> Callable[[], None]:
        """Call ``listener(tx)`` after every durable commit, in order.

        Listeners run on the writer thread and should be quick; one that
        raises is logged and skipped. Returns a function that removes it.
        """
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def stats(self) -> dict[str, int]:
        """Counters since opening: groups, transactions, failures, rollbacks."""
        return dict(self._stats)

    def trace(self) -> list[str]:
        """The SQL that the last group commit sent to DuckDB."""
        return list(self._storage.trace)

    def logs(self, count: int | None = None) -> list[LogLine]:
        """The last ``count`` lines of this database's log."""
        return self.log.tail(count)

    def history(self, limit: int | None = None) -> list[Transaction]:
        """The recorded transactions, oldest first (the last ``limit``)."""
        from .history import read_history

        return read_history(self._storage.conn, self._schemas, self.module, limit)

    def at(self, tx_id: int) -> Any:
        """A read-only view of the tables as they stood after ``tx_id``."""
        from .history import Snapshot

        return Snapshot.rebuild(self.history(), self._schemas, tx_id)

    # -- closing -----------------------------------------------------------

    def close(self) -> None:
        """Disconnect every open connection, stop the writer, close the file."""
        if self._closed.is_set():
            return
        for connection in list(self._connections):
            self._disconnect_quietly(connection)
        self._wait(self._submit(_Job("stop", Future())))
        self._thread.join()
        self._storage.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Database {self.name}: {', '.join(self._schemas) or 'no tables'}>"

    # -- the writer thread -------------------------------------------------

    def _check_open(self) -> None:
        """Refuse work once the database is closed."""
        if self._closed.is_set():
            raise DatabaseClosed(f"database {self.name} is closed")

    def _submit(self, job: _Job) -> Future[Any]:
        """Queue a job for the writer thread."""
        self._check_open()
        self._queue.put(job)
        return job.future

    def _wait(self, future: Future[Any]) -> Any:
        """Wait for a job's answer; re-raise its error in this thread."""
        if threading.current_thread() is self._thread and not future.done():
            raise StdbliteError(
                "a reducer or on_commit listener cannot wait for another call "
                "of its own database; use submit() and do not wait"
            )
        return future.result()

    def _serve(self) -> None:
        """The writer loop: take waiting jobs as one group, until stopped."""
        while True:
            batch = self._next_batch()
            groupable: list[_Job] = []
            for job in batch:
                if job.kind in ("read", "stop"):
                    self._commit_group(groupable)
                    groupable = []
                    if job.kind == "stop":
                        self._stop(job)
                        return
                    _settle(job.future, job.read)
                else:
                    groupable.append(job)
            self._commit_group(groupable)

    def _next_batch(self) -> list[_Job]:
        """Block until work or a schedule is due, then take all that waits."""
        timeout = self._seconds_until_due()
        batch = []
        with contextlib.suppress(queue.Empty):
            batch.append(self._queue.get(timeout=timeout))
        self._drain(batch)
        # Callers whose calls just committed are still on their way back
        # with the next one. When the last group was bigger than what
        # waits now, wait a moment for as many: one commit for all of them
        # is far cheaper than one commit each.
        if batch and len(batch) < self._last_group:
            self._linger(batch, self._last_group)
        self._last_group = len(batch)
        return batch + self._due_jobs()

    def _linger(self, batch: list[_Job], expected: int) -> None:
        """Wait up to GROUP_LINGER for the batch to grow to ``expected``."""
        deadline = time.monotonic() + GROUP_LINGER
        while len(batch) < expected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
            self._drain(batch)

    def _drain(self, batch: list[_Job]) -> None:
        """Add the jobs that wait in the queue, up to a group's size."""
        while len(batch) < MAX_GROUP:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break

    def _stop(self, job: _Job) -> None:
        """Refuse what is still queued, then answer the stop request."""
        self._closed.set()
        while True:
            try:
                late = self._queue.get_nowait()
            except queue.Empty:
                break
            late.future.set_exception(DatabaseClosed(f"database {self.name} is closed"))
        job.future.set_result(None)

    def _commit_group(self, jobs: list[_Job]) -> None:
        """Run jobs as transactions, write them in one commit, answer all."""
        if not jobs:
            return
        start_tx_id = self._tx_id
        done: list[_Done] = []
        try:
            done.extend(self._run_one(job) for job in jobs)
            committed = [d for d in done if d.tx is not None]
            if committed:
                self._storage.write_group(self._group_write(committed))
        except Exception as exc:
            # A refused commit, or a fault in the engine itself: either way
            # the whole group is undone and every caller in it is told.
            error = self._group_failed(exc, jobs, done)
            self._tx_id = start_tx_id
            done = [
                d if d.tx is None and d.error else _Done(d.job, None, error)
                for d in done
            ]
            done += [_Done(job, None, error) for job in jobs[len(done) :]]
            committed = []
        self._undo.clear()
        self._count(done, committed)
        self._after_commit(done)

    def _group_failed(
        self, exc: Exception, jobs: list[_Job], done: list[_Done]
    ) -> CommitError:
        """Log a failed group, restore the working set, return the error."""
        if isinstance(exc, CommitError):
            log.error("group of %d transactions rolled back: %s", len(jobs), exc)
        else:
            log.error("engine fault; group of %d rolled back", len(jobs), exc_info=True)
        self._undo.rollback(self._working_set)
        self._stats["rolled_back"] += 1
        if isinstance(exc, CommitError):
            return exc
        return CommitError(f"the engine failed and rolled back: {exc}")

    def _count(self, done: list[_Done], committed: list[_Done]) -> None:
        """Keep the figures that :meth:`stats` reports."""
        if committed:
            self._stats["groups"] += 1
        self._stats["transactions"] += len(committed)
        self._stats["failed"] += sum(1 for d in done if d.error is not None)

    def _after_commit(self, done: list[_Done]) -> None:
        """Update bookkeeping, tell listeners, then answer the callers."""
        for item in done:
            if item.tx is None:
                self._retry_scheduled(item)
                continue
            self._follow(item.job, item.tx)
            for listener in list(self._listeners):
                try:
                    listener(item.tx)
                except Exception:
                    log.exception("on_commit listener %r failed", listener)
        for item in done:
            if item.error is not None:
                item.job.future.set_exception(item.error)
            else:
                item.job.future.set_result(item.tx)

    def _follow(self, job: _Job, tx: Transaction) -> None:
        """Keep connections and the schedule in step with a commit."""
        if job.kind == "connect" and job.connection_id is not None:
            self._connections[job.connection_id] = job.sender
        if job.kind == "disconnect" and job.connection_id is not None:
            self._connections.pop(job.connection_id, None)
        now = tx.timestamp.micros_since_unix_epoch
        for table, delta in tx.deltas.items():
            self._scheduler.follow(table, delta.deletes, delta.inserts, now)
        if job.kind == "scheduled" and job.slot is not None:
            self._rearm(job.slot, now)

    def _run_one(self, job: _Job) -> _Done:
        """Run one job's reducer in its own overlay and merge on success."""
        overlay = Overlay(self._working_set)
        timestamp = self._next_timestamp()
        error = self._run_reducer(job, overlay, timestamp)
        if error is not None and job.kind != "disconnect":
            return _Done(job, None, error)
        if error is not None:
            overlay = Overlay(self._working_set)
        self._tx_id += 1
        deltas = self._merge(overlay)
        name = job.reducer.name if job.reducer else _HOOK_NAMES[job.kind]
        tx = Transaction(
            self._tx_id,
            timestamp,
            name,
            list(job.args),
            job.sender,
            job.connection_id,
            deltas,
            job.request,
        )
        return _Done(job, tx, error)

    def _run_reducer(
        self, job: _Job, overlay: Overlay, timestamp: Timestamp
    ) -> StdbliteError | None:
        """Call the reducer body; turn what it raises into an error value."""
        if job.kind == "scheduled" and not self._prepare_scheduled(job, overlay):
            return ReducerError("the scheduled row was deleted before it ran")
        if job.reducer is None:
            return None
        ctx = ReducerContext(
            DbView(overlay), job.sender, job.connection_id, timestamp, self.identity
        )
        with self.log.capturing():
            try:
                job.reducer.func(ctx, *job.args)
            except ReducerError as exc:
                self._note_refusal(job.reducer.name, exc)
                return exc
            except Exception as exc:
                log.error("reducer %s failed", job.reducer.name, exc_info=True)
                return InternalReducerError(
                    f"reducer {job.reducer.name} failed: {type(exc).__name__}: {exc}"
                )
        if job.kind == "scheduled":
            self._finish_scheduled(job, overlay)
        return None

    def _note_refusal(self, reducer: str, error: ReducerError) -> None:
        """Keep a refusal in the database log, whatever the logging levels.

        A refusal is ordinary (a taken name, a step too long) and its caller
        gets the error, so it is not sent to the application's handlers;
        the database log, which ``stdb logs`` shows, always keeps it.
        """
        args = (reducer, error)
        record = log.makeRecord(
            log.name, logging.INFO, __file__, 0, "reducer %s refused: %s", args, None
        )
        self.log.add(record)

    def _merge(self, overlay: Overlay) -> dict[str, TableDelta]:
        """Apply a successful overlay to the working set, remembering undo."""
        deltas = {}
        for name, (deletes, inserts) in overlay.changes().items():
            state = self._working_set.tables[name]
            for row in deletes:
                key = state.key_of(row)
                self._undo.remember(state, key)
                state.remove(key)
            for row in inserts:
                key = state.key_of(row)
                self._undo.remember(state, key)
                state.put(key, row)
            deltas[name] = TableDelta(deletes, inserts)
        for table in overlay.tables.values():
            state = table.state
            for column, value in table.sequences.items():
                self._undo.remember_sequence(state, column)
                state.sequences[column] = max(state.sequences[column], value)
        return deltas

    def _group_write(self, committed: list[_Done]) -> GroupWrite:
        """The net change of a group, as DuckDB statements will need it."""
        group = GroupWrite()
        writes: dict[str, TableWrite] = {}
        for (name, key), before in self._undo.before.items():
            write = writes.setdefault(name, TableWrite(self._schemas[name]))
            after = self._working_set.tables[name].rows.get(key)
            if before is None and after is not None:
                write.inserts.append(after)
            elif before is not None and after is None:
                write.deletes.append(before)
            elif before != after:
                write.updates.append(after)
                _note_changed_columns(write, before, after)
        group.tables = [
            w for w in writes.values() if w.inserts or w.deletes or w.updates
        ]
        for name, column in self._undo.sequences:
            value = self._working_set.tables[name].sequences[column]
            group.sequences.append((name, column, value))
        for item in committed:
            self._record(group, item)
        return group

    def _record(self, group: GroupWrite, item: _Done) -> None:
        """Add one transaction's record and connection bookkeeping."""
        tx = item.tx
        assert tx is not None
        job = item.job
        args_json = job.reducer.args_to_json(job.args) if job.reducer else []
        group.records.append(tx.record(self._schemas, args_json))
        if job.kind == "connect" and job.connection_id is not None:
            group.clients_in.append(
                (
                    job.connection_id.to_hex(),
                    job.sender.to_hex(),
                    tx.timestamp.to_datetime().replace(tzinfo=None),
                )
            )
        if job.kind == "disconnect" and job.connection_id is not None:
            group.clients_out.append(job.connection_id.to_hex())

    def _next_timestamp(self) -> Timestamp:
        """Now, or just after the last transaction if the clock stepped back."""
        now = Timestamp.now().micros_since_unix_epoch
        self._last_micros = max(now, self._last_micros + 1)
        return Timestamp(self._last_micros)

    # -- scheduled reducers ------------------------------------------------

    def _seconds_until_due(self) -> float | None:
        """How long the writer may sleep before a scheduled row is due."""
        due = self._scheduler.next_due()
        if due is None:
            return None
        now = Timestamp.now().micros_since_unix_epoch
        return max(0.0, (due - now) / 1_000_000)

    def _due_jobs(self) -> list[_Job]:
        """A job for every scheduled row that is due now."""
        now = Timestamp.now().micros_since_unix_epoch
        jobs = []
        for slot in self._scheduler.pop_due(now):
            schema = self._schemas[slot[0]]
            assert schema.scheduled is not None
            reducer = self.module.reducers[schema.scheduled]
            jobs.append(
                _Job("scheduled", Future(), reducer, [], self.identity, None, slot=slot)
            )
        return jobs

    def _prepare_scheduled(self, job: _Job, overlay: Overlay) -> bool:
        """Load the due row as the reducer's argument; False if it is gone."""
        assert job.slot is not None
        table, key = job.slot
        row = overlay.table(table).get(key)
        if row is None:
            return False
        job.args = [row]
        return True

    def _finish_scheduled(self, job: _Job, overlay: Overlay) -> None:
        """A one-shot row is deleted in the same transaction that ran it."""
        assert job.slot is not None
        table, key = job.slot
        row = overlay.table(table).get(key)
        if row is not None and row.scheduled_at.at is not None:
            overlay.table(table).drop(key)

    def _retry_scheduled(self, item: _Done) -> None:
        """Keep a scheduled row armed after a run that did not commit.

        A run lost to a refused commit never happened, so the row is tried
        again shortly. A run the reducer refused counts as a run: a
        repeating row waits one interval, and a one-shot row stays in its
        table unarmed (the reducer said no; retrying would say no again).
        """
        if item.job.kind != "scheduled" or item.job.slot is None:
            return
        table, key = item.job.slot
        row = self._working_set.tables[table].rows.get(key)
        if row is None:
            return
        now = Timestamp.now().micros_since_unix_epoch
        if isinstance(item.error, CommitError):
            self._scheduler.due[item.job.slot] = now + RETRY_MICROS
        elif row.scheduled_at.every_micros:
            self._scheduler.due[item.job.slot] = now + row.scheduled_at.every_micros

    def _rearm(self, slot: tuple[str, Hashable], now: int) -> None:
        """Plan a repeating row's next run, one interval from now."""
        table, key = slot
        row = self._working_set.tables[table].rows.get(key)
        if row is not None and row.scheduled_at.every_micros:
            self._scheduler.due[slot] = now + row.scheduled_at.every_micros


def _note_changed_columns(write: TableWrite, before: Any, after: Any) -> None:
    """Add the columns an update changed to those the UPDATE must set."""
    for column in write.schema.columns:
        changed = getattr(before, column.name) != getattr(after, column.name)
        if changed and column not in write.update_columns:
            write.update_columns.append(column)


def _settle(future: Future[Any], reader: Callable[[], Any] | None) -> None:
    """Answer a read job with its result or its exception."""
    try:
        future.set_result(reader() if reader else None)
    except Exception as exc:
        future.set_exception(exc)


def _stored_identity(storage: Storage, key: str) -> Identity | None:
    """An identity kept in ``st_module``, if the file has one."""
    text = storage.get_meta(key)
    return None if text is None else Identity.from_hex(text)


def _wipe(storage: Storage) -> None:
    """Drop every table and empty the system tables (``delete_data``)."""
    for name in storage.existing_tables():
        if not name.startswith("st_"):
            storage.drop_table(name)
    for name in ("st_transaction_log", "st_client", "st_sequence"):
        storage.conn.execute(f"DELETE FROM {name}")
    storage.conn.execute("DELETE FROM st_module WHERE key = 'schema'")
