"""The pages ``stdb start`` serves, seen in Chromium.

A Python client plays John; the page is another player watching. What
the page shows is read from the canvas pixels and the online list.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from stdblite.cli.demo import start_demo
from stdblite.examples.game import SPAWN_X, SPAWN_Y
from stdblite.server import Server

from .conftest import Demo, screenshot
from .helpers import WireClient, close_to, hex_rgb, pixel_at, wait_for_pixel


def colors(page: Page) -> dict[str, str]:
    """The marker colours, as the page's own draw module defines them."""
    return dict(page.evaluate("import('/static/stdblite/draw.js').then(m => m.COLORS)"))


def open_map(page: Page, demo: Demo, query: str = "") -> dict[str, str]:
    """Open the map page and wait until it is connected."""
    page.goto(demo.page_url + query)
    expect(page.locator(".stdblite-map")).to_have_attribute("data-status", "connected")
    return colors(page)


def test_index_lists_the_databases(page: Page, demo: Demo) -> None:
    page.goto(demo.server.url + "/")
    link = page.get_by_role("link", name="bevy-game")
    expect(link).to_have_attribute("href", "/db/bevy-game")
    link.click()
    expect(page.locator(".stdblite-map")).to_have_attribute("data-status", "connected")


def test_players_appear_move_and_leave(page: Page, demo: Demo) -> None:
    john = WireClient(demo.server.url, "bevy-game")
    try:
        assert john.call("register_player", "John").outcome == "committed"
        x, y = SPAWN_X - 250.0, SPAWN_Y
        assert john.call("move_player", x, y).outcome == "committed"
        palette = open_map(page, demo)

        # John is listed, and drawn where his row says, in another's colour.
        online = page.locator(".stdblite-list li")
        expect(online.filter(has_text="John")).to_have_count(1)
        wait_for_pixel(page, x, y, palette["player"])
        screenshot(page, "demo-john")

        # He walks left; within a second the marker is there and not here.
        assert john.call("move_player", x - 200, y).outcome == "committed"
        wait_for_pixel(page, x - 200, y, palette["player"], timeout=1000)
        assert close_to(pixel_at(page, x, y), palette["ground"], tolerance=30)

        # He leaves: gone from the list, faded on the map.
        john.close()
        expect(online.filter(has_text="John")).to_have_count(0)
        wait_for_pixel(page, x - 200, y, palette["player"], absent=True)
        assert not close_to(pixel_at(page, x - 200, y), palette["ground"])
    finally:
        john.close()


def test_offline_players_can_be_hidden(page: Page, demo: Demo) -> None:
    john = WireClient(demo.server.url, "bevy-game")
    x, y = SPAWN_X + 250.0, SPAWN_Y
    assert john.call("move_player", x, y).outcome == "committed"
    john.close()
    palette = open_map(page, demo, "?offline=hide")
    wait_for_pixel(page, SPAWN_X, SPAWN_Y, palette["me"])
    wait_for_pixel(page, x, y, palette["ground"])


def test_you_are_marked_and_can_pick_a_name(page: Page, demo: Demo) -> None:
    palette = open_map(page, demo)
    wait_for_pixel(page, SPAWN_X, SPAWN_Y, palette["me"])
    page.get_by_placeholder("your name").fill("Tester")
    page.get_by_role("button", name="Set name").click()
    expect(page.locator(".demo-answer")).to_have_text("You are Tester.")
    expect(page.locator(".stdblite-map .stdblite-status")).to_have_text(
        "connected as Tester"
    )
    expect(page.locator(".stdblite-list .stdblite-me")).to_have_text("Tester (you)")
    page.get_by_placeholder("your name").fill("   ")
    page.get_by_role("button", name="Set name").click()
    expect(page.locator(".demo-answer")).to_have_text("Username must not be empty")


def test_wanderers_walk_on_the_page(page: Page) -> None:
    server = Server(in_memory=True, port=0).start()
    try:
        page.goto(start_demo(server, wanderers=3))
        expect(page.locator(".stdblite-list li")).to_have_count(4)
        palette = colors(page)
        first = blue_pixels(page, palette["player"])
        page.wait_for_timeout(400)
        assert blue_pixels(page, palette["player"]) != first
    finally:
        server.stop()


def blue_pixels(page: Page, color: str) -> list[int]:
    """Where the other players' markers are: indexes of pixels of ``color``."""
    found: list[int] = page.evaluate(
        """(color) => {
          const canvas = document.querySelector(".stdblite-canvas");
          const d = canvas.getContext("2d")
            .getImageData(0, 0, canvas.width, canvas.height).data;
          const out = [];
          for (let i = 0; i < d.length; i += 4) {
            if (d[i] === color[0] && d[i + 1] === color[1] && d[i + 2] === color[2]) {
              out.push(i / 4);
            }
          }
          return out;
        }""",
        hex_rgb(color),
    )
    assert found, "no other player is drawn"
    return found
