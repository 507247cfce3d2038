"""Many callers at once: group commits, isolation inside a group, a failed
group commit, and scheduled reducers run by the engine itself."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from stdblite import (
    CommitError,
    Database,
    InternalReducerError,
    ReducerError,
    Timestamp,
)

from .helpers import wait_until

Call = tuple[str, Sequence[Any]]


@contextlib.contextmanager
def writer_paused(db: Database) -> Iterator[None]:
    """Hold the writer thread inside a ``db.read`` while the block runs.

    Calls made meanwhile wait in the queue; released, the writer takes
    them all as one batch, so they form one group commit.
    """
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        entered.set()
        release.wait(10)

    holder = threading.Thread(target=db.read, args=(hold,))
    holder.start()
    assert entered.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def call_as_one_group(db: Database, calls: Sequence[Call]) -> list[Any]:
    """Call each reducer with ``db.call`` from its own thread, as one group.

    Returns, per call, its Transaction or the exception it raised.
    """
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, name: str, args: Sequence[Any]) -> None:
        try:
            outcomes[index] = db.call(name, *args)
        except Exception as exc:
            outcomes[index] = exc

    threads = [
        threading.Thread(target=run, args=(i, name, args))
        for i, (name, args) in enumerate(calls)
    ]
    with writer_paused(db):
        for thread in threads:
            thread.start()
        # The queue is private; peeking at it is the only way to know that
        # every thread has handed its call over before the writer goes on.
        wait_until(lambda: db._queue.qsize() == len(calls))
    for thread in threads:
        thread.join(10)
    return outcomes


def submit_as_one_group(db: Database, calls: Sequence[Call]) -> list[Any]:
    """Submit calls in this order, as one group; outcomes as above."""
    with writer_paused(db):
        futures = [db.submit(name, args) for name, args in calls]
    return [f.exception(10) or f.result() for f in futures]


@pytest.fixture
def shop(open_db) -> Database:
    db = open_db("shop")
    db.call("add_item", "apple", 3, 0.2)
    db.call("add_item", "pear", 4, 0.3)
    return db


def by_name(db: Database) -> dict[str, Any]:
    return {row.name: row for row in db.rows("item")}


def file_rows(db: Database) -> list[tuple[Any, ...]]:
    return sorted(db.sql("SELECT id, name, price, weight FROM item").rows)


def memory_rows(db: Database) -> list[tuple[Any, ...]]:
    return sorted((r.id, r.name, r.price, r.weight) for r in db.rows("item"))


# -- group commits ---------------------------------------------------------


def test_concurrent_calls_share_one_group_commit(shop):
    before = shop.stats()
    calls = [("add_item", (f"item-{i}", i, 1.0)) for i in range(16)]

    outcomes = call_as_one_group(shop, calls)

    assert not [o for o in outcomes if isinstance(o, Exception)]
    after = shop.stats()
    assert after["transactions"] - before["transactions"] == 16
    assert after["groups"] - before["groups"] == 1
    assert len(by_name(shop)) == 18


def test_a_group_is_one_begin_commit_with_bulk_statements(shop):
    def group_trace(size: int, prefix: str) -> list[str]:
        calls = [("add_item", (f"{prefix}-{i}", i, 1.0)) for i in range(size)]
        call_as_one_group(shop, calls)
        return shop.trace()

    small, large = group_trace(2, "small"), group_trace(20, "large")

    for trace in (small, large):
        assert trace[0] == "BEGIN" and trace[-1] == "COMMIT"
        assert trace.count("BEGIN") == 1 and trace.count("COMMIT") == 1
        assert len([s for s in trace if "st_transaction" in s]) == 1
    # Bulk statements: ten times the transactions, not one more statement.
    assert len(large) == len(small)
    assert len(shop.history()) == 3 + 2 + 20


def test_transaction_ids_of_a_group_are_consecutive(shop):
    outcomes = call_as_one_group(shop, [("stamp", ())] * 6)
    ids = sorted(tx.tx_id for tx in outcomes)
    assert ids == list(range(ids[0], ids[0] + 6))
    assert [tx.tx_id for tx in shop.history()][-6:] == ids
    times = [tx.timestamp for tx in sorted(outcomes, key=lambda tx: tx.tx_id)]
    assert all(a < b for a, b in itertools.pairwise(times))


def test_threads_calling_freely_lose_no_update(shop):
    # Every bump reads the price and writes it plus one; run serially, as
    # the engine promises, 200 bumps add exactly 200.
    def bump_many() -> None:
        for _ in range(25):
            shop.call("bump", "apple")

    before = shop.stats()
    threads = [threading.Thread(target=bump_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    after = shop.stats()
    assert by_name(shop)["apple"].price == 3 + 200
    assert after["transactions"] - before["transactions"] == 200
    assert after["groups"] - before["groups"] <= 200


def test_a_failing_call_never_affects_its_neighbours(shop):
    before = shop.stats()
    calls = [
        ("add_item", ("kiwi", 1, 0.1)),
        ("set_price", ("nothing", 1)),
        ("churn_then_fail", ("crash",)),
        ("add_item", ("apple", 1, 1.0)),
        ("bump", ("apple",)),
        ("add_item", ("fig", 2, 0.2)),
    ]

    outcomes = call_as_one_group(shop, calls)

    assert isinstance(outcomes[1], ReducerError)
    assert isinstance(outcomes[2], InternalReducerError)
    assert isinstance(outcomes[3], InternalReducerError)
    assert not any(isinstance(outcomes[i], Exception) for i in (0, 4, 5))
    items = by_name(shop)
    assert sorted(items) == ["apple", "fig", "kiwi", "pear"]
    assert (items["apple"].price, items["apple"].weight) == (4, 0.2)
    after = shop.stats()
    assert after["groups"] - before["groups"] == 1
    assert after["transactions"] - before["transactions"] == 3
    assert after["failed"] - before["failed"] == 3


def test_a_group_writes_the_net_change_of_its_transactions(open_db, tmp_path):
    # In order, in one group: rows come and go, keys are reused, one row
    # changes three times; the file must end up equal to the working set.
    path = tmp_path / "shop.duckdb"
    db = open_db("shop", path)
    for name in ("apple", "pear", "melon"):
        db.call("add_item", name, 3, 0.5)
    calls = [
        ("add_item", ("kiwi", 1, 0.1)),
        ("remove_item", ("kiwi",)),
        ("add_item", ("fig", 2, 0.2)),
        ("rename", ("fig", "figo")),
        ("bump", ("melon",)),
        ("bump", ("melon",)),
        ("bump", ("melon",)),
        ("remove_item", ("apple",)),
        ("add_item_with_id", (1, "apricot")),  # apple's key, a new row
        ("remove_item", ("pear",)),
        ("add_item", ("pear", 9, 0.9)),
    ]

    outcomes = submit_as_one_group(db, calls)

    assert not [o for o in outcomes if isinstance(o, Exception)]
    expected = memory_rows(db)
    assert [r[1] for r in expected] == ["apricot", "melon", "figo", "pear"]
    assert file_rows(db) == expected
    db.close()
    db = open_db("shop", path)
    assert memory_rows(db) == expected


# -- a failed group commit -------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO st_transaction",
        'INSERT INTO "item"',
        'UPDATE "item"',
        'DELETE FROM "item"',
        "COMMIT",
    ],
)
def test_a_failed_group_commit_fails_every_call_of_the_group(
    open_db, tmp_path, statement
):
    path = tmp_path / "shop.duckdb"
    db = open_db("shop", path)
    for name in ("apple", "pear", "melon"):
        db.call("add_item", name, 3, 0.5)
    before, history, stats = memory_rows(db), len(db.history()), db.stats()
    heard: list[Any] = []
    db.on_commit(heard.append)

    db._storage.fail_statement = statement
    calls = [
        ("add_item", ("kiwi", 1, 0.1)),
        ("bump", ("apple",)),
        ("bump", ("apple",)),
        ("set_price", ("melon", 8)),
        ("remove_item", ("pear",)),
        ("set_price", ("nothing", 1)),  # refused anyway: not part of the commit
    ]
    outcomes = call_as_one_group(db, calls)

    assert all(isinstance(o, CommitError) for o in outcomes[:5])
    assert isinstance(outcomes[5], ReducerError)
    assert db.trace()[-1] == "ROLLBACK"
    assert memory_rows(db) == before == file_rows(db)
    assert len(db.history()) == history
    assert heard == []
    assert db.stats()["rolled_back"] == stats["rolled_back"] + 1
    assert db.stats()["transactions"] == stats["transactions"]

    db.close()
    db = open_db("shop", path)
    assert memory_rows(db) == before


def test_calls_commit_again_once_the_fault_is_gone(open_db, tmp_path):
    path = tmp_path / "shop.duckdb"
    db = open_db("shop", path)
    db.call("add_item", "apple", 3, 0.5)

    db._storage.fail_statement = "INSERT INTO st_transaction"
    with pytest.raises(CommitError):
        db.call("add_item", "kiwi", 1, 0.1)
    db._storage.fail_statement = None
    db.call("add_item", "kiwi", 1, 0.1)
    db.call("bump", "apple")

    expected = memory_rows(db)
    assert [r[1] for r in expected] == ["apple", "kiwi"]
    assert expected == file_rows(db)
    db.close()
    db = open_db("shop", path)
    assert memory_rows(db) == expected
    assert [tx.reducer for tx in db.history()] == [
        "init",
        "add_item",
        "add_item",
        "bump",
    ]


# -- scheduled reducers ----------------------------------------------------


@pytest.fixture
def ticker(open_db) -> Database:
    return open_db("ticker")


def ticks(db: Database, label: str) -> list[Any]:
    return [row for row in db.rows("tick") if row.label == label]


def test_a_one_shot_row_runs_once_as_the_database(ticker):
    ticker.call("schedule_once", "once", 30)

    (tick,) = wait_until(lambda: ticks(ticker, "once"))
    assert tick.sender == ticker.identity
    assert ticker.identity != ticker.owner
    assert not tick.has_connection
    assert ticker.rows("tick_schedule") == []
    run = [tx for tx in ticker.history() if tx.reducer == "tick"]
    assert [(tx.sender, tx.connection_id) for tx in run] == [(ticker.identity, None)]


def test_a_one_shot_row_in_the_past_runs_at_once(ticker):
    ticker.call("schedule_once", "late", -1000)
    wait_until(lambda: ticks(ticker, "late"))


def test_deleting_a_scheduled_row_cancels_it(ticker):
    ticker.call("schedule_once", "cancelled", 150)
    ticker.call("schedule_once", "sentinel", 250)
    ticker.call("cancel", "cancelled")

    # The sentinel is due after the cancelled row would have been, so by
    # the time it has run, the cancelled one would have run too.
    wait_until(lambda: ticks(ticker, "sentinel"))
    assert ticks(ticker, "cancelled") == []


def test_an_interval_row_repeats_until_deleted(ticker):
    ticker.call("schedule_every", "beat", 20)
    wait_until(lambda: len(ticks(ticker, "beat")) >= 3)

    ticker.call("cancel", "beat")
    stopped = len(ticks(ticker, "beat"))
    ticker.call("schedule_once", "sentinel", 100)
    wait_until(lambda: ticks(ticker, "sentinel"))
    assert len(ticks(ticker, "beat")) == stopped
    assert [row.label for row in ticker.rows("tick_schedule")] == []


def test_an_interval_row_keeps_repeating_after_a_failed_run(ticker):
    # The module's tick refuses the second run of "flaky"; the schedule
    # itself must survive that one failure.
    ticker.call("schedule_every", "flaky", 20)
    wait_until(
        lambda: len(ticks(ticker, "flaky")) >= 3,
        timeout=2.0,
        what="a third successful run of the flaky interval row",
    )


def test_replacing_an_interval_row_in_one_transaction_arms_the_new_row(ticker):
    ticker.call("schedule_every", "old", 20)
    wait_until(lambda: ticks(ticker, "old"))

    ticker.call("replace_every", "old", "new", 20)
    wait_until(
        lambda: len(ticks(ticker, "new")) >= 2,
        timeout=2.0,
        what="two runs of the replacement interval row",
    )


def test_a_scheduled_run_lost_to_a_failed_commit_runs_again(ticker):
    # The run's transaction never committed, so its row is still in the
    # table, and still pending: it must be tried again.
    ticker.call("schedule_once", "retry", 40)
    ticker._storage.fail_statement = 'INSERT INTO "tick"'
    wait_until(lambda: ticker.stats()["rolled_back"], what="the failed commit")
    assert [row.label for row in ticker.rows("tick_schedule")] == ["retry"]
    ticker._storage.fail_statement = None

    wait_until(
        lambda: ticks(ticker, "retry"),
        timeout=2.0,
        what="the one-shot row to run again after the failed commit",
    )


def test_a_one_shot_row_survives_a_restart(open_db, tmp_path):
    path = tmp_path / "ticker.duckdb"
    db = open_db("ticker", path)
    db.call("schedule_once", "after-restart", 300)
    db.close()
    restarted = Timestamp.now()

    db = open_db("ticker", path)
    (tick,) = wait_until(lambda: ticks(db, "after-restart"))
    assert tick.sender == db.identity
    (run,) = [tx for tx in db.history() if tx.reducer == "tick"]
    assert run.timestamp > restarted
