"""``stdb start`` as a real process: where it listens, how it stops, restarts."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from stdblite import Database
from stdblite.server import Server

from .helpers import GAME, TIMEOUT, Client, closed_with, new_token, publish

ANNOUNCE = re.compile(r"listening on (http://[^;\s]+); data in (.+)$")


class ServerProcess:
    """``python -m stdblite start`` in a child process, read as a user reads it.

    Usage::

        process = ServerProcess(["--data-dir", str(data)], home)
        process.url     # from the line that says where it listens
        process.stop(signal.SIGTERM)
    """

    def __init__(self, options: list[str], home: Path) -> None:
        command = [sys.executable, "-m", "stdblite", "start"]
        command += ["--listen-addr", "127.0.0.1:0", *options]
        environment = {**os.environ, "STDB_HOME": str(home)}
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url, self.data = self._announced()

    @property
    def ws_url(self) -> str:
        """The WebSocket form of the announced URL."""
        return "ws" + self.url[4:]

    def _read(self) -> None:
        """Collect the process's output, line by line, as it comes."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _announced(self) -> tuple[str, str]:
        """The URL and data location from the line saying where it listens."""
        while True:
            try:
                line = self.lines.get(timeout=TIMEOUT * 3)
            except queue.Empty:
                self.process.kill()
                raise AssertionError("no 'listening on' line:\n" + self.text) from None
            found = ANNOUNCE.search(line.rstrip())
            if found:
                return found.group(1), found.group(2)

    @property
    def text(self) -> str:
        """Everything the process wrote so far."""
        return "".join(self.output)

    def stop(self, how: signal.Signals) -> int:
        """Send a signal and wait for the exit code."""
        self.process.send_signal(how)
        return self.process.wait(timeout=TIMEOUT * 3)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    """Server processes to start; any still running at the end is killed."""
    started: list[ServerProcess] = []
    yield started
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(timeout=TIMEOUT)


def start(
    processes: list[ServerProcess], tmp_path: Path, *options: str
) -> ServerProcess:
    """Start ``stdb start`` with these options and a private STDB_HOME."""
    process = ServerProcess(list(options), tmp_path / "home")
    processes.append(process)
    return process


def publish_game(url: str) -> None:
    """Publish the tutorial game as a fresh identity."""
    publish(url, new_token(url), "game", GAME.read_text(encoding="utf-8"))


def player(data: Path, identity: str) -> tuple[float, bool]:
    """A player's x position and online flag, read from the DuckDB file."""
    db = Database.reopen(data / "databases" / "game.duckdb", name="game")
    try:
        query = (
            f"SELECT position_x, is_online FROM player WHERE identity = '{identity}'"
        )
        [(x, online)] = db.sql(query).rows
        return x, online
    finally:
        db.close()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_start_says_where_and_stops_cleanly_on_a_signal(
    processes: list[ServerProcess], tmp_path: Path, how: signal.Signals
) -> None:
    data = tmp_path / "data"
    server = start(processes, tmp_path, "--data-dir", str(data))
    assert urllib.parse.urlsplit(server.url).port not in (None, 0)
    assert server.data == str(data)
    publish_game(server.url)
    with Client(server.ws_url, "game") as sara:
        assert sara.call("move_player", 7700.0, 5408.0).outcome == "committed"
        assert server.stop(how) == 0
        code, _ = closed_with(sara.recv)
        assert code == 1001  # going away
    assert "Traceback" not in server.text
    # The file reopens, with the move kept and Sara's disconnect recorded.
    assert player(data, str(sara.identity)) == (7700.0, False)


def test_in_memory_says_so_and_writes_nothing(
    processes: list[ServerProcess], tmp_path: Path
) -> None:
    server = start(processes, tmp_path, "--in-memory")
    assert server.data == "memory"
    publish_game(server.url)
    assert server.stop(signal.SIGTERM) == 0
    assert not (tmp_path / "home" / "data").exists()


def test_connections_open_when_the_server_died_are_closed_at_start_up(
    processes: list[ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = start(processes, tmp_path, "--data-dir", str(data))
    publish_game(first.url)
    with Client(first.ws_url, "game") as sara:
        assert sara.call("move_player", 7650.0, 5408.0).outcome == "committed"
        first.stop(signal.SIGKILL)
        with pytest.raises(ConnectionClosed):
            sara.recv()
    # Killed: no client_disconnected ran. The restart runs it.
    second = start(processes, tmp_path, "--data-dir", str(data))
    with Client(second.ws_url, "game") as watcher:
        rows = watcher.query("SELECT identity, position_x, is_online FROM player")
    assert [str(sara.identity), 7650.0, False] in rows.rows
    assert "left open by a crash" in second.text
    assert second.stop(signal.SIGTERM) == 0


def run_start(home: Path, listen: str) -> subprocess.CompletedProcess[str]:
    """Run ``stdb start`` expecting it to fail at once."""
    command = [sys.executable, "-m", "stdblite", "start", "--listen-addr", listen]
    environment = {**os.environ, "STDB_HOME": str(home)}
    return subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=TIMEOUT * 3
    )


def test_a_bad_listen_address_is_one_clear_line(tmp_path: Path) -> None:
    done = run_start(tmp_path, "nowhere")
    assert done.returncode == 1
    assert done.stderr == "error: --listen-addr takes HOST:PORT, got 'nowhere'\n"


def test_a_busy_port_is_one_clear_line(server: Server, tmp_path: Path) -> None:
    done = run_start(tmp_path, f"127.0.0.1:{server.port}")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("error: the server could not start: cannot listen on")
    assert "address already in use" in line
