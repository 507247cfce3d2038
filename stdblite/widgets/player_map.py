"""``PlayerMap``: the whole world on a canvas, every player on it.

Usage::

    from stdblite.widgets import PlayerMap

    PlayerMap(conn)                       # over a DbConnection, in a notebook
    PlayerMap(conn, zoom=4, offline="hide")
    PlayerMap("http://127.0.0.1:3000", database="bevy-game")   # over a URL

Click the map, then walk with the arrow keys or WASD: each step calls the
move reducer with the new position, and the marker moves only when the
server's row does. ``+`` and ``-`` zoom.
"""

from __future__ import annotations

from typing import Any

import traitlets

from ..errors import StdbliteError
from .assets import widget_module
from .world import WorldWidget

__all__ = ["PlayerMap"]

TILE = 64
WORLD_WIDTH = 241 * TILE
WORLD_HEIGHT = 169 * TILE


class PlayerMap(WorldWidget):
    """A live map of a world's players; your own marked, offline faded.

    Usage::

        PlayerMap(conn, world_width=WORLD_WIDTH, world_height=WORLD_HEIGHT)

    Options (each also a trait, so ``m.zoom = 4`` redraws):
    ``world_width``, ``world_height`` and ``tile`` in world pixels (the
    tutorial's 241 x 169 tiles of 64 by default); ``offline``, ``"fade"``
    or ``"hide"``; ``move_reducer``, called with ``(x, y)``; ``step``,
    world pixels per step, 30 steps a second while a key is held;
    ``zoom``, 1 for the whole world; ``width`` of the canvas in pixels.
    Which table and columns hold the players: ``columns=Columns(...)``.
    """

    _esm = widget_module("player_map.js")

    world_width = traitlets.Float(WORLD_WIDTH).tag(sync=True)
    world_height = traitlets.Float(WORLD_HEIGHT).tag(sync=True)
    tile = traitlets.Float(TILE).tag(sync=True)
    offline = traitlets.Enum(("fade", "hide"), "fade").tag(sync=True)
    move_reducer = traitlets.Unicode("move_player").tag(sync=True)
    step = traitlets.Float(8.0).tag(sync=True)
    zoom = traitlets.Float(1.0).tag(sync=True)
    width = traitlets.Int(720).tag(sync=True)

    def _may_call(self, reducer: str) -> bool:
        """Only the move reducer: the map never calls anything else."""
        return reducer == self.move_reducer

    def __repr__(self) -> str:
        tiles = f"{self.world_width / self.tile:g} x {self.world_height / self.tile:g}"
        return (
            f"PlayerMap(table={self.columns.get('table')!r}, "
            f"world of {tiles} tiles, {self._source_text()})"
        )

    @traitlets.validate("world_width", "world_height", "tile", "step", "zoom", "width")
    def _positive(self, proposal: dict[str, Any]) -> Any:
        """A world, a tile, a step, a zoom and a canvas all need a size."""
        value = proposal["value"]
        if not value > 0:
            name = proposal["trait"].name
            raise StdbliteError(f"PlayerMap {name} must be positive, got {value!r}")
        return value
