"""Fixtures for the server tests: real servers on 127.0.0.1, port 0."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stdblite.server import Server

from .helpers import GAME, module_source, new_token, publish

PING_INTERVAL = 0.3
"""Short keepalive, so a vanished client is noticed within a second."""


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers on a data directory under ``tmp_path``; stop them after."""
    started: list[Server] = []

    def start(data_dir: Path | None = None, **options: Any) -> Server:
        options.setdefault("ping_interval", PING_INTERVAL)
        server = Server(data_dir or tmp_path / "data", port=0, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    """A running server with its data in a temporary directory."""
    return start_server()


@pytest.fixture
def owner(server: Server) -> str:
    """The token of the identity that publishes the test databases."""
    return new_token(server.url)


@pytest.fixture
def game(server: Server, owner: str) -> str:
    """The tutorial's game module, published as ``game``; its name."""
    publish(server.url, owner, "game", GAME.read_text(encoding="utf-8"))
    return "game"


@pytest.fixture
def survey(server: Server, owner: str) -> str:
    """The survey module, published as ``survey``; its name."""
    publish(server.url, owner, "survey", module_source("survey"))
    return "survey"
