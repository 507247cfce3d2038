"""The client's private I/O thread: one asyncio loop, one WebSocket at a time.

A connection's socket lives here, never in the caller's thread, so a
program with its own event loop (Jupyter's kernel, an asyncio game) and a
plain script are served the same way, and nothing ever calls
``asyncio.run`` where a loop may already run. The thread fetches the
schema, opens the socket, reads the first :class:`InitialConnection`, and
then hands every message it reads to ``post`` as a :class:`Received`
event; the connection processes those events in whatever thread drives
it. Frames to send are queued here from any thread.

With a :class:`Backoff`, a lost connection is opened again after a
growing delay, until it succeeds, a token is refused, or the attempts run
out. Each socket has a generation number, so a frame meant for a socket
that has since closed is never sent on its successor.

The schema request and the socket go straight to the server: proxy
settings from the environment are ignored, because a stdblite server is
almost always on the learner's own machine or network.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)

from ..errors import ClientError, ProtocolError, StdbliteError, TokenError
from ..protocol import InitialConnection, ServerMessage, decode_server

__all__ = ["Backoff", "Closed", "Event", "Opened", "Received", "Target", "Transport"]

log = logging.getLogger("stdblite.client")

TIMEOUT = 10.0
"""Seconds to wait for the schema, the handshake and the first message."""

MAX_FRAME = 64 << 20
"""The largest frame the client reads: a subscription's first rows can be big."""

T = TypeVar("T")

_POLICY_VIOLATION = 1008  # the close code of a refused token or connection


@dataclass(frozen=True)
class Target:
    """Where a connection goes: the server's base address and the database."""

    base: str  # scheme://host:port[/prefix], http or https
    database: str

    @property
    def schema_url(self) -> str:
        """The GET route that describes the database's tables and reducers."""
        name = urllib.parse.quote(self.database)
        return f"{self.base}/v1/database/{name}/schema"

    @property
    def subscribe_url(self) -> str:
        """The WebSocket address of the database's client protocol."""
        name = urllib.parse.quote(self.database)
        return f"ws{self.base[4:]}/v1/database/{name}/subscribe"


