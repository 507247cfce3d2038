"""The subscription SQL subset: parsing, refusals, and Python/DuckDB agreement."""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stdblite.errors import PermissionDenied, QueryError, UnsupportedQuery
from stdblite.identity import ConnectionId, Identity, Timestamp
from stdblite.query import MAX_DEPTH, Query, compile_query
from stdblite.schema import PrimaryKey, ScheduleAt, TableSchema, table


class Color(enum.Enum):
    RED = 1
    GREEN = 2


@table(public=True)
class Thing:
    id: PrimaryKey[int]
    n: int | None
    f: float | None
    g: float
    s: str | None
    b: bool | None
    who: Identity
    conn: ConnectionId | None
    color: Color
    ts: Timestamp | None
    data: bytes


@table
class Secret:
    id: int


THING: TableSchema = Thing.__stdb_table__  # type: ignore[attr-defined]
TABLES = {"thing": THING, "secret": Secret.__stdb_table__}  # type: ignore[attr-defined]

IDS = [Identity(bytes([i]) * 32) for i in (1, 2, 3)]
CONNS = [ConnectionId(bytes([i]) * 16) for i in (7, 8)]
MOMENTS = [
    Timestamp.from_datetime(dt.datetime(2024, 1, 1, 12, 0, 0, 500)),
    Timestamp.from_datetime(dt.datetime(2025, 6, 30, 23, 59, 59)),
]


def thing(id: int, **values: Any) -> Any:
    defaults: dict[str, Any] = dict(
        n=None,
        f=None,
        g=0.0,
        s=None,
        b=None,
        who=IDS[0],
        conn=None,
        color=Color.RED,
        ts=None,
        data=b"\x00",
    )
    return Thing(id=id, **{**defaults, **values})


def compile_(sql: str, private: bool = False) -> Query:
    return compile_query(sql, TABLES, can_see_private=private)


def matching(sql: str, rows: Sequence[Any]) -> list[int]:
    query = compile_(sql)
    return [row.id for row in rows if query.matches(row)]


# --- DuckDB, to check that to_duckdb() selects what matches() accepts --------


@pytest.fixture(scope="module")
def conn() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def load(conn: duckdb.DuckDBPyConnection, rows: Sequence[Any]) -> None:
    columns = ", ".join(f'"{c.name}" {c.type.duckdb_type()}' for c in THING.columns)
    conn.execute(f"CREATE OR REPLACE TABLE thing ({columns})")
    marks = ", ".join("?" for _ in THING.columns)
    for row in rows:
        values = [c.type.to_db(getattr(row, c.name)) for c in THING.columns]
        conn.execute(f"INSERT INTO thing VALUES ({marks})", values)


def duckdb_ids(conn: duckdb.DuckDBPyConnection, query: Query) -> list[int]:
    sql, params = query.to_duckdb()
    return sorted(row[0] for row in conn.execute(sql, params).fetchall())


ROWS = [
    thing(1, n=1, f=1.5, g=1.5, s="a", b=True, who=IDS[0], color=Color.RED),
    thing(2, n=2, f=-2.0, g=3.0, s="it's", b=False, who=IDS[1], ts=MOMENTS[0]),
    thing(3, n=None, f=None, s=None, b=None, who=IDS[2], conn=CONNS[0]),
    thing(4, n=-5, f=math.nan, g=math.nan, s="Zed", b=True, color=Color.GREEN),
    thing(5, n=3, f=math.inf, g=-0.0, s="é", b=False, ts=MOMENTS[1], data=b"\xff"),
]


