"""The wire messages: their JSON form, round trips, and strict decoding."""

from __future__ import annotations

import contextlib
import json
import re
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stdblite.errors import ProtocolError, StdbliteError
from stdblite.identity import ConnectionId, Identity, Timestamp
from stdblite.protocol import (
    MAX_DEPTH,
    AdminReply,
    AdminRequest,
    CallReducer,
    ClientMessage,
    Error,
    InitialConnection,
    OneOffQuery,
    OneOffQueryResult,
    ReducerResult,
    ServerMessage,
    Subscribe,
    SubscribeApplied,
    SubscriptionError,
    TableRows,
    TableUpdate,
    TransactionUpdate,
    Unsubscribe,
    UnsubscribeApplied,
    decode_admin,
    decode_client,
    decode_server,
    encode,
)

JOHN = Identity(bytes(range(32)))
CONN = ConnectionId(bytes(range(16)))
NOW = Timestamp(1_733_250_000_123_456)
ROW = {"identity": str(JOHN), "username": "John", "x": 1.5, "is_online": True}

CLIENT_EXAMPLES: list[ClientMessage] = [
    CallReducer(request_id=1, reducer="register_player", args=["John"]),
    CallReducer(request_id=2, reducer="move", args=[{"dx": -1}, None, [1, 2]]),
    Subscribe(request_id=3, query_set_id=1, queries=["SELECT * FROM player"]),
    Unsubscribe(request_id=4, query_set_id=1),
    OneOffQuery(request_id=5, query="SELECT count(*) FROM player"),
]
SERVER_EXAMPLES: list[ServerMessage] = [
    InitialConnection(identity=JOHN, connection_id=CONN, token="a.b.c"),
    SubscribeApplied(
        request_id=3, query_set_id=1, tables=[TableRows(table="player", rows=[ROW])]
    ),
    UnsubscribeApplied(
        request_id=4, query_set_id=1, tables=[TableRows(table="player", rows=[])]
    ),
    SubscriptionError(request_id=3, query_set_id=1, error="no table named 'x'"),
    TransactionUpdate(
        tx_id=12,
        timestamp=NOW,
        reducer="move",
        caller_identity=JOHN,
        caller_connection_id=CONN,
        tables=[TableUpdate(table="player", inserts=[ROW], deletes=[ROW])],
    ),
    TransactionUpdate(
        tx_id=13,
        timestamp=NOW,
        reducer="tick",
        caller_identity=JOHN,
        caller_connection_id=None,
        tables=[],
    ),
    ReducerResult(
        request_id=1,
        tx_id=12,
        timestamp=NOW,
        outcome="committed",
        error=None,
        tables=[TableUpdate(table="player", inserts=[ROW], deletes=[])],
    ),
    ReducerResult(
        request_id=1,
        tx_id=None,
        timestamp=NOW,
        outcome="failed",
        error="Username must not be empty",
        tables=[],
    ),
    ReducerResult(
        request_id=1,
        tx_id=None,
        timestamp=NOW,
        outcome="internal_error",
        error="the reducer raised ZeroDivisionError",
        tables=[],
    ),
    OneOffQueryResult(request_id=5, columns=["n"], rows=[[2]], error=None),
    OneOffQueryResult(request_id=5, columns=[], rows=[], error="syntax error"),
    Error(request_id=None, error="the frame is not valid JSON"),
    Error(request_id=9, error="CallReducer: missing field 'args'"),
]


# --- round trips and the JSON form ---------------------------------------------


@pytest.mark.parametrize("message", CLIENT_EXAMPLES, ids=repr)
def test_client_message_round_trips(message: ClientMessage) -> None:
    frame = encode(message)
    assert decode_client(frame) == message
    assert decode_client(frame.encode()) == message


@pytest.mark.parametrize("message", SERVER_EXAMPLES, ids=repr)
def test_server_message_round_trips(message: ServerMessage) -> None:
    assert decode_server(encode(message)) == message


def test_every_message_type_has_an_example() -> None:
    examples = {type(m) for m in [*CLIENT_EXAMPLES, *SERVER_EXAMPLES]}
    declared = {*typing.get_args(ClientMessage), *typing.get_args(ServerMessage)}
    assert examples == declared


