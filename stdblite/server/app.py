"""The server: a ``websockets`` asyncio server hosting many databases.

Usage from Python (notebooks, tests)::

    server = Server(data_dir=tmp, port=0).start()   # a background thread
    print(server.url)                               # http://127.0.0.1:PORT
    server.stop()

and from the shell, ``stdb start``, which calls :meth:`Server.serve_forever`
and stops cleanly on Ctrl-C or SIGTERM. Endpoints:

- ``/v1/database/NAME/subscribe``: the client protocol (WebSocket);
- ``/v1/admin``: publish, delete, describe, logs (WebSocket);
- plain GETs, see :mod:`stdblite.server.http`.

WebSocket compression is off: frames are small, and deflate would cost
more server CPU per delivered update than it saves on the wire.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from websockets.asyncio.server import Server as WebSocketServer
from websockets.asyncio.server import ServerConnection, serve

from ..errors import StdbliteError, TokenError
from ..identity import Identity
from ..tokens import TokenAuthority
from .admin import AdminSession
from .catalog import Catalog
from .hosted import HostedDatabase
from .http import bearer_token, route
from .session import ClientSession, _reason

__all__ = ["Server"]

log = logging.getLogger("stdblite.server")

PageFinder = Callable[[str], tuple[bytes, str] | None]

SHUTDOWN_GRACE = 5.0
"""Seconds connections get to finish their closing handshake at shutdown."""


class Server:
    """A stdblite server: databases, tokens and the WebSocket endpoints.

    Usage::

        with Server(data_dir="data", port=0) as server:
            print(server.url)

    ``port=0`` picks a free port (read it from :attr:`url` once started).
    ``in_memory`` keeps databases and the signing key in memory only.
    ``publish_key`` lets clients on other machines publish new databases.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        in_memory: bool = False,
        publish_key: str | None = None,
        max_message_size: int = 1 << 20,
        ping_interval: float = 10.0,
    ) -> None:
        if data_dir is None and not in_memory:
            raise StdbliteError("give a data directory, or in_memory=True")
        self.data_dir = None if in_memory or data_dir is None else Path(data_dir)
        self.host = host
        self.port = port
        self.publish_key = publish_key
        self.max_message_size = max_message_size
        self.ping_interval = ping_interval
        self.authority = (
            TokenAuthority.ephemeral()
            if self.data_dir is None
            else TokenAuthority.in_folder(self.data_dir)
        )
        self.pages: list[PageFinder] = []
        self.catalog: Catalog
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # -- addresses -----------------------------------------------------------

    @property
    def url(self) -> str:
        """The HTTP address clients use, e.g. ``http://127.0.0.1:3000``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The WebSocket form of :attr:`url`."""
        return "ws" + self.url[4:]

    def page(self, path: str) -> tuple[bytes, str] | None:
        """A static page for ``path`` from the registered page finders."""
        for finder in self.pages:
            found = finder(path)
            if found is not None:
                return found
        return None

    # -- running ---------------------------------------------------------------

    def start(self) -> Server:
        """Run in a background thread; return once it is listening."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._main()),
            name="stdblite-server",
            daemon=True,
        )
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            self._thread.join()
            self._thread = None
            raise StdbliteError(f"the server could not start: {self._failure}")
        return self

    def stop(self) -> None:
        """Close every connection and database, and end the thread.

        Stopping a server that is not running does nothing.
        """
        if self._thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join()
        self._thread = None

    def serve_forever(self) -> None:
        """Run in this thread until Ctrl-C or SIGTERM."""
        asyncio.run(self._main(handle_signals=True))
        if self._failure is not None:
            raise StdbliteError(f"the server could not start: {self._failure}")

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _main(self, handle_signals: bool = False) -> None:
        """Open the databases, listen, and wait to be told to stop.

        A server that cannot start keeps the reason in ``_failure`` for
        :meth:`start` or :meth:`serve_forever` to raise, as one clear line.
        """
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._loop.add_signal_handler(sig, self._stopping.set)
        try:
            await self._listen_until_stopped()
        except StdbliteError as exc:
            self._failure = exc
        except BaseException as exc:
            self._failure = exc
            raise
        finally:
            self._ready.set()

    async def _listen_until_stopped(self) -> None:
        """The body of the server's life: start, serve, shut down."""
        assert self._loop is not None and self._stopping is not None
        self.catalog = Catalog(self.data_dir, self._loop)
        await asyncio.to_thread(self.catalog.open_existing)
        try:
            websocket_server = await self._listen()
        except BaseException:
            await asyncio.to_thread(self.catalog.close_all)
            raise
        self.port = websocket_server.sockets[0].getsockname()[1]
        self._announce()
        self._ready.set()
        await self._stopping.wait()
        log.info("stopping")
        await _close_connections(websocket_server)
        await asyncio.to_thread(self.catalog.close_all)
        log.info("stopped")

    async def _listen(self) -> WebSocketServer:
        """Open the listening socket; a busy or bad address says so."""
        try:
            return await serve(
                self._handle,
                self.host,
                self.port,
                process_request=route(self),
                compression=None,
                max_size=self.max_message_size,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_interval,
                # A vanished client never answers the closing handshake
                # either: give up on it as soon as on a ping, so that
                # client_disconnected runs within about three ping intervals.
                close_timeout=self.ping_interval,
                logger=logging.getLogger("stdblite.server.websockets"),
            )
        except OSError as exc:
            raise StdbliteError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from exc

    def _announce(self) -> None:
        """Say where the server listens and where its data lives."""
        where = "memory" if self.data_dir is None else str(self.data_dir)
        log.info("listening on %s; data in %s", self.url, where)
        if not _is_loopback_host(self.host):
            log.warning(
                "listening beyond this machine on %s: anyone who can reach it can "
                "connect; publishing new databases still needs %s",
                self.host,
                "the publish key" if self.publish_key else "this machine",
            )

    # -- connections -----------------------------------------------------------

    async def _handle(self, websocket: ServerConnection) -> None:
        """Route a WebSocket by its path, after checking its token."""
        request = websocket.request
        assert request is not None
        path = urllib.parse.urlsplit(request.path).path
        try:
            identity, token = self._identify(bearer_token(request))
        except TokenError as exc:
            await websocket.close(1008, _reason(f"invalid token: {exc}"))
            return
        if path == "/v1/admin":
            key = request.headers.get("X-Stdb-Publish-Key")
            await AdminSession(self, websocket, identity, key).run()
            return
        hosted = self._hosted_for(path)
        if hosted is None:
            await websocket.close(1008, _reason(f"no such database at {path}"))
            return
        await ClientSession(hosted, websocket, identity, token).run()

    def _identify(self, token: str | None) -> tuple[Identity, str]:
        """The identity of a presented token, or a freshly minted one."""
        if token is None:
            token, identity = self.authority.mint()
            return identity, token
        return self.authority.check(token), token

    def _hosted_for(self, path: str) -> HostedDatabase | None:
        """The database a ``/v1/database/NAME/subscribe`` path names."""
        parts = path.strip("/").split("/")
        if (
            len(parts) == 4
            and parts[:2] == ["v1", "database"]
            and parts[3] == "subscribe"
        ):
            return self.catalog.get(parts[2])
        return None

    async def close_sessions(self, hosted: HostedDatabase, why: str) -> None:
        """Close every client of a database, e.g. before it is republished."""
        sessions = list(hosted.sessions)
        await asyncio.gather(
            *(s.websocket.close(1012, _reason(why)) for s in sessions),
            return_exceptions=True,
        )


def _is_loopback_host(host: str) -> bool:
    """True if a listen address only accepts this machine's peers."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _close_connections(websocket_server: WebSocketServer) -> None:
    """Close every connection, waiting a bounded time for their handshakes.

    A client that stopped answering would hold a closing handshake open for
    the whole close timeout; Ctrl-C should not wait for it. Past the grace
    period the server goes on to close its databases, which runs
    ``client_disconnected`` for whoever is still connected.
    """
    websocket_server.close()
    try:
        await asyncio.wait_for(websocket_server.wait_closed(), SHUTDOWN_GRACE)
    except TimeoutError:
        log.warning(
            "connections still closing after %.0f s; stopping anyway", SHUTDOWN_GRACE
        )
