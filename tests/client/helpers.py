"""Shared helpers for the client tests: publishing, and waiting on callbacks.

A :class:`Recorder` stands in for a program's callbacks: each records
what it was called with, and a test waits (with a timeout, never a
sleep) until the records show what it expects.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stdblite.cli.remote import admin, get_json
from stdblite.client import DbConnection
from stdblite.protocol import Publish

GAME = Path(__file__).parents[2] / "stdblite" / "examples" / "game.py"
BOARD = Path(__file__).parent / "modules" / "board.py"
TIMEOUT = 10.0


def new_token(url: str) -> str:
    """A fresh identity's token, minted by the server at ``url``."""
    return str(get_json(url, "/v1/identity")["token"])


def publish(url: str, token: str, name: str, module: Path) -> None:
    """Publish a module file as ``token``'s identity."""
    admin(url, token, Publish(1, name, module.read_text(encoding="utf-8"), False))


class Recorder:
    """Records callback calls as tuples; waits until a condition holds.

    Usage::

        rec = Recorder()
        conn.db.player.on_insert(rec.callback("insert"))
        rec.wait_for(lambda: rec.named("insert"))
    """

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._changed = threading.Condition()

    def callback(self, name: str) -> Callable[..., None]:
        """A callback that records ``(name, *args)``."""

        def record(*args: Any) -> None:
            self.add(name, *args)

        return record

    def add(self, *call: Any) -> None:
        """Record one call and wake the waiters."""
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def named(self, name: str) -> list[tuple[Any, ...]]:
        """The arguments of every recorded call of that name, in order."""
        with self._changed:
            return [call[1:] for call in self.calls if call[0] == name]

    def clear(self) -> None:
        """Forget what was recorded."""
        with self._changed:
            self.calls.clear()

    def wait_for(
        self,
        condition: Callable[[], Any],
        timeout: float = TIMEOUT,
        tick: Callable[[], None] | None = None,
    ) -> Any:
        """Wait until ``condition()`` is true; return its value.

        ``tick`` is called while waiting, for connections that the test's
        own thread drives with ``frame_tick``.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while time.monotonic() < deadline:
                if tick is not None:
                    tick()
                value = condition()
                if value:
                    return value
                self._changed.wait(0.02 if tick else 0.05)
        raise AssertionError(f"timed out; recorded: {self.calls[-12:]}")


@dataclass
class Client:
    """A connection under test and the recorder of its callbacks."""

    conn: DbConnection
    rec: Recorder
    handles: list[Any] = field(default_factory=list)

    def connected(self) -> tuple[Any, ...]:
        """Wait for on_connect; its (conn, identity, token)."""
        return self.rec.wait_for(lambda: self.rec.named("connect"))[0]

    def subscribe(self, *queries: str) -> Any:
        """Subscribe to a query set and wait until it is applied."""
        done = threading.Event()
        handle = (
            self.conn.subscription_builder()
            .on_applied(lambda ctx: (self.rec.add("applied", queries), done.set()))
            .on_error(self.rec.callback("subscription_error"))
            .subscribe(list(queries))
        )
        self.rec.wait_for(lambda: done.is_set() or self.rec.named("subscription_error"))
        assert done.is_set(), self.rec.named("subscription_error")
        return handle

    def rows(self, table: str = "player") -> dict[str, Any]:
        """The cached rows of a table by username (or title), as now."""
        handle = getattr(self.conn.db, table)
        key = "username" if table == "player" else "title"
        return {getattr(row, key): row for row in handle.iter()}


class GameLoop:
    """A game's main loop in its own thread: ``frame_tick()`` every frame.

    The connection is driven from this thread alone, as a game would drive
    it from its render loop; ``stop()`` ends the loop once the test is done.
    """

    FRAME = 0.005

    def __init__(self, conn: DbConnection) -> None:
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(conn,), name="game-loop", daemon=True
        )
        self._thread.start()

    def _run(self, conn: DbConnection) -> None:
        while not self._stopped.wait(self.FRAME):
            conn.frame_tick()

    def stop(self) -> None:
        """End the loop and wait for its thread."""
        self._stopped.set()
        self._thread.join(TIMEOUT)


class AsyncProgram:
    """An asyncio program whose event loop runs ``await conn.run_async()``."""

    def __init__(self, conn: DbConnection) -> None:
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(conn.run_async(),),
            name="asyncio-program",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Wait for the program, which ends with its connection."""
        self._thread.join(TIMEOUT)
