"""The wire protocol: every message as a typed value, and its JSON form.

Client and server talk in JSON text frames over a WebSocket. Each frame
is one message: an object with a single key naming the message's type,
whose value holds its fields::

    {"CallReducer": {"request_id": 7, "reducer": "move", "args": [-1, 0]}}

The messages mirror SpacetimeDB's v2 protocol in names and meaning. A
client sends :class:`CallReducer`, :class:`Subscribe`,
:class:`Unsubscribe` and :class:`OneOffQuery`, each with a ``request_id``
of its choosing that the server echoes in its answer. The server sends
:class:`InitialConnection` first, then :class:`SubscribeApplied`,
:class:`UnsubscribeApplied`, :class:`SubscriptionError`,
:class:`TransactionUpdate`, :class:`ReducerResult`,
:class:`OneOffQueryResult`, and :class:`Error` for a frame it could not
even route. Rows travel as JSON objects, column name to JSON value, as
:meth:`TableSchema.row_to_json` writes them; this module needs no schema.

Usage::

    frame = encode(Subscribe(request_id=1, query_set_id=1, queries=[sql]))
    message = decode_client(frame)      # on the server
    match message:
        case Subscribe(request_id=request_id, queries=queries): ...

Decoding is strict, because a learner's typo should fail loudly, not be
half understood: invalid UTF-8, broken JSON, ``NaN``, a frame that is not
a one-key object, an unknown message type, a missing field, a field of
the wrong type and an unknown extra field all raise
:class:`ProtocolError`, with a one-line message and, when it could be
read, the ``request_id`` (so the server can answer with :class:`Error`
and keep the connection). Free-form JSON (reducer arguments, values in
rows) may nest at most :data:`MAX_DEPTH` deep. A key repeated within
one object keeps its last value, as in most JSON readers. This module
does no I/O and sets no size limit: the server caps frame size where it
reads frames.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, NamedTuple, TypeAlias, TypeVar

from .errors import ProtocolError
from .identity import ConnectionId, Identity, Timestamp

__all__ = [
    "MAX_DEPTH",
    "AdminReply",
    "AdminRequest",
    "AdminResult",
    "CallReducer",
    "ClientMessage",
    "DeleteDatabase",
    "Describe",
    "Error",
    "InitialConnection",
    "LogLines",
    "Logs",
    "OneOffQuery",
    "OneOffQueryResult",
    "Outcome",
    "Publish",
    "ReducerResult",
    "Row",
    "ServerMessage",
    "Subscribe",
    "SubscribeApplied",
    "SubscriptionError",
    "TableRows",
    "TableUpdate",
    "TransactionUpdate",
    "Unsubscribe",
    "UnsubscribeApplied",
    "decode_admin",
    "decode_client",
    "decode_server",
    "encode",
    "encode_admin",
]

MAX_DEPTH = 32
"""How deep reducer arguments and row values may nest arrays and objects."""

Row: TypeAlias = dict[str, Any]
"""A row on the wire: column name -> JSON value."""

Outcome: TypeAlias = Literal["committed", "failed", "internal_error"]
"""How a reducer call ended: committed, refused by the reducer, or crashed."""

T = TypeVar("T")


# --- how each field is read from JSON and written to it ----------------------


class _Invalid(Exception):
    """A field failed to read; the message is relative to the message type."""


class _Kind(NamedTuple):
    """One kind of field: what it must be, and how it is read and written."""

    expect: str
    read: Callable[[Any, str], Any]
    write: Callable[[Any], Any]


def _kind(
    expect: str,
    read: Callable[[Any, str], Any],
    write: Callable[[Any], Any] = lambda value: value,
) -> Mapping[str, _Kind]:
    """Field metadata naming the kind; ``read`` raises ValueError if wrong."""
    return {"kind": _Kind(expect, read, write)}


def _optional(metadata: Mapping[str, _Kind]) -> Mapping[str, _Kind]:
    """The same kind, or null."""
    kind = metadata["kind"]
    return _kind(
        f"{kind.expect} or null",
        lambda value, path: None if value is None else kind.read(value, path),
        lambda value: None if value is None else kind.write(value),
    )


def _read(kind: _Kind, value: Any, path: str) -> Any:
    """Read one field, turning a reader's ValueError into a clear message."""
    try:
        return kind.read(value, path)
    except (ValueError, TypeError):
        raise _Invalid(
            f"field {path!r} must be {kind.expect}, got {_describe(value)}"
        ) from None


