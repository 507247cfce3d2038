"""The tutorial's story, in process: John and Sara join, walk, leave, return."""

from __future__ import annotations

import random
import shutil

import petname
import pytest

from stdblite import Database, Identity, ReducerError

from .helpers import GAME

SPAWN = (7712.0, 5408.0)


def player(db: Database, who: Identity):
    """The player row of ``who``, or None."""
    return next((p for p in db.rows("player") if p.identity == who), None)


def expected_name(micros: int, taken: set[str]) -> str:
    """The name game.py draws with ctx.rng for a transaction at ``micros``."""
    rng = random.Random(micros)
    while True:
        name = f"{rng.choice(petname.adjectives)}-{rng.choice(petname.names)}"
        if name not in taken:
            return name


@pytest.fixture
def game(open_db) -> Database:
    return open_db(GAME)


@pytest.fixture
def john() -> Identity:
    return Identity.random()


@pytest.fixture
def sara() -> Identity:
    return Identity.random()


def test_john_and_sara_join_with_generated_names(game, john, sara):
    game.connect(john)
    game.connect(sara)

    johns, saras = player(game, john), player(game, sara)
    assert johns.username != saras.username
    for row in (johns, saras):
        adjective, _, name = row.username.partition("-")
        assert adjective in petname.adjectives and name in petname.names
        assert (row.position_x, row.position_y) == SPAWN
        assert row.is_online


def test_generated_name_is_drawn_from_the_transaction_rng(game, john, sara):
    # Replaying a connect's timestamp through random.Random must give the
    # same name: the reducer used ctx.rng, not the global random module.
    game.connect(john)
    game.connect(sara)

    first, second = game.history()[-2:]
    john_name = expected_name(first.timestamp.micros_since_unix_epoch, set())
    sara_name = expected_name(second.timestamp.micros_since_unix_epoch, {john_name})
    assert player(game, john).username == john_name
    assert player(game, sara).username == sara_name


def test_a_taken_name_is_refused_and_changes_nothing(game, john, sara):
    game.connect(john)
    game.connect(sara)
    game.call("register_player", "John", sender=john)
    before, history = game.rows("player"), len(game.history())

    with pytest.raises(ReducerError, match="taken"):
        game.call("register_player", "John", sender=sara)

    assert game.rows("player") == before
    assert len(game.history()) == history


def test_register_refuses_empty_and_long_names(game, john):
    game.connect(john)
    with pytest.raises(ReducerError, match="empty"):
        game.call("register_player", "   ", sender=john)
    with pytest.raises(ReducerError, match="32"):
        game.call("register_player", "x" * 33, sender=john)


def test_disconnect_marks_offline_and_reconnect_restores(game, john, sara):
    game.connect(john)
    game.connect(sara)
    game.call("register_player", "Sara", sender=sara)
    game.call("move_player", SPAWN[0] - 100, SPAWN[1], sender=sara)

    game.disconnect(sara)
    gone = player(game, sara)
    assert not gone.is_online
    assert player(game, john).is_online

    game.connect(sara)
    back = player(game, sara)
    assert back.is_online
    assert back.username == "Sara"
    assert (back.position_x, back.position_y) == (SPAWN[0] - 100, SPAWN[1])


def test_the_world_survives_close_and_reopen(open_db, tmp_path, john, sara):
    path = tmp_path / "game.duckdb"
    db = open_db(GAME, path)
    db.connect(john)
    db.connect(sara)
    db.call("register_player", "Sara", sender=sara)
    db.call("move_player", SPAWN[0] - 64, SPAWN[1] + 64, sender=sara)
    db.disconnect(sara)
    johns_name = player(db, john).username
    db.close()

    db = open_db(GAME, path)
    # close() disconnected John too; nobody is online after a restart.
    assert not player(db, john).is_online
    db.connect(sara)
    back = player(db, sara)
    assert back.username == "Sara"
    assert (back.position_x, back.position_y) == (SPAWN[0] - 64, SPAWN[1] + 64)
    assert back.is_online
    assert player(db, john).username == johns_name


def test_after_a_crash_no_one_is_left_online(open_db, tmp_path, john, sara):
    # Copying the files of a database that is still open is what a killed
    # server leaves behind: whatever was acknowledged, nothing more.
    live, crashed = tmp_path / "live", tmp_path / "crashed"
    live.mkdir()
    crashed.mkdir()
    db = open_db(GAME, live / "game.duckdb")
    db.connect(john)
    db.connect(sara)
    db.call("move_player", SPAWN[0] + 10, SPAWN[1], sender=sara)
    for file in live.glob("game.duckdb*"):
        shutil.copy(file, crashed / file.name)

    db = open_db(GAME, crashed / "game.duckdb")
    assert not player(db, john).is_online
    assert not player(db, sara).is_online
    assert player(db, sara).position_x == SPAWN[0] + 10
    assert db.connections() == {}
    reducers = [tx.reducer for tx in db.history()]
    assert reducers.count("identity_disconnected") == 2


def test_move_refuses_a_step_that_is_too_long(game, john):
    game.connect(john)
    with pytest.raises(ReducerError, match="too long"):
        game.call("move_player", SPAWN[0] + 300, SPAWN[1], sender=john)
    row = player(game, john)
    assert (row.position_x, row.position_y) == SPAWN


@pytest.mark.parametrize("x, y", [(-1.0, 10.0), (10.0, -1.0), (15425.0, 5408.0)])
def test_move_refuses_a_position_outside_the_world(open_db, john, x, y):
    db = open_db(GAME)
    db.connect(john)
    db.call("register_player", "John", sender=john)
    # Walk to the edge first so that the step itself would be short.
    edge_x = min(max(x, 0.0), 15424.0)
    edge_y = min(max(y, 0.0), 10816.0)
    walk_to(db, john, edge_x, edge_y)

    with pytest.raises(ReducerError, match="outside the world"):
        db.call("move_player", x, y, sender=john)
    row = player(db, john)
    assert (row.position_x, row.position_y) == (edge_x, edge_y)


def test_move_needs_a_player(game, john):
    with pytest.raises(ReducerError, match="no player"):
        game.call("move_player", 1.0, 1.0, sender=john)


def walk_to(db: Database, who: Identity, x: float, y: float) -> None:
    """Walk to (x, y) in legal steps of at most 200 px, x first, then y."""
    row = player(db, who)
    at_x, at_y = row.position_x, row.position_y
    while at_x != x:
        at_x += max(-200.0, min(200.0, x - at_x))
        db.call("move_player", at_x, at_y, sender=who)
    while at_y != y:
        at_y += max(-200.0, min(200.0, y - at_y))
        db.call("move_player", at_x, at_y, sender=who)