# --- accepted queries --------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM thing", [1, 2, 3, 4, 5]),
        ("select * from thing;", [1, 2, 3, 4, 5]),
        ("SeLeCt * FrOm thing WhErE n = 1", [1]),
        ("SELECT * FROM thing WHERE n != 1", [2, 4, 5]),
        ("SELECT * FROM thing WHERE n <> 1", [2, 4, 5]),
        ("SELECT * FROM thing WHERE n < 2", [1, 4]),
        ("SELECT * FROM thing WHERE n > 2", [5]),
        ("SELECT * FROM thing WHERE n <= 2", [1, 2, 4]),
        ("SELECT * FROM thing WHERE n >= 2", [2, 5]),
        ("SELECT * FROM thing WHERE 2 > n", [1, 4]),
        ("SELECT * FROM thing WHERE n = -5", [4]),
        ("SELECT * FROM thing WHERE n > 0 AND b", [1]),
        ("SELECT * FROM thing WHERE n = 1 OR n = 3", [1, 5]),
        ("SELECT * FROM thing WHERE n = 1 OR n = 2 AND b", [1]),
        ("SELECT * FROM thing WHERE (n = 1 OR n = 2) AND b = false", [2]),
        ("SELECT * FROM thing WHERE NOT b", [2, 5]),
        ("SELECT * FROM thing WHERE NOT NOT b", [1, 4]),
        ("SELECT * FROM thing WHERE b = TRUE", [1, 4]),
        ("SELECT * FROM thing WHERE TRUE", [1, 2, 3, 4, 5]),
        ("SELECT * FROM thing WHERE FALSE", []),
        ("SELECT * FROM thing WHERE s = 'it''s'", [2]),
        ("SELECT * FROM thing WHERE s < 'a'", [4]),
        ("SELECT * FROM thing WHERE s > 'z'", [5]),
        ("SELECT * FROM thing WHERE f = 1.5", [1]),
        ("SELECT * FROM thing WHERE f > 1", [1, 4, 5]),
        ("SELECT * FROM thing WHERE f < 1e10", [1, 2]),
        ("SELECT * FROM thing WHERE f >= -2", [1, 2, 4, 5]),
        ("SELECT * FROM thing WHERE g = f", [1, 4]),
        ("SELECT * FROM thing WHERE g < f", [5]),
        ("SELECT * FROM thing WHERE n IS NULL", [3]),
        ("SELECT * FROM thing WHERE n IS NOT NULL AND s IS NOT NULL", [1, 2, 4, 5]),
        ("SELECT * FROM thing WHERE color = 'GREEN'", [4]),
        ("SELECT * FROM thing WHERE color != 'GREEN'", [1, 2, 3, 5]),
        ("SELECT * FROM thing WHERE ts > '2024-06-01T00:00:00Z'", [5]),
        ("SELECT * FROM thing WHERE ts = '2024-01-01 12:00:00.000500'", [2]),
        ("SELECT * FROM thing WHERE data = 0xff", [5]),
        ("SELECT * FROM thing WHERE data < 0x01", [1, 2, 3, 4]),
        ('SELECT * FROM "thing" WHERE "n" = 1', [1]),
        ("SELECT * FROM THING WHERE N = 1", [1]),
        ("SELECT thing.* FROM thing WHERE thing.n = 1", [1]),
        ("SELECT t.* FROM thing AS t WHERE t.n = 2", [2]),
        ("SELECT * FROM thing t WHERE t.n = 3 OR n = 1", [1, 5]),
        ("  SELECT *\n FROM thing\n WHERE n=1 ; ", [1]),
    ],
)
def test_accepted_query_matches_rows(
    conn: duckdb.DuckDBPyConnection, sql: str, expected: list[int]
) -> None:
    assert matching(sql, ROWS) == expected
    load(conn, ROWS)
    assert duckdb_ids(conn, compile_(sql)) == expected


def test_query_keeps_its_text_and_table() -> None:
    query = compile_("select * from thing where n = 1")
    assert query.table == "thing"
    assert query.sql == "select * from thing where n = 1"
    assert query.schema is THING
    assert repr(query) == "Query('select * from thing where n = 1')"


def test_to_duckdb_quotes_names_and_passes_values_as_parameters() -> None:
    sql, params = compile_("SELECT * FROM thing WHERE s = 'x' AND n > 2").to_duckdb()
    columns = ", ".join(f'"{name}"' for name in THING.column_names)
    assert sql == f'SELECT {columns} FROM "thing" WHERE ("s" = ? AND "n" > ?)'
    assert params == ["x", 2]


