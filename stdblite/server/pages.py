"""The pages a person opens in a browser: the databases, and a live map.

``stdb start`` and ``stdb demo`` add these to their server's page
finders:

==========================  ============================================
``GET /``                   the hosted databases, each linked to its map
``GET /db/NAME``            a live map of NAME's players, who is online,
                            and a form to pick your name
``GET /static/stdblite/F``  the widgets' front-end modules and CSS
==========================  ============================================

The map page is the same front-end code as the notebook widgets, running
over its own WebSocket: opening it joins the database as a client. It
expects the tutorial's ``player`` table and reducers (``stdb demo``
publishes that module).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from ..widgets.assets import front_end_file

if TYPE_CHECKING:
    from .app import PageFinder, Server

__all__ = ["demo_pages"]

STATIC = "/static/stdblite/"

_HTML = "text/html; charset=utf-8"


def demo_pages(server: Server) -> PageFinder:
    """A page finder for the database list, the map pages and the modules."""

    def find(path: str) -> tuple[bytes, str] | None:
        if path == "/":
            return index_page(sorted(server.catalog.databases)).encode(), _HTML
        if path.startswith("/db/"):
            name = path[len("/db/") :]
            if server.catalog.get(name) is None:
                return None
            return map_page(name).encode(), _HTML
        if path.startswith(STATIC):
            return front_end_file(path[len(STATIC) :])
        return None

    return find


def _page(title: str, body: str, script: str = "") -> str:
    """A whole HTML page around ``body``."""
    module = f'<script type="module" src="{STATIC}{script}"></script>' if script else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{STATIC}stdblite.css">
<link rel="stylesheet" href="{STATIC}demo.css">
</head>
<body>
{body}
{module}
</body>
</html>
"""


def index_page(names: list[str]) -> str:
    """The list of databases, each a link to its live map."""
    if names:
        items = "\n".join(
            f'<li><a href="/db/{html.escape(n)}">{html.escape(n)}</a></li>'
            for n in names
        )
        listing = f'<ul class="databases">\n{items}\n</ul>'
    else:
        listing = (
            "<p>No databases yet. Publish one with "
            "<code>stdb publish -p module.py NAME</code>, "
            "or run <code>stdb demo</code>.</p>"
        )
    body = f"""<header><a href="/">stdblite</a></header>
<div class="page">
<h1>Databases on this server</h1>
{listing}
</div>"""
    return _page("stdblite", body)


def map_page(name: str) -> str:
    """The live map of one database; ``demo.js`` builds it in the browser."""
    shown = html.escape(name)
    body = f"""<header><a href="/">stdblite</a> / {shown}</header>
<main id="stdblite-demo" data-database="{shown}"></main>"""
    return _page(f"{name} - stdblite", body, script="demo.js")
