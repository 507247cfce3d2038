"""The plain HTTP GET routes served beside the WebSocket endpoints.

``websockets`` answers each HTTP request before any handshake; requests
that are not WebSocket upgrades are answered here:

====================================  =======================================
``GET /v1/ping``                      ``ok``: the server is up
``GET /v1/identity``                  a new identity and its token (login)
``GET /v1/databases``                 the names of the hosted databases
``GET /v1/database/NAME/schema``      tables and reducers, as JSON
``GET /v1/database/NAME/sql?query=``  a read-only query, as the token's owner
====================================  =======================================

Only GET exists because ``websockets`` serves nothing else; publishing and
other writes go over the ``/v1/admin`` WebSocket instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ..errors import StdbliteError, TokenError
from ..identity import Identity

if TYPE_CHECKING:
    from .app import Server

__all__ = ["bearer_token", "json_response", "route"]

log = logging.getLogger("stdblite.server")

_DATABASE_ROUTE = re.compile(r"^/v1/database/([^/]+)/(schema|sql|subscribe)$")


def json_response(status: int, data: Any) -> Response:
    """A JSON response with the right headers."""
    body = json.dumps(data, default=str).encode()
    return _response(status, body, "application/json")


def _response(status: int, body: bytes, content_type: str) -> Response:
    """A response with a body, its length and its content type."""
    headers = Headers()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["Cache-Control"] = "no-store"
    reason = {
        200: "OK",
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
    }.get(status, "Error")
    return Response(status, reason, headers, body)


def bearer_token(request: Request) -> str | None:
    """The token from ``Authorization: Bearer`` or the ``token`` parameter.

    None when no token is presented, so the server mints one. A token that
    is presented but empty is returned as it is, to be refused: a client
    that meant to send its saved token must not silently become someone new.
    """
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer"):
        return header[6:].strip()
    query = urllib.parse.urlsplit(request.path).query
    values = urllib.parse.parse_qs(query, keep_blank_values=True).get("token")
    return values[0] if values else None


def route(
    server: Server,
) -> Callable[[ServerConnection, Request], Awaitable[Response | None]]:
    """The ``process_request`` hook: answer GETs, let upgrades through."""

    async def process_request(
        connection: ServerConnection, request: Request
    ) -> Response | None:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        path = urllib.parse.urlsplit(request.path).path
        try:
            return await _answer(server, request, path)
        except StdbliteError as exc:
            return json_response(400, {"error": str(exc)})

    return process_request


async def _answer(server: Server, request: Request, path: str) -> Response:
    """Dispatch one GET by its path."""
    if path == "/v1/ping":
        return _response(200, b"ok", "text/plain")
    if path == "/v1/identity":
        token, identity = server.authority.mint()
        return json_response(200, {"identity": str(identity), "token": token})
    if path == "/v1/databases":
        return json_response(200, {"databases": sorted(server.catalog.databases)})
    page = server.page(path)
    if page is not None:
        return _response(200, page[0], page[1])
    found = _DATABASE_ROUTE.match(path)
    if found is None:
        return json_response(404, {"error": f"no route {path[:80]}"})
    name, action = found.groups()
    hosted = server.catalog.get(name)
    if hosted is None:
        return json_response(404, {"error": f"no database named {name[:40]!r}"})
    if action == "schema":
        return json_response(200, hosted.db.module.describe())
    if action == "sql":
        return await _sql(server, request, hosted.db)
    return json_response(400, {"error": "this endpoint takes a WebSocket upgrade"})


async def _sql(server: Server, request: Request, db: Any) -> Response:
    """Run ``?query=`` read-only, as the identity of the bearer token."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
    texts = query.get("query")
    if not texts:
        return json_response(400, {"error": "give the SQL as ?query=..."})
    token = bearer_token(request)
    try:
        identity: Identity | None = (
            None if token is None else server.authority.check(token)
        )
    except TokenError as exc:
        return json_response(401, {"error": str(exc)})
    asker = identity or Identity.zero()
    result = await asyncio.to_thread(db.sql, texts[0], asker)
    return json_response(200, {"columns": result.columns, "rows": result.json_rows()})