def test_without_where_to_duckdb_has_no_parameters() -> None:
    sql, params = compile_("SELECT * FROM thing").to_duckdb()
    assert "WHERE" not in sql
    assert params == []


def test_int_literal_for_float_column_becomes_float() -> None:
    _, params = compile_("SELECT * FROM thing WHERE f = 2").to_duckdb()
    assert params == [2.0]
    assert type(params[0]) is float


def test_private_table_is_open_to_the_owner() -> None:
    assert compile_("SELECT * FROM secret", private=True).table == "secret"


# --- identities, connection ids, timestamps, enums: the values they become ---


@pytest.mark.parametrize(
    "literal",
    [
        "0x" + "02" * 32,
        "0X" + "02" * 32,
        "'0x" + "02" * 32 + "'",
        "'" + "02" * 32 + "'",
        "0x" + "02" * 32 + " ",
    ],
)
def test_identity_literal_forms(literal: str) -> None:
    query = compile_(f"SELECT * FROM thing WHERE who = {literal}")
    assert query.to_duckdb()[1] == [IDS[1].to_hex()]
    assert [r.id for r in ROWS if query.matches(r)] == [2]


def test_identity_literal_upper_case_hex_is_normalised() -> None:
    query = compile_("SELECT * FROM thing WHERE who = 0x" + "AB" * 32)
    assert query.to_duckdb()[1] == ["0x" + "ab" * 32]


def test_connection_id_literal() -> None:
    query = compile_(f"SELECT * FROM thing WHERE conn = {CONNS[0]}")
    assert [r.id for r in ROWS if query.matches(r)] == [3]
    assert query.to_duckdb()[1] == [CONNS[0].to_hex()]


def test_timestamp_literal_becomes_naive_utc_for_duckdb() -> None:
    query = compile_("SELECT * FROM thing WHERE ts < '2025-01-01T01:00:00+01:00'")
    assert query.to_duckdb()[1] == [dt.datetime(2025, 1, 1, 0, 0)]


def test_enum_literal_is_stored_by_name() -> None:
    assert compile_("SELECT * FROM thing WHERE color = 'RED'").to_duckdb()[1] == ["RED"]


# --- NULL follows SQL --------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM thing WHERE n = 1",
        "SELECT * FROM thing WHERE n != 1",
        "SELECT * FROM thing WHERE NOT (n = 1)",
        "SELECT * FROM thing WHERE NOT (n != 1)",
        "SELECT * FROM thing WHERE n < 100 OR n > -100",
        "SELECT * FROM thing WHERE NOT (n < 100 AND s = 'x')",
        "SELECT * FROM thing WHERE b",
        "SELECT * FROM thing WHERE NOT b",
        "SELECT * FROM thing WHERE n = id",
        "SELECT * FROM thing WHERE NOT (n = id)",
    ],
)
def test_null_column_never_matches(sql: str) -> None:
    null_row = thing(1)
    assert not compile_(sql).matches(null_row)


def test_unknown_or_true_is_true_and_unknown_and_false_is_false() -> None:
    null_row = thing(1, g=1.0)
    assert compile_("SELECT * FROM thing WHERE n = 1 OR g = 1").matches(null_row)
    negated = compile_("SELECT * FROM thing WHERE NOT (n = 1 AND g = 2)")
    assert negated.matches(null_row)


def test_is_null_and_is_not_null() -> None:
    assert compile_("SELECT * FROM thing WHERE s IS NULL").matches(thing(1))
    assert not compile_("SELECT * FROM thing WHERE s IS NOT NULL").matches(thing(1))
    assert compile_("SELECT * FROM thing WHERE s IS NOT NULL").matches(thing(1, s=""))


# --- refusals: class and message ----------------------------------------------