def _describe(value: Any) -> str:
    """A JSON value as an error message names it."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        text = repr(value)
        return text if len(text) <= 24 else text[:21] + "..."
    if isinstance(value, str):
        return f"the string {value[:24]!r}" + ("..." if len(value) > 24 else "")
    if isinstance(value, list | dict):
        empty = "an empty " if not value else "an "
        return empty + ("array" if isinstance(value, list) else "object")
    return type(value).__name__


def _need(ok: bool) -> None:
    """Raise ValueError unless ``ok``: the reader's one way to refuse."""
    if not ok:
        raise ValueError


def _read_id(value: Any, path: str) -> int:
    """An id a JavaScript client can hold exactly: 0 <= id < 2**53."""
    _need(type(value) is int and 0 <= value < 2**53)
    return int(value)


def _read_text(value: Any, path: str) -> str:
    """A string."""
    _need(type(value) is str)
    return str(value)


def _read_texts(value: Any, path: str) -> list[str]:
    """A list of strings."""
    _need(type(value) is list and all(type(v) is str for v in value))
    return list(value)


def _read_queries(value: Any, path: str) -> list[str]:
    """A non-empty list of SQL strings."""
    _need(len(_read_texts(value, path)) > 0)
    return list(value)


def _read_args(value: Any, path: str) -> list[Any]:
    """A JSON array of reducer arguments, not nested too deep."""
    _need(type(value) is list)
    if not _within(value, MAX_DEPTH):
        raise _Invalid(f"field {path!r} nests deeper than {MAX_DEPTH} levels")
    return list(value)


def _read_rows(value: Any, path: str) -> list[Row]:
    """A list of rows: JSON objects whose values do not nest too deep."""
    _need(type(value) is list and all(type(row) is dict for row in value))
    for row in value:
        for cell in row.values():
            # Row values are mostly scalars: test the type before recursing.
            if type(cell) in (list, dict) and not _within(cell, MAX_DEPTH):
                raise _Invalid(f"field {path!r} nests deeper than {MAX_DEPTH} levels")
    return list(value)


def _read_value_rows(value: Any, path: str) -> list[list[Any]]:
    """A list of arrays: query result rows, values in column order."""
    _need(type(value) is list and all(type(row) is list for row in value))
    if not all(_within(row, MAX_DEPTH) for row in value):
        raise _Invalid(f"field {path!r} nests deeper than {MAX_DEPTH} levels")
    return list(value)


def _within(value: Any, depth: int) -> bool:
    """True if arrays and objects in ``value`` nest at most ``depth`` deep."""
    if isinstance(value, list):
        items: Any = value
    elif isinstance(value, dict):
        items = value.values()
    else:
        return True
    return depth > 0 and all(_within(item, depth - 1) for item in items)


def _read_timestamp(value: Any, path: str) -> Timestamp:
    """Microseconds since the Unix epoch, a 64-bit integer."""
    _need(type(value) is int and -(2**63) <= value < 2**63)
    return Timestamp(value)


def _read_outcome(value: Any, path: str) -> str:
    """One of the three ways a reducer call ends."""
    _need(value in ("committed", "failed", "internal_error"))
    return str(value)


def _read_list(cls: type[T]) -> Callable[[Any, str], list[T]]:
    """A reader of a list of nested objects of class ``cls``."""

    def read(value: Any, path: str) -> list[T]:
        _need(type(value) is list)
        return [_read_fields(cls, item, f"{path}[{i}]") for i, item in enumerate(value)]

    return read


def _write_list(items: list[Any]) -> list[dict[str, Any]]:
    """Nested objects as JSON."""
    return [_write_fields(item) for item in items]