def test_frame_is_an_object_with_one_key_naming_the_type() -> None:
    frame = encode(CallReducer(request_id=7, reducer="move", args=[-1, 0]))
    assert frame == '{"CallReducer":{"request_id":7,"reducer":"move","args":[-1,0]}}'


def test_identities_travel_as_hex_and_timestamps_as_micros() -> None:
    frame = json.loads(encode(SERVER_EXAMPLES[4]))
    body = frame["TransactionUpdate"]
    assert body["caller_identity"] == "0x" + bytes(range(32)).hex()
    assert body["caller_connection_id"] == "0x" + bytes(range(16)).hex()
    assert body["timestamp"] == 1_733_250_000_123_456
    assert body["tables"] == [{"table": "player", "inserts": [ROW], "deletes": [ROW]}]


def test_no_caller_connection_is_null() -> None:
    body = json.loads(encode(SERVER_EXAMPLES[5]))["TransactionUpdate"]
    assert body["caller_connection_id"] is None


def test_text_is_sent_as_utf8_not_escaped() -> None:
    frame = encode(CallReducer(request_id=1, reducer="say", args=["héllo ☃"]))
    assert "héllo ☃" in frame
    message = decode_client(frame.encode("utf-8"))
    assert isinstance(message, CallReducer)
    assert message.args == ["héllo ☃"]


# --- encoding refuses what JSON cannot hold --------------------------------------


def test_encode_refuses_nan_in_a_row_naming_the_request() -> None:
    bad = SubscribeApplied(
        request_id=4,
        query_set_id=1,
        tables=[TableRows(table="t", rows=[{"x": float("nan")}])],
    )
    with pytest.raises(ProtocolError, match="cannot encode SubscribeApplied") as e:
        encode(bad)
    assert e.value.request_id == 4


def test_encode_refuses_values_json_does_not_know() -> None:
    with pytest.raises(ProtocolError, match="cannot encode CallReducer"):
        encode(CallReducer(request_id=1, reducer="r", args=[b"bytes"]))


def test_encode_refuses_what_is_not_a_message() -> None:
    with pytest.raises(TypeError, match="not a protocol message"):
        encode(TableRows(table="t", rows=[]))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"outcome": "committed", "tx_id": None},
            "'committed' needs a tx_id and no error",
        ),
        (
            {"outcome": "committed", "error": "x"},
            "'committed' needs a tx_id and no error",
        ),
        ({"outcome": "failed", "error": None}, "'failed' needs an error and no tx_id"),
        ({"outcome": "failed", "error": "x", "tx_id": 3}, "no tx_id"),
        (
            {
                "outcome": "internal_error",
                "error": "x",
                "tx_id": None,
                "tables": [TableUpdate("t", [], [])],
            },
            "outcome 'internal_error' changes no tables",
        ),
    ],
)
def test_reducer_result_fields_must_agree_with_outcome(
    changes: dict[str, Any], message: str
) -> None:
    fields: dict[str, Any] = dict(
        request_id=1, tx_id=2, timestamp=NOW, outcome="committed", error=None, tables=[]
    )
    with pytest.raises(ValueError, match=message):
        ReducerResult(**{**fields, **changes})


# --- decoding refuses bad input, clearly -------------------------------------------


