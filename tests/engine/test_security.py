"""What the engine refuses: SQL escapes, hidden tables, broken modules,
wrong calls and unsafe migrations; and databases that must not mix."""

from __future__ import annotations

import textwrap

import duckdb
import pytest

from stdblite import (
    ArgumentError,
    Database,
    Identity,
    MigrationError,
    ModuleLoadError,
    NoSuchReducer,
    PermissionDenied,
    QueryError,
)
from stdblite.errors import DatabaseClosed


@pytest.fixture
def shop(open_db) -> Database:
    db = open_db("shop")
    db.call("add_item", "apple", 3, 0.2)
    return db


@pytest.fixture
def stranger() -> Identity:
    return Identity.random()


# -- SQL that would escape -------------------------------------------------

ESCAPES = [
    ("SELECT * FROM read_csv('/etc/passwd')", PermissionDenied, "read_csv"),
    ("SELECT * FROM read_text('/etc/passwd')", PermissionDenied, "read_text"),
    ("SELECT * FROM read_parquet('/etc/passwd')", PermissionDenied, "read_parquet"),
    ("SELECT * FROM '/etc/passwd'", PermissionDenied, "/etc/passwd"),
    ("SELECT * FROM glob('/etc/*')", PermissionDenied, "glob"),
    ("INSTALL httpfs", PermissionDenied, "not allowed"),
    ("LOAD httpfs", PermissionDenied, "not allowed"),
    ("SET threads = 1", PermissionDenied, "not allowed"),
    ("SET enable_external_access = true", PermissionDenied, "not allowed"),
    ("SET lock_configuration = false", PermissionDenied, "not allowed"),
    ("PRAGMA threads = 1", PermissionDenied, "not allowed"),
    ("RESET threads", PermissionDenied, "not allowed"),
    ("SELECT * FROM query_table('vault')", PermissionDenied, "query_table"),
    ("SELECT * FROM query('SELECT * FROM vault')", PermissionDenied, "query"),
    ("SELECT * FROM duckdb_settings()", PermissionDenied, "duckdb_settings"),
    ("SELECT current_setting('threads')", PermissionDenied, "current_setting"),
    ("SELECT getenv('HOME')", PermissionDenied, "getenv"),
    ("SELECT nextval('some_sequence')", PermissionDenied, "nextval"),
    ("SELECT 1; SELECT 2", QueryError, "one SQL statement"),
    ("SELECT 1; DROP TABLE item", QueryError, "one SQL statement"),
]

WRITES = [
    "INSERT INTO item VALUES (9, 'fig', 1, 1.0)",
    "UPDATE item SET price = 0",
    "DELETE FROM item",
    "CREATE TABLE extra (a INTEGER)",
    "DROP TABLE item",
]


@pytest.mark.parametrize("as_owner", [True, False], ids=["owner", "stranger"])
@pytest.mark.parametrize("query, error, fragment", ESCAPES)
def test_sql_escapes_are_refused(shop, stranger, as_owner, query, error, fragment):
    asker = None if as_owner else stranger
    with pytest.raises(error, match=fragment):
        shop.sql(query, as_identity=asker)


@pytest.mark.parametrize("query", WRITES)
def test_sql_writes_are_refused_with_a_pointer_to_reducers(shop, query):
    with pytest.raises(PermissionDenied, match="reducer"):
        shop.sql(query)
    assert [row.name for row in shop.rows("item")] == ["apple"]
    assert shop.sql("SELECT name FROM item").rows == [("apple",)]


def test_copy_to_a_file_is_refused_and_writes_nothing(shop, tmp_path):
    target = tmp_path / "out.csv"
    for query in (
        f"COPY item TO '{target}'",
        f"COPY (SELECT * FROM vault) TO '{target}'",
    ):
        with pytest.raises(PermissionDenied, match="COPY"):
            shop.sql(query)
    assert not target.exists()


def test_attach_is_refused_and_creates_nothing(shop, tmp_path):
    target = tmp_path / "other.duckdb"
    with pytest.raises(PermissionDenied, match="ATTACH"):
        shop.sql(f"ATTACH '{target}' AS other")
    assert not target.exists()