_ID = _kind("a non-negative integer below 2**53", _read_id)
_TEXT = _kind("a string", _read_text)
_TEXTS = _kind("an array of strings", _read_texts)
_QUERIES = _kind("a non-empty array of SQL strings", _read_queries)
_ARGS = _kind("a JSON array of arguments", _read_args)
_ROWS = _kind("an array of rows (JSON objects)", _read_rows)
_VALUE_ROWS = _kind("an array of rows (arrays of values)", _read_value_rows)
_TIMESTAMP = _kind(
    "an integer: microseconds since the Unix epoch",
    _read_timestamp,
    lambda t: t.micros_since_unix_epoch,
)
_OUTCOME = _kind("'committed', 'failed' or 'internal_error'", _read_outcome)
_IDENTITY = _kind(
    "an identity (0x and 64 hex digits)",
    lambda value, path: Identity.from_hex(_read_text(value, path)),
    str,
)
_CONNECTION_ID = _kind(
    "a connection id (0x and 32 hex digits)",
    lambda value, path: ConnectionId.from_hex(_read_text(value, path)),
    str,
)


# --- the parts messages share ------------------------------------------------


@dataclass(frozen=True)
class TableRows:
    """Rows of one table: what a subscription added or dropped.

    Usage::

        TableRows(table="player", rows=[schema.row_to_json(row)])
    """

    table: str = field(metadata=_TEXT)
    rows: list[Row] = field(metadata=_ROWS)


@dataclass(frozen=True)
class TableUpdate:
    """One table's changes in a transaction, as one client is to see them.

    An update of a row with a primary key is a delete and an insert of
    rows with the same key; a client cache turns the pair into one update.
    """

    table: str = field(metadata=_TEXT)
    inserts: list[Row] = field(metadata=_ROWS)
    deletes: list[Row] = field(metadata=_ROWS)


_TABLE_ROWS = _kind(
    "an array of {table, rows} objects", _read_list(TableRows), _write_list
)
_TABLE_UPDATES = _kind(
    "an array of {table, inserts, deletes} objects",
    _read_list(TableUpdate),
    _write_list,
)


# --- client to server ---------------------------------------------------------


@dataclass(frozen=True)
class CallReducer:
    """Run a reducer with these arguments; answered by a ReducerResult."""

    request_id: int = field(metadata=_ID)
    reducer: str = field(metadata=_TEXT)
    args: list[Any] = field(metadata=_ARGS)


@dataclass(frozen=True)
class Subscribe:
    """Subscribe to a query set; answered by SubscribeApplied or an error.

    ``query_set_id`` is chosen by the client and names the set when it
    unsubscribes; each query is ``SELECT * FROM <table> [WHERE ...]``.
    """

    request_id: int = field(metadata=_ID)
    query_set_id: int = field(metadata=_ID)
    queries: list[str] = field(metadata=_QUERIES)


@dataclass(frozen=True)
class Unsubscribe:
    """Drop a query set; answered by UnsubscribeApplied."""

    request_id: int = field(metadata=_ID)
    query_set_id: int = field(metadata=_ID)


@dataclass(frozen=True)
class OneOffQuery:
    """Run one read-only SQL query once; answered by OneOffQueryResult."""

    request_id: int = field(metadata=_ID)
    query: str = field(metadata=_TEXT)


# --- server to client ---------------------------------------------------------


@dataclass(frozen=True)
class InitialConnection:
    """The first message on a connection: who the client is, and its token.

    A client saves the token and presents it next time to be the same
    identity.
    """

    identity: Identity = field(metadata=_IDENTITY)
    connection_id: ConnectionId = field(metadata=_CONNECTION_ID)
    token: str = field(metadata=_TEXT)


@dataclass(frozen=True)
class SubscribeApplied:
    """A query set is live: here are the rows that match it now."""

    request_id: int = field(metadata=_ID)
    query_set_id: int = field(metadata=_ID)
    tables: list[TableRows] = field(metadata=_TABLE_ROWS)


@dataclass(frozen=True)
class UnsubscribeApplied:
    """A query set is gone: drop these rows (no other set still holds them)."""

    request_id: int = field(metadata=_ID)
    query_set_id: int = field(metadata=_ID)
    tables: list[TableRows] = field(metadata=_TABLE_ROWS)


@dataclass(frozen=True)
class SubscriptionError:
    """A query set was refused (or failed later) and is not live."""

    request_id: int = field(metadata=_ID)
    query_set_id: int = field(metadata=_ID)
    error: str = field(metadata=_TEXT)


