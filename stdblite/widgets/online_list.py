"""``OnlineList``: who is online right now, sorted by name, you marked.

Usage::

    from stdblite.widgets import OnlineList

    OnlineList(conn)
    OnlineList("http://127.0.0.1:3000", database="bevy-game")
"""

from __future__ import annotations

from .assets import widget_module
from .world import WorldWidget

__all__ = ["OnlineList"]


class OnlineList(WorldWidget):
    """The online players of a world, updating live.

    Usage::

        OnlineList(conn, columns=Columns(name="nickname"))
    """

    _esm = widget_module("online_list.js")

    def __repr__(self) -> str:
        return f"OnlineList(table={self.columns.get('table')!r}, {self._source_text()})"
