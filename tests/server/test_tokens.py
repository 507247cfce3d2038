"""Tokens on the wire: minted once, kept by the client, checked every time."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest

from stdblite.cli.remote import admin
from stdblite.errors import StdbliteError
from stdblite.protocol import Describe
from stdblite.server import Server
from stdblite.tokens import TokenAuthority, identity_for

from .helpers import Client, new_token, refused, rows_of


def claims_of(token: str) -> dict[str, object]:
    """A token's claims, read without checking the signature."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_a_client_without_a_token_gets_one_signed_with_the_kept_key(
    server: Server, game: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "data" / "signing.key"
    with Client(server.ws_url, game) as john:
        claims = claims_of(john.token)
    assert set(claims) == {"iss", "sub", "iat"}
    assert claims["iss"] == (tmp_path / "data" / "issuer").read_text().strip()
    assert abs(int(str(claims["iat"])) - time.time()) < 600
    assert john.identity == identity_for(str(claims["iss"]), str(claims["sub"]))
    key = bytes.fromhex(key_file.read_text())
    jwt.decode(john.token, key, algorithms=["HS256"], issuer=str(claims["iss"]))
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_two_clients_without_tokens_are_two_identities(
    server: Server, game: str
) -> None:
    with Client(server.ws_url, game) as john, Client(server.ws_url, game) as sara:
        assert john.identity != sara.identity
        assert claims_of(john.token)["sub"] != claims_of(sara.token)["sub"]


def test_the_same_token_is_the_same_player_after_a_restart(
    start_server: Callable[..., Server], game: str, server: Server, tmp_path: Path
) -> None:
    with Client(server.ws_url, game) as sara:
        assert sara.call("move_player", 7700.0, 5400.0).outcome == "committed"
        saved, identity = sara.token, sara.identity
    key = (tmp_path / "data" / "signing.key").read_text()
    server.stop()

    again = start_server()
    assert (tmp_path / "data" / "signing.key").read_text() == key
    mine = f"SELECT * FROM player WHERE identity = {identity}"
    with Client(again.ws_url, game) as watcher:
        watcher.subscribe(mine)
        for via_header in (False, True):
            with Client(again.ws_url, game, saved, via_header=via_header) as back:
                assert back.identity == identity and back.token == saved
                [row] = rows_of(back.subscribe(mine))
                assert (row["position_x"], row["position_y"]) == (7700.0, 5400.0)
                assert row["is_online"]
            # Wait until the server has seen Sara leave, online then offline.
            watcher.update()
            [table] = watcher.update().tables
            assert not table.inserts[0]["is_online"]


# --- tokens that must be refused ---------------------------------------------

Forger = Callable[[str, bytes, str, Path], str]


def forged(issuer: str, key: bytes, real: str, tmp_path: Path) -> str:
    """Our issuer's claims, signed with a key that is not ours."""
    claims = {"iss": issuer, "sub": "someone", "iat": int(time.time())}
    return jwt.encode(claims, b"not the server's key, not at all", algorithm="HS256")


def altered(issuer: str, key: bytes, real: str, tmp_path: Path) -> str:
    """A real token whose subject was edited, keeping the old signature."""
    header, _, signature = real.split(".")
    claims = {**claims_of(real), "sub": "someone else"}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    return f"{header}.{body.decode()}.{signature}"


def expired(issuer: str, key: bytes, real: str, tmp_path: Path) -> str:
    """Signed with the server's own key, but its ``exp`` has passed."""
    now = int(time.time())
    claims = {"iss": issuer, "sub": "late", "iat": now - 3600, "exp": now - 60}
    return jwt.encode(claims, key, algorithm="HS256")


def elsewhere(issuer: str, key: bytes, real: str, tmp_path: Path) -> str:
    """A valid token of another server's data directory."""
    token, _ = TokenAuthority.in_folder(tmp_path / "elsewhere").mint()
    return token


def garbage(issuer: str, key: bytes, real: str, tmp_path: Path) -> str:
    """Not a JWT at all."""
    return "not-a-token"


BAD_TOKENS: list[tuple[Forger, str]] = [
    (forged, "signature does not match"),
    (altered, "signature does not match"),
    (expired, "expired"),
    (elsewhere, "issued by another server"),
    (garbage, "not valid"),
]


@pytest.mark.parametrize(("forger", "says"), BAD_TOKENS)
def test_a_bad_token_is_refused_before_any_reducer_runs(
    server: Server, game: str, tmp_path: Path, forger: Forger, says: str
) -> None:
    data = tmp_path / "data"
    issuer = (data / "issuer").read_text().strip()
    key = bytes.fromhex((data / "signing.key").read_text())
    token = forger(issuer, key, new_token(server.url), tmp_path)
    with Client(server.ws_url, game) as watcher:
        watcher.subscribe("SELECT * FROM player")
        for via_header in (False, True):
            code, reason = refused(server.ws_url, game, token, via_header=via_header)
            assert code == 1008 and "invalid token" in reason and says in reason
        with pytest.raises(StdbliteError, match="invalid token"):
            admin(server.url, token, Describe(1, game))
        # Had client_connected run, its player would arrive before this one.
        with Client(server.ws_url, game) as fence:
            [table] = watcher.update().tables
            assert [row["identity"] for row in table.inserts] == [str(fence.identity)]
