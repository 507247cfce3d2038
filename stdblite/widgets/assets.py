"""The widgets' front-end files: where they are, and how they are handed out.

The front end is plain ES modules and CSS in the repository's ``widgets/``
folder, with no build step. A wheel carries copies of them in
``stdblite/widgets/static/``; an editable install reads the folder itself,
so an edited module shows on the next reload.

Two consumers read them:

- the server's pages (``stdb start``), which serve each file at
  ``/static/stdblite/NAME`` so the modules import one another by URL;
- the anywidget classes, whose module is loaded from a ``blob:`` URL,
  where relative imports cannot resolve. :func:`widget_module` therefore
  replaces each ``"./name.js"`` import with a ``data:`` URL holding that
  module, itself rewritten the same way. Every file stays an ordinary
  module; nothing is bundled, renamed or minified.

This module imports nothing beyond the standard library, so the server can
serve the files without anywidget installed.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from ..errors import StdbliteError

__all__ = ["front_end_dir", "front_end_file", "widget_css", "widget_module"]

_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}

_FILE_NAME = re.compile(r"^[a-z][a-z0-9_]*\.(js|css)$")

# A static import at the start of a line: `import {a, b} from "./x.js";`
# or `import "./x.js";`. JSDoc's `import("./x.js").Type` is left alone.
_RELATIVE_IMPORT = re.compile(
    r"""
    (?P<lead> ^import\s+ (?: [^;'"]*? \bfrom\s* )? )
    (?P<quote> ["'] ) \./ (?P<name> [a-z0-9_]+\.js ) (?P=quote)
    """,
    re.VERBOSE | re.MULTILINE,
)


def front_end_dir() -> Path:
    """The folder holding the front-end modules, in a wheel or a checkout."""
    shipped = Path(__file__).with_name("static")
    if (shipped / "world.js").is_file():
        return shipped
    checkout = Path(__file__).resolve().parents[2] / "widgets"
    if (checkout / "world.js").is_file():
        return checkout
    raise StdbliteError(
        f"the widget front-end files are missing (looked in {shipped} and "
        f"{checkout}); reinstall stdblite"
    )


def front_end_file(name: str) -> tuple[bytes, str] | None:
    """A front-end file's bytes and content type, or None if there is none.

    Only plain names of ``.js`` and ``.css`` files in the folder are
    served, so no path can reach anything else.
    """
    if not _FILE_NAME.match(name):
        return None
    path = front_end_dir() / name
    if not path.is_file():
        return None
    return path.read_bytes(), _CONTENT_TYPES[path.suffix]


def widget_css() -> str:
    """The widgets' style sheet."""
    return (front_end_dir() / "stdblite.css").read_text(encoding="utf-8")


def widget_module(name: str) -> str:
    """A widget's module source, with its relative imports made data: URLs."""
    return _inline(front_end_dir(), name, ())


def _inline(folder: Path, name: str, importers: tuple[str, ...]) -> str:
    """The source of ``name`` with every module it imports inlined."""
    if name in importers:
        chain = " -> ".join((*importers, name))
        raise StdbliteError(f"the widget modules import each other in a loop: {chain}")
    try:
        source = (folder / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise StdbliteError(f"cannot read widget module {name}: {exc}") from exc

    def data_url(found: re.Match[str]) -> str:
        inner = _inline(folder, found["name"], (*importers, name))
        encoded = base64.b64encode(inner.encode("utf-8")).decode("ascii")
        return f'{found["lead"]}"data:text/javascript;base64,{encoded}"'

    return _RELATIVE_IMPORT.sub(data_url, source)
