"""Identities, connection ids and timestamps: the values every row can hold.

An :class:`Identity` names a user across connections and restarts (it comes
from a token); a :class:`ConnectionId` names one live connection; a
:class:`Timestamp` is a moment in microseconds since the Unix epoch.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from functools import total_ordering
from typing import Self

__all__ = ["ConnectionId", "Identity", "Timestamp"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@total_ordering
class _HexId:
    """Fixed-size bytes shown as ``0x`` and hex digits; the shared base."""

    __slots__ = ("_bytes",)
    SIZE = 0
    _bytes: bytes

    def __init__(self, value: bytes) -> None:
        if not isinstance(value, bytes) or len(value) != self.SIZE:
            name = type(self).__name__
            raise ValueError(f"{name} needs exactly {self.SIZE} bytes")
        object.__setattr__(self, "_bytes", value)

    @classmethod
    def from_hex(cls, text: str) -> Self:
        """Parse ``0x`` followed by hex digits (the ``0x`` is optional)."""
        digits = text[2:] if text[:2] in ("0x", "0X") else text
        if len(digits) != cls.SIZE * 2:
            raise ValueError(
                f"{cls.__name__} needs {cls.SIZE * 2} hex digits, got {text!r}"
            )
        try:
            return cls(bytes.fromhex(digits))
        except ValueError:
            raise ValueError(f"{text!r} is not hexadecimal") from None

    @classmethod
    def random(cls) -> Self:
        """A fresh random value; for tests and for minted connections."""
        return cls(secrets.token_bytes(cls.SIZE))

    def to_bytes(self) -> bytes:
        """The raw bytes."""
        return self._bytes

    def to_hex(self) -> str:
        """The ``0x``-prefixed lowercase hex form, as ``str()`` shows it."""
        return "0x" + self._bytes.hex()

    def __str__(self) -> str:
        return self.to_hex()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_hex()!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._bytes == other._bytes

    def __lt__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._bytes < other._bytes

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._bytes))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


class Identity(_HexId):
    """Who someone is: 32 bytes, stable across connections and restarts.

    Usage::

        john = Identity.random()
        same = Identity.from_hex(str(john))
        assert john == same

    The server derives it from a token's issuer and subject, so the same
    token always gives the same identity.
    """

    __slots__ = ()
    SIZE = 32

    @classmethod
    def zero(cls) -> Identity:
        """The all-zero identity, used where no one is the sender."""
        return cls(bytes(cls.SIZE))


class ConnectionId(_HexId):
    """One live connection of an identity: 16 bytes, new on every connect."""

    __slots__ = ()
    SIZE = 16


@dataclass(frozen=True, order=True, slots=True)
class Timestamp:
    """A moment, in whole microseconds since 1970-01-01 UTC.

    Usage::

        ts = Timestamp.now()
        ts.to_datetime()            # an aware datetime in UTC
        ts.micros_since_unix_epoch  # an int
    """

    micros_since_unix_epoch: int

    @classmethod
    def now(cls) -> Timestamp:
        """The current wall-clock time."""
        return cls.from_datetime(dt.datetime.now(dt.UTC))

    @classmethod
    def from_datetime(cls, moment: dt.datetime) -> Timestamp:
        """Convert a datetime; a naive one is taken to be UTC."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        delta = moment - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000
        return cls(micros + delta.microseconds)

    def to_datetime(self) -> dt.datetime:
        """This moment as an aware datetime in UTC."""
        return _EPOCH + dt.timedelta(microseconds=self.micros_since_unix_epoch)

    def __add__(self, other: dt.timedelta) -> Timestamp:
        micros = other // dt.timedelta(microseconds=1)
        return Timestamp(self.micros_since_unix_epoch + micros)

    def __str__(self) -> str:
        return self.to_datetime().isoformat().replace("+00:00", "Z")
