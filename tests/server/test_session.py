"""The client protocol over a real WebSocket: calls, subscriptions, fan-out."""

from __future__ import annotations

from stdblite.protocol import CallReducer, ReducerResult
from stdblite.server import Server

from .helpers import Client, apply, ids, put, rows_of

SPAWN_X, SPAWN_Y = 7712.0, 5408.0


def test_the_first_message_names_the_identity_and_connection(
    server: Server, game: str
) -> None:
    with (
        Client(server.ws_url, game) as first,
        Client(server.ws_url, game, first.token) as second,
    ):
        assert second.identity == first.identity
        assert second.initial.connection_id != first.initial.connection_id


def test_a_call_is_answered_with_its_outcome_and_its_changes(
    server: Server, game: str
) -> None:
    with Client(server.ws_url, game) as john:
        john.subscribe("SELECT * FROM player")
        moved = john.call("move_player", SPAWN_X - 64, SPAWN_Y)
        assert moved.outcome == "committed" and moved.error is None
        assert moved.tx_id is not None
        [table] = moved.tables
        assert [r["position_x"] for r in table.deletes] == [SPAWN_X]
        assert [r["position_x"] for r in table.inserts] == [SPAWN_X - 64]
        refused = john.call("move_player", 0.0, 0.0)
        assert refused.outcome == "failed"
        assert refused.error is not None and "too long" in refused.error
        assert refused.tx_id is None and refused.tables == []


def test_others_see_every_move_once_and_in_commit_order(
    server: Server, game: str
) -> None:
    with Client(server.ws_url, game) as john:
        john.subscribe("SELECT * FROM player")
        sara = Client(server.ws_url, game)
        sara.subscribe("SELECT * FROM player")
        john.update()  # sara's arrival
        # Sara sends twenty moves without waiting for any answer.
        steps = [SPAWN_X - 8 * i for i in range(1, 21)]
        for request_id, x in enumerate(steps):
            sara.send(CallReducer(request_id, "move_player", [x, SPAWN_Y]))
        answers = [sara.expect(ReducerResult) for _ in steps]
        assert [a.request_id for a in answers] == list(range(len(steps)))
        seen = [john.update() for _ in steps]
        assert [u.tx_id for u in seen] == [a.tx_id for a in answers]
        assert [u.tables[0].inserts[0]["position_x"] for u in seen] == steps
        assert {u.caller_identity for u in seen} == {sara.identity}
        sara.close()


def test_only_clients_whose_queries_match_hear_of_a_transaction(
    server: Server, survey: str
) -> None:
    url = server.ws_url
    with (
        Client(url, survey) as big,
        Client(url, survey) as bees,
        Client(url, survey) as writer,
    ):
        big.subscribe("SELECT * FROM reading WHERE value > 10")
        bees.subscribe("SELECT * FROM reading WHERE label = 'b'")
        put(writer, 1, "a", 5.0)  # matches nobody
        both = put(writer, 2, "b", 20.0)
        only_bees = put(writer, 3, "b", 1.0)
        only_big = put(writer, 4, "a", 50.0)
        # Each client's next update skips what it did not subscribe to.
        assert [big.update().tx_id, big.update().tx_id] == [
            both.tx_id,
            only_big.tx_id,
        ]
        assert [bees.update().tx_id, bees.update().tx_id] == [
            both.tx_id,
            only_bees.tx_id,
        ]
        # One transaction, ten rows: each client gets only its matches.
        many = writer.call("put_many", 6, 10)
        assert many.tables == []  # the writer subscribed to nothing
        assert ids(big.update()) == (list(range(11, 16)), [])
        fence = put(writer, 20, "b", 0.0)
        assert bees.update().tx_id == fence.tx_id


def test_a_client_hears_once_per_transaction_however_many_sets_match(
    server: Server, survey: str
) -> None:
    with (
        Client(server.ws_url, survey) as reader,
        Client(server.ws_url, survey) as writer,
    ):
        reader.subscribe("SELECT * FROM reading", query_set_id=1)
        reader.subscribe("SELECT * FROM reading WHERE value > 0", query_set_id=2)
        first = put(writer, 1, "a", 5.0)
        fence = put(writer, 2, "a", -5.0)
        update = reader.update()
        assert update.tx_id == first.tx_id
        assert ids(update) == ([1], [])
        assert reader.update().tx_id == fence.tx_id


def test_the_first_rows_are_a_consistent_snapshot_under_load(
    server: Server, survey: str
) -> None:
    with (
        Client(server.ws_url, survey) as writer,
        Client(server.ws_url, survey) as reader,
    ):
        # The writer's calls are in flight while the reader subscribes.
        calls = 300
        for i in range(calls):
            args = [i % 40, f"r{i}", float(i), i, True]
            writer.send(CallReducer(i, "put", args))
        applied = reader.subscribe("SELECT * FROM reading")
        cache = {row["id"]: row for row in rows_of(applied)}
        for _ in range(calls):
            writer.expect(ReducerResult)
        fence = put(writer, 1000, "fence", 0.0)
        # Replaying every later update must touch exactly what is cached.
        tx_id = 0
        while tx_id != fence.tx_id:
            update = reader.update()
            assert update.tx_id > tx_id
            tx_id = update.tx_id
            apply(cache, update)
        with Client(server.ws_url, survey) as latecomer:
            final = latecomer.subscribe("SELECT * FROM reading")
        assert cache == {row["id"]: row for row in rows_of(final)}


def test_unsubscribe_drops_rows_no_other_set_holds_and_stops_updates(
    server: Server, survey: str
) -> None:
    with (
        Client(server.ws_url, survey) as reader,
        Client(server.ws_url, survey) as writer,
    ):
        put(writer, 1, "keep", 20.0)
        put(writer, 2, "x", 30.0)
        reader.subscribe("SELECT * FROM reading WHERE value > 10", query_set_id=1)
        reader.subscribe("SELECT * FROM reading WHERE label = 'keep'", query_set_id=2)
        dropped = reader.unsubscribe(1)
        assert [row["id"] for row in rows_of(dropped)] == [2]
        put(writer, 3, "x", 40.0)  # only the dropped set matched this
        fence = put(writer, 4, "keep", 0.0)
        assert reader.update().tx_id == fence.tx_id


def test_one_off_query_answers_with_columns_and_rows(
    server: Server, survey: str
) -> None:
    with Client(server.ws_url, survey) as client:
        put(client, 1, "a", 1.5)
        put(client, 2, "b", 2.5)
        result = client.query("SELECT label, value FROM reading ORDER BY id")
        assert result.error is None
        assert result.columns == ["label", "value"]
        assert result.rows == [["a", 1.5], ["b", 2.5]]
        failed = client.query("SELECT nothing FROM reading")
        assert failed.error is not None and "nothing" in failed.error
        assert failed.columns == [] and failed.rows == []


def test_first_rows_come_once_per_table_however_many_queries_match(
    server: Server, survey: str
) -> None:
    with Client(server.ws_url, survey) as client:
        put(client, 1, "a", 1.0)
        put(client, 2, "b", 20.0)
        applied = client.subscribe(
            "SELECT * FROM reading",
            "SELECT * FROM reading WHERE value > 10",
        )
        [table] = applied.tables
        assert sorted(row["id"] for row in table.rows) == [1, 2]
