"""The ``stdb`` command against a real server, typed the way a learner types it.

Each test runs the real command in a subprocess with its own ``STDB_HOME``,
against a server on 127.0.0.1 with a port the system chose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stdblite.cli import build_parser
from stdblite.server import Server

GAME = Path(__file__).parents[2] / "stdblite" / "examples" / "game.py"


class Stdb:
    """Runs ``stdb`` as a learner would, with a private config directory."""

    def __init__(self, home: Path, server: str) -> None:
        self.env = {**os.environ, "STDB_HOME": str(home)}
        self.server = server

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one command; check its exit code matches ``ok``."""
        done = subprocess.run(
            [sys.executable, "-m", "stdblite", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode == 0) == ok, done.stdout + done.stderr
        return done

    def on_server(self, command: str, *args: str, ok: bool = True) -> str:
        """Run a command that takes ``-s SERVER``; return what it printed."""
        done = self(command, "-s", self.server, *args, ok=ok)
        return done.stdout if ok else done.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("data"), port=0).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stdb(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Stdb:
    tool = Stdb(tmp_path_factory.mktemp("home"), server.url)
    tool.on_server("publish", "-p", str(GAME), "game")
    return tool


def test_publish_announces_the_new_database(server, tmp_path):
    tool = Stdb(tmp_path, server.url)
    out = tool.on_server("publish", "-p", str(GAME), "fresh")
    assert out.startswith("Created new database fresh (identity 0x")
    assert "fresh" in tool.on_server("list").split()


def test_the_first_sql_shows_an_empty_player_table(stdb, server, tmp_path):
    # sql is not a client connection, so no lifecycle reducer has run yet.
    tool = Stdb(tmp_path, server.url)
    tool.on_server("publish", "-p", str(GAME), "empty")
    out = tool.on_server("sql", "empty", "SELECT * FROM player")
    header, rule, *rest = out.splitlines()
    assert header.split("|")[0].strip() == "identity"
    assert set(rule) <= {"-", "+"}
    assert rest == ["(0 rows)"]


def test_call_connects_runs_and_leaves(stdb):
    stdb.on_server("call", "game", "register_player", '"TestPlayer"')
    out = stdb.on_server(
        "sql", "game", "SELECT username, is_online FROM player", "--format", "json"
    )
    rows = json.loads(out)
    assert {"username": "TestPlayer", "is_online": False} in rows


def test_the_saved_identity_updates_its_own_row(stdb):
    stdb.on_server("call", "game", "register_player", '"First"')
    stdb.on_server("call", "game", "register_player", '"Second"')
    out = stdb.on_server(
        "sql", "game", "SELECT username FROM player", "--format", "json"
    )
    names = [row["username"] for row in json.loads(out)]
    assert "Second" in names and "First" not in names


def test_anonymous_call_is_another_identity(stdb):
    stdb.on_server("call", "--anonymous", "game", "register_player", '"Stranger"')
    stdb.on_server("call", "game", "register_player", '"Owner"')
    out = stdb.on_server(
        "sql", "game", "SELECT username FROM player", "--format", "json"
    )
    names = {row["username"] for row in json.loads(out)}
    assert {"Stranger", "Owner"} <= names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["call", "game", "no_such"], "has no reducer 'no_such'"),
        (["call", "game", "register_player", "5"], "expected str, got int"),
        (["call", "game", "register_player", "{oops"], "is not JSON"),
        (["call", "missing", "register_player", '"x"'], "missing"),
        (["sql", "game", "DELETE FROM player"], "read-only"),
        (["sql", "--anonymous", "game", "SELECT * FROM wanderer"], "visible"),
        (["sql", "game", "SELECT * FROM read_text('/etc/passwd')"], "not allowed"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(stdb, args, message):
    before = stdb.on_server("sql", "game", "SELECT * FROM player", "--format", "json")
    err = stdb.on_server(*args, ok=False)
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    after = stdb.on_server("sql", "game", "SELECT * FROM player", "--format", "json")
    assert json.loads(after) == json.loads(before)


def test_an_unreachable_server_is_named(tmp_path):
    tool = Stdb(tmp_path, "http://127.0.0.1:1")
    err = tool.on_server("sql", "game", "SELECT 1", ok=False)
    assert "cannot reach http://127.0.0.1:1" in err
    assert "Traceback" not in err


def test_describe_lists_tables_and_reducers(stdb):
    out = stdb.on_server("describe", "game")
    assert "table player (public)" in out
    assert "reducer register_player(username: str)" in out
    schema = json.loads(stdb.on_server("describe", "--json", "game"))
    assert "player" in json.dumps(schema)


def test_logs_show_what_the_module_logged(stdb):
    # Each new identity's first connection logs "<generated name> joined".
    joined = stdb.on_server("logs", "-n", "1000", "game").count(" joined")
    stdb.on_server("call", "--anonymous", "game", "register_player", '"Logger"')
    out = stdb.on_server("logs", "-n", "1000", "game")
    assert out.count(" joined") == joined + 1
    assert len(stdb.on_server("logs", "-n", "2", "game").splitlines()) == 2


def test_login_with_a_server_issued_token_and_logout(stdb, server, tmp_path):
    tool = Stdb(tmp_path, server.url)
    tool("login", "--server-issued-login", server.url)
    shown = tool("login", "show", "--token").stdout
    assert "0x" in shown and "." in shown.split()[-1]
    tool("logout")
    assert "not logged in" in tool("login", "show").stdout


def test_a_malformed_token_typed_at_login_is_refused_and_not_saved(
    stdb, server, tmp_path
):
    tool = Stdb(tmp_path, server.url)
    tool("login", "--server-issued-login", server.url)
    before = tool("login", "show", "--token").stdout
    refused = tool("login", "--token", "not-a-token", ok=False)
    assert refused.stderr.strip() == (
        "error: that token is malformed; give one as `stdb login show --token` prints"
    )
    assert tool("login", "show", "--token").stdout == before


def test_a_republish_that_drops_a_table_is_refused_with_the_reason(stdb, tmp_path):
    smaller = tmp_path / "module.py"
    smaller.write_text(
        "from stdblite import table, PrimaryKey\n\n"
        "@table(public=True)\n"
        "class Other:\n"
        "    id: PrimaryKey[int]\n"
    )
    err = stdb.on_server("publish", "-p", str(tmp_path), "game", ok=False)
    assert err.startswith("error: ") and "player" in err
    out = stdb.on_server("sql", "game", "SELECT count(*) AS n FROM player")
    assert "(1 row)" in out


def test_a_module_with_a_syntax_error_is_refused_and_the_old_one_runs(stdb, tmp_path):
    broken = tmp_path / "module.py"
    broken.write_text("def oops(:\n")
    err = stdb.on_server("publish", "-p", str(broken), "game", ok=False)
    assert "SyntaxError" in err or "syntax" in err
    stdb.on_server("call", "game", "register_player", '"StillHere"')


def test_every_command_says_what_it_does_with_an_example(stdb):
    for command in COMMANDS:
        out = stdb(command, "--help").stdout
        assert "example:" in out and f"stdb {command}" in out


def test_no_command_prints_a_traceback_for_a_missing_argument(stdb):
    done = stdb("call", ok=False)
    assert "Traceback" not in done.stderr
    assert "usage: stdb call" in done.stderr


def _commands() -> list[str]:
    """Every subcommand the parser knows, so a new one is checked too."""
    parser = build_parser()
    (group,) = [a for a in parser._actions if isinstance(a.choices, dict)]
    return sorted(group.choices)


COMMANDS = _commands()