@dataclass(frozen=True)
class TransactionUpdate:
    """A committed transaction's changes that this client subscribed to.

    Sent only to affected clients, with only the rows that match their
    queries. ``caller_connection_id`` is null for scheduled reducers.
    """

    tx_id: int = field(metadata=_ID)
    timestamp: Timestamp = field(metadata=_TIMESTAMP)
    reducer: str = field(metadata=_TEXT)
    caller_identity: Identity = field(metadata=_IDENTITY)
    caller_connection_id: ConnectionId | None = field(
        metadata=_optional(_CONNECTION_ID)
    )
    tables: list[TableUpdate] = field(metadata=_TABLE_UPDATES)


@dataclass(frozen=True)
class ReducerResult:
    """How the caller's reducer call ended, with its own view of the changes.

    ``committed`` carries the ``tx_id`` and the changes the caller
    subscribed to (its TransactionUpdate is folded in here, not sent
    twice); ``failed`` (the reducer raised ReducerError) and
    ``internal_error`` (it crashed) carry the ``error`` text, no
    ``tx_id`` and no tables. Constructing one that mixes these raises
    ValueError.
    """

    request_id: int = field(metadata=_ID)
    tx_id: int | None = field(metadata=_optional(_ID))
    timestamp: Timestamp = field(metadata=_TIMESTAMP)
    outcome: Outcome = field(metadata=_OUTCOME)
    error: str | None = field(metadata=_optional(_TEXT))
    tables: list[TableUpdate] = field(metadata=_TABLE_UPDATES)

    def __post_init__(self) -> None:
        committed = self.outcome == "committed"
        outcome = f"outcome {self.outcome!r}"
        if committed and (self.tx_id is None or self.error is not None):
            raise ValueError(f"{outcome} needs a tx_id and no error")
        if not committed and (self.tx_id is not None or self.error is None):
            raise ValueError(f"{outcome} needs an error and no tx_id")
        if not committed and self.tables:
            raise ValueError(f"{outcome} changes no tables")


@dataclass(frozen=True)
class OneOffQueryResult:
    """The result of a OneOffQuery: columns and rows, or the error."""

    request_id: int = field(metadata=_ID)
    columns: list[str] = field(metadata=_TEXTS)
    rows: list[list[Any]] = field(metadata=_VALUE_ROWS)
    error: str | None = field(metadata=_optional(_TEXT))


@dataclass(frozen=True)
class Error:
    """A frame the server could not route: broken JSON, unknown type, bad field.

    ``request_id`` is the one the frame carried, if it could be read.
    """

    request_id: int | None = field(metadata=_optional(_ID))
    error: str = field(metadata=_TEXT)


ClientMessage: TypeAlias = CallReducer | Subscribe | Unsubscribe | OneOffQuery
ServerMessage: TypeAlias = (
    InitialConnection
    | SubscribeApplied
    | UnsubscribeApplied
    | SubscriptionError
    | TransactionUpdate
    | ReducerResult
    | OneOffQueryResult
    | Error
)

_CLIENT: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (CallReducer, Subscribe, Unsubscribe, OneOffQuery)
}
_SERVER: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        InitialConnection,
        SubscribeApplied,
        UnsubscribeApplied,
        SubscriptionError,
        TransactionUpdate,
        ReducerResult,
        OneOffQueryResult,
        Error,
    )
}


# --- encoding -------------------------------------------------------------------


def encode(message: ClientMessage | ServerMessage | AdminReply) -> str:
    """The message as one JSON text frame.

    The fields are trusted to have their annotated types (decoding is where
    types are checked). Raises ProtocolError if a value cannot be JSON: a
    float that is NaN or infinite (browsers cannot parse those), or an
    object JSON does not know.
    """
    name = type(message).__name__
    if name not in _CLIENT and name not in _SERVER:
        raise TypeError(f"not a protocol message: {message!r:.80}")
    try:
        return json.dumps(
            {name: _write_fields(message)},
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )
    except (TypeError, ValueError) as exc:
        raise ProtocolError(
            f"cannot encode {name}: {exc}", getattr(message, "request_id", None)
        ) from exc