def test_a_refused_query_is_not_a_duckdb_error(shop):
    with pytest.raises(QueryError) as raised:
        shop.sql("SELECT * FROM no_such_table")
    assert not isinstance(raised.value, duckdb.Error)


# -- who sees which table --------------------------------------------------

HIDDEN = [
    "SELECT * FROM vault",
    "SELECT * FROM st_transaction",
    "SELECT * FROM st_client",
    "SELECT * FROM st_module",
    "SELECT * FROM main.vault",
    "WITH v AS (SELECT * FROM vault) SELECT * FROM v",
    "WITH t AS (SELECT * FROM st_transaction) SELECT count(*) FROM t",
    "SELECT * FROM (SELECT * FROM vault) AS v",
    "SELECT (SELECT secret FROM vault LIMIT 1)",
    "SELECT name FROM item WHERE name IN (SELECT key FROM vault)",
    "SELECT name FROM item UNION ALL SELECT secret FROM vault",
    "SELECT * FROM item JOIN st_client ON true",
    "SELECT * FROM item WHERE EXISTS (SELECT 1 FROM vault)",
    "SELECT * FROM item, LATERAL (SELECT * FROM vault)",
    "SELECT list_transform([1], x -> (SELECT secret FROM vault))",
    "FROM vault SELECT *",
    "UNPIVOT vault ON secret INTO NAME k VALUE v",
    "DESCRIBE vault",
    "SELECT * FROM (SUMMARIZE vault)",
    # A CTE named like the hidden table whose body reads the real table.
    "WITH vault AS (SELECT * FROM vault) SELECT * FROM vault",
    "WITH v AS (SELECT * FROM vault), vault AS (SELECT 1) SELECT * FROM v",
    "WITH st_client AS (SELECT * FROM st_client) SELECT * FROM st_client",
]


@pytest.mark.parametrize("query", HIDDEN)
def test_a_stranger_cannot_read_private_or_system_tables(shop, stranger, query):
    with pytest.raises(PermissionDenied, match=r"visible|owner"):
        shop.sql(query, as_identity=stranger)


def test_the_owner_reads_private_and_system_tables(shop):
    assert shop.sql("SELECT secret FROM vault").rows == [("1234",)]
    assert shop.sql("SELECT * FROM vault", as_identity=shop.owner).rows
    reducers = shop.sql("SELECT reducer FROM st_transaction ORDER BY tx_id")
    assert [row[0] for row in reducers] == ["init", "add_item"]


def test_a_stranger_reads_public_tables(shop, stranger):
    result = shop.sql("SELECT name, price FROM item", as_identity=stranger)
    assert result.rows == [("apple", 3)]
    assert result.columns == ["name", "price"]


def test_a_cte_that_shadows_nothing_hidden_is_fine(shop, stranger):
    query = "WITH cheap AS (SELECT * FROM item WHERE price < 5) SELECT name FROM cheap"
    assert shop.sql(query, as_identity=stranger).rows == [("apple",)]


# -- modules that cannot load ----------------------------------------------

HEADER = """\
from stdblite import PrimaryKey, ReducerContext, ScheduleAt, reducer, table
"""

