"""Baseline: the obvious server, one DuckDB transaction per call.

Each call runs ``BEGIN; SELECT; UPDATE; COMMIT`` on a DuckDB file: the
SELECT reads the player's row, which the game's rules need to check the
step and which the update sends as the deleted row; the UPDATE writes the
new position; COMMIT makes it durable before anyone hears of it. Then the
change goes to every subscriber, as in stdblite. Connecting and leaving
are transactions too. It runs on the event loop, one call after another,
as a first server written with DuckDB and ``websockets`` would.

    python bench/baselines/naive.py --port 0 --data-dir DIR
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb
from common import SPAWN_X, SPAWN_Y, Row, check_move, run

COLUMNS = ("identity", "username", "position_x", "position_y", "is_online")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM player WHERE identity = ?"


class DuckDBStore:
    """The player table in a DuckDB file, one transaction per change."""

    def __init__(self, path: Path) -> None:
        self.conn = duckdb.connect(str(path))
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS player (identity VARCHAR PRIMARY KEY, "
            "username VARCHAR UNIQUE, position_x DOUBLE, position_y DOUBLE, "
            "is_online BOOLEAN)"
        )

    def _row(self, identity: str) -> Row | None:
        """The player's row, read inside the current transaction."""
        found = self.conn.execute(SELECT, [identity]).fetchone()
        return None if found is None else dict(zip(COLUMNS, found, strict=True))

    def connect(self, identity: str) -> tuple[Row | None, Row]:
        """Insert the player, or mark it online, in one transaction."""
        self.conn.execute("BEGIN")
        old = self._row(identity)
        if old is None:
            name = f"player-{identity[-8:]}"
            values = (identity, name, SPAWN_X, SPAWN_Y, True)
            new = dict(zip(COLUMNS, values, strict=True))
            self.conn.execute(
                "INSERT INTO player VALUES (?, ?, ?, ?, ?)", list(new.values())
            )
        else:
            new = {**old, "is_online": True}
            self.conn.execute(
                "UPDATE player SET is_online = true WHERE identity = ?", [identity]
            )
        self.conn.execute("COMMIT")
        return old, new

    def move(self, identity: str, x: float, y: float) -> tuple[Row, Row]:
        """BEGIN; SELECT; UPDATE; COMMIT, or roll back a refused move."""
        self.conn.execute("BEGIN")
        try:
            old = self._row(identity)
            assert old is not None
            check_move(old, x, y)
            self.conn.execute(
                "UPDATE player SET position_x = ?, position_y = ? WHERE identity = ?",
                [x, y, identity],
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return old, {**old, "position_x": x, "position_y": y}

    def disconnect(self, identity: str) -> tuple[Row, Row]:
        """Mark the player offline, in one transaction."""
        self.conn.execute("BEGIN")
        old = self._row(identity)
        assert old is not None
        self.conn.execute(
            "UPDATE player SET is_online = false WHERE identity = ?", [identity]
        )
        self.conn.execute("COMMIT")
        return old, {**old, "is_online": False}

    def rows(self) -> list[Row]:
        """Every player, for a new subscription."""
        found = self.conn.execute(SELECT.split(" WHERE ")[0]).fetchall()
        return [dict(zip(COLUMNS, row, strict=True)) for row in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    options, _ = parser.parse_known_args()
    folder = options.data_dir or Path(tempfile.mkdtemp(prefix="stdblite-naive-"))
    run(DuckDBStore(folder / "naive.duckdb"), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
