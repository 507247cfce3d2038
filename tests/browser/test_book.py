"""The built book replays the recorded story on a map, in Chromium.

The book is built the way ``make book`` builds it, chapters executed,
into a temporary folder. Its pages must load nothing from the network.
The HTML is served from 127.0.0.1, and the test reads the map's canvas
pixels to see the players drawn in their colours, and Sara walking left
as the recording plays.
"""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page

from .conftest import screenshot
from .helpers import serving

ROOT = Path(__file__).parents[2]
BOOK = ROOT / "book"
PAGES_WITH_A_MAP = ["intro.html", "notebooks/06-the-live-map.html"]
WALK_SECONDS = 20.0
"""Long enough for one pass of the recording, which then loops."""

# Every pixel of the map's canvas close to each palette colour: how many
# there are, and the mean of their x, in canvas pixels.
COLOURS_ON_CANVAS = """(palette) => {
  const canvas = document.querySelector(".stdblite-playback .stdblite-canvas");
  if (!canvas || !canvas.width) return null;
  const { width, height } = canvas;
  const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  const found = {};
  for (const [name, rgb] of Object.entries(palette)) {
    let count = 0, sum = 0;
    for (let i = 0; i < data.length; i += 4) {
      const near = Math.max(...rgb.map((c, k) => Math.abs(c - data[i + k])));
      if (near <= 12) { count += 1; sum += (i / 4) % width; }
    }
    found[name] = { count, x: count ? sum / count : null };
  }
  return found;
}"""

# The palette the map draws with, from the page's own copy of draw.js.
PALETTE = """async () => {
  const root = document.documentElement.dataset.content_root;
  const draw = await import(new URL(root + "_static/widgets/draw.js", location));
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return { me: rgb(draw.COLORS.me), player: rgb(draw.COLORS.player) };
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves the built HTML; logs nothing, and has no favicon to miss."""

    def do_GET(self) -> None:
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book's HTML, built as ``make book`` builds it, into a temp folder."""
    pytest.importorskip("jupyter_book", reason="the docs extra is not installed")
    subprocess.run([sys.executable, str(BOOK / "prepare.py")], check=True, timeout=120)
    folder = tmp_path_factory.mktemp("book")
    config = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    extensions = config["sphinx"].get("local_extensions", {})
    for name, path in extensions.items():
        extensions[name] = str(BOOK / path)
    (folder / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    command = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build", "--warningiserror", "--keep-going",
        "--config", str(folder / "_config.yml"),
        "--path-output", str(folder / "out"),
        str(BOOK),
    ]  # fmt: skip
    built = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return folder / "out" / "_build" / "html"


@pytest.fixture(scope="module")
def site(built_book: Path) -> Iterator[str]:
    """The built book, served from 127.0.0.1 on a free port."""

    def handler(*args: Any) -> _Quiet:
        return _Quiet(*args, directory=str(built_book))

    with serving(handler) as address:
        yield address


def test_every_chapter_has_a_page(built_book: Path) -> None:
    chapters = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    pages = {p.stem for p in (built_book / "notebooks").glob("*.html")}
    assert [c.stem for c in chapters if c.stem not in pages] == []


def test_no_page_loads_anything_from_the_network(built_book: Path) -> None:
    remote = re.compile(r"""<(?:script|link|img)\b[^>]*(?:src|href)=["']https?://""")
    pages = sorted(built_book.rglob("*.html"))
    assert pages
    loading = [
        str(p.relative_to(built_book)) for p in pages if remote.search(p.read_text())
    ]
    assert loading == []


def test_a_widget_shows_its_repr_on_a_page(built_book: Path) -> None:
    page = built_book / "notebooks" / "06-the-live-map.html"
    html = page.read_text(encoding="utf-8")
    assert "PlayerMap(table=" in html
    assert "application/vnd.jupyter.widget-view+json" not in html


@pytest.mark.timeout(90)
@pytest.mark.parametrize("path", PAGES_WITH_A_MAP)
def test_the_map_replays_the_story(page: Page, site: str, path: str) -> None:
    # The theme complains on the console when a visitor has no saved
    # colour mode yet; a returning visitor has one.
    page.add_init_script("localStorage.setItem('mode', 'auto')")
    page.goto(site + path)
    page.locator(".stdblite-playback .stdblite-canvas").scroll_into_view_if_needed()
    palette = page.evaluate(PALETTE)
    samples = watch(page, palette)
    assert any(s["me"]["count"] > 20 for s in samples), "John's dot is never drawn"
    assert any(s["player"]["count"] > 20 for s in samples), "Sara is never drawn"
    assert walked_left(samples), "Sara's dot never moved left"
    screenshot(page, "book-" + path.replace("/", "-").removesuffix(".html"))


def watch(page: Page, palette: dict[str, list[int]]) -> list[dict[str, Any]]:
    """Sample the canvas until Sara has walked left, or time is up."""
    samples: list[dict[str, Any]] = []
    deadline = time.monotonic() + WALK_SECONDS
    while time.monotonic() < deadline:
        sample = page.evaluate(COLOURS_ON_CANVAS, palette)
        if sample is not None:
            samples.append(sample)
            if walked_left(samples):
                break
        page.wait_for_timeout(100)
    return samples


def walked_left(samples: list[dict[str, Any]]) -> bool:
    """True if Sara's dot was seen at least 40 canvas pixels left of before."""
    xs = [s["player"]["x"] for s in samples if s["player"]["count"] > 20]
    return any(min(xs[i:]) < x - 40 for i, x in enumerate(xs))
