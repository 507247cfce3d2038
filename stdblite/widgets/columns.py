"""Which table holds the players, and which of its columns mean what."""

from __future__ import annotations

import dataclasses

__all__ = ["TUTORIAL_COLUMNS", "Columns"]


@dataclasses.dataclass(frozen=True)
class Columns:
    """Which table holds the players, and which of its columns mean what.

    Usage::

        PlayerMap(conn, columns=Columns(table="hero", name="nickname"))

    The defaults are the tutorial's ``player`` table.
    """

    table: str = "player"
    identity: str = "identity"
    name: str = "username"
    x: str = "position_x"
    y: str = "position_y"
    online: str = "is_online"


TUTORIAL_COLUMNS = Columns()
"""The tutorial's ``player`` table, the widgets' default."""
