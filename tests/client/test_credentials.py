"""Saving and loading a token file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stdblite.client import credentials
from stdblite.errors import CredentialsError
from stdblite.tokens import TokenAuthority


@pytest.fixture
def token() -> str:
    """A real token, as a server mints it."""
    return TokenAuthority.ephemeral().mint()[0]


def test_no_file_means_no_token(tmp_path: Path) -> None:
    assert credentials.load(tmp_path / "spacetimedb_token") is None


def test_a_saved_token_loads_back(tmp_path: Path, token: str) -> None:
    path = tmp_path / "spacetimedb_token"
    credentials.save(token, path)
    assert credentials.load(path) == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = TokenAuthority.ephemeral().mint()[0]
    credentials.save(other, path)
    assert credentials.load(path) == other
    assert [p.name for p in tmp_path.iterdir()] == ["spacetimedb_token"]


def test_the_default_path_is_in_the_current_folder(
    tmp_path: Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert credentials.load() is None
    credentials.save(token)
    assert (tmp_path / "spacetimedb_token").read_text().strip() == token
    assert credentials.load() == token


@pytest.mark.parametrize(
    "content", [b"", b"\n", b"not a token", b"\xff\xfe\x00garbage", b"a.b.c d"]
)
def test_a_garbled_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "spacetimedb_token"
    path.write_bytes(content)
    with pytest.raises(CredentialsError, match="does not hold a token"):
        credentials.load(path)
    assert path.read_bytes() == content  # left as it was


def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "spacetimedb_token").mkdir()
    with pytest.raises(CredentialsError, match="cannot read the token file"):
        credentials.load(tmp_path / "spacetimedb_token")


def test_saving_refuses_what_is_not_a_token_or_cannot_be_written(
    tmp_path: Path, token: str
) -> None:
    with pytest.raises(CredentialsError, match="not a token"):
        credentials.save("hello", tmp_path / "t")
    with pytest.raises(CredentialsError, match="cannot save"):
        credentials.save(token, tmp_path / "missing" / "t")
    assert list(tmp_path.iterdir()) == []
