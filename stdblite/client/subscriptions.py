"""Subscriptions: which rows the server sends, and the client cache keeps.

Usage::

    handle = (
        conn.subscription_builder()
        .on_applied(lambda ctx: print("players:", ctx.db.player.count()))
        .on_error(lambda ctx, error: print("refused:", error))
        .subscribe(["SELECT * FROM player WHERE is_online"])
    )
    handle.unsubscribe()

Each :meth:`SubscriptionBuilder.subscribe` is one query set. Query sets
may overlap: the cache keeps one copy of a row however many sets hold
it, and drops it when the last set holding it ends. A subscription made
before the connection is open is sent once it opens; after a reconnect,
every live subscription is sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from ..errors import ClientError, StdbliteError
from ..query import Query

if TYPE_CHECKING:
    from .connection import DbConnection
    from .events import EventContext

__all__ = ["SubscriptionBuilder", "SubscriptionHandle"]

AppliedCallback = Callable[["EventContext"], None]
ErrorCallback = Callable[["EventContext", StdbliteError], None]
State = Literal["pending", "active", "ending", "ended"]


class SubscriptionHandle:
    """One query set: its queries, its state, and a way to end it.

    ``is_active()`` is True from the moment the server applied the queries
    until they end (unsubscribed, refused, or the connection closed for
    good). A handle lives across reconnects.
    """

    def __init__(
        self,
        conn: DbConnection,
        query_set_id: int,
        queries: tuple[str, ...] | None,
        on_applied: AppliedCallback | None,
        on_error: ErrorCallback | None,
    ) -> None:
        self._conn = conn
        self.query_set_id = query_set_id
        self._queries = queries
        self.on_applied = on_applied
        self.on_error = on_error
        self.state: State = "pending"
        self.compiled: list[Query] | None = None
        self.applied_once = False
        self.cancelled = False

    @property
    def queries(self) -> tuple[str, ...]:
        """The SQL of this query set (every public table, for all tables)."""
        if self._queries is None:
            return self._conn._all_tables_queries()
        return self._queries

    def is_active(self) -> bool:
        """True while the server applies these queries to this client."""
        return self.state in ("active", "ending")

    def is_ended(self) -> bool:
        """True once the subscription is over, for whatever reason."""
        return self.state == "ended"

    def unsubscribe(self) -> None:
        """End the subscription; rows no other query set holds leave the cache.

        Their ``on_delete`` callbacks fire once the server confirms.
        Unsubscribing twice, or after the end, does nothing.
        """
        self._conn._unsubscribe(self)

    def __repr__(self) -> str:
        return f"<subscription {self.query_set_id} {self.state}: {self._queries}>"


class SubscriptionBuilder:
    """Set the callbacks of a subscription, then subscribe.

    Usage::

        conn.subscription_builder().on_applied(f).subscribe("SELECT * FROM player")
    """

    def __init__(self, conn: DbConnection) -> None:
        self._conn = conn
        self._on_applied: AppliedCallback | None = None
        self._on_error: ErrorCallback | None = None

    def on_applied(self, callback: AppliedCallback) -> SubscriptionBuilder:
        """Call ``callback(ctx)`` once the first rows are in the cache."""
        self._on_applied = _callable(callback)
        return self

    def on_error(self, callback: ErrorCallback) -> SubscriptionBuilder:
        """Call ``callback(ctx, error)`` if the server refuses the queries."""
        self._on_error = _callable(callback)
        return self

    def subscribe(self, queries: str | Sequence[str]) -> SubscriptionHandle:
        """Subscribe to one query, or a list of them, as one query set.

        Each query is ``SELECT * FROM <table> [WHERE ...]``; the server
        checks them and answers through ``on_applied`` or ``on_error``.
        """
        if isinstance(queries, str):
            queries = [queries]
        texts = tuple(queries)
        if not texts or not all(isinstance(q, str) and q.strip() for q in texts):
            raise ClientError(
                "subscribe takes a SQL string or a non-empty list of them, "
                f"not {queries!r:.60}"
            )
        return self._conn._subscribe(texts, self._on_applied, self._on_error)

    def subscribe_to_all_tables(self) -> SubscriptionHandle:
        """Subscribe to every row of every public table."""
        return self._conn._subscribe(None, self._on_applied, self._on_error)


def _callable(callback: Callable[..., None]) -> Callable[..., None]:
    """The callback itself, or a ClientError if it cannot be called."""
    if not callable(callback):
        raise ClientError(f"a callback must be callable, not {callback!r:.60}")
    return callback
