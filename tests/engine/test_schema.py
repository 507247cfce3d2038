"""Unit tests for the values rows hold and the table declarations."""

from __future__ import annotations

import datetime as dt
import enum

import pytest

from stdblite import (
    ConnectionId,
    Identity,
    PrimaryKey,
    ScheduleAt,
    Timestamp,
    Unique,
    table,
)
from stdblite.errors import SchemaError
from stdblite.schema import ColumnType, snake_case

# -- identities --------------------------------------------------------------


def test_identity_hex_round_trip():
    john = Identity.random()
    text = str(john)
    assert text.startswith("0x") and len(text) == 66
    assert Identity.from_hex(text) == john
    assert Identity.from_hex(text[2:]) == john  # the 0x is optional
    assert Identity.from_hex(text.upper().replace("0X", "0x")) == john
    assert Identity(john.to_bytes()) == john


def test_identities_order_by_their_bytes():
    low = Identity(bytes(31) + b"\x01")
    high = Identity(b"\x01" + bytes(31))
    assert low < high and high > low
    assert sorted([high, Identity.zero(), low]) == [Identity.zero(), low, high]


def test_identities_hash_by_value():
    john = Identity.random()
    same = Identity.from_hex(str(john))
    assert hash(john) == hash(same)
    assert {john: "John"}[same] == "John"
    assert len({john, same, Identity.random()}) == 2


