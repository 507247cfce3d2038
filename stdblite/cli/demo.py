"""``stdb demo``: a live tutorial world to open in a browser.

It starts a server in memory, publishes the tutorial's game module, adds
a few wandering players, prints the address of the map page, and serves
until Ctrl-C. Nothing is written to disk; every run starts afresh.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from ..errors import StdbliteError
from ..protocol import Publish
from ..server import Server
from ..server.pages import demo_pages
from .commands import listen_address, log_to_stderr
from .remote import admin

__all__ = ["DATABASE", "demo", "start_demo"]

DATABASE = "bevy-game"
"""The demo's database name, as in the tutorial."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""What stops the demo: Ctrl-C, and what a service manager sends."""

GAME_MODULE = Path(__file__).resolve().parents[1] / "examples" / "game.py"


def start_demo(server: Server, database: str = DATABASE, wanderers: int = 6) -> str:
    """Publish the game on a running server and spawn wanderers.

    Adds the browser pages to the server and returns the address of the
    database's map page. The wanderers are spawned by the publisher's
    identity straight through the engine, not by a client connection, so
    no extra player joins the world.
    """
    server.pages.append(demo_pages(server))
    token, publisher = server.authority.mint()
    source = GAME_MODULE.read_text(encoding="utf-8")
    admin(server.url, token, Publish(1, database, source, False), None)
    hosted = server.catalog.get(database)
    if hosted is None:
        raise StdbliteError(f"the demo database {database} did not appear")
    if wanderers > 0:
        hosted.db.call("spawn_wanderers", wanderers, sender=publisher)
    return f"{server.url}/db/{database}"


def demo(args: argparse.Namespace) -> int:
    """Run the demo server until Ctrl-C or SIGTERM."""
    host, port = listen_address(args.listen_addr)
    log_to_stderr()
    with _stop_on_signals() as stop:
        server = Server(host=host, port=port, in_memory=True)
        server.start()
        try:
            url = start_demo(server, wanderers=args.wanderers)
            print(f"The tutorial world is live: open {url}", flush=True)
            print("Press Ctrl-C to stop.", flush=True)
            stop.wait()
        finally:
            server.stop()
    return 0


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event that Ctrl-C (SIGINT) or SIGTERM sets, while in the block.

    Ctrl-C sets the event rather than raising KeyboardInterrupt, which
    could land in the middle of any line of the start-up or of a write, and
    leave a lock held that the shutdown then waits for.
    """
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
