"""What a callback is told: the connection, and the event behind the call.

Every callback but ``on_connect`` receives an :class:`EventContext`
first. Its ``event`` says why the callback runs:

- a :class:`ReducerEvent` for a committed transaction (a row callback) or
  for the outcome of your own reducer call (a ``_then`` callback);
- a :class:`SubscriptionEvent` when rows arrive or leave because a
  subscription was applied, ended or refused, or because the cache was
  reconciled after a reconnect;
- None for the connection's own callbacks (``on_connect_error``,
  ``on_disconnect``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..identity import ConnectionId, Identity, Timestamp
from ..protocol import Outcome

if TYPE_CHECKING:
    from .connection import DbConnection
    from .reducers import RemoteReducers
    from .tables import RemoteTables

__all__ = ["EventContext", "ReducerEvent", "SubscriptionEvent"]


@dataclass(frozen=True)
class ReducerEvent:
    """A reducer call: which reducer, who called it, and how it ended.

    Usage::

        def on_update(ctx, old, new):
            if isinstance(ctx.event, ReducerEvent) and ctx.event.is_mine:
                print("my", ctx.event.reducer, "moved me")

    ``is_mine`` is True for calls made on this connection; only those
    carry their ``args``. ``tx_id`` is None for a call that did not
    commit, and ``error`` then holds the message. A scheduled reducer
    has no ``caller_connection_id``.
    """

    reducer: str
    outcome: Outcome
    error: str | None
    tx_id: int | None
    timestamp: Timestamp
    caller_identity: Identity
    caller_connection_id: ConnectionId | None
    is_mine: bool
    args: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class SubscriptionEvent:
    """Rows arrived or left because of a subscription, not a transaction.

    ``kind`` is ``applied`` (a subscription's first rows), ``ended`` (an
    unsubscribe took effect), ``error`` (the server refused or dropped
    the queries) or ``reconnected`` (the cache was reconciled with the
    server after a reconnect). ``queries`` are the SQL strings concerned.
    """

    kind: Literal["applied", "ended", "error", "reconnected"]
    queries: tuple[str, ...]


@dataclass(frozen=True)
class EventContext:
    """The first argument of every callback after ``on_connect``.

    Usage::

        def on_insert(ctx: EventContext, row) -> None:
            print(ctx.event, ctx.db.player.count())

    ``db``, ``reducers`` and ``identity`` are the connection's own.
    """

    conn: DbConnection
    event: ReducerEvent | SubscriptionEvent | None

    @property
    def db(self) -> RemoteTables:
        """The client cache: ``ctx.db.player.iter()`` and so on."""
        return self.conn.db

    @property
    def reducers(self) -> RemoteReducers:
        """Call reducers from a callback: ``ctx.reducers.move_player(x, y)``."""
        return self.conn.reducers

    @property
    def identity(self) -> Identity:
        """This connection's identity."""
        return self.conn.identity
