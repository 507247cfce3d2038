"""The pages ``stdb start`` serves, over plain HTTP (the browser tests draw)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from stdblite.cli.demo import start_demo
from stdblite.server import Server
from stdblite.server.pages import index_page, map_page


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    server = Server(in_memory=True, port=0).start()
    try:
        start_demo(server, wanderers=2)
        yield server
    finally:
        server.stop()


def get(server: Server, path: str) -> tuple[int, str, str]:
    """Status, content type and body of a GET."""
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            body = response.read().decode()
            return response.status, response.headers["Content-Type"], body
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_the_index_links_each_database(server: Server) -> None:
    status, content_type, body = get(server, "/")
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert '<a href="/db/bevy-game">bevy-game</a>' in body


def test_a_map_page_names_its_database(server: Server) -> None:
    status, _, body = get(server, "/db/bevy-game")
    assert status == 200
    assert 'data-database="bevy-game"' in body
    assert '<script type="module" src="/static/stdblite/demo.js">' in body


def test_no_page_for_a_database_that_is_not_there(server: Server) -> None:
    status, content_type, body = get(server, "/db/nothing-here")
    assert (status, content_type) == (404, "application/json")
    assert "no route" in body


@pytest.mark.parametrize(
    "path", ["/static/stdblite/%2e%2e/app.py", "/static/stdblite/package.json"]
)
def test_only_front_end_files_are_static(server: Server, path: str) -> None:
    assert get(server, path)[0] == 404


def test_the_modules_are_served(server: Server) -> None:
    status, content_type, body = get(server, "/static/stdblite/player_map.js")
    assert (status, content_type) == (200, "text/javascript; charset=utf-8")
    assert "export function mountPlayerMap" in body


def test_the_demo_spawns_its_wanderers(server: Server) -> None:
    hosted = server.catalog.get("bevy-game")
    assert hosted is not None
    assert len(hosted.db.sql("SELECT * FROM player WHERE is_online").rows) == 2


def test_names_are_escaped() -> None:
    assert "&lt;b&gt;" in index_page(["<b>"])
    assert 'data-database="a&quot;b"' in map_page('a"b')
    assert "No databases yet" in index_page([])
