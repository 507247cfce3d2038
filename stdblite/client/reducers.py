"""Calling reducers by name: ``conn.reducers.register_player("John")``.

Each reducer a client may call appears in three forms:

- ``name(*args)`` sends the call and returns None at once; if the reducer
  refuses, the refusal is logged as a warning (nobody else would see it);
- ``name_then(*args, callback)`` sends it, and later calls
  ``callback(ctx)`` with the outcome in ``ctx.event`` (a
  :class:`ReducerEvent`, committed or not);
- ``name_async(*args)`` sends it and returns a coroutine: ``await`` it
  for the :class:`ReducerEvent` of a committed call, or for
  :class:`ReducerError` (the reducer refused), :class:`InternalReducerError`
  (it crashed) or :class:`NotConnected` (the connection closed first).

Arguments go by position or by name and are checked against the
reducer's signature before anything is sent: a wrong call raises
:class:`ArgumentError` naming the signature. The lifecycle reducers
(``client_connected`` and the like) are not callable. A module that
defines both ``x`` and ``x_then`` (or ``x_async``) gets its own reducer
under the longer name.

Outcomes arrive, like rows, in the thread that drives the connection:
the ``_then`` callback and the awaited result come after the call's
changes are in the cache. If the connection closes first, a ``_then``
callback is never called.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    ArgumentError,
    InternalReducerError,
    NoSuchReducer,
    ReducerError,
    StdbliteError,
)
from .remote_schema import ReducerSignature

if TYPE_CHECKING:
    from .connection import DbConnection
    from .events import EventContext, ReducerEvent

__all__ = ["PendingCall", "RemoteReducers", "outcome_error"]

log = logging.getLogger("stdblite.client")

ThenCallback = Callable[["EventContext"], None]
F = TypeVar("F", bound=Callable[..., Any])


class UnknownReducer(NoSuchReducer, AttributeError):
    """No callable reducer of that name (also an AttributeError, for hasattr)."""


class RemoteReducers:
    """The module's reducers by name: ``conn.reducers.move_player(x, y)``."""

    def __init__(
        self, conn: DbConnection, signatures: dict[str, ReducerSignature]
    ) -> None:
        self._conn = conn
        self._signatures = {
            name: s for name, s in signatures.items() if s.kind == "reducer"
        }
        self._lifecycle = {
            name: s.kind for name, s in signatures.items() if s.kind != "reducer"
        }

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._signatures:
            return self._plain(self._signatures[name])
        base, _, form = name.rpartition("_")
        if base in self._signatures and form == "then":
            return self._then(self._signatures[base])
        if base in self._signatures and form == "async":
            return self._async(self._signatures[base])
        raise self._unknown(name)

    def __dir__(self) -> list[str]:
        forms = [
            f"{name}{suffix}"
            for name in self._signatures
            for suffix in ("", "_then", "_async")
        ]
        return [*super().__dir__(), *forms]

    def __repr__(self) -> str:
        signatures = ", ".join(s.signature for s in self._signatures.values())
        return f"<reducers: {signatures}>"

    def _signature(self, name: str) -> ReducerSignature:
        """A callable reducer's signature by its exact name (for bindings)."""
        found = self._signatures.get(name)
        if found is None:
            raise self._unknown(name)
        return found

    def _unknown(self, name: str) -> UnknownReducer:
        """The error for a name that is no callable reducer."""
        if name in self._lifecycle:
            return UnknownReducer(
                f"{name} is a {self._lifecycle[name]} reducer; only the server calls it"
            )
        known = ", ".join(s.signature for s in self._signatures.values())
        return UnknownReducer(f"no reducer named {name!r}; reducers: {known}")

    # -- the three forms -------------------------------------------------------

    def _plain(self, signature: ReducerSignature) -> Callable[..., None]:
        """``name(*args)``: send, and return at once."""

        def call(*args: Any, **kwargs: Any) -> None:
            self._conn._call_reducer(signature, args, kwargs, None, warn=True)

        return _named(call, signature.name, signature.signature)

    def _then(self, signature: ReducerSignature) -> Callable[..., None]:
        """``name_then(*args, callback)``: send; report the outcome later."""

        def call_then(*args: Any, **kwargs: Any) -> None:
            if not args or not callable(args[-1]):
                raise ArgumentError(
                    f"{signature.name}_then takes the arguments of "
                    f"{signature.signature}, then a callback(ctx)"
                )
            *values, callback = args
            self._conn._call_reducer(signature, values, kwargs, callback)

        usage = f"{signature.signature[:-1]}, callback)".replace("(, ", "(")
        return _named(call_then, f"{signature.name}_then", usage)

    def _async(
        self, signature: ReducerSignature
    ) -> Callable[..., Coroutine[Any, Any, ReducerEvent]]:
        """``name_async(*args)``: send now; await the outcome."""

        def call_async(*args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
            future = self._conn._call_reducer(signature, args, kwargs, None)
            return _outcome(future)

        return _named(call_async, f"{signature.name}_async", signature.signature)


@dataclass
class PendingCall:
    """A reducer call sent and waiting for its outcome."""

    reducer: str
    args: tuple[Any, ...]
    future: Future[ReducerEvent]
    then: ThenCallback | None
    warn: bool

    def resolver(
        self, event: ReducerEvent | None, error: StdbliteError | None
    ) -> Callable[[], None]:
        """A call that settles the future, and logs a failure nobody awaits."""

        def resolve() -> None:
            if error is not None:
                level = logging.WARNING if self.warn else logging.INFO
                log.log(level, "reducer %s: %s", self.reducer, error)
            with contextlib.suppress(InvalidStateError):  # cancelled by its awaiter
                if error is not None:
                    self.future.set_exception(error)
                else:
                    self.future.set_result(event)  # type: ignore[arg-type]

        return resolve


def outcome_error(event: ReducerEvent) -> StdbliteError | None:
    """What awaiting a call with this outcome raises, or None if it committed."""
    if event.outcome == "failed":
        return ReducerError(event.error or "the reducer refused")
    if event.outcome == "internal_error":
        return InternalReducerError(event.error or "the reducer failed")
    return None


async def _outcome(future: Future[ReducerEvent]) -> ReducerEvent:
    """Wait, in any event loop, for the outcome the driving thread sets."""
    return await asyncio.wrap_future(future)


def _named(function: F, name: str, usage: str) -> F:
    """Give a reducer's caller the reducer's name and signature for help()."""
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Call the reducer: {usage}"
    return function