@dataclass(frozen=True)
class Backoff:
    """How to reconnect: delays doubling from ``initial`` up to ``maximum``.

    ``attempts`` bounds the tries after each loss (None: keep trying until
    :meth:`DbConnection.disconnect`). Each delay is jittered by up to a
    half, so many clients do not all return in the same instant.
    """

    initial: float = 0.2
    maximum: float = 10.0
    attempts: int | None = None

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt`` (0 is the first)."""
        ceiling = min(self.maximum, self.initial * 2 ** min(attempt, 32))
        return float(ceiling * random.uniform(0.5, 1.0))


@dataclass(frozen=True)
class Opened:
    """A socket is open and the server said who we are."""

    generation: int
    schema: dict[str, Any]
    initial: InitialConnection


@dataclass(frozen=True)
class Received:
    """A message arrived on the socket of this generation."""

    generation: int
    message: ServerMessage


@dataclass(frozen=True)
class Closed:
    """A socket closed (generation 0: none ever opened).

    ``final`` says no other socket will follow; ``error`` is None only
    when the client itself asked to disconnect.
    """

    generation: int
    error: StdbliteError | None
    final: bool


Event = Opened | Received | Closed


class Transport:
    """The I/O thread of one connection."""

    def __init__(
        self,
        target: Target,
        token: str | None,
        backoff: Backoff | None,
        post: Callable[[Event], None],
    ) -> None:
        self.target = target
        self.backoff = backoff
        self._token = token
        self._post = post
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._lock = threading.Lock()
        self._generation = 0
        self._outbox: asyncio.Queue[str] | None = None
        self._thread = threading.Thread(
            target=self._run, name="stdblite-client-io", daemon=True
        )

    # -- the caller's side -----------------------------------------------------

    def start(self) -> None:
        """Start the I/O thread; it begins connecting at once."""
        self._thread.start()

    def send(self, frame: str, generation: int) -> bool:
        """Queue a frame for the socket of ``generation``; False if it is gone."""
        with self._lock:
            outbox = self._outbox
            if outbox is None or generation != self._generation:
                return False
            try:
                self._loop.call_soon_threadsafe(outbox.put_nowait, frame)
            except RuntimeError:  # the loop has closed
                return False
        return True

    def stop(self) -> None:
        """Close the socket cleanly and end the thread; returns at once."""
        with contextlib.suppress(RuntimeError):  # the thread has already ended
            self._loop.call_soon_threadsafe(self._stop.set)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the I/O thread to end."""
        self._thread.join(timeout)

    # -- the I/O thread ----------------------------------------------------------

    def _run(self) -> None:
        """The thread's body: run the loop until the connection is over."""
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except Exception as exc:
            log.exception("the client's I/O thread failed")
            self._post(Closed(self._generation, ClientError(str(exc)), final=True))
        finally:
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
            self._loop.close()

    async def _main(self) -> None:
        """Open, serve, and reopen with backoff, until told to stop."""
        generation, attempt = 0, 0
        while True:
            opened = await self._until_stopped(self._open())
            if not isinstance(opened, tuple):
                if not await self._wait_to_retry(generation, opened, attempt):
                    return
                attempt += 1
                continue
            generation += 1
            socket, schema, initial = opened
            self._token = initial.token
            log.info("connected to %s as %s", self.target.database, initial.identity)
            outbox: asyncio.Queue[str] = asyncio.Queue()
            with self._lock:  # ready to send before anyone hears it opened
                self._generation, self._outbox = generation, outbox
            self._post(Opened(generation, schema, initial))
            error = await self._serve(socket, generation, outbox)
            # The connection hears of the loss at once, not after the wait.
            if self._may_retry(generation, error, 0):
                self._post(Closed(generation, error, final=False))
            if not await self._wait_to_retry(generation, error, 0):
                return
            attempt = 1

    def _may_retry(
        self, generation: int, error: StdbliteError | None, attempt: int
    ) -> bool:
        """True if a socket that closed (or failed to open) is worth reopening.

        Never after a stop, a first connection that failed, a refused
        token or a refused connection, or once the attempts run out.
        """
        backoff = self.backoff
        return (
            error is not None
            and backoff is not None
            and generation > 0
            and not isinstance(error, TokenError | _Refused)
            and (backoff.attempts is None or attempt < backoff.attempts)
        )

    async def _wait_to_retry(
        self, generation: int, error: StdbliteError | None, attempt: int
    ) -> bool:
        """Wait before the next try; or post the final close and say no."""
        if not self._may_retry(generation, error, attempt) or self.backoff is None:
            self._post(Closed(generation, error, final=True))
            return False
        delay = self.backoff.delay(attempt)
        what = "connection to %s lost" if attempt == 0 else "reconnecting to %s failed"
        log.warning(
            what + " (%s); next try in %.1fs", self.target.database, error, delay
        )
        try:
            await asyncio.wait_for(self._stop.wait(), delay)
        except TimeoutError:
            return True
        self._post(Closed(generation, None, final=True))
        return False

    async def _until_stopped(
        self, work: Coroutine[Any, Any, T]
    ) -> T | StdbliteError | None:
        """Run ``work``; None if a stop comes first, its error if it fails."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return None
        error = task.exception()
        if isinstance(error, StdbliteError):
            return error
        if error is not None:
            raise error
        return task.result()

    async def _open(self) -> tuple[ClientConnection, dict[str, Any], InitialConnection]:
        """Fetch the schema, open the socket, and read InitialConnection."""
        log.info("connecting to %s at %s", self.target.database, self.target.base)
        schema = await asyncio.to_thread(fetch_schema, self.target)
        socket = await self._connect()
        try:
            frame = await asyncio.wait_for(socket.recv(), TIMEOUT)
            first = decode_server(frame)
        except ConnectionClosed:
            raise _close_error(socket, self.target) from None
        except (TimeoutError, ProtocolError) as exc:
            await socket.close()
            raise ClientError(f"the server did not greet the client: {exc}") from exc
        if not isinstance(first, InitialConnection):
            await socket.close()
            name = type(first).__name__
            raise ClientError(f"the server sent {name} before InitialConnection")
        return socket, schema, first

    async def _connect(self) -> ClientConnection:
        """Open the WebSocket, presenting the token if there is one."""
        headers = {}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            return await connect(
                self.target.subscribe_url,
                additional_headers=headers,
                compression=None,
                proxy=None,
                open_timeout=TIMEOUT,
                max_size=MAX_FRAME,
                logger=logging.getLogger("stdblite.client.websockets"),
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            raise ClientError(
                f"the server refused the WebSocket: HTTP {status}"
            ) from exc
        except (InvalidURI, InvalidHandshake, OSError, TimeoutError) as exc:
            raise _unreachable(self.target, exc) from exc

    async def _serve(
        self, socket: ClientConnection, generation: int, outbox: asyncio.Queue[str]
    ) -> StdbliteError | None:
        """Pass on what the socket reads until it closes or a stop comes.

        Returns None after a stop the client asked for, else why it closed.
        """
        writer = asyncio.ensure_future(_write(socket, outbox))
        reader = asyncio.ensure_future(self._read(socket, generation))
        stopper = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
        with self._lock:
            self._outbox = None
        stopped = stopper.done()
        if stopped:
            await socket.close()
        for task in (writer, reader, stopper):
            task.cancel()
        await asyncio.gather(writer, reader, stopper, return_exceptions=True)
        return None if stopped else _close_error(socket, self.target)

    async def _read(self, socket: ClientConnection, generation: int) -> None:
        """Decode each frame and post it; a frame that fails is logged."""
        try:
            async for frame in socket:
                try:
                    message = decode_server(frame)
                except ProtocolError as exc:
                    log.error("unreadable frame from the server: %s", exc)
                    continue
                log.debug("%s received", type(message).__name__)
                self._post(Received(generation, message))
        except ConnectionClosed:
            pass


async def _write(socket: ClientConnection, outbox: asyncio.Queue[str]) -> None:
    """Send queued frames in order until the socket closes."""
    while True:
        frame = await outbox.get()
        try:
            await socket.send(frame)
        except ConnectionClosed:
            return


def _close_error(socket: ClientConnection, target: Target) -> StdbliteError:
    """Why the server closed a socket, as the error callbacks receive it."""
    code, reason = socket.close_code, socket.close_reason or ""
    if code is None or code == 1006:
        return ClientError(f"the connection to {target.base} was lost")
    if code == _POLICY_VIOLATION and reason.startswith("invalid token"):
        return TokenError(f"the server refused the token: {reason[15:]}")
    if code == _POLICY_VIOLATION:
        return _Refused(f"the server refused the connection: {reason or 'no reason'}")
    return ClientError(f"the server closed the connection: {reason or f'code {code}'}")


class _Refused(ClientError):
    """The server closed the connection on purpose (policy): not worth retrying."""


def fetch_schema(target: Target) -> dict[str, Any]:
    """GET the database's schema as JSON; ClientError says why it failed."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(target.schema_url, timeout=TIMEOUT) as response:
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise ClientError(_http_error(exc)) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise _unreachable(target, exc) from exc
    except ValueError as exc:
        raise ClientError(f"the schema from {target.base} is not JSON") from exc
    if not isinstance(data, dict):
        raise ClientError(f"the schema from {target.base} is not a JSON object")
    return data


def _http_error(exc: urllib.error.HTTPError) -> str:
    """The ``error`` text of a JSON error answer, or the status line."""
    try:
        return str(json.loads(exc.read())["error"])
    except (ValueError, KeyError, TypeError):
        return f"the server answered {exc.code} {exc.reason}"


def _unreachable(target: Target, exc: BaseException) -> ClientError:
    """The error for a server that cannot be reached at all."""
    reason = getattr(exc, "reason", None) or exc
    return ClientError(
        f"cannot reach {target.base} ({reason}); is `stdb start` running there?"
    )