def test_identity_and_connection_id_never_compare_equal():
    connection = ConnectionId.random()
    assert connection != Identity(connection.to_bytes() * 2)
    assert len(str(connection)) == 2 + 32


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("0x1234", "64 hex digits"),
        ("0x" + "g" * 64, "not hexadecimal"),
        ("", "64 hex digits"),
        ("0x" + "00" * 33, "64 hex digits"),
    ],
)
def test_identity_from_bad_hex_is_refused(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        Identity.from_hex(text)


def test_identity_needs_exactly_32_bytes():
    with pytest.raises(ValueError, match="32 bytes"):
        Identity(b"short")


def test_identity_is_immutable():
    john = Identity.random()
    with pytest.raises(AttributeError):
        john._bytes = bytes(32)  # type: ignore[misc]


# -- timestamps ------------------------------------------------------------


def test_timestamp_datetime_round_trip():
    moment = dt.datetime(2024, 2, 29, 12, 30, 15, 123456, tzinfo=dt.UTC)
    stamp = Timestamp.from_datetime(moment)
    assert stamp.to_datetime() == moment
    assert stamp.micros_since_unix_epoch == int(moment.timestamp()) * 10**6 + 123456


def test_timestamp_epoch_naive_and_other_zones():
    assert Timestamp.from_datetime(dt.datetime(1970, 1, 1)).micros_since_unix_epoch == 0
    paris = dt.timezone(dt.timedelta(hours=1))
    one_hour = Timestamp.from_datetime(dt.datetime(1970, 1, 1, 2, tzinfo=paris))
    assert one_hour.micros_since_unix_epoch == 3600 * 10**6


def test_timestamp_before_the_epoch():
    stamp = Timestamp.from_datetime(
        dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    )
    assert stamp.micros_since_unix_epoch == -(10**6)
    assert stamp.to_datetime().year == 1969


def test_timestamp_arithmetic_order_and_text():
    start = Timestamp(1_000_000)
    later = start + dt.timedelta(milliseconds=5)
    assert later.micros_since_unix_epoch == 1_005_000
    assert start < later
    assert str(start) == "1970-01-01T00:00:01Z"


def test_timestamp_now_is_close_to_the_clock():
    before = dt.datetime.now(dt.UTC)
    now = Timestamp.now().to_datetime()
    assert before <= now <= dt.datetime.now(dt.UTC)


# -- schedules ---------------------------------------------------------------


def test_schedule_at_text_round_trip():
    once = ScheduleAt.time(Timestamp(123))
    every = ScheduleAt.interval(dt.timedelta(milliseconds=20))
    assert every.every_micros == 20_000
    assert ScheduleAt.interval(0.5).every_micros == 500_000
    for schedule in (once, every):
        assert ScheduleAt.from_text(schedule.to_text()) == schedule


@pytest.mark.parametrize("every", [0, -1.0, dt.timedelta(0)])
def test_schedule_interval_must_be_positive(every):
    with pytest.raises(ValueError, match="positive"):
        ScheduleAt.interval(every)


# -- column types ------------------------------------------------------------


class Color(enum.Enum):
    RED = 1
    GREEN = 2


JOHN = Identity.random()
CONNECTION = ConnectionId.random()
MOMENT = Timestamp(1_700_000_000_000_001)
EVERY = ScheduleAt.interval(2.0)

# annotation, a good value, its JSON form, a value of the wrong type
KINDS = [
    (bool, True, True, 1),
    (int, -42, -42, 1.5),
    (float, 2.5, 2.5, "2.5"),
    (str, "Sara", "Sara", b"Sara"),
    (bytes, b"\x00\xff", "00ff", "00ff"),
    (Identity, JOHN, str(JOHN), str(JOHN)),
    (ConnectionId, CONNECTION, str(CONNECTION), JOHN),
    (Timestamp, MOMENT, 1_700_000_000_000_001, 1_700_000_000_000_001),
    (ScheduleAt, EVERY, "every:2000000", "every:2000000"),
    (Color, Color.GREEN, "GREEN", "GREEN"),
]


@pytest.mark.parametrize("annotation, value, data, wrong", KINDS)
def test_column_type_checks_and_converts(annotation, value, data, wrong):
    column = ColumnType.from_annotation(annotation)
    assert column.check(value) == value
    assert column.to_json(value) == data
    assert column.from_json(data) == value
    with pytest.raises(TypeError):
        column.check(wrong)
    with pytest.raises(TypeError):
        column.check(None)


@pytest.mark.parametrize("annotation, value, data, wrong", KINDS)
def test_optional_column_type_takes_none(annotation, value, data, wrong):
    column = ColumnType.from_annotation(annotation | None)
    assert column.optional
    assert column.check(None) is None
    assert column.to_json(None) is None
    assert column.from_json(None) is None
    assert column.from_json(data) == value
    assert column.name.endswith(" | None")


def test_int_column_refuses_bool_and_overflow_and_float_takes_int():
    number = ColumnType.from_annotation(int)
    with pytest.raises(TypeError, match="bool"):
        number.check(True)
    with pytest.raises(TypeError, match="64-bit"):
        number.check(2**63)
    assert number.check(2**63 - 1) == 2**63 - 1
    real = ColumnType.from_annotation(float)
    assert real.check(3) == 3.0 and type(real.check(3)) is float
    with pytest.raises(TypeError, match="bool"):
        real.check(False)


@pytest.mark.parametrize(
    "annotation, data",
    [(int, "7"), (bytes, "zz"), (Identity, "0x12"), (Color, "BLUE"), (Timestamp, "x")],
)
def test_column_type_from_bad_json_is_refused(annotation, data):
    with pytest.raises(TypeError, match="expected"):
        ColumnType.from_annotation(annotation).from_json(data)


def test_enum_column_is_stored_by_member_name():
    column = ColumnType.from_annotation(Color)
    assert column.duckdb_type() == "VARCHAR"
    assert column.to_db(Color.RED) == "RED"
    assert column.from_db("RED") is Color.RED
    assert column.describe()["variants"] == ["RED", "GREEN"]


def test_timestamp_column_round_trips_through_duckdb_values():
    column = ColumnType.from_annotation(Timestamp)
    assert column.from_db(column.to_db(MOMENT)) == MOMENT


@pytest.mark.parametrize("annotation", [list[int], dict, int | str, complex])
def test_unsupported_column_types_are_refused(annotation):
    with pytest.raises(SchemaError, match="unsupported column type"):
        ColumnType.from_annotation(annotation)


# -- table declarations ------------------------------------------------------


@pytest.mark.parametrize(
    "class_name, table_name",
    [
        ("Player", "player"),
        ("PlayerPosition", "player_position"),
        ("HTTPRequest", "http_request"),
        ("TickSchedule2", "tick_schedule2"),
    ],
)
def test_class_names_become_snake_case_table_names(class_name, table_name):
    assert snake_case(class_name) == table_name


def test_table_schema_from_a_class():
    @table(public=True)
    class PlayerScore:
        identity: PrimaryKey[Identity]
        nickname: Unique[str]
        points: int = 0

    schema = PlayerScore.__stdb_table__
    assert schema.name == "player_score"
    assert schema.public
    assert schema.primary_key.name == "identity"
    assert schema.column("nickname").unique
    assert schema.column("points").has_default
    assert PlayerScore(JOHN, "j").points == 0
    with pytest.raises(AttributeError):
        PlayerScore(JOHN, "j").points = 3  # rows are frozen


def test_table_name_can_be_given():
    @table(name="scores")
    class PlayerScore:
        points: int

    assert PlayerScore.__stdb_table__.name == "scores"
    assert not PlayerScore.__stdb_table__.public


@pytest.mark.parametrize("name", ["st_secret", "Scores", "two words", "1st"])
def test_bad_table_names_are_refused(name):
    with pytest.raises(SchemaError, match="table name"):

        @table(name=name)
        class Anything:
            points: int


def test_table_rows_round_trip_through_json():
    @table
    class Visit:
        who: PrimaryKey[Identity]
        at: Timestamp
        color: Color | None

    schema = Visit.__stdb_table__
    row = Visit(JOHN, MOMENT, None)
    assert schema.row_from_json(schema.row_to_json(row)) == row
    with pytest.raises(TypeError, match="missing column 'color'"):
        schema.row_from_json({"who": str(JOHN), "at": 1})
