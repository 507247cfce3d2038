"""Bad input: a clear answer, nothing changed, everyone else still served."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stdblite.cli.remote import admin
from stdblite.protocol import (
    CallReducer,
    ClientMessage,
    Error,
    Logs,
    OneOffQuery,
    OneOffQueryResult,
    ReducerResult,
    ServerMessage,
    Subscribe,
    SubscriptionError,
)
from stdblite.server import Server, session

from .helpers import Client, closed_with, ids, put, silent_socket

SPAWN_X, SPAWN_Y = 7712.0, 5408.0

Frame = str | bytes | ClientMessage
BAD_FRAMES: list[tuple[str, Frame, type[ServerMessage], str]] = [
    ("broken JSON", '{"CallReducer": {', Error, "not valid JSON"),
    ("not UTF-8", b"\xff\xfe", Error, "not valid UTF-8"),
    ("not a message", "[1, 2, 3]", Error, "one key naming its type"),
    ("unknown message", '{"Explode": {"request_id": 3}}', Error, "unknown message"),
    (
        "a server's message",
        '{"Error": {"request_id": 3, "error": "x"}}',
        Error,
        "not a message a client sends",
    ),
    (
        "missing field",
        '{"CallReducer": {"request_id": 4, "reducer": "move_player"}}',
        Error,
        "missing field 'args'",
    ),
    (
        "unknown reducer",
        CallReducer(5, "fly", [1]),
        ReducerResult,
        "has no reducer 'fly'",
    ),
    (
        "lifecycle reducer",
        CallReducer(6, "identity_connected", []),
        ReducerResult,
        "has no reducer 'identity_connected'",
    ),
    (
        "wrong argument type",
        CallReducer(7, "move_player", ["left", 0]),
        ReducerResult,
        "argument 'x'",
    ),
    (
        "wrong argument count",
        CallReducer(8, "move_player", [1.0]),
        ReducerResult,
        "takes 2 argument(s), got 1",
    ),
    (
        "refused by the reducer",
        CallReducer(9, "move_player", [0.0, 0.0]),
        ReducerResult,
        "too long",
    ),
    (
        "subscribe to a private table",
        Subscribe(10, 1, ["SELECT * FROM wanderer"]),
        SubscriptionError,
        "'wanderer' is private",
    ),
    (
        "query a private table",
        OneOffQuery(11, "SELECT * FROM wanderer"),
        OneOffQueryResult,
        "wanderer",
    ),
    (
        "write through a query",
        OneOffQuery(12, "DELETE FROM player"),
        OneOffQueryResult,
        "read-only",
    ),
    (
        "read a file through a query",
        OneOffQuery(13, "SELECT * FROM read_csv('/etc/passwd')"),
        OneOffQueryResult,
        "read_csv() is not allowed",
    ),
]


def error_text(answer: ServerMessage) -> str:
    """The error an answer carries; it must carry one."""
    error: Any = getattr(answer, "error", None)
    assert isinstance(error, str) and error, answer
    return error


def everyone(client: Client) -> list[list[Any]]:
    """Every player row, as a client may read it."""
    result = client.query("SELECT * FROM player ORDER BY username")
    assert result.error is None
    return result.rows


@pytest.mark.parametrize(
    ("frame", "answer_type", "says"),
    [case[1:] for case in BAD_FRAMES],
    ids=[case[0] for case in BAD_FRAMES],
)
def test_a_bad_frame_gets_a_clear_answer_and_changes_nothing(
    server: Server,
    game: str,
    frame: Frame,
    answer_type: type[ServerMessage],
    says: str,
) -> None:
    with Client(server.ws_url, game) as john, Client(server.ws_url, game) as sara:
        sara.subscribe("SELECT * FROM player")
        before = everyone(sara)
        if isinstance(frame, str | bytes):
            john.send_text(frame)
        else:
            john.send(frame)
        answer = john.expect(answer_type)
        error = error_text(answer)
        assert says in error and "Traceback" not in error
        assert everyone(sara) == before
        # John's connection still works, and Sara hears of nothing before it.
        moved = john.call("move_player", SPAWN_X - 10, SPAWN_Y)
        assert moved.outcome == "committed"
        assert sara.update().tx_id == moved.tx_id


def test_a_crashing_reducer_reports_an_internal_error_and_rolls_back(
    server: Server, survey: str, owner: str
) -> None:
    with Client(server.ws_url, survey) as client:
        crashed = client.call("crash")
        assert crashed.outcome == "internal_error"
        assert "ZeroDivisionError" in error_text(crashed)
        assert "Traceback" not in error_text(crashed)
        assert client.query("SELECT count(*) FROM reading").rows == [[0]]
        put(client, 1, "still fine", 1.0)
    lines = admin(server.url, owner, Logs(1, survey, 50, False))["lines"]
    assert any("Traceback" in line for line in lines)


def test_a_message_over_the_size_limit_closes_only_its_sender(
    server: Server, game: str
) -> None:
    with Client(server.ws_url, game) as john, Client(server.ws_url, game) as sara:
        sara.subscribe("SELECT * FROM player")
        args = ["x" * server.max_message_size, 0.0]
        john.send_text(
            json.dumps(
                {
                    "CallReducer": {
                        "request_id": 1,
                        "reducer": "move_player",
                        "args": args,
                    }
                }
            )
        )
        code, reason = closed_with(john.recv)
        assert code == 1009 and "exceeds limit" in reason
        [table] = sara.update().tables  # John's client_disconnected
        assert table.inserts[0]["identity"] == str(john.identity)
        assert not table.inserts[0]["is_online"]
        assert sara.call("move_player", SPAWN_X + 10, SPAWN_Y).outcome == "committed"


def test_a_client_that_stops_reading_is_dropped_and_the_rest_go_on(
    server: Server, survey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session, "MAX_BUFFERED", 256 * 1024)
    db = server.catalog.databases[survey].db
    stalled = silent_socket(server.ws_url, f"/v1/database/{survey}/subscribe")
    url = server.ws_url
    try:
        stalled.sendall(masked_text(SUBSCRIBE_ALL))
        with Client(url, survey) as reader, Client(url, survey) as writer:
            reader.subscribe("SELECT * FROM reading")
            # Each update is 60 kB; the stalled client's backlog grows.
            number = 0
            while len(db.connections()) == 3 and number < 2_000:
                number += 1
                put(writer, number, "x" * 60_000, 1.0)
                assert ids(reader.update()) == ([number], [])
            assert len(db.connections()) == 2, "the stalled client was kept"
            put(writer, 0, "after", 1.0)
            assert ids(reader.update()) == ([0], [])
    finally:
        stalled.close()


SUBSCRIBE_ALL = (
    '{"Subscribe": {"request_id": 1, "query_set_id": 1, '
    '"queries": ["SELECT * FROM reading"]}}'
)


def masked_text(text: str) -> bytes:
    """A short client text frame, masked with the zero key."""
    payload = text.encode()
    assert len(payload) < 126
    return bytes((0x81, 0x80 | len(payload))) + b"\0\0\0\0" + payload
