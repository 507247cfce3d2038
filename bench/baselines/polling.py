"""Baseline: the traditional stack, an HTTP API over a SQL database, polled.

What a game backend looks like before SpacetimeDB's model: a web server
with one endpoint to move and one to read every position, over the same
DuckDB table and transactions as the naive server. Clients cannot be
told of a change, so each one asks for every position 30 times a second
and works out what moved. It is the standard library's threaded HTTP
server, keeping connections alive (HTTP/1.1), one thread per connection:

- ``POST /connect?player=NAME``: the player is created or brought online;
- ``POST /move?player=NAME&x=X&y=Y``: ``BEGIN; SELECT; UPDATE; COMMIT``,
  with the tutorial's rules; 200, or 409 with the refusal;
- ``GET /players``: every player row, as JSON.

Every request uses one DuckDB connection, behind a lock: DuckDB has one
writer, and reads through a cursor per thread, tried too, were slower
here, not faster: a hundred threads' queries fought over the two cores
and the moves starved.

    python bench/baselines/polling.py --port 0 --data-dir DIR
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from common import Refused, identity_of
from naive import DuckDBStore


class Api(BaseHTTPRequestHandler):
    """The three endpoints; one DuckDB connection behind a lock."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm
    # holds the body back until the client's delayed ACK, 40 ms later.
    disable_nagle_algorithm = True
    store: DuckDBStore
    lock = threading.Lock()

    def do_POST(self) -> None:
        """Connect or move one player."""
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        identity = identity_of(query.get("player", "anonymous"))
        if url.path not in ("/connect", "/move"):
            self._send(404, {"error": f"no endpoint {url.path}"})
            return
        try:
            with self.lock:
                if url.path == "/connect":
                    self.store.connect(identity)
                else:
                    self.store.move(identity, float(query["x"]), float(query["y"]))
        except Refused as refusal:
            self._send(409, {"error": str(refusal)})
            return
        except (KeyError, ValueError):
            self._send(400, {"error": "a move needs numbers x and y"})
            return
        self._send(200, {"ok": True})

    def do_GET(self) -> None:
        """Every player's row."""
        if urllib.parse.urlsplit(self.path).path != "/players":
            self._send(404, {"error": "no such endpoint"})
            return
        with self.lock:
            rows = self.store.rows()
        self._send(200, rows)

    def _send(self, status: int, body: Any) -> None:
        """A JSON answer on the kept-alive connection."""
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a line per request would cost more than the request."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--data-dir", type=Path)
    options = parser.parse_args()
    folder = options.data_dir or Path(tempfile.mkdtemp(prefix="stdblite-polling-"))
    Api.store = DuckDBStore(folder / "polling.duckdb")
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Api)
    server.daemon_threads = True
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
