"""Capture one real frame of every protocol message, from a real server.

The protocol page of the book shows these frames; its test checks that
each example there has the shape of a frame captured here. To see fresh
frames, formatted as the page shows them::

    .venv/bin/python -m tests.server.capture
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from typing import Any

from websockets.sync.client import ClientConnection, connect

from stdblite.protocol import (
    AdminRequest,
    ClientMessage,
    DeleteDatabase,
    Describe,
    Logs,
    Publish,
    ServerMessage,
    decode_server,
    encode,
    encode_admin,
)
from stdblite.server import Server

from .helpers import GAME, TIMEOUT, Client, module_source, new_token, publish

Frames = dict[str, list[str]]
WIDTH = 72


class Recorder(Client):
    """A client that keeps every frame it sends and receives."""

    def __init__(self, frames: Frames, *args: Any, **options: Any) -> None:
        self.frames = frames
        super().__init__(*args, **options)

    def send(self, message: ClientMessage) -> None:
        """Send and record one message (a malformed frame is not recorded)."""
        frame = encode(message)
        self.frames[_name(frame)].append(frame)
        self.send_text(frame)

    def recv(self, timeout: float = TIMEOUT) -> ServerMessage:
        """Receive and record one message."""
        frame = self.socket.recv(timeout=timeout)
        assert isinstance(frame, str)
        self.frames[_name(frame)].append(frame)
        return decode_server(frame)


def _name(frame: str) -> str:
    """The message type a frame holds."""
    return next(iter(json.loads(frame)))


def capture(server: Server) -> Frames:
    """Play the tutorial story and an owner's session; every frame, by type."""
    frames: Frames = defaultdict(list)
    publish(server.url, new_token(server.url), "game", GAME.read_text("utf-8"))
    _play(server, frames)
    _administer(server, frames)
    return dict(frames)


def _play(server: Server, frames: Frames) -> None:
    """John and Sara: connect, subscribe, move, fail, query, unsubscribe."""
    with Recorder(frames, server.ws_url, "game") as john:
        john.call("register_player", "John")
        john.subscribe(
            "SELECT * FROM player",
            "SELECT * FROM player WHERE is_online = true",
        )
        with Recorder(frames, server.ws_url, "game") as sara:
            john.update()  # Sara arrives
            sara.subscribe("SELECT * FROM player")
            sara.call("register_player", "Sara")
            john.update()
            sara.call("move_player", 7648.0, 5408.0)
            john.update()
            sara.call("move_player", 7136.0, 5408.0)
        john.update()  # Sara leaves
        john.query("SELECT username, is_online FROM player")
        john.subscribe("SELECT * FROM players", query_set_id=2)
        john.unsubscribe(1)
        john.send_text('{"CallReducer": {"request_id": 9, "reducer": ')
        john.recv()
        john.send_text('{"CallReducer": {"request_id": 9, "reducer": "move_player"}}')
        john.recv()


def _administer(server: Server, frames: Frames) -> None:
    """The owner publishes a small module, describes it, reads its logs."""
    url = f"{server.ws_url}/v1/admin?token={new_token(server.url)}"
    with connect(url, compression=None) as admin:
        _ask(admin, frames, Publish(1, "hello", module_source("hello"), False))
        _ask(admin, frames, Describe(2, "hello"))
        with Recorder(frames, server.ws_url, "hello") as client:
            client.call("greet", "hello")
            _ask(admin, frames, Logs(3, "hello", 5, True))
            client.call("greet", "world")
            _record(admin, frames)  # LogLines, once the follower polls
    # A following connection answers nothing else: ask on a new one.
    with connect(url, compression=None) as admin:
        _ask(admin, frames, DeleteDatabase(4, "hello"))
        _ask(admin, frames, Describe(5, "hello"))  # refused: it is gone


def _ask(admin: ClientConnection, frames: Frames, request: AdminRequest) -> None:
    """Send one administration request and record it and its answer."""
    frame = encode_admin(request)
    frames[_name(frame)].append(frame)
    admin.send(frame)
    _record(admin, frames)


def _record(admin: ClientConnection, frames: Frames) -> None:
    """Receive and record one frame from the administration endpoint."""
    answer = admin.recv(timeout=TIMEOUT)
    assert isinstance(answer, str)
    frames[_name(answer)].append(answer)


def pretty(value: Any, indent: int = 0, room: int = WIDTH) -> str:
    """JSON on one line if it fits in ``room``, else one item a line."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= room or not isinstance(value, dict | list) or not value:
        return flat
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k)}: {pretty(v, indent + 2)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [inner + pretty(v, indent + 2) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def page_form(frame: str) -> str:
    """A frame as the page shows it: the envelope, then its fields."""
    name, body = next(iter(json.loads(frame).items()))
    envelope = f'{{"{name}": '
    return envelope + pretty(body, room=WIDTH - len(envelope) - 1) + "}"


def main() -> None:
    """Start a server in a temporary folder and print every frame captured."""
    with tempfile.TemporaryDirectory() as folder, Server(folder, port=0) as server:
        frames = capture(server)
    for name, found in frames.items():
        print(f"### {name}")
        for frame in found:
            print(page_form(frame), end="\n\n")


if __name__ == "__main__":
    main()
