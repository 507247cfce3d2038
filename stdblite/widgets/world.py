"""What both widgets share: where their rows come from.

A widget follows a :class:`~stdblite.client.DbConnection` in the kernel,
or names a server URL for the browser to connect to itself.

Over a connection, the widget subscribes to the player table on that
connection, turns each row into a small dict (identity, name, x, y,
online) and keeps the ``players`` trait up to date; Jupyter's widget
channel carries it to the browser, so the browser needs no route to the
database server. Changes are gathered for a sixtieth of a second and sent
as one update, so a transaction that moves twenty players costs one
message, not twenty. A reducer call from the browser comes back as a
custom message, is made on the connection, and its outcome is answered.

Over a URL, the traits only carry the address; the front end opens its
own WebSocket, and the kernel holds no rows.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from ..client import DbConnection, ReducerEvent
from ..errors import StdbliteError
from .assets import widget_css
from .columns import TUTORIAL_COLUMNS, Columns

if TYPE_CHECKING:
    from ..client import EventContext, SubscriptionHandle

__all__ = ["Columns", "WorldWidget"]

log = logging.getLogger("stdblite.widgets")

FLUSH_DELAY = 1 / 60
"""How long row changes are gathered before one update goes to the browser."""

WATCH_INTERVAL = 0.25
"""How often a widget looks whether its connection has opened or ended."""


class WorldWidget(anywidget.AnyWidget):
    """The rows and status both widgets draw from; not used on its own."""

    _css = widget_css()

    server_url = traitlets.Unicode("").tag(sync=True)
    database = traitlets.Unicode("").tag(sync=True)
    token = traitlets.Unicode("").tag(sync=True)
    columns = traitlets.Dict().tag(sync=True)
    players = traitlets.List(traitlets.Dict()).tag(sync=True)
    me = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("connecting").tag(sync=True)
    status_detail = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        source: DbConnection | str,
        *,
        database: str | None = None,
        token: str | None = None,
        columns: Columns = TUTORIAL_COLUMNS,
        **options: Any,
    ) -> None:
        self._follower: _Follower | None = None
        traits = {"columns": dataclasses.asdict(columns), **options}
        if isinstance(source, str):
            _check_url(type(self).__name__, source, database)
            traits.update(server_url=source, database=database, token=token or "")
        elif not isinstance(source, DbConnection):
            raise StdbliteError(
                f"{type(self).__name__} takes a DbConnection or a server URL, "
                f"not {type(source).__name__}"
            )
        super().__init__(**traits)
        if isinstance(source, DbConnection):
            self._follower = _Follower(self, source, columns)

    def _source_text(self) -> str:
        """Where the rows come from, for ``repr``."""
        if self.server_url:
            return f"url={self.server_url!r}, database={self.database!r}"
        return "following a DbConnection"

    def _may_call(self, reducer: str) -> bool:
        """Which reducers the browser may ask this widget to call."""
        return False

    def close(self) -> None:
        """Stop following the connection, then close the widget."""
        if self._follower is not None:
            self._follower.stop()
            self._follower = None
        super().close()


def _check_url(widget: str, url: str, database: str | None) -> None:
    """Refuse a server address the browser could not connect to."""
    if not url.startswith(("http://", "https://", "ws://", "wss://")):
        raise StdbliteError(
            f"{widget} needs a server URL like http://127.0.0.1:3000, got {url!r}"
        )
    if not database:
        raise StdbliteError(
            f"{widget} over a URL needs the database name: "
            f"{widget}({url!r}, database='NAME')"
        )


def player_of(row: Any, columns: Columns) -> dict[str, Any]:
    """A row of the player table as the front end's Player object."""
    return {
        "identity": str(getattr(row, columns.identity)),
        "name": str(getattr(row, columns.name)),
        "x": float(getattr(row, columns.x)),
        "y": float(getattr(row, columns.y)),
        "online": bool(getattr(row, columns.online)),
    }