SHAPE = "only SELECT * FROM <table> [WHERE ...] is supported"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("", f"the query is empty; {SHAPE}"),
        ("DELETE FROM thing", f"{SHAPE}; got DELETE"),
        ("SELECT id FROM thing", f"{SHAPE}; got a column list"),
        ("SELECT id, n FROM thing", f"{SHAPE}; got a column list"),
        ("SELECT *, id FROM thing", f"{SHAPE}; got a column list"),
        ("SELECT count(*) FROM thing", f"{SHAPE}; got a column list"),
        ("SELECT * thing", f"expected FROM after SELECT *; {SHAPE}"),
        ("SELECT * FROM thing, secret", f"{SHAPE}; got a join"),
        ("SELECT * FROM thing JOIN secret ON true", f"{SHAPE}; got a join"),
        ("SELECT * FROM thing t LEFT JOIN secret", f"{SHAPE}; got a join"),
        ("SELECT * FROM thing ORDER BY n", f"{SHAPE}; got ORDER BY"),
        ("SELECT * FROM thing WHERE n = 1 ORDER BY n", f"{SHAPE}; got ORDER BY"),
        ("SELECT * FROM thing LIMIT 5", f"{SHAPE}; got LIMIT"),
        ("SELECT * FROM thing GROUP BY n", f"{SHAPE}; got GROUP BY"),
        ("SELECT * FROM thing UNION SELECT * FROM thing", f"{SHAPE}; got UNION"),
        ("SELECT * FROM (SELECT * FROM thing)", f"{SHAPE}; got a subquery"),
        (
            "SELECT * FROM thing WHERE (SELECT 1) = 1",
            f"{SHAPE}; got a subquery",
        ),
        ("SELECT * FROM thing; SELECT * FROM thing", f"{SHAPE}; got more than one"),
        ("SELECT * FROM thing;;", f"{SHAPE}; got more than one statement"),
        ("SELECT * FROM nothing", "no table named 'nothing'; tables you can"),
        ("SELECT * FROM thing WHERE x = 1", "table 'thing' has no column 'x'"),
        ("SELECT * FROM thing WHERE lower(s) = 'a'", "function calls (lower(...))"),
        ("SELECT * FROM thing WHERE s LIKE 'a%'", "LIKE is not supported"),
        ("SELECT * FROM thing WHERE n IN (1, 2)", "IN is not supported"),
        ("SELECT * FROM thing WHERE n BETWEEN 1 AND 2", "BETWEEN is not supported"),
        ("SELECT * FROM thing WHERE n + 1 = 2", "arithmetic (+) is not supported"),
        ("SELECT * FROM thing WHERE n = 1 - 2", "arithmetic (-) is not supported"),
        ("SELECT * FROM thing WHERE n = 2 * 3", "arithmetic (*) is not supported"),
        ("SELECT * FROM thing WHERE n = NULL", "use n IS NULL or n IS NOT NULL"),
        ("SELECT * FROM thing WHERE n IS 1", "IS must be followed by NULL"),
        ("SELECT * FROM thing WHERE 1 IS NULL", "needs a column on its left"),
        ("SELECT * FROM thing WHERE 1 = 1", "1 = 1 compares two values"),
        ("SELECT * FROM thing WHERE 'a'", "the string 'a' is not a condition"),
        ("SELECT * FROM thing WHERE n", "column 'n' (int | None) is not a"),
        ("SELECT * FROM thing WHERE", "expected a column or a value at position"),
        ("SELECT * FROM thing WHERE (n = 1", "expected ')' at position 32"),
        ("SELECT * FROM thing WHERE s = 'open", "unterminated string starting at"),
        ('SELECT * FROM "thing', "unterminated or empty quoted name"),
        ("SELECT * FROM thing WHERE n = 1 # x", "unexpected character '#'"),
        ("SELECT * FROM thing -- all of it", "comments are not supported"),
        ("SELECT * FROM thing WHERE n = 1 n", "unexpected n at position 32"),
        ("SELECT x.* FROM thing", "'x' in SELECT x.* does not name the table"),
        ("SELECT * FROM thing WHERE x.n = 1", "'x' does not name the table 'thing'"),
        ("SELECT * FROM thing AS WHERE", "expected a name, got WHERE"),
        ("SELECT * FROM thing WHERE b = 'yes'", "with the string 'yes': use true or"),
        ("SELECT * FROM thing WHERE b = 1", "with the int 1: use true or false"),
        ("SELECT * FROM thing WHERE n = 1.5", "the float 1.5: use an integer"),
        ("SELECT * FROM thing WHERE n = '1'", "the string '1': use an integer"),
        ("SELECT * FROM thing WHERE n = 9223372036854775808", "64-bit int"),
        ("SELECT * FROM thing WHERE f = 1" + "0" * 400, "too large for a float"),
        ("SELECT * FROM thing WHERE n = 1" + "0" * 5000, "is too long"),
        ("SELECT * FROM thing WHERE s = 1", "use a quoted string like 'text'"),
        ("SELECT * FROM thing WHERE who = 'bob'", "Identity needs 64 hex digits"),
        ("SELECT * FROM thing WHERE who = 0x12", "Identity needs 64 hex digits"),
        ("SELECT * FROM thing WHERE who = 12", "use 0x followed by 64 hex digits"),
        ("SELECT * FROM thing WHERE conn = 1", "use 0x followed by 32 hex digits"),
        ("SELECT * FROM thing WHERE ts > 'soon'", "use an ISO 8601 string"),
        ("SELECT * FROM thing WHERE ts > 5", "use an ISO 8601 string"),
        ("SELECT * FROM thing WHERE data = 0x123", "an even number of digits"),
        ("SELECT * FROM thing WHERE data = 'ab'", "use a hex literal like 0x00ff"),
        ("SELECT * FROM thing WHERE color = 'BLUE'", "use one of 'RED', 'GREEN'"),
        ("SELECT * FROM thing WHERE color < 'RED'", "compare it with = or != only"),
        ("SELECT * FROM thing WHERE n = f", "their types differ"),
        ("SELECT * FROM thing WHERE n = s", "their types differ"),
    ],
)
def test_refusal_names_the_problem(sql: str, message: str) -> None:
    with pytest.raises(UnsupportedQuery) as caught:
        compile_(sql)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_table_lists_only_what_the_asker_can_see() -> None:
    with pytest.raises(UnsupportedQuery, match=r"subscribe to: thing$"):
        compile_("SELECT * FROM nothing")
    with pytest.raises(UnsupportedQuery, match=r"subscribe to: secret, thing$"):
        compile_("SELECT * FROM nothing", private=True)


