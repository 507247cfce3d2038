"""Fixtures for the browser tests: Chromium, a page, a demo server.

The tests drive Debian's Chromium through Playwright. Without
``/usr/bin/chromium`` they are skipped on a developer's machine, saying how
to install it, and fail in CI (``CI`` set), where ``.ci/run`` installs it:
there they must run, never skip.

Screenshots go to ``test-artifacts/screenshots`` (or the folder that
``STDBLITE_SHOTS`` names), to be looked at after a run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from stdblite.cli.demo import start_demo
from stdblite.server import Server

from .helpers import CHROMIUM_ARGS

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
INSTALL = "apt-get update && apt-get install -y chromium"


class Demo(NamedTuple):
    """A running demo: its server and the address of its map page."""

    server: Server
    page_url: str


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module.

    Not per session: Playwright's sync API keeps an event loop running in
    the main thread while it is open, and tests in other folders that call
    ``asyncio.run`` must not find one there.
    """
    if not CHROMIUM.exists():
        missing = f"Chromium is not installed at {CHROMIUM}; install it with: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context; any script error fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(5000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    yield page
    context.close()
    assert errors == [], f"the page reported errors: {errors}"


@pytest.fixture
def demo() -> Iterator[Demo]:
    """A server in memory with the tutorial world and no wanderers."""
    server = Server(in_memory=True, port=0).start()
    try:
        yield Demo(server, start_demo(server, wanderers=0))
    finally:
        server.stop()


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page as a test artifact, to be looked at."""
    folder = Path(os.environ.get("STDBLITE_SHOTS") or SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))
