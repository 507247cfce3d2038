"""The generated packages pass ``mypy --strict``, and their types are real.

One mypy run checks both packages, a program that uses them as a learner
would (accepted), and one with mistakes (each line marked ``# wrong``
must be reported, and no other). Ruff finds nothing to change either.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = '''\
"""A typed program over the bindings."""

from __future__ import annotations

from stdblite.client import ReducerEvent
from stdblite.identity import Identity

from game_bindings import DbConnection, EventContext, Player, PlayerTable
from workshop_bindings import Class, Color, Draft, Item
from workshop_bindings import DbConnection as WorkshopConnection


def on_connect(conn: DbConnection, identity: Identity, token: str) -> None:
    conn.subscription_builder().on_applied(on_applied).subscribe_to_all_tables()


def on_applied(ctx: EventContext) -> None:
    me: Player | None = ctx.db.player.identity.find(ctx.identity)
    names: list[str] = [p.username for p in ctx.db.player.iter()]
    table: PlayerTable = ctx.db.player
    print(me, names, table.count(), len(table))


def on_update(ctx: EventContext, old: Player, new: Player) -> None:
    moved: float = new.position_x - old.position_x
    print(moved, ctx.event)


def build(url: str) -> DbConnection:
    conn = (
        DbConnection.builder()
        .with_uri(url)
        .with_database_name("game")
        .with_reconnect(max_attempts=3)
        .on_connect(on_connect)
        .on_disconnect(lambda ctx, error: print(ctx.db.player.count(), error))
        .build()
    )
    remove = conn.db.player.on_update(on_update)
    remove()
    conn.reducers.register_player("John")
    conn.reducers.move_player(1, 2.5)
    conn.reducers.register_player_then("John", lambda ctx: print(ctx.event))
    return conn


async def outcome(conn: DbConnection) -> ReducerEvent:
    return await conn.reducers.register_player_async(username="John")


def workshop(conn: WorkshopConnection) -> list[Item]:
    conn.reducers.add_item("pen", 1, 3, Color.GREEN)
    conn.reducers.add_item("ink", 2.5, 1, None)
    conn.reducers.submit(Draft("hello"))
    conn.reducers.paint_then("wall", "blue", lambda ctx: None)
    conn.reducers.import_()
    conn.reducers.ping_then()
    lessons: list[Class] = list(conn.db.class_)
    print(lessons, conn.db.item.name.find("pen"))
    return conn.db.item.count_.filter(3) + conn.db.item.price.filter(2.5)
'''

BAD = '''\
"""Mistakes the bindings' types catch: each marked line is one."""

from __future__ import annotations

from game_bindings import DbConnection, Player
from workshop_bindings import DbConnection as WorkshopConnection
from workshop_bindings import Draft


def mistakes(conn: DbConnection, row: Player, shop: WorkshopConnection) -> None:
    conn.reducers.register_player(5)  # wrong
    conn.reducers.move_player("left", 0)  # wrong
    conn.reducers.register_player("John", "Sara")  # wrong
    conn.db.playr.count()  # wrong
    print(row.usernam)  # wrong
    conn.db.player.username.find(7)  # wrong
    conn.reducers.identity_connected()  # wrong
    conn.reducers.wander()  # wrong
    print(conn.db.wanderer)  # wrong
    shop.db.class_.on_update(lambda ctx, old, new: None)  # wrong
    shop.reducers.add_item("pen", 1, 3, "GREEN")  # wrong
    shop.reducers.submit("hello")  # wrong
    shop.reducers.ping_then(lambda ctx: None)  # wrong
    shop.reducers.tick()  # wrong
    print(shop.db.secret, shop.db.draft, Draft("x").text)  # wrong
    count: str = shop.db.item.count()  # wrong
    print(count)
'''

ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")


@pytest.fixture(scope="module")
def mypy_errors(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One ``mypy --strict`` run; its errors by file, as {line: [messages]}."""
    (generated / "good.py").write_text(GOOD)
    (generated / "bad.py").write_text(BAD)
    cache = tmp_path_factory.mktemp("mypy-cache")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache)),
            *("--no-color-output", "--show-absolute-path", "--hide-error-context"),
            *("game_bindings", "workshop_bindings", "good.py", "bad.py"),
        ],
        cwd=generated,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    errors: dict[str, dict[int, list[str]]] = {}
    for line in done.stdout.splitlines():
        found = ERROR.match(line)
        if found:
            where = Path(found["file"]).relative_to(generated).as_posix()
            lines = errors.setdefault(where, {})
            lines.setdefault(int(found["line"]), []).append(found["message"])
    return errors


def test_the_packages_pass_mypy_strict(mypy_errors: dict) -> None:
    in_packages = {f: e for f, e in mypy_errors.items() if "_bindings/" in f}
    assert in_packages == {}


def test_a_typed_program_using_them_is_accepted(mypy_errors: dict) -> None:
    assert mypy_errors.get("good.py") == None  # noqa: E711 - shows the errors


def test_every_mistake_is_caught_and_nothing_else(mypy_errors: dict) -> None:
    marked = {
        number
        for number, text in enumerate(BAD.splitlines(), 1)
        if text.endswith("# wrong")
    }
    assert set(mypy_errors.get("bad.py", {})) == marked


def test_the_mistakes_are_named(mypy_errors: dict) -> None:
    lines = BAD.splitlines()
    said = {lines[n - 1].strip(): " ".join(m) for n, m in mypy_errors["bad.py"].items()}
    assert '"int"; expected "str"' in said["conn.reducers.register_player(5)  # wrong"]
    assert (
        '"RemoteTables" has no attribute "playr"'
        in said["conn.db.playr.count()  # wrong"]
    )
    assert '"Player" has no attribute "usernam"' in said["print(row.usernam)  # wrong"]
    assert (
        '"ClassTable" has no attribute "on_update"'
        in said["shop.db.class_.on_update(lambda ctx, old, new: None)  # wrong"]
    )


def test_ruff_leaves_the_packages_alone(generated: Path) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    packages = ["game_bindings", "workshop_bindings"]
    rules = ["--select", "E,F,W,I,B,UP,D,SIM,RUF", "--ignore", "D203,D213,D401"]
    for command in (["format", "--check"], ["check", *rules]):
        done = subprocess.run(
            [str(ruff), *command, "--isolated", *packages],
            cwd=generated,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