def test_private_table_is_refused_to_others() -> None:
    with pytest.raises(PermissionDenied) as caught:
        compile_("SELECT * FROM secret")
    assert str(caught.value) == (
        "table 'secret' is private: only the database owner can subscribe to it"
    )
    assert isinstance(caught.value, QueryError)


def test_unsupported_query_is_a_query_error() -> None:
    assert issubclass(UnsupportedQuery, QueryError)


def test_scheduled_column_cannot_be_filtered() -> None:
    @table(public=True, scheduled="tick")
    class Timer:
        id: PrimaryKey[int]
        scheduled_at: ScheduleAt

    tables = {"timer": Timer.__stdb_table__}  # type: ignore[attr-defined]
    with pytest.raises(UnsupportedQuery, match="queries cannot filter on it"):
        compile_query(
            "SELECT * FROM timer WHERE scheduled_at = 'x'", tables, can_see_private=True
        )


def test_nesting_is_bounded() -> None:
    deep_enough = "(" * MAX_DEPTH + "n = 1" + ")" * MAX_DEPTH
    assert compile_(f"SELECT * FROM thing WHERE {deep_enough}").matches(thing(1, n=1))
    too_deep = "NOT " * (MAX_DEPTH + 1) + "b"
    with pytest.raises(UnsupportedQuery, match="more than 32 deep"):
        compile_(f"SELECT * FROM thing WHERE {too_deep}")
    flood = "(" * 100_000
    with pytest.raises(UnsupportedQuery, match="more than 32 deep"):
        compile_(f"SELECT * FROM thing WHERE {flood}")


