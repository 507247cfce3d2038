"""Reducers as atomic transactions: what a failure leaves, what a success
writes, and the table handles a reducer uses."""

from __future__ import annotations

import itertools
import random

import pytest

from stdblite import (
    ConnectionId,
    Database,
    Identity,
    InternalReducerError,
    ReducerContext,
    ReducerError,
    Timestamp,
)


@pytest.fixture
def shop(open_db) -> Database:
    db = open_db("shop")
    db.call("add_item", "apple", 3, 0.2)
    db.call("add_item", "pear", 4, 0.3)
    db.call("add_item", "melon", 3, 2.5)
    return db


def names(db: Database, table: str = "item") -> list[str]:
    return sorted(row.name for row in db.rows(table))


def seen(db: Database) -> list[dict]:
    """What the module's look_up reducers recorded, in order."""
    return db.module.namespace["SEEN"]


def snapshot(db: Database) -> tuple:
    """Everything a failed transaction must leave as it was."""
    stats = db.stats()
    return (
        sorted(db.rows("item"), key=lambda r: r.id),
        sorted(db.rows("vault"), key=lambda r: r.key),
        len(db.history()),
        stats["groups"],
        stats["transactions"],
        sorted(db.sql("SELECT * FROM item").rows),
    )


# -- failures roll back ----------------------------------------------------


@pytest.mark.parametrize(
    "how, error",
    [
        ("refuse", ReducerError),
        ("crash", InternalReducerError),
        ("duplicate", InternalReducerError),
    ],
)
def test_a_failed_reducer_leaves_everything_untouched(shop, how, error):
    heard = []
    shop.on_commit(heard.append)
    before = snapshot(shop)

    with pytest.raises(error):
        shop.call("churn_then_fail", how)

    assert snapshot(shop) == before
    assert heard == []
    assert shop.stats()["failed"] == 1


def test_unique_and_index_lookups_after_a_rollback(shop):
    with pytest.raises(ReducerError):
        shop.call("churn_then_fail", "refuse")

    # The rolled-back insert of plum, update of apple and delete of pear
    # must be invisible to find() and filter() in the next transaction.
    shop.call("look_up", "plum", 7)
    shop.call("look_up", "pear", 99)
    shop.call("look_up", "apple", 3)
    assert seen(shop) == [
        {"find": None, "price": [], "count": 3},
        {"find": "pear", "price": [], "count": 3},
        {"find": "apple", "price": ["apple", "melon"], "count": 3},
    ]


def test_names_freed_or_kept_by_a_rollback_behave_so(shop):
    with pytest.raises(ReducerError):
        shop.call("churn_then_fail", "refuse")

    shop.call("add_item", "plum", 1, 1.0)  # plum was never really taken
    with pytest.raises(InternalReducerError, match=r"item\.name already holds"):
        shop.call("add_item", "pear", 1, 1.0)  # pear was never really freed
    assert names(shop) == ["apple", "melon", "pear", "plum"]


def test_a_crash_is_reported_briefly_with_the_traceback_in_the_log(shop):
    with pytest.raises(InternalReducerError) as raised:
        shop.call("churn_then_fail", "crash")

    message = str(raised.value)
    assert "churn_then_fail" in message and "the shelf collapsed" in message
    assert "Traceback" not in message
    errors = [line for line in shop.logs() if line.level == "ERROR"]
    assert len(errors) == 1
    assert "Traceback" in errors[0].message
    assert "ValueError: the shelf collapsed" in errors[0].message


def test_the_module_log_keeps_what_a_failed_reducer_logged(shop):
    with pytest.raises(ReducerError):
        shop.call("churn_then_fail", "refuse")
    assert any("now failing by refuse" in line.message for line in shop.logs())


def test_catching_a_unique_violation_commits_the_rest(shop):
    tx = shop.call("stock_pair", "fig", "apple")

    assert names(shop) == ["apple", "apple-2", "fig", "melon", "pear"]
    inserted = sorted(row.name for row in tx.deltas["item"].inserts)
    assert inserted == ["apple-2", "fig"]
    assert tx.deltas["item"].deletes == []


