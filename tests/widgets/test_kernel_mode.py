"""The widgets over a DbConnection: a real server, a real client, no browser.

The browser side of this mode is the model-driven module the page tests
render; here the Python side is checked: it subscribes, turns rows into
the ``players`` trait, reports the status, and makes the browser's
reducer calls on the connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stdblite.cli.demo import start_demo
from stdblite.client import DbConnection
from stdblite.errors import StdbliteError
from stdblite.examples.game import SPAWN_X, SPAWN_Y
from stdblite.server import Server
from stdblite.widgets import Columns, OnlineList, PlayerMap


@pytest.fixture
def server() -> Iterator[Server]:
    server = Server(in_memory=True, port=0).start()
    start_demo(server, wanderers=0)
    yield server
    server.stop()


@pytest.fixture
def connect(server: Server) -> Iterator[Callable[[], DbConnection]]:
    made: list[DbConnection] = []

    def connect_() -> DbConnection:
        conn = (
            DbConnection.builder()
            .with_uri(server.url)
            .with_database_name("bevy-game")
            .build()
        )
        conn.run_threaded()
        conn.wait_until_connected()
        made.append(conn)
        return conn

    yield connect_
    for conn in made:
        conn.disconnect()


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def answers(widget: Any) -> list[dict[str, Any]]:
    """Keep what the widget sends to the browser in a list."""
    sent: list[dict[str, Any]] = []
    widget.send = lambda content, buffers=None: sent.append(content)
    return sent


def browser_calls(widget: Any, id: int, reducer: str, *args: Any) -> None:
    """What the front end sends when a key asks for a step."""
    message = {"type": "call", "id": id, "reducer": reducer, "args": list(args)}
    widget._handle_custom_msg(message, [])


def test_the_map_follows_the_client_cache(connect: Any) -> None:
    john, sara = connect(), connect()
    widget = PlayerMap(john)
    try:
        wait_for(lambda: widget.status == "connected" and len(widget.players) == 2)
        assert widget.me == str(john.identity)
        mine = next(p for p in widget.players if p["identity"] == widget.me)
        assert mine == {
            "identity": str(john.identity),
            "name": john.db.player.identity.find(john.identity).username,
            "x": SPAWN_X,
            "y": SPAWN_Y,
            "online": True,
        }
        sara.reducers.move_player(SPAWN_X - 100.0, SPAWN_Y)
        wait_for(lambda: any(p["x"] == SPAWN_X - 100 for p in widget.players))
        sara.disconnect()
        wait_for(lambda: [p["online"] for p in widget.players].count(False) == 1)
    finally:
        widget.close()


def test_the_browser_walks_through_the_move_reducer(connect: Any) -> None:
    john = connect()
    widget = PlayerMap(john, move_reducer="move_player")
    sent = answers(widget)
    try:
        wait_for(lambda: widget.status == "connected")
        browser_calls(widget, 1, "move_player", SPAWN_X - 8.0, SPAWN_Y)
        browser_calls(widget, 2, "move_player", 0.0, SPAWN_Y)
        browser_calls(widget, 3, "register_player", "Mallory")
        browser_calls(widget, 4, "move_player", "left")
        wait_for(lambda: len(sent) == 4)
        by_id = {answer["id"]: answer["error"] for answer in sent}
        assert by_id[1] is None
        assert by_id[2].startswith("A step of 7704 px is too long")
        assert by_id[3] == "this widget does not call 'register_player'"
        assert by_id[4] is not None
        wait_for(lambda: john.db.player.identity.find(john.identity).position_x == 7704)
    finally:
        widget.close()


def test_a_list_never_calls_reducers(connect: Any) -> None:
    widget = OnlineList(connect())
    sent = answers(widget)
    try:
        browser_calls(widget, 1, "move_player", 1.0, 1.0)
        assert sent == [
            {
                "type": "result",
                "id": 1,
                "error": "this widget does not call 'move_player'",
            }
        ]
    finally:
        widget.close()


def test_status_says_disconnected_when_the_connection_ends(connect: Any) -> None:
    john = connect()
    widget = OnlineList(john)
    try:
        wait_for(lambda: widget.status == "connected")
        john.disconnect()
        wait_for(lambda: widget.status == "disconnected")
    finally:
        widget.close()


def test_a_closed_widget_stops_following(connect: Any) -> None:
    john, sara = connect(), connect()
    widget = PlayerMap(john)
    wait_for(lambda: len(widget.players) == 2)
    widget.close()
    before = list(widget.players)
    sara.reducers.move_player(SPAWN_X - 50.0, SPAWN_Y)
    wait_for(lambda: john.db.player.identity.find(sara.identity) is None)
    time.sleep(0.1)
    assert widget.players == before


def test_other_columns_can_be_named(connect: Any) -> None:
    widget = PlayerMap(connect(), columns=Columns(name="identity"))
    try:
        wait_for(lambda: len(widget.players) == 1)
        assert widget.players[0]["name"] == widget.me
    finally:
        widget.close()


def test_repr_names_no_live_value(connect: Any) -> None:
    widget = PlayerMap(connect(), zoom=3)
    try:
        assert repr(widget) == (
            "PlayerMap(table='player', world of 241 x 169 tiles, "
            "following a DbConnection)"
        )
        assert repr(OnlineList("http://127.0.0.1:3000", database="bevy-game")) == (
            "OnlineList(table='player', url='http://127.0.0.1:3000', "
            "database='bevy-game')"
        )
    finally:
        widget.close()


def test_a_missing_table_is_said_not_raised(connect: Any) -> None:
    widget = OnlineList(connect(), columns=Columns(table="hero"))
    try:
        wait_for(lambda: widget.status == "disconnected")
        assert "hero" in widget.status_detail
    finally:
        widget.close()


@pytest.mark.parametrize(
    ("source", "database", "message"),
    [
        (None, None, "takes a DbConnection or a server URL, not NoneType"),
        ("localhost:3000", "bevy-game", "needs a server URL like http://"),
        ("http://127.0.0.1:3000", None, "needs the database name"),
    ],
)
def test_a_wrong_source_is_refused_clearly(
    source: Any, database: str | None, message: str
) -> None:
    with pytest.raises(StdbliteError, match=message):
        PlayerMap(source, database=database)
