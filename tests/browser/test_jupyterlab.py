"""A PlayerMap in a real JupyterLab, over a DbConnection in the kernel.

The notebook runs a server and two clients, John and Sara, in its
kernel and shows John's map. Rows reach the browser only through
Jupyter's widget channel; the page never talks to the stdblite server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from stdblite.examples.game import SPAWN_X, SPAWN_Y

from .conftest import screenshot
from .helpers import wait_for_pixel
from .lab import TOKEN, running_lab

SETUP = """\
from stdblite.cli.demo import start_demo
from stdblite.client import DbConnection
from stdblite.server import Server
from stdblite.widgets import PlayerMap

server = Server(in_memory=True, port=0).start()
start_demo(server, wanderers=0)

def connect():
    conn = (
        DbConnection.builder()
        .with_uri(server.url)
        .with_database_name("bevy-game")
        .build()
    )
    conn.run_threaded()
    conn.wait_until_connected(timeout=60)
    return conn

john, sara = connect(), connect()
sara.reducers.move_player(SPAWN_X + 200.0, SPAWN_Y)
PlayerMap(john, zoom=6, step=64)"""

SARA_WALKS = "sara.reducers.move_player(SPAWN_X + 400.0, SPAWN_Y)"


def notebook(*cells: str) -> str:
    """An nbformat 4 notebook of code cells, with SPAWN_X and SPAWN_Y set."""
    prelude = f"SPAWN_X, SPAWN_Y = {SPAWN_X}, {SPAWN_Y}\n"
    sources = [prelude + cells[0], *cells[1:]]
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for source in sources
            ],
            "metadata": {
                "kernelspec": {
                    "display_name": "Python 3",
                    "language": "python",
                    "name": "python3",
                }
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """A JupyterLab server on a free port, in a folder of its own."""
    (tmp_path / "map.ipynb").write_text(notebook(SETUP, SARA_WALKS))
    with running_lab(tmp_path) as address:
        yield address


def run_cell(page: Page, index: int) -> None:
    """Select a cell and run it with Shift+Enter, as a person would."""
    page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")


@pytest.mark.timeout(120)
def test_a_player_map_in_jupyterlab(browser: Browser, lab: str) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{lab}/lab/tree/map.ipynb?token={TOKEN}")
        idle = page.get_by_text("Python 3 (ipykernel) | Idle")
        expect(idle).to_be_visible(timeout=60_000)
        run_cell(page, 0)
        the_map = page.locator(".stdblite-map")
        expect(the_map).to_have_attribute("data-status", "connected", timeout=60_000)
        blue = "#1864ab"
        wait_for_pixel(page, SPAWN_X + 200, SPAWN_Y, blue, timeout=30_000)
        screenshot(page, "jupyterlab")

        # Sara walks on, from the other client in the kernel.
        run_cell(page, 1)
        wait_for_pixel(page, SPAWN_X + 400, SPAWN_Y, blue, timeout=30_000)

        # John walks left with the keys; the kernel calls the reducer.
        page.locator(".stdblite-canvas").focus()
        page.keyboard.press("ArrowLeft")
        wait_for_pixel(page, SPAWN_X - 64, SPAWN_Y, "#e8590c", timeout=30_000)
        wait_for_pixel(page, SPAWN_X, SPAWN_Y, "#d8ecc9")
    finally:
        context.close()
