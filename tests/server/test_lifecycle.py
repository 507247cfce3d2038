"""client_connected and client_disconnected, as the server runs them."""

from __future__ import annotations

import socket
import struct

from stdblite.protocol import TransactionUpdate
from stdblite.server import Server

from .conftest import PING_INTERVAL
from .helpers import Client, module_source, publish, refused, rows_of, silent_socket

GAME_PATH = "/v1/database/game/subscribe"


def online_change(update: TransactionUpdate) -> tuple[str, bool]:
    """The player a game update changed, and whether they are online now."""
    [table] = update.tables
    [row] = table.inserts
    return row["identity"], row["is_online"]


def test_client_connected_runs_before_the_client_hears_anything(
    server: Server, game: str
) -> None:
    with Client(server.ws_url, game) as john:
        # The first message was InitialConnection; by then John's row exists.
        applied = john.subscribe("SELECT * FROM player")
        [row] = rows_of(applied)
        assert row["identity"] == str(john.identity) and row["is_online"]


def test_raising_in_client_connected_refuses_with_the_reducers_message(
    server: Server, owner: str
) -> None:
    publish(server.url, owner, "gate", module_source("gate"))
    with Client(server.ws_url, "gate") as first:
        assert first.call("close_door").outcome == "committed"
        code, reason = refused(server.ws_url, "gate", None)
        assert code == 1008
        assert "the door is closed for the night" in reason
        count = first.query("SELECT count(*) FROM visitor")
        assert count.rows == [[1]]


def test_client_disconnected_runs_on_a_clean_close(server: Server, game: str) -> None:
    with Client(server.ws_url, game) as john:
        john.subscribe("SELECT * FROM player")
        with Client(server.ws_url, game) as sara:
            assert online_change(john.update()) == (str(sara.identity), True)
        assert online_change(john.update()) == (str(sara.identity), False)


def test_client_disconnected_runs_when_the_connection_drops(
    server: Server, game: str
) -> None:
    with Client(server.ws_url, game) as john:
        john.subscribe("SELECT * FROM player")
        sara = silent_socket(server.ws_url, GAME_PATH)
        who, _ = online_change(john.update())
        # Reset the TCP connection: no close frame, no goodbye.
        sara.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sara.close()
        assert online_change(john.update()) == (who, False)


def test_client_disconnected_runs_for_a_vanished_client_within_the_keepalive(
    server: Server, game: str
) -> None:
    with Client(server.ws_url, game) as john:
        john.subscribe("SELECT * FROM player")
        sara = silent_socket(server.ws_url, GAME_PATH)
        try:
            who, _ = online_change(john.update())
            # A ping, its timeout, then the closing handshake's timeout: the
            # update must come within those, plus a margin for a busy machine.
            keepalive = 3 * PING_INTERVAL
            assert online_change(john.update(timeout=keepalive + 2.0)) == (who, False)
        finally:
            sara.close()
