"""Lay out what the book's pages load besides the chapters themselves.

A built page draws maps with the widgets' own front-end modules and
replays a recording of the story on them, with no server and no network.
This script puts both in place before ``jupyter-book build``; the pages
find them under ``_static/``:

- ``widgets/*.js`` and ``widgets/*.css``, copied to ``book/_vendor/widgets``
  (served by the book's extension, ``_ext/stdblite_book.py``);
- the story, recorded from a real run by ``record_story.py``, in
  ``book/_static/sessions/story.json``.

``make book`` runs it, and so does the browser test of the built book.

    python book/prepare.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent
WIDGETS = BOOK.parent / "widgets"
VENDORED = BOOK / "_vendor" / "widgets"
STORY = BOOK / "_static" / "sessions" / "story.json"


def vendor_widgets() -> None:
    """Copy the widgets' modules and style sheets, replacing older copies."""
    shutil.rmtree(VENDORED, ignore_errors=True)
    VENDORED.mkdir(parents=True)
    for pattern in ("*.js", "*.css"):
        for source in sorted(WIDGETS.glob(pattern)):
            shutil.copy2(source, VENDORED / source.name)


def record_story() -> None:
    """Play the story on the engine and write the recording."""
    sys.path.insert(0, str(BOOK))
    from record_story import main

    main(STORY)


if __name__ == "__main__":
    vendor_widgets()
    record_story()
