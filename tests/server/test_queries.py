"""The subscription SQL subset over the wire: first rows, live rows, refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stdblite.protocol import SubscribeApplied, SubscriptionError
from stdblite.server import Server

from .helpers import Client, apply, put, rows_of

Row = dict[str, Any]
FENCE = 1000
FENCE_QUERY = f"SELECT * FROM reading WHERE id = {FENCE}"


def queries(author: str) -> list[tuple[str, Callable[[Row], bool]]]:
    """WHERE clauses, each with the same test written in Python."""
    return [
        ("label = 'pear'", lambda r: r["label"] == "pear"),
        ("label != 'pear'", lambda r: r["label"] != "pear"),
        ("label <> 'pear'", lambda r: r["label"] != "pear"),
        ("value < 2.5", lambda r: r["value"] < 2.5),
        ("value > 2.5", lambda r: r["value"] > 2.5),
        ("value <= 2.5", lambda r: r["value"] <= 2.5),
        ("value >= -3", lambda r: r["value"] >= -3),
        ("value < 2", lambda r: r["value"] < 2),
        ("count = 20 AND ok = false", lambda r: r["count"] == 20 and not r["ok"]),
        ("ok OR value > 3", lambda r: r["ok"] or r["value"] > 3),
        (
            "(label = 'apple' OR label = 'plum') AND value > 0",
            lambda r: r["label"] in ("apple", "plum") and r["value"] > 0,
        ),
        ("label = 'it''s'", lambda r: r["label"] == "it's"),
        ("ok = true", lambda r: r["ok"]),
        ("NOT ok", lambda r: not r["ok"]),
        ("tag = 0x02", lambda r: r["tag"] == "02"),
        (f"author = {author}", lambda r: r["author"] == author),
        (f"author != '{author}'", lambda r: r["author"] != author),
        ("reading.count >= 30", lambda r: r["count"] >= 30),
    ]


def write(
    client: Client, id: int, label: str, value: float, count: int, ok: bool
) -> None:
    """Insert or replace a reading; it must commit."""
    result = client.call("put", id, label, value, count, ok)
    assert result.outcome == "committed", result.error


def test_each_query_gets_exactly_its_rows_first_and_live(
    server: Server, survey: str
) -> None:
    url = server.ws_url
    with Client(url, survey) as alice, Client(url, survey) as bob:
        write(alice, 1, "apple", 1.5, 10, True)
        write(alice, 2, "pear", 2.5, 20, False)
        write(bob, 3, "plum", -3.0, 30, True)
        write(bob, 4, "it's", 4.0, 40, False)
        cases = queries(str(bob.identity))
        readers = [Client(url, survey) for _ in cases]
        try:
            caches = [
                subscribe_case(r, where)
                for r, (where, _) in zip(readers, cases, strict=True)
            ]
            # Inserts, updates and a delete, by both writers; then a fence.
            write(bob, 5, "pear", 0.5, 20, False)
            write(alice, 1, "apple", 3.5, 10, True)
            write(bob, 2, "plum", 2.5, 20, True)
            assert alice.call("remove", 3).outcome == "committed"
            write(alice, FENCE, "fence", 0.0, 0, True)
            everything = {row["id"]: row for row in rows_of(alice_view(alice))}
            del everything[FENCE]
            for reader, cache, (where, test) in zip(
                readers, caches, cases, strict=True
            ):
                follow_to_fence(reader, cache)
                expected = {i: r for i, r in everything.items() if test(r)}
                assert cache == expected, where
        finally:
            for reader in readers:
                reader.close()


def subscribe_case(reader: Client, where: str) -> dict[int, Row]:
    """Subscribe to one WHERE clause (and the fence); the client cache."""
    applied = reader.subscribe(f"SELECT * FROM reading WHERE {where}")
    assert isinstance(applied, SubscribeApplied), applied
    fence = reader.subscribe(FENCE_QUERY, query_set_id=2)
    assert isinstance(fence, SubscribeApplied) and rows_of(fence) == []
    return {row["id"]: row for row in rows_of(applied)}


def follow_to_fence(reader: Client, cache: dict[int, Row]) -> None:
    """Apply updates until the fence row arrives, then drop it."""
    while FENCE not in cache:
        apply(cache, reader.update())
    del cache[FENCE]


def alice_view(client: Client) -> SubscribeApplied:
    """Every reading now, through a fresh query set."""
    applied = client.subscribe("SELECT * FROM reading", query_set_id=99)
    assert isinstance(applied, SubscribeApplied)
    return applied


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("SELECT id FROM reading", "got a column list"),
        ("SELECT count(*) FROM reading", "got a column list"),
        ("SELECT * FROM reading ORDER BY id", "got ORDER BY"),
        ("SELECT * FROM reading LIMIT 1", "got LIMIT"),
        ("SELECT * FROM reading JOIN secret ON reading.id = secret.id", "join"),
        ("DELETE FROM reading", "got DELETE"),
        ("SELECT * FROM reading; SELECT * FROM secret", "more than one statement"),
        ("SELECT * FROM reading WHERE label LIKE 'p%'", "LIKE is not supported"),
        ("SELECT * FROM reading WHERE id IN (1, 2)", "IN is not supported"),
        ("SELECT * FROM reading WHERE value + 1 > 2", "arithmetic"),
        ("SELECT * FROM nothing", "no table named 'nothing'"),
        ("SELECT * FROM reading WHERE colour = 'red'", "no column 'colour'"),
        ("SELECT * FROM reading WHERE count = 'ten'", "cannot compare column"),
        ("SELECT * FROM secret", "'secret' is private"),
    ],
)
def test_a_query_outside_the_subset_is_refused_saying_why(
    server: Server, survey: str, sql: str, says: str
) -> None:
    with (
        Client(server.ws_url, survey) as reader,
        Client(server.ws_url, survey) as writer,
    ):
        # A good query in the same set must not go live either.
        refused = reader.subscribe("SELECT * FROM reading", sql)
        assert isinstance(refused, SubscriptionError)
        assert says in refused.error and refused.query_set_id == 1
        reader.subscribe(FENCE_QUERY, query_set_id=2)
        put(writer, 1, "a", 1.0)
        fence = put(writer, FENCE, "fence", 0.0)
        assert reader.update().tx_id == fence.tx_id


def test_the_owner_may_subscribe_to_a_private_table(
    server: Server, survey: str, owner: str
) -> None:
    with Client(server.ws_url, survey, owner) as keeper:
        assert keeper.call("hide", 1, "under the mat").outcome == "committed"
        applied = keeper.subscribe("SELECT * FROM secret")
        assert isinstance(applied, SubscribeApplied)
        assert rows_of(applied) == [{"id": 1, "note": "under the mat"}]