class _Follower:
    """Keeps a widget's traits in step with a connection's client cache.

    A watcher thread looks at the connection four times a second: once
    the connection is open it subscribes to the table and adds the row
    callbacks; when the connection is over it marks the widget
    disconnected and ends. Row changes arrive in the connection's own
    thread (the one that drives it) and only note that a flush is due.
    """

    def __init__(self, widget: WorldWidget, conn: DbConnection, columns: Columns):
        self.widget = widget
        self.conn = conn
        self.columns = columns
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._removers: list[Callable[[], None]] = []
        self._subscription: SubscriptionHandle | None = None
        self._attached = False
        self._applied = False
        self._refusal = ""
        self._stopped = threading.Event()
        widget.on_msg(self._message)
        self._watcher = threading.Thread(
            target=self._watch, name="stdblite-widget", daemon=True
        )
        self._watcher.start()

    def _watch(self) -> None:
        """Attach once the connection is open; stop once it is over."""
        while True:
            if self.conn.try_identity() is not None and not self._attached:
                self._attached = True
                self._attach()
            if not self.conn.is_active():
                self.changed()
                return
            if self._stopped.wait(WATCH_INTERVAL):
                return

    def _attach(self) -> None:
        """Subscribe to the player table and follow its rows."""
        try:
            self._follow_table()
        except StdbliteError as exc:
            self._refused(str(exc))

    def _follow_table(self) -> None:
        """Add the row callbacks, then subscribe to every row of the table."""
        table = getattr(self.conn.db, self.columns.table)
        self._removers = [
            table.on_insert(lambda ctx, row: self.changed()),
            table.on_update(lambda ctx, old, new: self.changed()),
            table.on_delete(lambda ctx, row: self.changed()),
        ]
        self._subscription = (
            self.conn.subscription_builder()
            .on_applied(self._on_applied)
            .on_error(self._on_error)
            .subscribe(f"SELECT * FROM {self.columns.table}")
        )

    def _on_applied(self, ctx: Any) -> None:
        self._applied = True
        self.changed()

    def _on_error(self, ctx: Any, error: Any) -> None:
        self._refused(str(error))

    def _refused(self, why: str) -> None:
        """Nothing can be shown: the widget says why, as disconnected."""
        log.warning("a widget cannot follow %s: %s", self.columns.table, why)
        self._refusal = why
        self.changed()

    def changed(self) -> None:
        """Note a change; the next flush sends every change since the last."""
        with self._lock:
            if self._timer is None and not self._stopped.is_set():
                self._timer = threading.Timer(FLUSH_DELAY, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Send the cache's players, our identity and the status as traits."""
        with self._lock:
            self._timer = None
        identity = self.conn.try_identity()
        players = []
        if self._subscription is not None:
            table = getattr(self.conn.db, self.columns.table)
            players = [player_of(row, self.columns) for row in table.iter()]
        with self.widget.hold_sync():
            self.widget.players = players
            self.widget.me = "" if identity is None else str(identity)
            self.widget.status = self._status()
            self.widget.status_detail = self._refusal

    def _status(self) -> str:
        """The connection's state in the front end's words."""
        if self._refusal or not self.conn.is_active():
            return "disconnected"
        return "connected" if self._applied else "connecting"

    def _message(self, widget: Any, content: Any, buffers: Any) -> None:
        """A reducer call from the browser: make it, then answer."""
        if not isinstance(content, dict) or content.get("type") != "call":
            return
        call_id, reducer = content.get("id"), str(content.get("reducer"))
        args = content.get("args")
        if not self.widget._may_call(reducer) or not isinstance(args, list):
            self._answer(call_id, f"this widget does not call {reducer[:40]!r}")
            return

        def answered(ctx: EventContext) -> None:
            event = ctx.event
            assert isinstance(event, ReducerEvent)
            self._answer(call_id, None if event.outcome == "committed" else event.error)

        try:
            getattr(self.conn.reducers, f"{reducer}_then")(*args, answered)
        except StdbliteError as exc:
            self._answer(call_id, str(exc))

    def _answer(self, call_id: Any, error: str | None) -> None:
        self.widget.send({"type": "result", "id": call_id, "error": error})

    def stop(self) -> None:
        """Drop the callbacks and the subscription; send nothing more."""
        self._stopped.set()
        for remove in self._removers:
            remove()
        if self._subscription is not None and self.conn.is_active():
            self._subscription.unsubscribe()
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
