"""What the two baseline servers share: the wire, the game rules, the fan-out.

A baseline speaks the part of stdblite's protocol the benchmark uses, with
frames of the same shape and size, so one load generator drives all
three servers:

- on connect it sends ``InitialConnection`` and brings the player online;
- ``Subscribe`` is answered with ``SubscribeApplied`` and every player row;
- ``CallReducer`` of ``move_player(x, y)`` is checked as the tutorial's
  reducer checks it (inside the world, a step of at most 256 px), stored,
  and answered with ``ReducerResult`` to the caller and a
  ``TransactionUpdate`` to every other subscribed client;
- on close the player goes offline, and subscribers hear of it.

A baseline differs only in its :class:`Store`: where a move is kept. The
fan-out uses ``websockets.broadcast``, which writes one encoded frame to
every connection without waiting: the fastest way ``websockets`` offers,
so the baselines are not slowed by how they send.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import secrets
import time
import urllib.parse
from typing import Any, Protocol

from websockets.asyncio.server import ServerConnection, broadcast, serve

Row = dict[str, Any]

TILE = 64
WORLD_WIDTH, WORLD_HEIGHT = 241 * TILE, 169 * TILE
SPAWN_X, SPAWN_Y = float(WORLD_WIDTH // 2), float(WORLD_HEIGHT // 2)
MAX_STEP = 4 * TILE


class Refused(Exception):
    """A move the game's rules refuse; its message goes to the caller."""


def check_move(old: Row, x: float, y: float) -> None:
    """The tutorial's move_player rules."""
    if not (0 <= x <= WORLD_WIDTH and 0 <= y <= WORLD_HEIGHT):
        raise Refused("That position is outside the world")
    step = math.hypot(x - old["position_x"], y - old["position_y"])
    if step > MAX_STEP:
        raise Refused(f"A step of {step:.0f} px is too long (max {MAX_STEP})")


def identity_of(player: str) -> str:
    """A stable 32-byte identity for a player name, as hex."""
    return "0x" + player.encode().hex().rjust(64, "0")[-64:]


class Store(Protocol):
    """Where a baseline keeps the player table."""

    def connect(self, identity: str) -> tuple[Row | None, Row]:
        """Bring a player online (creating it): the old row and the new."""
        ...

    def move(self, identity: str, x: float, y: float) -> tuple[Row, Row]:
        """Move a player, or raise Refused: the old row and the new."""
        ...

    def disconnect(self, identity: str) -> tuple[Row, Row]:
        """Mark a player offline: the old row and the new."""
        ...

    def rows(self) -> list[Row]:
        """Every player row."""
        ...


class Hub:
    """The connected clients, and the frames a change sends them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.subscribed: set[ServerConnection] = set()
        self.tx_id = 0

    async def handle(self, websocket: ServerConnection) -> None:
        """One client, from InitialConnection to its close."""
        assert websocket.request is not None
        query = urllib.parse.urlsplit(websocket.request.path).query
        player = urllib.parse.parse_qs(query).get("player", ["anonymous"])[0]
        identity = identity_of(player)
        connection_id = "0x" + secrets.token_hex(16)
        online = self.store.connect(identity)
        self.publish(None, "identity_connected", identity, connection_id, *online)
        hello = {"identity": identity, "connection_id": connection_id, "token": ""}
        await websocket.send(_frame("InitialConnection", hello))
        try:
            async for frame in websocket:
                await self.answer(websocket, identity, connection_id, frame)
        finally:
            self.subscribed.discard(websocket)
            old, new = self.store.disconnect(identity)
            self.publish(
                None, "identity_disconnected", identity, connection_id, old, new
            )

    async def answer(
        self, websocket: ServerConnection, identity: str, connection: str, frame: Any
    ) -> None:
        """Answer one client message."""
        message = json.loads(frame)
        if "Subscribe" in message:
            body = message["Subscribe"]
            self.subscribed.add(websocket)
            rows = [{"table": "player", "rows": self.store.rows()}]
            applied = {**body, "tables": rows}
            del applied["queries"]
            await websocket.send(_frame("SubscribeApplied", applied))
            return
        call = message["CallReducer"]
        try:
            old, new = self.store.move(identity, *call["args"])
        except Refused as refusal:
            await websocket.send(_result(call["request_id"], None, str(refusal), []))
            return
        tables = self.publish(websocket, "move_player", identity, connection, old, new)
        await websocket.send(_result(call["request_id"], self.tx_id, None, tables))

    def publish(
        self,
        caller: ServerConnection | None,
        reducer: str,
        identity: str,
        connection: str,
        old: Row | None,
        new: Row,
    ) -> list[Row]:
        """Send a change to every subscriber but its caller; its tables."""
        self.tx_id += 1
        deletes = [] if old is None else [old]
        tables = [{"table": "player", "inserts": [new], "deletes": deletes}]
        update = {
            "tx_id": self.tx_id,
            "timestamp": time.time_ns() // 1000,
            "reducer": reducer,
            "caller_identity": identity,
            "caller_connection_id": connection,
            "tables": tables,
        }
        others = [ws for ws in self.subscribed if ws is not caller]
        broadcast(others, _frame("TransactionUpdate", update))
        return tables


def _frame(name: str, body: dict[str, Any]) -> str:
    """One message as a compact JSON text frame."""
    return json.dumps({name: body}, separators=(",", ":"))


def _result(request_id: int, tx_id: int | None, error: str | None, tables: Any) -> str:
    """A ReducerResult frame."""
    body = {
        "request_id": request_id,
        "tx_id": tx_id,
        "timestamp": time.time_ns() // 1000,
        "outcome": "committed" if error is None else "failed",
        "error": error,
        "tables": tables,
    }
    return _frame("ReducerResult", body)


def run(store: Store, description: str) -> None:
    """Parse ``--port``, serve until killed, and print the address first."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    options, _ = parser.parse_known_args()
    asyncio.run(_serve(Hub(store), options.port))


async def _serve(hub: Hub, port: int) -> None:
    """Listen on 127.0.0.1 and say where, on stdout."""
    async with serve(hub.handle, "127.0.0.1", port, compression=None) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{bound}", flush=True)
        await server.serve_forever()