def call(**body: Any) -> str:
    fields = {"request_id": 1, "reducer": "move", "args": []}
    return json.dumps({"CallReducer": {**fields, **body}})


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("frame", "message", "request_id"),
    [
        (b"\xff\xfe", "the frame is not valid UTF-8 (byte 0)", None),
        (b'{"CallReducer": "\xc3"}', "the frame is not valid UTF-8 (byte 17)", None),
        ("", "not valid JSON: Expecting value at line 1 column 1", None),
        ("{", "not valid JSON: Expecting property name", None),
        ('{"CallReducer": {}} x', "not valid JSON: Extra data", None),
        ("\ufeff{}", "not valid JSON", None),
        ('{"CallReducer": NaN}', "NaN is not a JSON value", None),
        ('{"CallReducer": -Infinity}', "-Infinity is not a JSON value", None),
        ('{"CallReducer": 1e400}', "the number 1e400 is too large for a float", None),
        ("[" * 100_000 + "]" * 100_000, "nests JSON arrays or objects too deep", None),
        ("1" * 5000, "a number too long to read", None),
        (
            "[]",
            'one key naming its type, like {"Subscribe": {...}}; got an empty',
            None,
        ),
        ('"CallReducer"', "one key naming its type", None),
        ("null", 'one key naming its type, like {"Subscribe": {...}}; got null', None),
        ("{}", "got an object with 0 keys", None),
        ('{"Subscribe": {}, "Unsubscribe": {}}', "got an object with 2 keys", None),
        (
            '{"Hello": {}}',
            "unknown message type 'Hello'; a client sends CallReducer",
            None,
        ),
        (
            '{"callreducer": {}}',
            "unknown message type 'callreducer'; a client sends CallReducer, "
            "Subscribe, Unsubscribe, OneOffQuery",
            None,
        ),
        (
            '{"InitialConnection": {}}',
            "InitialConnection is not a message a client sends",
            None,
        ),
        (
            '{"CallReducer": [1]}',
            "CallReducer: the message body must be an object",
            None,
        ),
        ('{"CallReducer": null}', "body must be an object, got null", None),
        (
            call(args=None),
            "field 'args' must be a JSON array of arguments, got null",
            1,
        ),
        (call(args={"a": 1}), "field 'args' must be a JSON array", 1),
        (call(args=nested(MAX_DEPTH + 1)), "field 'args' nests deeper than 32", 1),
        (call(reducer=5), "field 'reducer' must be a string, got 5", 1),
        (call(request_id=-1), "'request_id' must be a non-negative integer", None),
        (call(request_id=2**53), "below 2**53, got 9007199254740992", None),
        (call(request_id=1.0), "below 2**53, got 1.0", None),
        (call(request_id=True), "below 2**53, got true", None),
        (call(request_id="1"), "below 2**53, got the string '1'", None),
        (call(extra=1), "CallReducer: unknown field 'extra'; the fields are", 1),
        (call(request_id=8, reducer="\ud800"), "a lone UTF-16 surrogate", 8),
        (
            '{"CallReducer": {"request_id": 3}}',
            "CallReducer: missing field 'reducer'",
            3,
        ),
        (
            '{"Subscribe": {"request_id": 2, "query_set_id": 1, "queries": []}}',
            "field 'queries' must be a non-empty array of SQL strings, got an empty",
            2,
        ),
        (
            '{"Subscribe": {"request_id": 2, "query_set_id": 1, "queries": [1]}}',
            "field 'queries' must be a non-empty array of SQL strings, got an array",
            2,
        ),
        (
            '{"Subscribe": {"request_id": 2, "query_set_id": -3, "queries": ["x"]}}',
            "field 'query_set_id' must be a non-negative integer",
            2,
        ),
        ('{"Unsubscribe": {"request_id": 6}}', "missing field 'query_set_id'", 6),
        ('{"OneOffQuery": {"request_id": 6, "query": []}}', "'query' must be", 6),
    ],
)
def test_bad_client_frame_is_refused_clearly(
    frame: str | bytes, message: str, request_id: int | None
) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_client(frame)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.request_id == request_id


def test_args_may_nest_up_to_the_limit() -> None:
    message = decode_client(call(args=nested(MAX_DEPTH - 1)))
    assert isinstance(message, CallReducer)
    assert message.args == nested(MAX_DEPTH - 1)


def test_surrogate_pairs_are_text() -> None:
    message = decode_client(call(reducer="\U0001f600"))  # escaped as a pair
    assert isinstance(message, CallReducer)
    assert message.reducer == "\U0001f600"


def server(name: str, **body: Any) -> str:
    return json.dumps({name: body})


def applied(tables: Any) -> str:
    return server("SubscribeApplied", request_id=3, query_set_id=1, tables=tables)


