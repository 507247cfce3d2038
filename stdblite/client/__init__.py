"""The client SDK: connect to a database, keep a cache of rows, call reducers.

Usage::

    from stdblite.client import DbConnection, credentials

    def on_connect(conn, identity, token):
        credentials.save(token)
        conn.subscription_builder().subscribe("SELECT * FROM player")

    conn = (
        DbConnection.builder()
        .with_uri("http://127.0.0.1:3000")
        .with_database_name("game")
        .with_token(credentials.load())
        .on_connect(on_connect)
        .build()
    )
    conn.run_threaded()
    conn.db.player.on_insert(lambda ctx, player: print("hello", player.username))
    conn.reducers.register_player("John")

No generated code is needed: the schema comes from the server when the
connection opens, so ``conn.db.<table>`` and ``conn.reducers.<reducer>``
exist by name, and rows are frozen dataclasses built from the schema.

The public surface, all documented in ``book/reference/client.md``:

- :class:`DbConnection` and its builder (``DbConnection.builder()``):
  ``with_uri``, ``with_database_name``, ``with_token``, ``with_reconnect``,
  ``on_connect``, ``on_connect_error``, ``on_disconnect``, ``build``;
- driving it: ``frame_tick()``, ``run_threaded()``, ``await run_async()``,
  and ``wait_until_connected()`` for scripts and notebook cells;
- the client cache, ``conn.db.<table>``: :class:`TableHandle` with
  ``iter``, ``count``, ``on_insert``, ``on_update``, ``on_delete``, and
  ``find`` (unique columns) or ``filter`` (indexed columns);
- reducers, ``conn.reducers.<name>``: ``name(...)``, ``name_then(...,
  callback)``, ``await name_async(...)``;
- subscriptions: :class:`SubscriptionBuilder`, :class:`SubscriptionHandle`;
- what callbacks receive: :class:`EventContext`, :class:`ReducerEvent`,
  :class:`SubscriptionEvent`;
- :mod:`stdblite.client.credentials`: ``load`` and ``save`` a token file.
- :mod:`stdblite.client.bindings`: the typed views that the bindings
  ``stdb generate`` writes stand on (``conn.untyped`` is the plain
  connection underneath).

The client imports nothing of the engine or the server: a client is not
a server. It logs through the ``stdblite.client`` logger.
"""

from . import credentials
from .builder import DbConnectionBuilder
from .connection import DbConnection
from .events import EventContext, ReducerEvent, SubscriptionEvent
from .subscriptions import SubscriptionBuilder, SubscriptionHandle
from .tables import IndexColumn, RemoteTables, TableHandle, UniqueColumn

__all__ = [
    "DbConnection",
    "DbConnectionBuilder",
    "EventContext",
    "IndexColumn",
    "ReducerEvent",
    "RemoteTables",
    "SubscriptionBuilder",
    "SubscriptionEvent",
    "SubscriptionHandle",
    "TableHandle",
    "UniqueColumn",
    "credentials",
]