def _write_fields(value: Any) -> dict[str, Any]:
    """A message or part as a JSON object, field by field."""
    return {
        f.name: f.metadata["kind"].write(getattr(value, f.name)) for f in fields(value)
    }


# --- decoding -------------------------------------------------------------------


def decode_client(frame: str | bytes) -> ClientMessage:
    """Read a frame a client sent; raise ProtocolError if it is not one."""
    message: ClientMessage = _decode(frame, _CLIENT, "client", _SERVER)
    return message


def decode_server(frame: str | bytes) -> ServerMessage:
    """Read a frame a server sent; raise ProtocolError if it is not one."""
    message: ServerMessage = _decode(frame, _SERVER, "server", _CLIENT)
    return message


def _decode(
    frame: str | bytes,
    allowed: dict[str, type[Any]],
    sender: str,
    others: dict[str, type[Any]],
) -> Any:
    """Parse the JSON, find the message type, then read its fields."""
    text, data = _parse(frame)
    name, body = _envelope(data, allowed, sender, others)
    request_id = _request_id(body)
    try:
        message = _read_fields(allowed[name], body, "")
    except _Invalid as exc:
        raise ProtocolError(f"{name}: {exc}", request_id) from None
    # Checked last, once the fields have bounded how deep the data nests.
    _refuse_lone_surrogates(text, data, request_id)
    return message


