"""Bad tokens and SQL escape attempts: every one refused, nothing runs.

A token that is altered, truncated, empty, expired, from the wrong issuer
or from another server never reaches a reducer: ``client_connected`` does
not run for it. Every SQL escape attempt (files, settings, extensions,
attached databases, private and system tables) is refused with a message,
for the owner as for a stranger where the table rule does not apply.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from stdblite.cli.remote import get_json
from stdblite.errors import StdbliteError
from stdblite.protocol import InitialConnection, decode_server
from stdblite.server import Server

from .helpers import MODULES, SUMMARY, new_token, publish, sql


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("data"), port=0).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def owner(server: Server) -> str:
    token = new_token(server.url)
    publish(server.url, token, "store", (MODULES / "store.py").read_text())
    return token


def _connect(server: Server, token: str) -> InitialConnection:
    """Open a client connection with ``token``; its InitialConnection."""
    query = urllib.parse.urlencode({"token": token})
    url = f"{server.ws_url}/v1/database/store/subscribe?{query}"
    with connect(url, open_timeout=10) as socket:
        first = decode_server(socket.recv(timeout=10))
    assert isinstance(first, InitialConnection)
    return first


def _transactions(server: Server, owner: str) -> int:
    """How many transactions the store database has committed."""
    rows = sql(server.url, owner, "store", "SELECT count(*) AS n FROM st_transaction")
    return int(rows[0]["n"])


def _flip_last_char(text: str) -> str:
    """The same text with its last character changed."""
    return text[:-1] + ("A" if text[-1] != "A" else "B")


def _bad_tokens(server: Server, good: str, other_server: str) -> dict[str, str]:
    """Tokens that must all be refused, by what is wrong with them."""
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * -len(payload)))
    key = bytes.fromhex((server.data_dir / "signing.key").read_text())
    raised = {**claims, "sub": "someone-else"}
    forged_payload = base64.urlsafe_b64encode(json.dumps(raised).encode())
    return {
        "altered signature": f"{header}.{payload}.{_flip_last_char(signature)}",
        "altered claims": f"{header}.{forged_payload.decode().rstrip('=')}.{signature}",
        "truncated": good[: len(good) // 2],
        "empty": "",
        "not a token": "hello",
        "no signature": jwt.encode(claims, key="", algorithm="none"),
        "wrong issuer": jwt.encode({**claims, "iss": "elsewhere"}, key, "HS256"),
        "expired": jwt.encode({**claims, "exp": int(time.time()) - 60}, key, "HS256"),
        "another server": other_server,
    }


def test_every_bad_token_is_refused_and_runs_no_reducer(server, owner, tmp_path):
    good = new_token(server.url)
    with Server(tmp_path / "other", port=0) as other:
        other_token = new_token(other.url)
    before = _transactions(server, owner)
    for what, token in _bad_tokens(server, good, other_token).items():
        with pytest.raises(ConnectionClosed) as refused:
            _connect(server, token)
        close = refused.value.rcvd
        assert close is not None and close.code == 1008, what
        assert "token" in close.reason, what
        SUMMARY["bad inputs tried"] += 1
    assert _transactions(server, owner) == before
    # The good token still works, and its connection runs client_connected.
    assert _connect(server, good).identity
    SUMMARY["runs"] += 1


ESCAPES = [
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM read_parquet('/tmp/x.parquet')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM glob('/*')",
    "SELECT getenv('HOME')",
    "SELECT current_setting('enable_external_access')",
    "SELECT * FROM duckdb_settings()",
    "SELECT * FROM duckdb_databases()",
    "COPY item TO '/tmp/stolen.csv'",
    "COPY (SELECT 1) TO '/tmp/stolen.csv'",
    "EXPORT DATABASE '/tmp/stolen'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "RESET enable_external_access",
    "PRAGMA enable_profiling",
    "CALL pragma_version()",
    "CREATE TABLE evil AS SELECT 1",
    "DROP TABLE item",
    "INSERT INTO item VALUES ('k', 1)",
    "UPDATE item SET value = 0",
    "DELETE FROM item",
    "SELECT 1; DROP TABLE item",
    "CHECKPOINT",
]
"""Refused for everyone, the owner included."""

STRANGER_ONLY = [
    "SELECT * FROM secret",
    "SELECT * FROM st_client",
    "SELECT * FROM st_transaction",
    "SELECT * FROM st_module",
    "SELECT (SELECT count(*) FROM secret) AS n",
    "WITH secret AS (SELECT * FROM secret) SELECT * FROM secret",
    "SELECT * FROM item WHERE key IN (SELECT key FROM secret)",
    "SELECT * FROM information_schema.tables",
    "DESCRIBE secret",
]
"""Refused for a stranger: private and system tables hold others' data."""


def _query(server: Server, token: str, query: str) -> str:
    """Run one query over HTTP; the error message, or fail if it ran."""
    path = "/v1/database/store/sql?" + urllib.parse.urlencode({"query": query})
    with pytest.raises(StdbliteError) as refused:
        get_json(server.url, path, token)
    return str(refused.value)


def test_every_sql_escape_is_refused(server, owner):
    stranger = new_token(server.url)
    for query in ESCAPES:
        for token in (owner, stranger):
            message = _query(server, token, query)
            assert message and "Traceback" not in message, query
            SUMMARY["bad inputs tried"] += 1
    for query in STRANGER_ONLY:
        message = _query(server, stranger, query)
        assert "visible" in message or "owner" in message or "allowed" in message
        SUMMARY["bad inputs tried"] += 1
    assert not Path("/tmp/stolen.csv").exists()
    assert sql(server.url, owner, "store", "SELECT count(*) AS n FROM secret")
    SUMMARY["runs"] += 1
