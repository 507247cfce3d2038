"""Tokens: how a client proves, launch after launch, that it is the same user.

Part of the identity layer. A server mints a signed JSON Web Token (HS256)
for a client that arrives without one: the server's issuer, a random
subject, and the time it was issued. The :class:`Identity` is derived from
issuer and subject alone, so the same token always gives the same
identity, and a client that saves its token comes back as itself.

The signing key is made once and kept in the server's data directory. A
token whose signature does not match (forged or altered), whose issuer is
another server's, or whose ``exp`` has passed, is refused with
:class:`TokenError`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt

from .errors import TokenError
from .identity import Identity

__all__ = ["TokenAuthority", "identity_for"]

ALGORITHM = "HS256"


def identity_for(issuer: str, subject: str) -> Identity:
    """The identity of a token's issuer and subject: a SHA-256 of both.

    The issuer's length is hashed in first, so no two (issuer, subject)
    pairs can run together into the same text.
    """
    text = f"{len(issuer)}:{issuer}|{subject}".encode()
    return Identity(hashlib.sha256(text).digest())


@dataclass(frozen=True)
class TokenAuthority:
    """Mints and checks one server's tokens.

    Usage::

        authority = TokenAuthority.in_folder(data_dir)
        token, identity = authority.mint()
        assert authority.check(token) == identity
    """

    issuer: str
    key: bytes

    @classmethod
    def in_folder(cls, folder: Path) -> TokenAuthority:
        """Load the key and issuer kept in ``folder``, making them once."""
        folder.mkdir(parents=True, exist_ok=True)
        key_file, issuer_file = folder / "signing.key", folder / "issuer"
        if not key_file.exists():
            _write_private(key_file, secrets.token_hex(32))
            _write_private(issuer_file, f"stdblite:{uuid.uuid4()}")
        return cls(issuer_file.read_text().strip(), bytes.fromhex(key_file.read_text()))

    @classmethod
    def ephemeral(cls) -> TokenAuthority:
        """A key that lives in memory only (``stdb start --in-memory``)."""
        return cls(f"stdblite:{uuid.uuid4()}", secrets.token_bytes(32))

    def mint(self) -> tuple[str, Identity]:
        """A new token with a fresh subject, and the identity it stands for."""
        subject = str(uuid.uuid4())
        claims = {"iss": self.issuer, "sub": subject, "iat": int(time.time())}
        token = jwt.encode(claims, self.key, algorithm=ALGORITHM)
        return token, identity_for(self.issuer, subject)

    def check(self, token: str) -> Identity:
        """The identity a token stands for; TokenError if it is not valid here."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["iss", "sub", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("the token has expired; log in again") from None
        except jwt.InvalidIssuerError:
            raise TokenError("the token was issued by another server") from None
        except jwt.InvalidSignatureError:
            raise TokenError(self._bad_signature(token)) from None
        except jwt.PyJWTError as exc:
            raise TokenError(f"the token is not valid: {exc}") from None
        return identity_for(str(claims["iss"]), str(claims["sub"]))

    def _bad_signature(self, token: str) -> str:
        """Why a badly signed token is refused, as a user can act on it.

        The unverified issuer only picks the wording: a token from another
        server is refused either way, but "log in again" helps more than
        "the signature does not match" after switching servers.
        """
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            claims = {}
        if claims.get("iss") != self.issuer:
            return "the token was issued by another server; log in to this one"
        return "the token's signature does not match"


def _write_private(path: Path, text: str) -> None:
    """Write a secret readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
