"""Limit: a ``websockets`` server that sends every message straight back.

Nothing is parsed, stored or fanned out. One client sending a frame and
waiting for it to come back measures the round trip through the same
library, loopback and load generator the servers are measured with: no
design that answers over ``websockets`` can answer one client faster.

    python bench/baselines/echo.py --port 0
"""

from __future__ import annotations

import argparse
import asyncio

from websockets.asyncio.server import ServerConnection, serve


async def echo(websocket: ServerConnection) -> None:
    """Send each message back as it came."""
    async for message in websocket:
        await websocket.send(message)


async def serve_forever(port: int) -> None:
    """Listen on 127.0.0.1 and say where, on stdout."""
    async with serve(echo, "127.0.0.1", port, compression=None) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{bound}", flush=True)
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    options, _ = parser.parse_known_args()
    asyncio.run(serve_forever(options.port))


if __name__ == "__main__":
    main()