@pytest.mark.parametrize(
    ("frame", "message", "request_id"),
    [
        ('{"CallReducer": {}}', "CallReducer is not a message a server sends", None),
        (applied(None), "field 'tables' must be an array of {table, rows}", 3),
        (applied([1]), "field 'tables[0]' must be an object, got 1", 3),
        (applied([{"table": "t"}]), "missing field 'tables[0].rows'", 3),
        (
            applied([{"table": "t", "rows": []}, {"table": "u", "rows": [[1]]}]),
            "field 'tables[1].rows' must be an array of rows (JSON objects)",
            3,
        ),
        (
            applied([{"table": "t", "rows": [], "extra": 0}]),
            "unknown field 'tables[0].extra'; the fields are table, rows",
            3,
        ),
        (
            applied([{"table": "t", "rows": [{"x": nested(MAX_DEPTH + 1)}]}]),
            "field 'tables[0].rows' nests deeper than 32 levels",
            3,
        ),
        (
            server("InitialConnection", identity="0x12", connection_id="", token=""),
            "field 'identity' must be an identity (0x and 64 hex digits)",
            None,
        ),
        (
            server(
                "InitialConnection",
                identity=str(JOHN),
                connection_id=str(JOHN),
                token="",
            ),
            "field 'connection_id' must be a connection id (0x and 32 hex digits)",
            None,
        ),
        (
            server(
                "ReducerResult",
                request_id=1,
                tx_id=None,
                timestamp=0,
                outcome="maybe",
                error=None,
                tables=[],
            ),
            "field 'outcome' must be 'committed', 'failed' or 'internal_error', "
            "got the string 'maybe'",
            1,
        ),
        (
            server(
                "ReducerResult",
                request_id=1,
                tx_id=4,
                timestamp=0,
                outcome="failed",
                error="no",
                tables=[],
            ),
            "ReducerResult: outcome 'failed' needs an error and no tx_id",
            1,
        ),
        (
            server(
                "ReducerResult",
                request_id=1,
                tx_id=None,
                timestamp=2**63,
                outcome="failed",
                error="no",
                tables=[],
            ),
            "field 'timestamp' must be an integer: microseconds since the Unix",
            1,
        ),
        (
            server(
                "OneOffQueryResult", request_id=1, columns=["a"], rows=[{}], error=None
            ),
            "field 'rows' must be an array of rows (arrays of values)",
            1,
        ),
        (
            server("Error", request_id="x", error="e"),
            "field 'request_id' must be a non-negative integer below 2**53 or null",
            None,
        ),
    ],
)
def test_bad_server_frame_is_refused_clearly(
    frame: str, message: str, request_id: int | None
) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_server(frame)
    assert message in str(caught.value)
    assert caught.value.request_id == request_id


def test_protocol_error_is_a_stdblite_error() -> None:
    assert issubclass(ProtocolError, StdbliteError)
    assert ProtocolError("x").request_id is None


# --- properties ------------------------------------------------------------------

ids = st.integers(0, 2**53 - 1)
texts = st.text(max_size=12)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3)
    ),
    max_leaves=10,
)
rows = st.lists(st.dictionaries(texts, json_values, max_size=4), max_size=3)
identities = st.binary(min_size=32, max_size=32).map(Identity)
connections = st.binary(min_size=16, max_size=16).map(ConnectionId)
timestamps = st.integers(-(2**63), 2**63 - 1).map(Timestamp)
updates = st.lists(st.builds(TableUpdate, table=texts, inserts=rows, deletes=rows))
table_rows = st.lists(st.builds(TableRows, table=texts, rows=rows), max_size=3)