BROKEN = {
    "syntax": (
        "x = 1\ny = 2\ndef broken(:\n    pass\n",
        [r"syntax error", r"line 3"],
    ),
    "two primary keys": (
        HEADER
        + "@table\nclass Pair:\n    a: PrimaryKey[int]\n    b: PrimaryKey[int]\n",
        [r"pair has 2 primary keys", r"a, b"],
    ),
    "list column": (
        HEADER + "@table\nclass Bag:\n    things: list[int]\n",
        [r"column things", r"unsupported column type list"],
    ),
    "dict column": (
        HEADER + "@table\nclass Bag:\n    things: dict\n",
        [r"column things", r"unsupported column type dict"],
    ),
    "reducer without ctx": (
        HEADER + "@reducer\ndef add(x: int) -> None:\n    pass\n",
        [r"reducer add", r"ctx: ReducerContext"],
    ),
    "reducer without parameters": (
        HEADER + "@reducer\ndef add() -> None:\n    pass\n",
        [r"reducer add", r"ctx: ReducerContext"],
    ),
    "scheduled reducer without its row": (
        HEADER
        + textwrap.dedent(
            """
            @table(scheduled="run_job")
            class Job:
                id: PrimaryKey[int]
                scheduled_at: ScheduleAt

            @reducer
            def run_job(ctx: ReducerContext) -> None:
                pass
            """
        ),
        [r"table job", r"run_job", r"row: Job"],
    ),
    "scheduled reducer missing": (
        HEADER
        + textwrap.dedent(
            """
            @table(scheduled="run_job")
            class Job:
                id: PrimaryKey[int]
                scheduled_at: ScheduleAt
            """
        ),
        [r"table job", r"run_job"],
    ),
    "scheduled table without scheduled_at": (
        HEADER
        + textwrap.dedent(
            """
            @table(scheduled="run_job")
            class Job:
                id: PrimaryKey[int]
            """
        ),
        [r"scheduled table job", r"scheduled_at"],
    ),
}


