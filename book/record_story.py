"""Record the tutorial story for the book's map, from a real run.

The book has no server and no kernel, so its map widget replays a
recording. This script plays the story on the real engine (the tutorial
module, a DuckDB file), then reads the database's own history back: for
every recorded transaction, the ``player`` table as it stood just after
it, becomes one frame of the recording. ``make book`` runs it.

    python book/record_story.py book/_static/sessions/story.json

The frames are spaced for watching, not by the run's wall clock: a step
of Sara's walk every 33 ms (30 a second, as a held arrow key sends them),
and a pause between the story's beats.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from stdblite import Database, Identity
from stdblite.widgets import PlayerMap
from stdblite.widgets.columns import TUTORIAL_COLUMNS
from stdblite.widgets.world import player_of

GAME = Path(__file__).parents[1] / "stdblite" / "examples" / "game.py"
STEP_MS, BEAT_MS, STEPS = 33, 1500, 60
SHOWN = {
    "columns", "database", "me", "move_reducer", "offline", "players",
    "server_url", "status", "status_detail", "step", "tile", "token",
    "width", "world_height", "world_width", "zoom",
}  # fmt: skip
"""The traits the map's front end reads; the rest are Jupyter's own."""


def play_story(db: Database) -> tuple[Identity, Identity]:
    """John and Sara's story, as the chapters tell it; their identities."""
    john, sara = Identity.random(), Identity.random()
    db.connect(john)
    db.call("register_player", "John", sender=john)
    db.connect(sara)
    db.call("register_player", "Sara", sender=sara)
    for step in range(1, STEPS + 1):
        db.call("move_player", 7712.0 - 16 * step, 5408.0, sender=sara)
    db.disconnect(sara)
    db.connect(sara)
    return john, sara


def frames(db: Database) -> list[dict[str, Any]]:
    """One frame per transaction since John arrived: the players then."""
    recorded, at = [], 0
    for tx in db.history():
        if tx.reducer == "init":
            continue
        at += STEP_MS if tx.reducer == "move_player" else BEAT_MS
        rows = db.at(tx.tx_id).rows("player")
        players = [player_of(row, TUTORIAL_COLUMNS) for row in rows]
        recorded.append({"at": at, "traits": {"players": players}})
    return recorded


def first_traits(me: Identity) -> dict[str, Any]:
    """A PlayerMap's whole state before the first frame, options included.

    Taken from a real widget, so the book draws with the same defaults as
    a notebook; it is given a server address only to be built, and none
    is kept.
    """
    state = PlayerMap("http://127.0.0.1:1", database="game").get_state()
    traits = {k: v for k, v in state.items() if k in SHOWN}
    traits.update(server_url="", me=str(me), status="connected", zoom=4.0)
    return traits


def main(out: Path) -> None:
    """Play, read the history back, write the recording as JSON."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database.open(GAME, Path(folder) / "story.duckdb")
        john, _ = play_story(db)
        recording = {"traits": first_traits(john), "frames": frames(db)}
        db.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(recording))
    print(f"recorded {len(recording['frames'])} frames to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