client_messages = st.one_of(
    st.builds(CallReducer, request_id=ids, reducer=texts, args=st.lists(json_values)),
    st.builds(
        Subscribe, request_id=ids, query_set_id=ids, queries=st.lists(texts, min_size=1)
    ),
    st.builds(Unsubscribe, request_id=ids, query_set_id=ids),
    st.builds(OneOffQuery, request_id=ids, query=texts),
)
committed = st.builds(
    ReducerResult,
    request_id=ids,
    tx_id=ids,
    timestamp=timestamps,
    outcome=st.just("committed"),
    error=st.none(),
    tables=updates,
)
refused = st.builds(
    ReducerResult,
    request_id=ids,
    tx_id=st.none(),
    timestamp=timestamps,
    outcome=st.sampled_from(["failed", "internal_error"]),
    error=texts,
    tables=st.just([]),
)
server_messages = st.one_of(
    st.builds(
        InitialConnection, identity=identities, connection_id=connections, token=texts
    ),
    st.builds(SubscribeApplied, request_id=ids, query_set_id=ids, tables=table_rows),
    st.builds(UnsubscribeApplied, request_id=ids, query_set_id=ids, tables=table_rows),
    st.builds(SubscriptionError, request_id=ids, query_set_id=ids, error=texts),
    st.builds(
        TransactionUpdate,
        tx_id=ids,
        timestamp=timestamps,
        reducer=texts,
        caller_identity=identities,
        caller_connection_id=st.none() | connections,
        tables=updates,
    ),
    committed,
    refused,
    st.builds(
        OneOffQueryResult,
        request_id=ids,
        columns=st.lists(texts),
        rows=st.lists(st.lists(json_values, max_size=3), max_size=3),
        error=st.none() | texts,
    ),
    st.builds(Error, request_id=st.none() | ids, error=texts),
)


@settings(max_examples=300, deadline=None)
@given(message=client_messages)
def test_any_client_message_round_trips(message: ClientMessage) -> None:
    assert decode_client(encode(message)) == message


@settings(max_examples=300, deadline=None)
@given(message=server_messages)
def test_any_server_message_round_trips(message: ServerMessage) -> None:
    assert decode_server(encode(message)) == message


MESSAGE_TYPES = [*typing.get_args(ClientMessage), *typing.get_args(ServerMessage)]
FIELD_NAMES = sorted(
    {f.name for cls in [*MESSAGE_TYPES, TableRows, TableUpdate] for f in fields(cls)}
)
# Frames shaped like messages, with any fields holding any JSON.
lookalikes = st.builds(
    lambda name, body: json.dumps({name: body}),
    st.sampled_from([cls.__name__ for cls in MESSAGE_TYPES]),
    st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=7),
)


@settings(max_examples=400, deadline=None)
@given(frame=st.binary(max_size=64) | texts | json_values.map(json.dumps) | lookalikes)
def test_garbage_raises_only_protocol_error(frame: bytes | str) -> None:
    for decode in (decode_client, decode_server):
        with contextlib.suppress(ProtocolError):
            decode(frame)


@settings(max_examples=300, deadline=None)
@given(message=client_messages, data=st.data())
def test_a_broken_field_raises_protocol_error_with_its_request_id(
    message: ClientMessage, data: st.DataObject
) -> None:
    name, body = next(iter(json.loads(encode(message)).items()))
    broken = data.draw(st.sampled_from(sorted(set(body) - {"request_id"})))
    replacement: Any = data.draw(st.sampled_from([None, {}, -1]))
    frame = json.dumps({name: {**body, broken: replacement}})
    with pytest.raises(ProtocolError) as caught:
        decode_client(frame)
    assert caught.value.request_id == body["request_id"]


# --- the book's protocol page ------------------------------------------------------

PROTOCOL_PAGE = Path(__file__).parent.parent / "book" / "reference" / "protocol.md"
CLIENT_NAMES = {cls.__name__ for cls in typing.get_args(ClientMessage)}
ADMIN_TYPES = [*typing.get_args(AdminRequest), *typing.get_args(AdminReply)]
ADMIN_REQUEST_NAMES = {cls.__name__ for cls in typing.get_args(AdminRequest)}


def test_every_example_frame_in_the_book_decodes() -> None:
    text = PROTOCOL_PAGE.read_text(encoding="utf-8")
    frames = re.findall(r"```json\n(.*?)```", text, re.DOTALL)
    shown = set()
    for frame in frames:
        name = next(iter(json.loads(frame)))
        decode: Any = decode_client if name in CLIENT_NAMES else decode_server
        if name in ADMIN_REQUEST_NAMES:
            decode = decode_admin
        shown.add(type(decode(frame)).__name__)
    assert shown == {cls.__name__ for cls in [*MESSAGE_TYPES, *ADMIN_TYPES]}
