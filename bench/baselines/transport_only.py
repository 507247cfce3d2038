"""Baseline: the transport ceiling, a server that stores nothing.

It routes each call and echoes its change to the subscribers exactly as
the other servers do, with the same frames, but keeps the players in a
Python dict: no DuckDB, no durability, no transactions. No server that
stores its data can beat it over the same ``websockets`` transport, so
the other designs are measured as a share of it.

    python bench/baselines/transport_only.py --port 0
"""

from __future__ import annotations

from common import SPAWN_X, SPAWN_Y, Row, check_move, run


class MemoryStore:
    """The player table as a dict from identity to row."""

    def __init__(self) -> None:
        self.players: dict[str, Row] = {}

    def connect(self, identity: str) -> tuple[Row | None, Row]:
        """Create the player, or mark it online."""
        old = self.players.get(identity)
        base = old or {
            "identity": identity,
            "username": f"player-{identity[-8:]}",
            "position_x": SPAWN_X,
            "position_y": SPAWN_Y,
        }
        new = self.players[identity] = {**base, "is_online": True}
        return old, new

    def move(self, identity: str, x: float, y: float) -> tuple[Row, Row]:
        """Check the move as the game does, and keep it."""
        old = self.players[identity]
        check_move(old, x, y)
        new = self.players[identity] = {**old, "position_x": x, "position_y": y}
        return old, new

    def disconnect(self, identity: str) -> tuple[Row, Row]:
        """Mark the player offline."""
        old = self.players[identity]
        new = self.players[identity] = {**old, "is_online": False}
        return old, new

    def rows(self) -> list[Row]:
        """Every player."""
        return list(self.players.values())


if __name__ == "__main__":
    run(MemoryStore(), __doc__.splitlines()[0])
