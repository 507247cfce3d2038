"""A Sphinx extension: the recorded maps on the book's pages, as ES modules.

Every page gets ``playback.js`` as a module script and the widgets' style
sheet; ``playback.js`` imports the widgets' modules, which
``book/prepare.py`` copies to ``book/_vendor/widgets``. All of it is
served under ``_static/``.

The folders are added here, once Sphinx starts, and not listed in
``_config.yml``: Jupyter Book adds every ``.js`` and ``.css`` file of the
static folders that the configuration names to every page, as classic
scripts, where an ES module is a syntax error (and the demo page's style
sheet would restyle the book).

It also drops scripts listed twice on a page: with this Sphinx, Jupyter
Book's sphinx-thebe registers its inline settings twice, and the second
``const THEBE_JS_URL`` is an error on every page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

HERE = Path(__file__).resolve().parent
VENDORED = HERE.parent / "_vendor"


def add_playback(app: Sphinx) -> None:
    """Serve the playback script and the widgets; load them on every page."""
    app.config.html_static_path.extend([str(HERE / "static"), str(VENDORED)])
    app.add_js_file("playback.js", type="module")
    app.add_css_file("widgets/stdblite.css")


def drop_repeated_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Keep the first of identical scripts in a page's list.

    An inline script is registered once with no file name (``None``) and
    once with an empty one, so both count as the same.
    """
    kept: dict[tuple[Any, ...], Any] = {}
    for script in context.get("script_files", []):
        attributes = sorted(getattr(script, "attributes", {}).items())
        key = (getattr(script, "filename", script) or "", *attributes)
        kept.setdefault(key, script)
    context["script_files"] = list(kept.values())


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx."""
    app.connect("builder-inited", add_playback)
    # Late, once the theme and the other extensions have added theirs.
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
