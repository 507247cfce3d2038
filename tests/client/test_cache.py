"""The client cache: rows, lookups, callbacks per transaction, query sets."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import pytest

from stdblite import Identity, Timestamp
from stdblite.client import ReducerEvent, SubscriptionEvent
from stdblite.errors import ClientError, QueryError

from .helpers import Client


@pytest.fixture
def board(connect: Callable[..., Client]) -> Client:
    """A client of the board database, connected."""
    client = connect("board")
    client.connected()
    return client


def record(client: Client, table: str = "note") -> None:
    """Record every row callback of a table, with the cache as it stood."""
    handle = getattr(client.conn.db, table)

    def seen(name: str) -> Callable[..., None]:
        def callback(ctx: Any, *rows: Any) -> None:
            titles = {getattr(r, "title", None) for r in getattr(ctx.db, table)}
            client.rec.add(name, ctx.event, *rows, titles)

        return callback

    handle.on_insert(seen("insert"))
    handle.on_delete(seen("delete"))
    if table == "note":
        handle.on_update(seen("update"))


def test_callbacks_fire_once_per_row_after_the_whole_transaction(
    board: Client,
) -> None:
    board.subscribe("SELECT * FROM note")
    record(board)
    board.conn.reducers.post_many("a", 5)
    board.rec.wait_for(lambda: len(board.rec.named("insert")) >= 5)
    inserts = board.rec.named("insert")
    every = {f"a-{i}" for i in range(5)}
    assert sorted(row.title for _, row, _ in inserts) == sorted(every)
    # Each callback already saw all five rows in the cache.
    assert all(titles == every for _, _, titles in inserts)
    assert len({event.tx_id for event, _, _ in inserts}) == 1


def test_update_delete_and_insert_in_one_transaction(board: Client) -> None:
    board.subscribe("SELECT * FROM note")
    board.conn.reducers.post_many("a", 2)
    board.rec.wait_for(lambda: board.conn.db.note.count() == 2)
    record(board)
    board.conn.reducers.tidy("a-1", "a-0", "fresh")
    board.rec.wait_for(lambda: board.rec.named("insert"))
    after = {"a-1", "fresh"}
    ((event, old, new, titles),) = board.rec.named("update")
    assert (old.title, old.stars, new.stars, titles) == ("a-1", 1.0, 2.0, after)
    ((_, gone, titles),) = board.rec.named("delete")
    assert (gone.title, titles) == ("a-0", after)
    ((_, added, titles),) = board.rec.named("insert")
    assert (added.title, titles) == ("fresh", after)
    assert isinstance(event, ReducerEvent)
    assert event.reducer == "tidy" and event.is_mine
    assert event.args == ("a-1", "a-0", "fresh")


def test_another_clients_transaction_names_its_caller(
    board: Client, connect: Callable[..., Client]
) -> None:
    board.subscribe("SELECT * FROM note")
    record(board)
    other = connect("board")
    _, other_id, _ = other.connected()
    other.conn.reducers.post("hello", "x", "RED")
    ((event, row, _),) = board.rec.wait_for(lambda: board.rec.named("insert"))
    assert row.title == "hello"
    assert event.reducer == "post" and not event.is_mine and event.args is None
    assert event.caller_identity == other_id


def test_rows_decode_every_column_type(board: Client) -> None:
    board.subscribe("SELECT * FROM note")
    colour = board.conn.db.note.schema.column("colour").type.enum_cls
    assert colour is not None and [m.name for m in colour] == ["RED", "GREEN"]
    board.conn.reducers.post("plan", "work", colour.GREEN)
    board.conn.reducers.post_many("b", 1)
    board.rec.wait_for(lambda: board.conn.db.note.count() == 2)
    plan = board.conn.db.note.title.find("plan")
    assert type(plan).__name__ == "Note"
    assert plan.colour is colour.GREEN and isinstance(plan.colour, enum.Enum)
    assert plan.body == b"plan" and plan.stars == 0.0
    assert isinstance(plan.due, Timestamp)
    assert board.conn.db.note.title.find("b-0").due is None
    assert board.conn.db.note.id.find(plan.id) == plan
    assert board.conn.db.note.title.find("nothing") is None
    with pytest.raises(AttributeError):
        plan.title = "changed"  # rows are frozen


def test_find_and_filter_follow_the_cache(board: Client) -> None:
    board.subscribe("SELECT * FROM note")
    board.conn.reducers.post_many("a", 3)
    board.conn.reducers.post_many("b", 2)
    board.rec.wait_for(lambda: board.conn.db.note.count() == 5)
    note = board.conn.db.note
    assert sorted(n.title for n in note.board.filter("a")) == ["a-0", "a-1", "a-2"]
    assert note.board.filter("c") == []
    board.conn.reducers.tidy("b-0", "a-2", "c-0")
    board.rec.wait_for(lambda: note.title.find("c-0") is not None)
    assert sorted(n.title for n in note.board.filter("a")) == ["a-0", "a-1"]
    assert sorted(n.title for n in note.board.filter("b")) == ["b-0", "b-1", "c-0"]
    assert note.title.find("a-2") is None
    with pytest.raises(ClientError, match="neither unique nor indexed"):
        note.stars.filter(1.0)
    with pytest.raises(ClientError, match=r"note\.id: expected int, got str"):
        note.id.find("1")
    with pytest.raises(AttributeError, match="no column 'colour_x'"):
        note.colour_x  # noqa: B018
    assert hasattr(board.conn.db, "note") and not hasattr(board.conn.db, "notes")
    assert "title" in dir(note) and "tag" in dir(board.conn.db)


def test_a_table_without_primary_key_is_a_set(board: Client) -> None:
    board.subscribe("SELECT * FROM tag")
    record(board, "tag")
    with pytest.raises(ClientError, match="no primary key"):
        board.conn.db.tag.on_update(lambda ctx, old, new: None)
    board.conn.reducers.tag(1, "red")
    board.conn.reducers.tag(1, "red")
    board.conn.reducers.tag(2, "red")
    board.rec.wait_for(lambda: board.conn.db.tag.count() == 2)
    board.conn.reducers.untag(1, "red")
    board.rec.wait_for(lambda: board.conn.db.tag.count() == 1)
    assert [(r.note, r.word) for r in board.conn.db.tag] == [(2, "red")]
    assert [row.note for _, row, _ in board.rec.named("insert")] == [1, 2]
    assert [row.note for _, row, _ in board.rec.named("delete")] == [1]


def test_overlapping_query_sets_share_rows(board: Client) -> None:
    board.conn.reducers.post_many("a", 3)  # stars 0, 1, 2
    board.conn.reducers.post_many("b", 2)  # stars 0, 1
    record(board)
    on_a = board.subscribe("SELECT * FROM note WHERE board = 'a'")
    starred = board.subscribe("SELECT * FROM note WHERE stars >= 1")
    assert sorted(board.rows("note")) == ["a-0", "a-1", "a-2", "b-1"]
    inserted = [row.title for _, row, _ in board.rec.named("insert")]
    assert sorted(inserted) == ["a-0", "a-1", "a-2", "b-1"]  # one copy each
    assert on_a.is_active() and starred.is_active()

    # a-2 leaves the starred set but stays on board a: an update.
    board.conn.reducers.star("a-2", 0.0)
    board.rec.wait_for(lambda: board.rec.named("update"))
    assert board.rows("note")["a-2"].stars == 0.0

    # Ending board a drops only what the starred set does not hold.
    board.rec.clear()
    on_a.unsubscribe()
    board.rec.wait_for(lambda: len(board.rec.named("delete")) == 2)
    assert sorted(row.title for _, row, _ in board.rec.named("delete")) == [
        "a-0",
        "a-2",
    ]
    assert sorted(board.rows("note")) == ["a-1", "b-1"]
    assert on_a.is_ended() and not on_a.is_active()
    assert isinstance(board.rec.named("delete")[0][0], SubscriptionEvent)

    starred.unsubscribe()
    board.rec.wait_for(lambda: board.conn.db.note.count() == 0)
    starred.unsubscribe()  # twice does nothing
    assert len(board.rec.named("delete")) == 4


def test_a_refused_query_set_reports_and_holds_nothing(board: Client) -> None:
    errors = []
    for sql in ("SELECT * FROM nowhere", "SELECT * FROM secret", "DELETE FROM note"):
        handle = (
            board.conn.subscription_builder()
            .on_error(board.rec.callback("error"))
            .subscribe(sql)
        )
        errors.append(board.rec.wait_for(lambda: board.rec.named("error")))
        board.rec.clear()
        assert handle.is_ended() and not handle.is_active()
    for ((ctx, error),) in errors:
        assert isinstance(error, QueryError)
        assert ctx.event.kind == "error"
    assert "secret" in str(errors[1][0][1])
    with pytest.raises(ClientError):
        board.conn.subscription_builder().subscribe([])


def test_subscribe_to_all_tables_covers_public_tables(board: Client) -> None:
    board.conn.reducers.post("one", "x", "RED")
    board.conn.reducers.tag(7, "blue")
    handle = (
        board.conn.subscription_builder()
        .on_applied(board.rec.callback("applied"))
        .subscribe_to_all_tables()
    )
    ((ctx,),) = board.rec.wait_for(lambda: board.rec.named("applied"))
    assert set(handle.queries) == {"SELECT * FROM note", "SELECT * FROM tag"}
    assert ctx.db.note.count() == 1 and ctx.db.tag.count() == 1


def test_a_subscription_made_before_the_connection_opens(
    connect: Callable[..., Client],
) -> None:
    client = connect("board", drive=None)
    handle = (
        client.conn.subscription_builder()
        .on_applied(client.rec.callback("applied"))
        .subscribe("SELECT * FROM note")
    )
    assert not handle.is_active()
    client.conn.run_threaded()
    client.rec.wait_for(lambda: client.rec.named("applied"))
    assert handle.is_active()
    assert client.rec.calls[0][0] == "connect"  # on_connect ran first
    assert isinstance(client.conn.identity, Identity)
