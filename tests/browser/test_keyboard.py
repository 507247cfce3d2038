"""Walking with the keyboard: the map asks the reducer, the server decides."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from stdblite.examples.game import SPAWN_X, SPAWN_Y

from .conftest import Demo, screenshot
from .helpers import close_to, pixel_at, wait_for_pixel
from .test_demo_page import open_map


def join_as(page: Page, name: str) -> None:
    """Pick a name with the page's form, so the test can find our row."""
    page.get_by_placeholder("your name").fill(name)
    page.get_by_role("button", name="Set name").click()
    expect(page.locator(".demo-answer")).to_have_text(f"You are {name}.")


def position_of(demo: Demo, name: str) -> tuple[float, float]:
    """A player's position as the server's table holds it."""
    hosted = demo.server.catalog.get("bevy-game")
    assert hosted is not None
    query = f"SELECT position_x, position_y FROM player WHERE username = '{name}'"
    ((x, y),) = hosted.db.sql(query).rows
    return x, y


def wait_for_position(
    demo: Demo, name: str, x: float, y: float, timeout: float = 5.0
) -> None:
    """Wait until the server's row for ``name`` is at (x, y)."""
    deadline = time.monotonic() + timeout
    while position_of(demo, name) != (x, y):
        assert time.monotonic() < deadline, f"{name} is at {position_of(demo, name)}"
        time.sleep(0.02)


def test_arrow_left_moves_your_row_left(page: Page, demo: Demo) -> None:
    palette = open_map(page, demo)
    join_as(page, "Walker")
    page.locator(".stdblite-canvas").focus()
    page.keyboard.press("ArrowLeft")
    wait_for_position(demo, "Walker", SPAWN_X - 8, SPAWN_Y)
    wait_for_pixel(page, SPAWN_X - 8, SPAWN_Y, palette["me"])
    screenshot(page, "keyboard-left")
    page.keyboard.press("d")
    wait_for_position(demo, "Walker", SPAWN_X, SPAWN_Y)


def test_keys_do_nothing_without_focus(page: Page, demo: Demo) -> None:
    open_map(page, demo)
    join_as(page, "Walker")
    page.get_by_placeholder("your name").focus()
    page.keyboard.press("ArrowLeft")
    page.locator(".stdblite-canvas").focus()
    page.keyboard.press("ArrowUp")
    wait_for_position(demo, "Walker", SPAWN_X, SPAWN_Y - 8)


def test_a_refused_step_moves_nothing(page: Page, demo: Demo) -> None:
    palette = open_map(page, demo, "?step=1000")
    join_as(page, "Jumper")
    page.locator(".stdblite-canvas").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".stdblite-message")).to_have_text(
        "refused: A step of 1000 px is too long (max 256)"
    )
    assert position_of(demo, "Jumper") == (SPAWN_X, SPAWN_Y)
    screenshot(page, "keyboard-refused")
    assert close_to(pixel_at(page, SPAWN_X, SPAWN_Y), palette["me"])
    assert not close_to(pixel_at(page, SPAWN_X - 1000, SPAWN_Y), palette["me"])
