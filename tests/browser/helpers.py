"""Shared helpers for the browser tests: a wire client, and canvas pixels.

The wire client speaks the protocol over a real WebSocket, as a second
player would; the pixel helpers read what the page's canvas really shows,
through ``getImageData``, at the place a world position is drawn.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Page
from websockets.sync.client import ClientConnection, connect

from stdblite.protocol import (
    CallReducer,
    InitialConnection,
    ReducerResult,
    decode_server,
    encode,
)

TIMEOUT = 10.0

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


class WireClient:
    """A player over the wire protocol: connects, calls reducers, leaves."""

    def __init__(self, server_url: str, database: str) -> None:
        address = f"ws{server_url[4:]}/v1/database/{database}/subscribe"
        self._closing = contextlib.ExitStack()
        self.socket: ClientConnection = self._closing.enter_context(
            connect(address, open_timeout=TIMEOUT)
        )
        first = decode_server(self.socket.recv(timeout=TIMEOUT))
        assert isinstance(first, InitialConnection)
        self.identity = str(first.identity)
        self._request = 0

    def call(self, reducer: str, *args: Any) -> ReducerResult:
        """Call a reducer and wait for its result."""
        self._request += 1
        self.socket.send(encode(CallReducer(self._request, reducer, list(args))))
        while True:
            message = decode_server(self.socket.recv(timeout=TIMEOUT))
            if isinstance(message, ReducerResult):
                assert message.request_id == self._request
                return message

    def close(self) -> None:
        """Leave: the server runs client_disconnected."""
        self._closing.close()


# Reads the canvas pixel where world point (x, y) is drawn, using the view
# the map publishes in its data-view attribute.
_PIXEL_AT = """([x, y]) => {
  const canvas = document.querySelector(".stdblite-canvas");
  const [left, top, scale] = canvas.dataset.view.split(" ").map(Number);
  const ratio = canvas.width / canvas.clientWidth;
  const px = Math.round((x - left) * scale * ratio);
  const py = Math.round((y - top) * scale * ratio);
  const data = canvas.getContext("2d").getImageData(px, py, 1, 1).data;
  return [data[0], data[1], data[2]];
}"""

# True once the pixel at world point (x, y) is within 12 of an RGB colour
# (or, with `absent`, once it is not).
_PIXEL_IS = """([x, y, color, absent]) => {
  const canvas = document.querySelector(".stdblite-canvas");
  if (!canvas || !canvas.dataset.view) return false;
  const [left, top, scale] = canvas.dataset.view.split(" ").map(Number);
  const ratio = canvas.width / canvas.clientWidth;
  const px = Math.round((x - left) * scale * ratio);
  const py = Math.round((y - top) * scale * ratio);
  const d = canvas.getContext("2d").getImageData(px, py, 1, 1).data;
  return (Math.max(...color.map((c, i) => Math.abs(c - d[i]))) <= 12) !== absent;
}"""


def hex_rgb(color: str) -> list[int]:
    """``#1864ab`` as [24, 100, 171]."""
    return [int(color[i : i + 2], 16) for i in (1, 3, 5)]


def pixel_at(page: Page, x: float, y: float) -> list[int]:
    """The RGB of the canvas pixel where world point (x, y) is drawn."""
    rgb: list[int] = page.evaluate(_PIXEL_AT, [x, y])
    return rgb


def wait_for_pixel(
    page: Page,
    x: float,
    y: float,
    color: str,
    timeout: float = 5000,
    absent: bool = False,
) -> None:
    """Wait until the pixel at world point (x, y) shows ``color`` (or not).

    The canvas is redrawn on the next animation frame after a change, so
    a test waits for what it expects rather than reading one pixel.
    """
    arg = [x, y, hex_rgb(color), absent]
    page.wait_for_function(_PIXEL_IS, arg=arg, timeout=timeout)


def close_to(rgb: list[int], color: str, tolerance: int = 12) -> bool:
    """True if an RGB triple is within ``tolerance`` of a ``#rrggbb`` colour."""
    differences = [abs(a - b) for a, b in zip(rgb, hex_rgb(color), strict=True)]
    return max(differences) <= tolerance


@contextmanager
def serving(
    handler: Callable[..., http.server.BaseHTTPRequestHandler],
) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 and a free port; yields its address.

    A real loopback server, not an intercepted request: Chromium lets a
    page open a WebSocket to 127.0.0.1 only if the page itself came from
    this machine's network.
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