def test_long_and_chains_do_not_nest() -> None:
    chain = " AND ".join(["n = 1"] * 2000)
    query = compile_(f"SELECT * FROM thing WHERE {chain}")
    assert query.matches(thing(1, n=1))
    assert not query.matches(thing(1, n=2))


# --- property: matches() and to_duckdb() agree ---------------------------------

floats = st.sampled_from([0.0, -0.0, 1.5, -2.0, 1e300, math.inf, -math.inf, math.nan])
texts = st.text(alphabet="aZé' _", max_size=3)
rows = st.lists(
    st.builds(
        Thing,
        id=st.just(0),
        n=st.none() | st.integers(-3, 3) | st.integers(-(2**63), 2**63 - 1),
        f=st.none() | floats,
        g=floats,
        s=st.none() | texts,
        b=st.none() | st.booleans(),
        who=st.sampled_from(IDS),
        conn=st.none() | st.sampled_from(CONNS),
        color=st.sampled_from(Color),
        ts=st.none() | st.sampled_from(MOMENTS),
        data=st.sampled_from([b"\x00", b"\xff\x01", b"\x01"]),
    ),
    max_size=8,
).map(lambda found: [_renumber(row, i) for i, row in enumerate(found)])


def _renumber(row: Any, id: int) -> Any:
    values = {c.name: getattr(row, c.name) for c in THING.columns}
    return Thing(**{**values, "id": id})


OPS = st.sampled_from(["=", "!=", "<>", "<", ">", "<=", ">="])


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


comparisons = st.one_of(
    st.tuples(st.just("n"), OPS, st.integers(-4, 4).map(str)),
    st.tuples(st.just("id"), OPS, st.integers(-1, 8).map(str)),
    st.tuples(st.sampled_from(["f", "g"]), OPS, st.sampled_from(["0", "-2", "1.5"])),
    st.tuples(st.just("f"), OPS, st.sampled_from(["1e300", "-0.0", "1e999"])),
    st.tuples(st.just("s"), OPS, texts.map(_quoted)),
    st.tuples(st.just("b"), OPS, st.sampled_from(["true", "FALSE"])),
    st.tuples(st.just("who"), OPS, st.sampled_from([str(i) for i in IDS])),
    st.tuples(st.just("conn"), OPS, st.sampled_from([_quoted(str(CONNS[1]))])),
    st.tuples(st.just("color"), st.sampled_from(["=", "!="]), st.just("'RED'")),
    st.tuples(
        st.just("ts"), OPS, st.sampled_from(["'2024-06-01'", "'2025-06-30 23:59:59'"])
    ),
    st.tuples(st.just("data"), OPS, st.sampled_from(["0x01", "0xff"])),
    st.tuples(st.sampled_from(["n", "id"]), OPS, st.sampled_from(["n", "id"])),
    st.tuples(st.sampled_from(["f", "g"]), OPS, st.sampled_from(["f", "g"])),
).map(lambda parts: " ".join(parts))

flipped = st.tuples(st.integers(-4, 4), OPS).map(lambda p: f"{p[0]} {p[1]} n")
leaves = st.one_of(
    comparisons,
    flipped,
    st.sampled_from(["n", "f", "s", "b", "conn", "ts"]).flatmap(
        lambda c: st.sampled_from([f"{c} IS NULL", f"{c} IS NOT NULL"])
    ),
    st.sampled_from(["b", "TRUE", "false"]),
)
wheres = st.recursive(
    leaves,
    lambda inner: st.one_of(
        inner.map(lambda e: f"NOT ({e})"),
        st.tuples(inner, st.sampled_from(["AND", "OR", "and", "Or"]), inner).map(
            lambda p: f"({p[0]} {p[1]} {p[2]})"
        ),
    ),
    max_leaves=8,
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(found=rows, where=wheres)
def test_matches_agrees_with_duckdb(
    conn: duckdb.DuckDBPyConnection, found: list[Any], where: str
) -> None:
    query = compile_(f"SELECT * FROM thing WHERE {where}")
    load(conn, found)
    assert [r.id for r in found if query.matches(r)] == duckdb_ids(conn, query)
