"""The tutorial story, in-process: every transaction and what it changed.

Run it with ``make demo`` or ``python -m stdblite.examples.story``. It opens
the game module on a DuckDB file in a temporary folder and walks through
the story: John connects, Sara connects, Sara renames, a bad rename is
refused and rolled back, Sara walks left, Sara leaves, and Sara comes back
where she was. Each committed transaction is printed with its row changes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from stdblite import Database, Identity, ReducerError

MODULE = Path(__file__).with_name("game.py")


def say(text: str) -> None:
    """Print a step of the story as a heading."""
    print(f"\n== {text}")


def main() -> None:
    """Tell the story against a real DuckDB file."""
    folder = Path(tempfile.mkdtemp(prefix="stdblite-story-"))
    path = folder / "game.duckdb"
    john, sara = Identity.random(), Identity.random()
    say(f"The server opens {path}; init runs once")
    db = Database.open(MODULE, path)
    db.on_commit(print)

    say("John launches the game")
    db.connect(john)
    say("Sara launches the game; John sees her row arrive")
    db.connect(sara)
    say("Sara picks a name")
    db.call("register_player", "Sara", sender=sara)

    say("Sara tries an empty name: the reducer refuses, nothing changes")
    try:
        db.call("register_player", "   ", sender=sara)
    except ReducerError as refusal:
        print(f"refused: {refusal}")
    say("Sara walks left, one step at a time")
    for step in range(1, 4):
        db.call("move_player", 7712.0 - 32 * step, 5408.0, sender=sara)

    say("Sara closes the game: she is marked offline, not deleted")
    db.disconnect(sara)
    say("The server restarts; the file keeps everything")
    db.close()
    db = Database.open(MODULE, path)
    db.on_commit(print)
    say("Sara relaunches: same identity, same name, same position")
    db.connect(sara)
    print(db.sql("SELECT username, position_x, position_y, is_online FROM player"))

    say("The SQL the last commit sent to DuckDB")
    print("\n".join(db.trace()))
    db.close()


if __name__ == "__main__":
    main()
