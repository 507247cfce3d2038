"""The tutorial's story over the wire: John and Sara, two real clients."""

from __future__ import annotations

import functools
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import run
from typing import Any

import pytest

from stdblite.client import ReducerEvent, credentials

from .helpers import Client

PROGRAMS = Path(__file__).parent / "programs"


def follow(client: Client) -> None:
    """Record the player table's callbacks on a client."""
    table = client.conn.db.player
    table.on_insert(client.rec.callback("insert"))
    table.on_update(client.rec.callback("update"))
    table.on_delete(client.rec.callback("delete"))


@pytest.mark.parametrize("drive", ["threaded", "frame_tick", "async"])
def test_john_sees_sara_come_walk_leave_and_return(
    connect: Callable[..., Client], tmp_path: Path, drive: str
) -> None:
    # Every client of the story is driven the same way.
    connect = functools.partial(connect, drive=drive)

    # John launches the game and names himself.
    john = connect()
    _, john_id, _ = john.connected()
    follow(john)
    john.subscribe("SELECT * FROM player")
    assert [p.identity for p in john.conn.db.player.iter()] == [john_id]
    john.conn.reducers.register_player("John")
    john.rec.wait_for(lambda: "John" in john.rows())

    # Sara launches for the first time: no token saved yet.
    token_file = tmp_path / "sara" / "spacetimedb_token"
    token_file.parent.mkdir()
    assert credentials.load(token_file) is None
    sara = connect(token=credentials.load(token_file))
    _, sara_id, sara_token = sara.connected()
    credentials.save(sara_token, token_file)
    assert sara_id != john_id

    # John sees Sara appear, caused by her connecting, not by him.
    def sara_inserted() -> list[tuple[object, ...]]:
        return [c for c in john.rec.named("insert") if c[1].identity == sara_id]

    ((ctx, row),) = john.rec.wait_for(sara_inserted)
    assert row.is_online
    assert isinstance(ctx.event, ReducerEvent)
    assert ctx.event.reducer == "identity_connected"
    assert not ctx.event.is_mine and ctx.event.caller_identity == sara_id

    # Sara names herself, sees John, and walks left; John sees each step.
    sara.conn.reducers.register_player("Sara")
    john.rec.wait_for(lambda: "Sara" in john.rows())
    sara.subscribe("SELECT * FROM player")
    assert set(sara.rows()) == {"John", "Sara"}
    start = sara.conn.db.player.identity.find(sara_id)
    for step in range(1, 4):
        sara.conn.reducers.move_player(start.position_x - 64 * step, start.position_y)
    john.rec.wait_for(lambda: john.rows()["Sara"].position_x == start.position_x - 192)
    moves = [
        (old.position_x, new.position_x)
        for ctx, old, new in john.rec.named("update")
        if ctx.event.reducer == "move_player"
    ]
    xs = [start.position_x - 64 * step for step in range(4)]
    assert moves == list(itertools.pairwise(xs))

    # Sara closes the game: John sees her offline, where she stood.
    sara.conn.disconnect()
    sara.rec.wait_for(lambda: sara.rec.named("disconnect"))
    assert sara.rec.named("disconnect")[0][1] is None
    john.rec.wait_for(lambda: not john.rows()["Sara"].is_online)
    left_at = john.rows()["Sara"]
    assert left_at.position_x == start.position_x - 192
    assert not sara.conn.is_active()

    # Sara relaunches with her saved token: same identity, name and place.
    again = connect(token=credentials.load(token_file))
    _, again_id, again_token = again.connected()
    assert again_id == sara_id and again_token == sara_token
    john.rec.wait_for(lambda: john.rows()["Sara"].is_online)
    again.subscribe("SELECT * FROM player WHERE identity = " + str(sara_id))
    (mine,) = again.conn.db.player.iter()
    assert (mine.username, mine.position_x, mine.position_y) == (
        "Sara",
        left_at.position_x,
        left_at.position_y,
    )
    assert not john.rec.named("delete")


def test_the_story_with_sara_in_processes_of_her_own(
    connect: Callable[..., Client], server: Any, tmp_path: Path
) -> None:
    # John plays in this process; Sara's game is another program.
    john = connect()
    _, john_id, _ = john.connected()
    follow(john)
    john.subscribe("SELECT * FROM player")
    token_file = tmp_path / "spacetimedb_token"
    sara_game = [sys.executable, str(PROGRAMS / "sara_game.py"), server.url, "game"]

    # Sara launches, names herself, walks three steps left and closes.
    run([*sara_game, str(token_file), "first"], check=True, timeout=60)
    sara = john.rec.wait_for(lambda: offline(john, "Sara"))
    (inserted,) = [r for _, r in john.rec.named("insert") if r.identity != john_id]
    assert inserted.identity == sara.identity
    changes = [(old, new) for _, old, new in john.rec.named("update")]
    assert [(o.username, n.username) for o, n in changes][:1] == [
        (inserted.username, "Sara")
    ]
    steps = [n.position_x for o, n in changes if n.position_x != o.position_x]
    assert steps == [inserted.position_x - 64 * step for step in range(1, 4)]
    assert len(changes) == 5  # the name, three steps, going offline

    # Sara relaunches, another process with the saved token: same row.
    done = run([*sara_game, str(token_file), "again"], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"username": "Sara", "x": steps[-1]}
    john.rec.wait_for(lambda: len(john.rec.named("update")) == 7)
    assert not john.rec.named("delete")


def offline(client: Client, name: str) -> Any:
    """The player's row in the client's cache once it is offline, or None."""
    row = client.rows().get(name)
    return row if row is not None and not row.is_online else None