def test_on_commit_hears_every_commit_in_order_until_removed(shop):
    heard = []
    remove = shop.on_commit(heard.append)
    first = shop.call("set_price", "apple", 5)
    second = shop.call("remove_item", "pear")
    remove()
    shop.call("stamp")

    assert [tx.tx_id for tx in heard] == [first.tx_id, second.tx_id]
    assert [tx.reducer for tx in heard] == ["set_price", "remove_item"]
    assert heard[1].deltas["item"].deletes[0].name == "pear"


def test_a_failing_listener_is_logged_and_skipped(shop, caplog):
    def broken(tx):
        raise RuntimeError("listener bug")

    heard = []
    shop.on_commit(broken)
    shop.on_commit(heard.append)
    tx = shop.call("stamp")

    assert heard == [tx]
    failures = [r for r in caplog.records if r.name == "stdblite.engine"]
    assert [r.levelname for r in failures] == ["ERROR"]
    assert "listener bug" in caplog.text


# -- table handles ---------------------------------------------------------


def test_auto_inc_fills_zero_from_the_sequence(shop):
    ids = {row.name: row.id for row in shop.rows("item")}
    assert ids == {"apple": 1, "pear": 2, "melon": 3}
    tx = shop.call("add_item", "kiwi", 1, 0.1)
    assert [row.id for row in tx.deltas["item"].inserts] == [4]


def test_auto_inc_keeps_an_explicit_value(shop):
    shop.call("add_item_with_id", 10, "lime")
    shop.call("add_item", "kiwi", 1, 0.1)
    ids = {row.name: row.id for row in shop.rows("item")}
    assert ids["lime"] == 10
    assert ids["kiwi"] not in (1, 2, 3, 10)


def test_auto_inc_numbers_are_not_reused_after_delete(shop):
    shop.call("remove_item", "melon")  # the highest id, 3
    shop.call("add_item", "kiwi", 1, 0.1)
    assert {row.name: row.id for row in shop.rows("item")}["kiwi"] == 4


def test_auto_inc_numbers_are_not_reused_across_reopen(open_db, tmp_path):
    path = tmp_path / "shop.duckdb"
    db = open_db("shop", path)
    for name in ("apple", "pear", "melon"):
        db.call("add_item", name, 1, 1.0)
    db.call("remove_item", "melon")  # the rows now end at id 2
    db.close()

    db = open_db("shop", path)
    db.call("add_item", "kiwi", 1, 0.1)
    assert {row.name: row.id for row in db.rows("item")}["kiwi"] == 4


def test_try_insert_returns_none_on_a_taken_value(shop):
    before = shop.rows("item")
    tx = shop.call("try_add_item", "apple")  # commits: try_insert did not raise
    assert "item" not in tx.deltas
    assert sorted(shop.rows("item"), key=repr) == sorted(before, key=repr)

    shop.call("try_add_item", "kiwi")
    assert "kiwi" in names(shop)


def test_delete_by_unique_column(shop):
    tx = shop.call("remove_item", "pear")
    assert names(shop) == ["apple", "melon"]
    assert [row.name for row in tx.deltas["item"].deletes] == ["pear"]
    with pytest.raises(ReducerError, match="no item 'pear'"):
        shop.call("remove_item", "pear")


def test_delete_by_row_needs_an_equal_row(shop):
    with pytest.raises(ReducerError, match="no such row"):
        shop.call("remove_exact", 1, "not-apple")
    shop.call("remove_exact", 1, "apple")
    assert names(shop) == ["melon", "pear"]


def test_update_on_primary_key_is_a_delete_and_an_insert(shop):
    apple = next(row for row in shop.rows("item") if row.name == "apple")
    tx = shop.call("set_price", "apple", 11)

    delta = tx.deltas["item"]
    assert delta.deletes == [apple]
    assert [(row.id, row.name, row.price) for row in delta.inserts] == [
        (apple.id, "apple", 11)
    ]
    assert {row.name: row.price for row in shop.rows("item")}["apple"] == 11


