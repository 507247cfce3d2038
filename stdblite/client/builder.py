"""Building a connection: where to, as whom, and whom to tell.

Usage::

    conn = (
        DbConnection.builder()
        .with_uri("http://127.0.0.1:3000")
        .with_database_name("game")
        .with_token(credentials.load())
        .on_connect(on_connect)
        .build()
    )

:meth:`DbConnectionBuilder.build` checks only what cannot work (a
missing or malformed address, a missing or malformed database name, a
token that is not text) and raises :class:`ClientError` at once for
those; it never waits on the network. Everything that can only fail on
the wire (an unreachable server, an unknown database, a refused token)
is reported to ``on_connect_error``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ClientError, StdbliteError
from ..identity import Identity
from .remote_schema import Bindings
from .transport import Backoff, Target

if TYPE_CHECKING:
    from .connection import DbConnection
    from .events import EventContext

__all__ = ["DbConnectionBuilder", "Settings"]

ConnectCallback = Callable[["DbConnection", Identity, str], None]
ErrorCallback = Callable[["EventContext", StdbliteError], None]
DisconnectCallback = Callable[["EventContext", StdbliteError | None], None]

# The names a server accepts for a database (see ``stdb publish``).
_DATABASE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_SCHEMES = {"http": "http", "ws": "http", "https": "https", "wss": "https"}


@dataclass(frozen=True)
class Settings:
    """Everything a connection was built with."""

    target: Target
    token: str | None
    backoff: Backoff | None
    on_connect: ConnectCallback | None
    on_connect_error: ErrorCallback | None
    on_disconnect: DisconnectCallback | None
    bindings: Bindings | None = None


class DbConnectionBuilder:
    """Collects a connection's settings; :meth:`build` starts connecting.

    Get one from ``DbConnection.builder()``; every method returns the
    builder, so the calls chain.
    """

    def __init__(self) -> None:
        self._uri: str | None = None
        self._database: str | None = None
        self._token: str | None = None
        self._backoff: Backoff | None = None
        self._on_connect: ConnectCallback | None = None
        self._on_connect_error: ErrorCallback | None = None
        self._on_disconnect: DisconnectCallback | None = None
        self._bindings: Bindings | None = None

    def with_uri(self, uri: str) -> DbConnectionBuilder:
        """The server: ``http://``, ``https://``, ``ws://`` or ``wss://``."""
        self._uri = uri
        return self

    def with_database_name(self, name: str) -> DbConnectionBuilder:
        """The database to connect to, as it was published."""
        self._database = name
        return self

    def with_token(self, token: str | None) -> DbConnectionBuilder:
        """Connect as the identity of a saved token; None asks for a new one."""
        self._token = token
        return self

    def with_reconnect(
        self,
        enabled: bool = True,
        *,
        initial_delay: float = 0.2,
        max_delay: float = 10.0,
        max_attempts: int | None = None,
    ) -> DbConnectionBuilder:
        """Reopen a lost connection, waiting longer after each failed try.

        Delays double from ``initial_delay`` up to ``max_delay``;
        ``max_attempts`` bounds the tries after each loss (None: until
        :meth:`DbConnection.disconnect`). Every live subscription is sent
        again, and the client cache is reconciled with what the server
        holds, so callbacks fire only for rows that really changed while
        the client was away. A refused token is never retried.
        """
        if not 0 < initial_delay <= max_delay:
            raise ClientError("reconnect delays need 0 < initial_delay <= max_delay")
        if max_attempts is not None and max_attempts < 1:
            raise ClientError("max_attempts must be at least 1, or None")
        backoff = Backoff(initial_delay, max_delay, max_attempts)
        self._backoff = backoff if enabled else None
        return self

    def on_connect(self, callback: ConnectCallback) -> DbConnectionBuilder:
        """Call ``callback(conn, identity, token)`` once connected."""
        self._on_connect = _callable(callback)
        return self

    def on_connect_error(self, callback: ErrorCallback) -> DbConnectionBuilder:
        """Call ``callback(ctx, error)`` if the first connection fails."""
        self._on_connect_error = _callable(callback)
        return self

    def on_disconnect(self, callback: DisconnectCallback) -> DbConnectionBuilder:
        """Call ``callback(ctx, error)`` when the connection ends for good.

        ``error`` is None after :meth:`DbConnection.disconnect`.
        """
        self._on_disconnect = _callable(callback)
        return self

    def build(self) -> DbConnection:
        """Check the settings and start connecting in the background."""
        from .connection import DbConnection

        settings = Settings(
            Target(_base_url(self._uri), _database_name(self._database)),
            _token(self._token),
            self._backoff,
            self._on_connect,
            self._on_connect_error,
            self._on_disconnect,
            self._bindings,
        )
        return DbConnection._start(settings)

    def _with_bindings(self, bindings: Bindings) -> DbConnectionBuilder:
        """Decode rows into generated classes (see :mod:`.bindings`)."""
        self._bindings = bindings
        return self


def _base_url(uri: str | None) -> str:
    """The server's HTTP base address from any of the four schemes."""
    if uri is None:
        raise ClientError("give the server's address with .with_uri(...)")
    if not isinstance(uri, str):
        raise ClientError(f"the server's address must be text, not {uri!r:.60}")
    parts = urllib.parse.urlsplit(uri.strip())
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise ClientError(
            f"cannot connect to {uri!r:.80}: give an address like "
            "http://127.0.0.1:3000 (http, https, ws or wss)"
        )
    if parts.query or parts.fragment:
        raise ClientError(f"the server's address {uri!r:.80} must not hold ? or #")
    try:
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError as exc:
        raise ClientError(f"cannot connect to {uri!r:.80}: {exc}") from None
    scheme = _SCHEMES[parts.scheme.lower()]
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _database_name(name: str | None) -> str:
    """A database name the server could hold."""
    if name is None:
        raise ClientError("give the database's name with .with_database_name(...)")
    if not isinstance(name, str) or not _DATABASE_NAME.match(name):
        raise ClientError(
            f"invalid database name {name!r:.40}: database names are 1-63 "
            "lowercase letters, digits, - and _"
        )
    return name


def _token(token: str | None) -> str | None:
    """A token as text, or None to be given a new identity."""
    if token is not None and (not isinstance(token, str) or not token.strip()):
        raise ClientError(
            f"a token is the text the server issued, or None; got {token!r:.40}"
        )
    return None if token is None else token.strip()


def _callable(callback: Callable[..., None]) -> Callable[..., None]:
    """The callback itself, or a ClientError if it cannot be called."""
    if not callable(callback):
        raise ClientError(f"a callback must be callable, not {callback!r:.60}")
    return callback
