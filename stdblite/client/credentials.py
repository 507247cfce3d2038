"""Keeping a client's token in a file, so it comes back as the same identity.

Usage::

    from stdblite.client import credentials

    token = credentials.load()            # None on the very first launch
    conn = builder.with_token(token).on_connect(
        lambda conn, identity, token: credentials.save(token)
    ).build()

The file holds the token and nothing else, readable by its owner only.
Losing it means a new identity next time, as in SpacetimeDB.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..errors import CredentialsError

__all__ = ["DEFAULT_PATH", "load", "save"]

DEFAULT_PATH = "spacetimedb_token"
"""Where the token lives unless told otherwise (relative to the current folder)."""

# A JSON Web Token: three base64url parts joined by dots.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def load(path: str | os.PathLike[str] = DEFAULT_PATH) -> str | None:
    """The saved token, or None if the file does not exist.

    Raises :class:`CredentialsError` if the file exists but cannot be
    read, or holds something other than a token (so a garbled file is
    noticed, not silently replaced by a new identity).
    """
    where = Path(path)
    try:
        data = where.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CredentialsError(f"cannot read the token file {where}: {reason}") from exc
    try:
        token = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        token = ""
    if not _TOKEN.match(token):
        raise CredentialsError(
            f"the token file {where} does not hold a token; delete it to start "
            "over with a new identity"
        )
    return token


def save(token: str, path: str | os.PathLike[str] = DEFAULT_PATH) -> None:
    """Write the token to the file, replacing it whole, owner-readable only.

    The token is written to a temporary file beside it and moved into
    place, so a crash never leaves half a token behind.
    """
    if not isinstance(token, str) or not _TOKEN.match(token.strip()):
        raise CredentialsError(f"not a token: {token!r:.40}")
    where = Path(path)
    try:
        _write_replacing(where, token.strip() + "\n")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CredentialsError(f"cannot save the token to {where}: {reason}") from exc


def _write_replacing(where: Path, text: str) -> None:
    """Write ``text`` beside ``where``, then move it into place."""
    descriptor, temporary = tempfile.mkstemp(dir=where.parent, prefix=f".{where.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, where)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
