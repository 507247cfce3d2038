"""The generated ``DbConnection`` against a real server: rows are the dataclasses.

Waits use the callbacks themselves (a queue filled by ``on_applied`` or a
``_then`` callback, read with a timeout), never a sleep.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from stdblite.cli.remote import admin, get_json
from stdblite.client import DbConnection as UntypedDbConnection
from stdblite.errors import ClientError, ReducerError
from stdblite.protocol import Publish
from stdblite.server import Server

from .conftest import GAME

TIMEOUT = 10.0


@pytest.fixture
def connect(server: Server) -> Iterator[Callable[..., Any]]:
    """Build typed connections driven by ``run_threaded``; close them after."""
    made: list[Any] = []

    def connect_(package: ModuleType, database: str, **callbacks: Any) -> Any:
        builder = package.DbConnection.builder().with_uri(server.url)
        builder = builder.with_database_name(database)
        for name, callback in callbacks.items():
            builder = getattr(builder, name)(callback)
        conn = builder.build()
        made.append(conn)
        conn.run_threaded()
        return conn

    yield connect_
    for conn in made:
        conn.disconnect()
    for conn in made:
        conn.untyped._transport.join(TIMEOUT)


def subscribed(conn: Any) -> Any:
    """Subscribe to every public table; return once the rows are cached."""
    applied: queue.Queue[Any] = queue.Queue()
    conn.wait_until_connected(TIMEOUT)
    conn.subscription_builder().on_applied(applied.put).subscribe_to_all_tables()
    return applied.get(timeout=TIMEOUT)


def outcome(call: Callable[..., None], *args: Any) -> Any:
    """Call a reducer's ``_then`` form; return the context of its outcome."""
    done: queue.Queue[Any] = queue.Queue()
    call(*args, done.put)
    return done.get(timeout=TIMEOUT)


def test_rows_arrive_as_the_generated_dataclasses(
    packages: dict[str, ModuleType], connect: Callable[..., Any]
) -> None:
    game = packages["game"]
    updates: queue.Queue[tuple[Any, Any, Any]] = queue.Queue()
    conn = connect(game, "game")
    applied = subscribed(conn)
    assert isinstance(applied, game.EventContext)
    assert isinstance(applied.db.player, game.PlayerTable)
    conn.db.player.on_update(lambda ctx, old, new: updates.put((ctx, old, new)))

    ctx = outcome(conn.reducers.register_player_then, "John")
    assert ctx.event.outcome == "committed" and ctx.event.args == ("John",)
    [row] = list(conn.db.player.iter())
    assert isinstance(row, game.Player)
    assert row.username == "John" and row.identity == conn.identity
    assert conn.db.player.identity.find(conn.identity) == row
    assert conn.db.player.username.find("John") == row
    changed, old, new = updates.get(timeout=TIMEOUT)
    assert isinstance(changed, game.EventContext) and changed.conn is conn
    assert isinstance(old, game.Player) and new == row


def test_the_async_form_raises_a_refusal(
    packages: dict[str, ModuleType], connect: Callable[..., Any]
) -> None:
    conn = connect(packages["game"], "game")
    conn.wait_until_connected(TIMEOUT)

    async def refused() -> None:
        await asyncio.wait_for(conn.reducers.register_player_async(""), TIMEOUT)

    with pytest.raises(ReducerError, match="Username must not be empty"):
        asyncio.run(refused())


def test_every_column_kind_and_every_naming_rule(
    packages: dict[str, ModuleType], connect: Callable[..., Any]
) -> None:
    shop = packages["workshop"]
    conn = connect(shop, "workshop")
    subscribed(conn)
    outcome(conn.reducers.add_item_then, "pen", 1, 3, shop.Color.GREEN)
    outcome(conn.reducers.submit_then, shop.Draft("from a draft"))
    outcome(conn.reducers.paint_then, "wall", "blue")
    outcome(conn.reducers.import_then)
    assert outcome(conn.reducers.ping_then_then).event.reducer == "ping_then"

    [item] = conn.db.item.count_.filter(3)
    assert isinstance(item, shop.Item) and item.color is shop.Color.GREEN
    assert item.price == 1.0 and conn.db.item.price.filter(1) == [item]
    assert conn.db.item.name.find("pen") == item and item.owner == conn.identity
    lessons = sorted(conn.db.class_.iter(), key=lambda lesson: lesson.title)
    assert lessons == [
        shop.Class("from a draft", None),
        shop.Class("imported", None),
        shop.Class("wall", "blue"),
    ]


def test_bindings_of_another_module_version_are_refused_at_connect(
    packages: dict[str, ModuleType], connect: Callable[..., Any], server: Server
) -> None:
    changed = GAME.read_text(encoding="utf-8").replace("is_online", "online")
    owner = str(get_json(server.url, "/v1/identity")["token"])
    admin(server.url, owner, Publish(1, "changed", changed, False))
    errors: queue.Queue[Any] = queue.Queue()
    conn = connect(
        packages["game"],
        "changed",
        on_connect_error=lambda ctx, error: errors.put((ctx, error)),
    )
    ctx, error = errors.get(timeout=TIMEOUT)
    assert isinstance(ctx, packages["game"].EventContext)
    assert isinstance(error, ClientError)
    assert "another Player: table player now has" in str(error)
    assert "online: bool" in str(error) and "run stdb generate again" in str(error)
    assert not conn.is_active()


def test_the_dynamic_client_keeps_its_own_rows(
    packages: dict[str, ModuleType], connect: Callable[..., Any], server: Server
) -> None:
    typed = connect(packages["game"], "game")
    subscribed(typed)
    outcome(typed.reducers.register_player_then, "Sara")
    plain = UntypedDbConnection.builder().with_uri(server.url)
    plain = plain.with_database_name("game").build()
    try:
        plain.run_threaded()
        subscribed(plain)
        rows = list(plain.db.player.iter())
        assert rows and not any(isinstance(r, packages["game"].Player) for r in rows)
        assert {r.username for r in rows} >= {"Sara"}
    finally:
        plain.disconnect()
        plain._transport.join(TIMEOUT)


def test_the_typed_connection_is_the_untyped_one_underneath(
    packages: dict[str, ModuleType], connect: Callable[..., Any], tmp_path: Path
) -> None:
    conn = connect(packages["game"], "game")
    identity = conn.wait_until_connected(TIMEOUT)
    assert isinstance(conn.untyped, UntypedDbConnection)
    assert conn.untyped.identity == identity == conn.try_identity()
    assert conn.database_name == "game" and conn.is_active()
    assert repr(conn) == "<typed DbConnection to game (active)>"