def _parse(frame: str | bytes) -> tuple[str, Any]:
    """The frame as text and as JSON, refusing bad UTF-8, bad JSON and NaN."""
    if not isinstance(frame, str):
        try:
            frame = bytes(frame).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(
                f"the frame is not valid UTF-8 (byte {exc.start})"
            ) from None
    try:
        data = json.loads(
            frame, parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except json.JSONDecodeError as exc:
        raise ProtocolError(
            f"the frame is not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}"
        ) from None
    except ValueError:  # Python refuses to read ints of over 4300 digits
        raise ProtocolError("the frame holds a number too long to read") from None
    except RecursionError:
        raise ProtocolError("the frame nests JSON arrays or objects too deep") from None
    return frame, data


def _refuse_constant(name: str) -> Any:
    """Python's json reads NaN and Infinity; JSON itself does not."""
    raise ProtocolError(f"the frame is not valid JSON: {name} is not a JSON value")


def _finite_float(text: str) -> float:
    """A JSON number; one too large for a float would become infinity."""
    value = float(text)
    if value in (math.inf, -math.inf):
        raise ProtocolError(f"the number {text[:24]} is too large for a float")
    return value


# A \ud800-\udfff escape: one half of a UTF-16 pair, maybe left alone.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(frame: str, data: Any, request_id: int | None) -> None:
    """Refuse strings holding half a UTF-16 pair: they are not text.

    Only frames that escape a surrogate at all are checked, by writing the
    data back as UTF-8, so ordinary frames pay one regular-expression scan.
    """
    if not _SURROGATE_ESCAPE.search(frame):
        return
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError(
            "the frame holds a lone UTF-16 surrogate (\\ud800-\\udfff escape)",
            request_id,
        ) from None


def _envelope(
    data: Any, allowed: dict[str, type[Any]], sender: str, others: dict[str, type[Any]]
) -> tuple[str, dict[str, Any]]:
    """The message's type name and its body: a one-key object of an object."""
    if type(data) is not dict or len(data) != 1:
        got = _describe(data)
        if type(data) is dict:
            got = f"an object with {len(data)} keys"
        raise ProtocolError(
            "a message is a JSON object with one key naming its type, like "
            f'{{"Subscribe": {{...}}}}; got {got}'
        )
    name, body = next(iter(data.items()))
    if name not in allowed:
        sends = ", ".join(allowed)
        if name in others:
            raise ProtocolError(
                f"{name} is not a message a {sender} sends; it sends {sends}"
            )
        raise ProtocolError(
            f"unknown message type {name[:40]!r}; a {sender} sends {sends}"
        )
    if type(body) is not dict:
        raise ProtocolError(
            f"{name}: the message body must be an object, got {_describe(body)}"
        )
    return name, body


def _request_id(body: dict[str, Any]) -> int | None:
    """The body's request_id if it is a valid one, for the error to carry."""
    value = body.get("request_id")
    return value if type(value) is int and 0 <= value < 2**53 else None


def _read_fields(cls: type[Any], body: Any, path: str) -> Any:
    """Build ``cls`` from a JSON object: every field present, none extra."""
    if type(body) is not dict:
        raise _Invalid(f"field {path!r} must be an object, got {_describe(body)}")
    names = [f.name for f in fields(cls)]
    unknown = [key for key in body if key not in names]
    if unknown:
        raise _Invalid(
            f"unknown field {_join(path, unknown[0][:40])!r}; "
            f"the fields are {', '.join(names)}"
        )
    values = {}
    for f in fields(cls):
        if f.name not in body:
            raise _Invalid(f"missing field {_join(path, f.name)!r}")
        values[f.name] = _read(f.metadata["kind"], body[f.name], _join(path, f.name))
    try:
        return cls(**values)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None


def _join(path: str, name: str) -> str:
    """``tables[0]`` and ``rows`` make ``tables[0].rows``."""
    return f"{path}.{name}" if path else name


# --- administration: the owner's messages at /v1/admin -------------------------
#
# Publishing, deleting, describing and reading logs go over their own
# WebSocket endpoint, so the subscribe endpoint stays the SpacetimeDB-shaped
# protocol above. Each request names its database; each is answered by one
# AdminResult (and, for a followed log, LogLines until the client closes).


def _read_flag(value: Any, path: str) -> bool:
    """A JSON boolean."""
    _need(type(value) is bool)
    return bool(value)


def _read_object(value: Any, path: str) -> dict[str, Any]:
    """A JSON object whose values do not nest too deep."""
    _need(type(value) is dict)
    if not _within(value, MAX_DEPTH):
        raise _Invalid(f"field {path!r} nests deeper than {MAX_DEPTH} levels")
    return dict(value)


_FLAG = _kind("true or false", _read_flag)
_OBJECT = _kind("a JSON object", _read_object)


@dataclass(frozen=True)
class Publish:
    """Create a database from module source, or republish it (owner only)."""

    request_id: int = field(metadata=_ID)
    database: str = field(metadata=_TEXT)
    source: str = field(metadata=_TEXT)
    delete_data: bool = field(metadata=_FLAG)


@dataclass(frozen=True)
class DeleteDatabase:
    """Stop a database and delete its file (owner only)."""

    request_id: int = field(metadata=_ID)
    database: str = field(metadata=_TEXT)


@dataclass(frozen=True)
class Describe:
    """The schema of a database: its tables and reducers, as JSON."""

    request_id: int = field(metadata=_ID)
    database: str = field(metadata=_TEXT)


@dataclass(frozen=True)
class Logs:
    """The last ``count`` log lines (owner only); ``follow`` keeps sending."""

    request_id: int = field(metadata=_ID)
    database: str = field(metadata=_TEXT)
    count: int = field(metadata=_ID)
    follow: bool = field(metadata=_FLAG)


@dataclass(frozen=True)
class AdminResult:
    """The answer to an administration request: a result or the error."""

    request_id: int = field(metadata=_ID)
    error: str | None = field(metadata=_optional(_TEXT))
    result: dict[str, Any] | None = field(metadata=_optional(_OBJECT))


@dataclass(frozen=True)
class LogLines:
    """Log lines of a followed database, as they are written."""

    request_id: int = field(metadata=_ID)
    lines: list[str] = field(metadata=_TEXTS)


AdminRequest: TypeAlias = Publish | DeleteDatabase | Describe | Logs
AdminReply: TypeAlias = AdminResult | LogLines

_ADMIN: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (Publish, DeleteDatabase, Describe, Logs)
}
_ADMIN_REPLIES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (AdminResult, LogLines)
}
_SERVER.update(_ADMIN_REPLIES)


def decode_admin(frame: str | bytes) -> AdminRequest:
    """Read an administration request; raise ProtocolError if it is not one."""
    message: AdminRequest = _decode(frame, _ADMIN, "admin client", _CLIENT)
    return message


def encode_admin(message: AdminRequest) -> str:
    """An administration request as one JSON text frame."""
    return json.dumps(
        {type(message).__name__: _write_fields(message)},
        ensure_ascii=False,
        separators=(",", ":"),
    )
