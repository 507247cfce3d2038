"""The widget modules on a plain page, with a recorded model and no kernel.

Each module is loaded exactly as anywidget loads it (the source the Python
class sends, imported from a ``blob:`` URL), and drawn from the model's
traits alone, as the book plays back a recorded session.
"""

from __future__ import annotations

import http.server
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from stdblite.examples.game import SPAWN_X, SPAWN_Y
from stdblite.widgets import OnlineList, PlayerMap
from stdblite.widgets.assets import widget_module

from .conftest import Demo, screenshot
from .helpers import close_to, pixel_at, serving, wait_for_pixel

JOHN = "0x" + "c2" * 32
SARA = "0x" + "5a" * 32

PAGE = """<!doctype html><html><head><meta charset="utf-8"></head>
<body><div id="map"></div><div id="list"></div></body></html>"""

# Load modules the way anywidget does, then render both widgets on one
# recorded model, and keep the model and the cleanups on `window`.
RENDER = """async ({map, list, recorded, css, traits}) => {
  const load = (source) => import(
    URL.createObjectURL(new Blob([source], {type: "text/javascript"})));
  const [mapModule, listModule, recordedModule] =
    await Promise.all([load(map), load(list), load(recorded)]);
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
  const model = new recordedModule.RecordedModel(traits);
  window.model = model;
  window.cleanups = [
    mapModule.default.render({model, el: document.getElementById("map")}),
    listModule.default.render({model, el: document.getElementById("list")}),
  ];
}"""

COLORS = """() => import(URL.createObjectURL(new Blob([window.drawSource],
  {type: "text/javascript"}))).then((m) => m.COLORS)"""


def player(identity: str, name: str, x: float, y: float, online: bool) -> Any:
    return {"identity": identity, "name": name, "x": x, "y": y, "online": online}


def widget_traits(**changes: Any) -> dict[str, Any]:
    """The state a PlayerMap over a connection would sync, and some rows."""
    widget = PlayerMap("http://unused.invalid", database="unused")
    state = {k: v for k, v in widget.get_state().items() if not k.startswith("_")}
    widget.close()
    state.update(
        server_url="",
        status="connected",
        me=JOHN,
        players=[
            player(JOHN, "John", 7000.0, 5000.0, True),
            player(SARA, "Sara", 8400.0, 5400.0, False),
        ],
    )
    state.update(changes)
    return state


class _PlainPage(http.server.BaseHTTPRequestHandler):
    """Serves the plain page at every path, and logs nothing."""

    def do_GET(self) -> None:
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def plain_page() -> Iterator[str]:
    """The address of the plain page, served from 127.0.0.1."""
    with serving(_PlainPage) as address:
        yield address


@pytest.fixture
def render(page: Page, plain_page: str) -> Any:
    """Open the plain page, and a function that renders both widgets on it."""
    page.goto(plain_page)
    page.evaluate(
        "(source) => { window.drawSource = source; }", widget_module("draw.js")
    )

    def render(**changes: Any) -> dict[str, str]:
        traits = widget_traits(**changes)
        sources = {
            "map": PlayerMap._esm,
            "list": OnlineList._esm,
            "recorded": widget_module("recorded_model.js"),
            "css": PlayerMap._css,
            "traits": traits,
        }
        page.evaluate(RENDER, sources)
        return dict(page.evaluate(COLORS))

    return render


def test_renders_from_model_state_alone(page: Page, render: Any) -> None:
    palette = render()
    expect(page.locator(".stdblite-map")).to_have_attribute("data-status", "connected")
    expect(page.locator(".stdblite-map .stdblite-status")).to_have_text(
        "connected as John"
    )
    wait_for_pixel(page, 7000, 5000, palette["me"])
    sara = pixel_at(page, 8400, 5400)
    assert not close_to(sara, palette["ground"])
    assert not close_to(sara, palette["player"])
    expect(page.locator(".stdblite-list li")).to_have_text(["John (you)"])
    screenshot(page, "widget-fake-model")


def test_changed_traits_move_the_markers(page: Page, render: Any) -> None:
    palette = render()
    wait_for_pixel(page, 7000, 5000, palette["me"])
    page.evaluate(
        "(players) => window.model.set({players})",
        [
            player(JOHN, "John", 7200.0, 5000.0, True),
            player(SARA, "Sara", 8400.0, 5400.0, True),
        ],
    )
    wait_for_pixel(page, 7200, 5000, palette["me"], timeout=1000)
    wait_for_pixel(page, 8400, 5400, palette["player"])
    expect(page.locator(".stdblite-list li")).to_have_text(["John (you)", "Sara"])


def test_offline_players_hidden(page: Page, render: Any) -> None:
    palette = render(offline="hide")
    wait_for_pixel(page, 7000, 5000, palette["me"])
    wait_for_pixel(page, 8400, 5400, palette["ground"])


def test_status_before_and_after_a_connection(page: Page, render: Any) -> None:
    render(status="connecting", players=[], me="")
    expect(page.locator(".stdblite-map .stdblite-status")).to_have_text("connecting…")
    page.evaluate(
        "() => window.model.set({status: 'disconnected', status_detail: 'gone'})"
    )
    expect(page.locator(".stdblite-map")).to_have_attribute(
        "data-status", "disconnected"
    )
    expect(page.locator(".stdblite-list .stdblite-status")).to_have_text(
        "disconnected: gone"
    )


def test_a_recording_refuses_moves_and_cleans_up(page: Page, render: Any) -> None:
    render()
    page.locator(".stdblite-canvas").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".stdblite-message")).to_have_text(
        "refused: this is a recording: nothing here can change"
    )
    page.evaluate("() => window.cleanups.forEach((cleanup) => cleanup())")
    expect(page.locator(".stdblite")).to_have_count(0)


def test_over_a_url_the_browser_connects_itself(
    page: Page, render: Any, demo: Demo
) -> None:
    palette = render(server_url=demo.server.url, database="bevy-game", me="")
    expect(page.locator(".stdblite-map")).to_have_attribute("data-status", "connected")
    expect(page.locator(".stdblite-list li.stdblite-me")).to_have_count(1)
    wait_for_pixel(page, SPAWN_X, SPAWN_Y, palette["me"])


def test_over_a_url_a_missing_table_is_said(
    page: Page, render: Any, demo: Demo
) -> None:
    render(
        server_url=demo.server.url,
        database="bevy-game",
        columns={"table": "hero"},
    )
    expect(page.locator(".stdblite-map")).to_have_attribute(
        "data-status", "disconnected"
    )
    expect(page.locator(".stdblite-map .stdblite-status")).to_contain_text(
        "disconnected: "
    )
    expect(page.locator(".stdblite-map .stdblite-status")).to_contain_text("hero")


def test_removing_the_widgets_closes_their_connection(
    page: Page, render: Any, demo: Demo
) -> None:
    render(server_url=demo.server.url, database="bevy-game", me="")
    expect(page.locator(".stdblite-map")).to_have_attribute("data-status", "connected")
    hosted = demo.server.catalog.get("bevy-game")
    assert hosted is not None
    online = "SELECT username FROM player WHERE is_online"
    assert len(hosted.db.sql(online).rows) == 1
    page.evaluate("() => window.cleanups.forEach((cleanup) => cleanup())")
    deadline = time.monotonic() + 5
    while hosted.db.sql(online).rows:
        assert time.monotonic() < deadline, "the browser's player is still online"
        time.sleep(0.02)
