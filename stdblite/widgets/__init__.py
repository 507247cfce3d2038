"""Widgets that draw a live world in a notebook: ``PlayerMap``, ``OnlineList``.

Usage::

    from stdblite.widgets import OnlineList, PlayerMap

    PlayerMap(conn)                                    # over a DbConnection
    PlayerMap("http://127.0.0.1:3000", database="bevy-game")  # over a URL
    PlayerMap(conn, columns=Columns(table="hero", name="nickname"))

Both need the ``widgets`` extra (anywidget). The classes are imported on
first use, so the server can serve the front-end files
(:mod:`stdblite.widgets.assets`) without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .columns import Columns

if TYPE_CHECKING:
    from .online_list import OnlineList
    from .player_map import PlayerMap

__all__ = ["Columns", "OnlineList", "PlayerMap"]


def __getattr__(name: str) -> Any:
    """Import a widget class when it is first asked for."""
    if name == "PlayerMap":
        from .player_map import PlayerMap

        return PlayerMap
    if name == "OnlineList":
        from .online_list import OnlineList

        return OnlineList
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