def test_update_to_a_taken_unique_value_fails_and_keeps_the_row(shop):
    with pytest.raises(InternalReducerError, match="already holds 'pear'"):
        shop.call("rename", "apple", "pear")
    assert names(shop) == ["apple", "melon", "pear"]


def test_rename_frees_the_old_unique_value(shop):
    shop.call("rename", "apple", "apricot")
    shop.call("add_item", "apple", 1, 1.0)
    assert names(shop) == ["apple", "apricot", "melon", "pear"]


def test_index_filter_by_value_and_by_range(shop):
    shop.call("add_item", "kiwi", 6, 0.1)
    shop.call("look_up", "none", 3)
    shop.call("look_up_ranges", 3, 5, 0.3)  # prices 3 and 4; weight < 0.3

    by_value, ranges = seen(shop)
    assert by_value["price"] == ["apple", "melon"]
    assert ranges["range"] == ["apple", "melon", "pear"]
    assert ranges["slice"] == ["apple", "kiwi"]


def test_index_filter_follows_updates_and_deletes(shop):
    shop.call("set_price", "melon", 4)
    shop.call("remove_item", "pear")
    shop.call("look_up_ranges", 4, 5, 100.0)
    shop.call("look_up", "none", 3)
    assert seen(shop)[0]["range"] == ["melon"]
    assert seen(shop)[1]["price"] == ["apple"]


def test_a_transaction_sees_its_own_writes(shop):
    # reprice_and_look moves apple to price 8, inserts apple-new at 8, and
    # then looks up price 8 within the same transaction.
    shop.call("reprice_and_look", "apple", 8)
    assert seen(shop) == [
        {"find": "apple", "price": ["apple", "apple-new"], "count": 4}
    ]


# -- the reducer context ---------------------------------------------------


def stamps(db: Database) -> list:
    return sorted(db.rows("stamp"), key=lambda row: row.id)


def test_timestamps_strictly_increase(open_db, tmp_path):
    path = tmp_path / "shop.duckdb"
    db = open_db("shop", path)
    for _ in range(20):
        db.call("stamp")
    db.close()
    db = open_db("shop", path)
    db.call("stamp")

    micros = [row.micros for row in stamps(db)]
    assert len(micros) == 22  # init, twenty calls, one after reopening
    assert all(a < b for a, b in itertools.pairwise(micros))


def test_ctx_timestamp_is_the_transaction_timestamp(shop):
    tx = shop.call("stamp")
    assert stamps(shop)[-1].micros == tx.timestamp.micros_since_unix_epoch
    assert shop.history()[-1].timestamp == tx.timestamp


def test_ctx_rng_is_seeded_from_the_timestamp(shop):
    for _ in range(3):
        shop.call("stamp")
    for row in stamps(shop):
        assert row.draw == random.Random(row.micros).random()


def test_two_contexts_with_one_timestamp_draw_the_same(shop):
    moment = Timestamp(1_700_000_000_123_456)
    first = ReducerContext(None, Identity.random(), None, moment, Identity.zero())
    second = ReducerContext(None, Identity.random(), None, moment, Identity.zero())
    assert [first.rng.random() for _ in range(5)] == [
        second.rng.random() for _ in range(5)
    ]


def test_init_runs_as_the_owner_without_a_connection(open_db):
    owner = Identity.random()
    db = open_db("shop", owner=owner)
    (init,) = stamps(db)
    assert init.reducer == "init"
    assert init.sender == owner
    assert not init.has_connection
    assert db.history()[0].connection_id is None


def test_a_call_carries_its_sender_and_connection(shop):
    caller, connection = Identity.random(), ConnectionId.random()
    tx = shop.call("stamp", sender=caller, connection_id=connection)
    row = stamps(shop)[-1]
    assert (row.sender, row.has_connection) == (caller, True)
    assert (tx.sender, tx.connection_id) == (caller, connection)


def test_a_call_without_sender_runs_as_the_owner(shop):
    shop.call("stamp")
    assert stamps(shop)[-1].sender == shop.owner
