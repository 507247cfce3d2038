"""What the reliability suite shares: a server in its own process, raw clients.

The server runs as ``stdb start`` in a child process, so the suite can kill
it, and read its memory and open files from ``/proc`` as an operator would.
Clients speak the wire protocol directly over asyncio WebSockets: hundreds
of them fit in one event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from stdblite.cli.remote import admin, get_json
from stdblite.protocol import (
    CallReducer,
    InitialConnection,
    Publish,
    ReducerResult,
    ServerMessage,
    decode_server,
    encode,
)

MODULES = Path(__file__).parent / "modules"
GAME = Path(__file__).parents[2] / "stdblite" / "examples" / "game.py"
TIMEOUT = 15.0

# Figures each test adds to, printed as one table at the end of the run.
SUMMARY: dict[str, int] = {
    "runs": 0,
    "calls": 0,
    "crashes survived": 0,
    "bad inputs tried": 0,
    "rows lost": 0,
}


class ServerProcess:
    """``stdb start`` in a child process, on a port the system picks.

    Usage::

        server = ServerProcess(tmp_path / "data").start()
        ...
        server.kill()            # SIGKILL, as a crash would
        server = ServerProcess(tmp_path / "data").start()
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.log = data_dir.parent / f"{data_dir.name}-server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def ws_url(self) -> str:
        """The ``ws://`` form of the server's address."""
        return "ws" + self.url.removeprefix("http")

    def start(self) -> ServerProcess:
        """Start the server and wait until it says where it listens."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "stdblite", "start"]
        command += ["--listen-addr", "127.0.0.1:0", "--data-dir", str(self.data_dir)]
        seen = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        self.url = self._wait_for_address(seen)
        return self

    def _wait_for_address(self, seen: int) -> str:
        """Read the address from what the server logs as it starts."""
        assert self.process is not None
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            text = self.log.read_bytes()[seen:].decode(errors="replace")
            found = re.findall(r"listening on (http://127\.0\.0\.1:\d+)", text)
            if found:
                return found[-1]
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited at start:\n{text}")
            time.sleep(0.05)
        raise AssertionError("the server did not start in time")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)

    def stop(self) -> int:
        """SIGTERM, and the exit code of a clean stop."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=TIMEOUT)

    def memory_mib(self) -> float:
        """The server's resident memory, from /proc."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        (kib,) = re.findall(r"^VmRSS:\s+(\d+) kB", status, re.M)
        return int(kib) / 1024

    def open_files(self) -> int:
        """How many file descriptors the server holds (sockets included)."""
        assert self.process is not None
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


def new_token(url: str) -> str:
    """A fresh identity's token, minted by the server."""
    return str(get_json(url, "/v1/identity")["token"])


def publish(url: str, token: str, name: str, source: str) -> None:
    """Publish module source as ``token``'s identity (its owner from now on)."""
    admin(url, token, Publish(1, name, source, False))


def sql(url: str, token: str, database: str, query: str) -> list[dict[str, Any]]:
    """Rows of a query as the owner sees them, one dict per row."""
    path = f"/v1/database/{database}/sql?" + urllib.parse.urlencode({"query": query})
    result = get_json(url, path, token)
    return [dict(zip(result["columns"], row, strict=True)) for row in result["rows"]]


class RawClient:
    """One protocol connection in an asyncio program.

    Usage::

        client = await RawClient.connect(server.ws_url, "game")
        result = await client.call("move_player", 7700.0, 5400.0)
        await client.close()          # or client.drop() to vanish
    """

    def __init__(self, socket: ClientConnection, initial: InitialConnection) -> None:
        self.socket = socket
        self.initial = initial
        self._next_id = 0

    @classmethod
    async def connect(
        cls, ws_url: str, database: str, token: str | None = None
    ) -> RawClient:
        """Open the connection and read InitialConnection."""
        url = f"{ws_url}/v1/database/{database}/subscribe"
        if token is not None:
            url += "?" + urllib.parse.urlencode({"token": token})
        socket = await websockets.connect(
            url, compression=None, open_timeout=TIMEOUT, max_size=None
        )
        first = decode_server(await asyncio.wait_for(socket.recv(), TIMEOUT))
        assert isinstance(first, InitialConnection), first
        return cls(socket, first)

    async def send(self, frame: str) -> None:
        """Send one raw frame."""
        await self.socket.send(frame)

    async def receive(self) -> ServerMessage:
        """The next message from the server."""
        return decode_server(await asyncio.wait_for(self.socket.recv(), TIMEOUT))

    async def call(self, reducer: str, *args: Any) -> ReducerResult:
        """Call a reducer and wait for its result, skipping other messages."""
        self._next_id += 1
        request_id = self._next_id
        await self.send(encode(CallReducer(request_id, reducer, list(args))))
        while True:
            message = await self.receive()
            if isinstance(message, ReducerResult) and message.request_id == request_id:
                return message

    async def close(self) -> None:
        """Leave cleanly, with a WebSocket close handshake."""
        await self.socket.close()

    def drop(self) -> None:
        """Vanish: cut the TCP connection without a close handshake."""
        self.socket.transport.abort()
