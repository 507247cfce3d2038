"""The owner's endpoint: publish, republish, delete, describe, logs."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from websockets.sync.client import connect

from stdblite.cli.remote import admin, get_json
from stdblite.errors import StdbliteError
from stdblite.protocol import (
    AdminResult,
    DeleteDatabase,
    Describe,
    LogLines,
    Logs,
    Publish,
    decode_server,
    encode_admin,
)
from stdblite.server import Server
from stdblite.tokens import identity_for

from .helpers import (
    Client,
    module_source,
    new_token,
    publish,
    refused,
    rows_of,
)

BROKEN_SOURCES = [
    ("from stdblite import table\n\ndef broken(:\n", "syntax error"),
    ("raise RuntimeError('the module fell over')\n", "the module fell over"),
]


def identity_of(token: str) -> str:
    """The identity a server-minted token stands for, as hex."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return str(identity_for(claims["iss"], claims["sub"]))


@pytest.fixture
def notes(server: Server, owner: str) -> str:
    """Notes v1 published by ``owner``, with one note in it; its name."""
    publish(server.url, owner, "notes", module_source("notes_v1"))
    with Client(server.ws_url, "notes") as client:
        assert client.call("add_note", 1, "first").outcome == "committed"
    return "notes"


def note_rows(server: Server) -> list[dict[str, Any]]:
    """Every note, as a fresh client sees it."""
    with Client(server.ws_url, "notes") as client:
        applied = client.subscribe("SELECT * FROM note")
        return rows_of(applied)


def test_the_first_publisher_owns_the_database(server: Server, owner: str) -> None:
    result = publish(server.url, owner, "notes", module_source("notes_v1"))
    assert result["created"] is True and result["owner"] == identity_of(owner)
    someone = new_token(server.url)
    described = admin(server.url, someone, Describe(1, "notes"))
    assert described["owner"] == identity_of(owner)
    assert [t["name"] for t in described["tables"]] == ["note"]
    assert [r["name"] for r in described["reducers"]] == ["add_note"]


def test_someone_else_may_not_republish_delete_or_read_logs(
    server: Server, notes: str
) -> None:
    someone = new_token(server.url)
    with pytest.raises(StdbliteError, match="only the owner of notes"):
        publish(server.url, someone, notes, module_source("notes_v2"))
    with pytest.raises(StdbliteError, match="only the owner of notes"):
        admin(server.url, someone, DeleteDatabase(1, notes))
    with pytest.raises(StdbliteError, match="only the owner of notes"):
        admin(server.url, someone, Logs(1, notes, 10, False))
    assert [row["text"] for row in note_rows(server)] == ["first"]


def test_republishing_an_additive_change_keeps_the_data(
    server: Server, owner: str, notes: str
) -> None:
    with Client(server.ws_url, notes) as old_client:
        result = publish(server.url, owner, notes, module_source("notes_v2"))
        assert result["created"] is False
        assert old_client.close_reason() == (1012, "database republished")
    assert [row["text"] for row in note_rows(server)] == ["first"]
    with Client(server.ws_url, notes) as client:
        assert client.call("tag_note", 1, "kept").outcome == "committed"


def test_a_change_the_data_cannot_follow_is_refused_saying_which(
    server: Server, owner: str, notes: str
) -> None:
    with pytest.raises(StdbliteError, match=r"column note\.text changed type"):
        publish(server.url, owner, notes, module_source("notes_retyped"))
    with Client(server.ws_url, notes) as client:
        assert client.call("add_note", 2, "still text").outcome == "committed"
    assert [row["text"] for row in note_rows(server)] == ["first", "still text"]


def test_delete_data_wipes_the_data_and_runs_init_again(
    server: Server, owner: str
) -> None:
    publish(server.url, owner, "gate", module_source("gate"))
    with Client(server.ws_url, "gate") as guest:
        assert guest.call("close_door").outcome == "committed"
    assert "closed" in refused(server.ws_url, "gate", None)[1]
    publish(server.url, owner, "gate", module_source("gate"), delete_data=True)
    with Client(server.ws_url, "gate") as guest:  # init opened the door again
        assert guest.query("SELECT count(*) FROM visitor").rows == [[1]]


@pytest.mark.parametrize(("source", "says"), BROKEN_SOURCES)
def test_a_module_that_fails_to_load_is_refused_and_the_old_one_keeps_running(
    server: Server, owner: str, notes: str, source: str, says: str
) -> None:
    with Client(server.ws_url, notes) as client:
        client.subscribe("SELECT * FROM note")
        with pytest.raises(StdbliteError, match=says):
            publish(server.url, owner, notes, source)
        # The same connection goes on, on the old module.
        assert client.call("add_note", 2, "after").outcome == "committed"


def test_delete_closes_clients_and_removes_the_file(
    server: Server, owner: str, notes: str, tmp_path: Path
) -> None:
    file = tmp_path / "data" / "databases" / "notes.duckdb"
    assert file.exists()
    with Client(server.ws_url, notes) as client:
        assert admin(server.url, owner, DeleteDatabase(1, notes))["deleted"] is True
        assert client.close_reason() == (1012, "database deleted")
    assert not file.exists()
    assert get_json(server.url, "/v1/databases")["databases"] == []
    code, reason = refused(server.ws_url, notes, None)
    assert code == 1008 and "no such database" in reason


def test_logs_give_the_last_lines_and_follow_new_ones(
    server: Server, owner: str, survey: str
) -> None:
    with Client(server.ws_url, survey) as client:
        assert client.call("chatter", 5).outcome == "committed"
        last = admin(server.url, owner, Logs(1, survey, 2, False))["lines"]
        assert [line.rsplit(": ", 1)[1] for line in last] == [
            "chatter line 3",
            "chatter line 4",
        ]
        with follow_logs(server, owner, survey) as follower:
            assert client.call("chatter", 2).outcome == "committed"
            seen: list[str] = []
            while len(seen) < 2:
                reply = decode_server(follower.recv(timeout=10))
                assert isinstance(reply, LogLines)
                seen += [line.rsplit(": ", 1)[1] for line in reply.lines]
            assert seen == ["chatter line 0", "chatter line 1"]


@contextlib.contextmanager
def follow_logs(server: Server, token: str, database: str) -> Iterator[object]:
    """An admin socket following a database's log, past its first answer."""
    url = f"{server.ws_url}/v1/admin?token={token}"
    with connect(url, compression=None) as socket:
        socket.send(encode_admin(Logs(1, database, 0, True)))
        first = decode_server(socket.recv(timeout=10))
        assert isinstance(first, AdminResult) and first.error is None
        yield socket


def outward_address() -> str | None:
    """An IPv4 address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


def test_a_new_database_from_another_machine_needs_the_publish_key(
    start_server: Callable[..., Server],
) -> None:
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no address beyond loopback")
    server = start_server(host=address, publish_key="open sesame")
    token = new_token(server.url)
    with pytest.raises(StdbliteError, match="publish key"):
        publish(server.url, token, "notes", module_source("notes_v1"))
    result = admin_with_key(server, token, "open sesame")
    assert result["created"] is True


def admin_with_key(server: Server, token: str, key: str) -> dict[str, object]:
    """Publish notes presenting the server's publish key."""
    request = Publish(1, "notes", module_source("notes_v1"), False)
    return admin(server.url, token, request, key)