@pytest.mark.parametrize("problem", BROKEN)
def test_a_broken_module_is_refused_naming_the_problem(open_db, tmp_path, problem):
    source, fragments = BROKEN[problem]
    path = tmp_path / "module.py"
    path.write_text(source)

    with pytest.raises(ModuleLoadError) as raised:
        open_db(path)

    message = str(raised.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_a_missing_module_file_is_refused(open_db, tmp_path):
    with pytest.raises(ModuleLoadError, match="cannot read module"):
        open_db(tmp_path / "nowhere.py")


# -- wrong calls change nothing --------------------------------------------

SIGNATURE = "add_item(name: str, price: int, weight: float)"
WRONG_CALLS = [
    ("add_item", ("fig", 1), ArgumentError, [SIGNATURE, "takes 3", "got 2"]),
    ("add_item", ("fig", 1, 1.0, 4), ArgumentError, [SIGNATURE, "got 4"]),
    ("add_item", ("fig", "1", 1.0), ArgumentError, [SIGNATURE, "'price'", "str"]),
    ("add_item", ("fig", True, 1.0), ArgumentError, [SIGNATURE, "'price'", "bool"]),
    ("add_item", ("fig", 2**63, 1.0), ArgumentError, ["'price'", "64-bit"]),
    ("add_item", ("fig", -(2**63) - 1, 1.0), ArgumentError, ["64-bit"]),
    ("add_item", (None, 1, 1.0), ArgumentError, ["'name'", "None"]),
    ("add_item", ("fig", 1, "heavy"), ArgumentError, ["'weight'", "float"]),
    ("steal", (), NoSuchReducer, ["no reducer 'steal'", "add_item"]),
    ("init", (), NoSuchReducer, ["no reducer 'init'"]),
]


@pytest.mark.parametrize("name, args, error, fragments", WRONG_CALLS)
def test_a_wrong_call_is_refused_and_changes_nothing(
    shop, name, args, error, fragments
):
    rows, history, stats = shop.rows("item"), len(shop.history()), shop.stats()

    with pytest.raises(error) as raised:
        shop.call(name, *args)

    for fragment in fragments:
        assert fragment in str(raised.value)
    assert shop.rows("item") == rows
    assert len(shop.history()) == history
    assert shop.stats() == stats


def test_wrong_json_arguments_are_refused(shop):
    with pytest.raises(ArgumentError, match="'price'"):
        shop.submit("add_item", ["fig", "1", 1.0], from_json=True)
    assert len(shop.history()) == 2


def test_the_widest_64_bit_ints_are_accepted_and_stored(shop):
    shop.call("add_item", "dear", 2**63 - 1, 1.0)
    shop.call("add_item", "cheap", -(2**63), 1.0)
    prices = dict(shop.sql("SELECT name, price FROM item").rows)
    assert prices["dear"] == 2**63 - 1 and prices["cheap"] == -(2**63)


# -- migrations ------------------------------------------------------------


@pytest.fixture
def notes_file(open_db, tmp_path):
    """A file database made by notes_v1, holding three notes, closed."""
    path = tmp_path / "notes.duckdb"
    db = open_db("notes_v1", path)
    db.call("add_note", "first")
    db.call("add_note", "second")
    db.close()
    return path


def note_texts(db: Database) -> list[str]:
    return [row.text for row in sorted(db.rows("note"), key=lambda r: r.id)]


def test_adding_a_table_and_a_column_with_a_default_keeps_data(open_db, notes_file):
    db = open_db("notes_v2", notes_file)

    # init does not run again: the welcome note is there once.
    assert note_texts(db) == ["welcome", "first", "second"]
    assert {row.pinned for row in db.rows("note")} == {False}
    db.call("pin_note", "third")
    db.call("add_tag", "todo")
    assert [row.name for row in db.rows("tag")] == ["todo"]
    pinned = db.sql("SELECT text FROM note WHERE pinned").rows
    assert pinned == [("third",)]


def test_history_from_before_a_migration_replays_with_defaults(open_db, notes_file):
    db = open_db("notes_v2", notes_file)
    second = db.history()[2]
    assert second.reducer == "add_note"
    past = db.at(second.tx_id)
    assert [(r.text, r.pinned) for r in past.rows("note")] == [
        ("welcome", False),
        ("first", False),
        ("second", False),
    ]


@pytest.mark.parametrize(
    "module, change",
    [
        ("notes_dropped", "column note.text was removed"),
        ("notes_retyped", "column note.text changed type"),
    ],
)
def test_a_change_data_cannot_follow_is_refused(open_db, notes_file, module, change):
    with pytest.raises(MigrationError, match=change):
        open_db(module, notes_file)

    db = open_db("notes_v1", notes_file)
    assert note_texts(db) == ["welcome", "first", "second"]


def test_removing_a_table_is_refused(open_db, notes_file):
    open_db("notes_v2", notes_file).close()
    with pytest.raises(MigrationError, match="table tag was removed"):
        open_db("notes_v1", notes_file)


def test_delete_data_wipes_and_runs_init_again(open_db, notes_file):
    db = open_db("notes_retyped", notes_file, delete_data=True)
    assert [row.text for row in db.rows("note")] == [42]
    assert [tx.reducer for tx in db.history()] == ["init"]
    db.close()

    db = open_db("notes_retyped", notes_file)
    assert [row.text for row in db.rows("note")] == [42]


# -- a closed database ----------------------------------------------------


def test_a_closed_database_refuses_calls_and_queries(open_db):
    db = open_db("shop")
    db.close()
    db.close()  # closing twice is harmless
    with pytest.raises(DatabaseClosed):
        db.call("stamp")
    with pytest.raises(DatabaseClosed):
        db.sql("SELECT * FROM item")
    with pytest.raises(DatabaseClosed):
        db.connect(Identity.random())


# -- databases side by side ------------------------------------------------


def test_two_databases_with_different_modules_live_side_by_side(open_db):
    shop, greeter = open_db("shop"), open_db("greeter")
    shop.call("add_item", "apple", 3, 0.2)
    greeter.call("greet", "hello")

    # Both modules have a table named item, in different shapes.
    assert [row.name for row in shop.rows("item")] == ["apple"]
    assert [row.word for row in greeter.rows("item")] == ["hello"]
    assert greeter.sql("SELECT * FROM item").rows == [("hello",)]
    with pytest.raises(NoSuchReducer):
        shop.call("greet", "hello")
    assert any("greeting hello" in line.message for line in greeter.logs())
    assert not any("greeting" in line.message for line in shop.logs())


def test_two_copies_of_one_module_share_no_state(open_db):
    first, second = open_db("shop"), open_db("shop")
    first.call("add_item", "apple", 3, 0.2)
    first.call("look_up", "apple", 3)

    assert second.rows("item") == []
    assert first.module.namespace["SEEN"] != []
    assert second.module.namespace["SEEN"] == []
