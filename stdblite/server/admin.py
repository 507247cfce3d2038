"""The owner's endpoint, ``/v1/admin``: publish, delete, describe, logs.

A module is Python, not sandboxed WebAssembly: publishing runs its code on
the server, with the server's rights. So a *new* database may be published
only from the server's own machine (a loopback peer), unless the operator
started the server with a publish key and the client presents it. Once a
database exists, only its owner (the identity that first published it)
may republish, delete it or read its logs.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..errors import ProtocolError, StdbliteError
from ..identity import Identity
from ..protocol import (
    AdminRequest,
    AdminResult,
    DeleteDatabase,
    Describe,
    LogLines,
    Logs,
    Publish,
    decode_admin,
    encode,
)
from .hosted import HostedDatabase

if TYPE_CHECKING:
    from .app import Server

__all__ = ["AdminSession", "is_loopback"]

log = logging.getLogger("stdblite.server")


def is_loopback(address: Any) -> bool:
    """True if a peer address (host, port, ...) is on this machine."""
    try:
        return ipaddress.ip_address(address[0]).is_loopback
    except (TypeError, ValueError, IndexError):
        return False


class _Refused(StdbliteError):
    """An administration request that is not allowed."""


class AdminSession:
    """One administration connection: answers requests until it closes."""

    def __init__(
        self,
        server: Server,
        websocket: ServerConnection,
        identity: Identity,
        publish_key: str | None,
    ) -> None:
        self.server = server
        self.websocket = websocket
        self.identity = identity
        self.publish_key = publish_key

    async def run(self) -> None:
        """Answer each request with one AdminResult."""
        try:
            async for frame in self.websocket:
                await self._answer(frame)
        except ConnectionClosed:
            pass

    async def _answer(self, frame: str | bytes) -> None:
        """Decode, authorise and carry out one request."""
        try:
            request = decode_admin(frame)
        except ProtocolError as exc:
            await self._send(AdminResult(exc.request_id or 0, str(exc), None))
            return
        try:
            result = await self._carry_out(request)
        except StdbliteError as exc:
            await self._send(AdminResult(request.request_id, str(exc), None))
            return
        await self._send(AdminResult(request.request_id, None, result))
        if isinstance(request, Logs) and request.follow:
            await self._follow(request)

    async def _carry_out(self, request: AdminRequest) -> dict[str, Any]:
        """Do what the request asks, or raise a StdbliteError saying why not."""
        match request:
            case Publish():
                return await self._publish(request)
            case DeleteDatabase():
                hosted = self._owned(request.database)
                await self.server.close_sessions(hosted, "database deleted")
                await asyncio.to_thread(self.server.catalog.delete, request.database)
                log.info("database %s deleted", request.database)
                return {"database": request.database, "deleted": True}
            case Describe():
                hosted = self._existing(request.database)
                return _description(hosted)
            case Logs():
                hosted = self._owned(request.database)
                lines = hosted.db.logs(request.count)
                return {"lines": [str(line) for line in lines]}
        raise _Refused("unknown request")

    async def _publish(self, request: Publish) -> dict[str, Any]:
        """Create or replace a database, if this client may."""
        hosted = self.server.catalog.get(request.database)
        if hosted is None and not self._may_create():
            raise _Refused(
                "publishing a new database runs its code on the server, so it is "
                "allowed only from the server's machine or with its publish key"
            )
        if hosted is not None and hosted.db.owner != self.identity:
            raise _Refused(f"only the owner of {request.database} may republish it")
        catalog = self.server.catalog
        module = await asyncio.to_thread(catalog.load, request.database, request.source)
        if hosted is not None:
            await self.server.close_sessions(hosted, "database republished")
        published, created = await asyncio.to_thread(
            catalog.publish,
            request.database,
            module,
            self.identity,
            request.delete_data,
        )
        if hosted is not None:
            # A client that connected while the old database was closing.
            await self.server.close_sessions(hosted, "database republished")
        log.info("database %s published (new: %s)", request.database, created)
        return {**_description(published), "created": created}

    def _may_create(self) -> bool:
        """Local peers may create databases; others need the publish key."""
        expected = self.server.publish_key
        if expected is not None and self.publish_key is not None:
            return hmac.compare_digest(expected, self.publish_key)
        return is_loopback(self.websocket.remote_address)

    def _existing(self, name: str) -> HostedDatabase:
        """The named database, or a refusal naming it."""
        hosted = self.server.catalog.get(name)
        if hosted is None:
            raise _Refused(f"no database named {name[:40]!r}")
        return hosted

    def _owned(self, name: str) -> HostedDatabase:
        """The named database, if this client owns it."""
        hosted = self._existing(name)
        if hosted.db.owner != self.identity:
            raise _Refused(f"only the owner of {name} may do that")
        return hosted

    async def _follow(self, request: Logs) -> None:
        """Send new log lines as they are written, until the client leaves."""
        hosted = self._owned(request.database)
        # Watch for the close, or a follower that left while no line came
        # would keep this handler, and the server's shutdown, waiting.
        closed = asyncio.ensure_future(self.websocket.wait_closed())
        with hosted.db.log.follow() as fresh:
            while not closed.done():
                await asyncio.wait({closed}, timeout=0.2)
                lines = [str(fresh.popleft()) for _ in range(len(fresh))]
                if lines and not closed.done():
                    await self._send(LogLines(request.request_id, lines))

    async def _send(self, message: AdminResult | LogLines) -> None:
        """Send one reply."""
        await self.websocket.send(encode(message))


def _description(hosted: HostedDatabase) -> dict[str, Any]:
    """What ``stdb describe`` shows: identity, owner, tables, reducers."""
    db = hosted.db
    return {
        "database": db.name,
        "identity": str(db.identity),
        "owner": str(db.owner),
        **db.module.describe(),
    }
