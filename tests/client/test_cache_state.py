"""The client cache's bookkeeping on its own: updates, holders, differences."""

from __future__ import annotations

from typing import Any

from stdblite.client.cache import CacheState, Change
from stdblite.schema import PrimaryKey, TableSchema, table


@table(public=True)
class Ball:
    id: PrimaryKey[int]
    colour: str


@table(public=True)
class Pair:
    left: int
    right: int


BALL: TableSchema = Ball.__stdb_table__  # type: ignore[attr-defined]
PAIR: TableSchema = Pair.__stdb_table__  # type: ignore[attr-defined]


def held_by(*sets: int) -> Any:
    """A holders function: every row is held by these query sets."""
    return lambda table, row: set(sets)


def state_with(*balls: Ball, set_id: int = 1) -> CacheState:
    """A cache state holding these balls for one query set."""
    state = CacheState([BALL, PAIR])
    state.add_rows(set_id, "ball", balls)
    return state


def test_a_delete_and_insert_of_one_key_is_an_update() -> None:
    state = state_with(Ball(1, "red"), Ball(2, "blue"))
    changes = state.apply(
        "ball",
        [Ball(1, "red"), Ball(2, "blue")],
        [Ball(1, "green"), Ball(3, "pink")],
        held_by(1),
    )
    assert changes == [
        Change("ball", Ball(2, "blue"), None),
        Change("ball", Ball(1, "red"), Ball(1, "green")),
        Change("ball", None, Ball(3, "pink")),
    ]
    assert sorted(b.id for b in state.rows("ball")) == [1, 3]


def test_a_row_rewritten_unchanged_is_still_an_update_with_a_key() -> None:
    state = state_with(Ball(1, "red"))
    changes = state.apply("ball", [Ball(1, "red")], [Ball(1, "red")], held_by(1))
    assert changes == [Change("ball", Ball(1, "red"), Ball(1, "red"))]


def test_a_set_table_nets_out_a_row_deleted_and_inserted() -> None:
    state = CacheState([BALL, PAIR])
    state.add_rows(1, "pair", [Pair(1, 2)])
    assert state.apply("pair", [Pair(1, 2)], [Pair(1, 2)], held_by(1)) == []
    assert state.apply("pair", [Pair(1, 2)], [Pair(2, 1)], held_by(1)) == [
        Change("pair", Pair(1, 2), None),
        Change("pair", None, Pair(2, 1)),
    ]


def test_a_row_leaves_with_the_last_query_set_that_holds_it() -> None:
    state = state_with(Ball(1, "red"), Ball(2, "blue"), set_id=1)
    assert state.add_rows(2, "ball", [Ball(2, "blue"), Ball(3, "pink")]) == [
        Change("ball", None, Ball(3, "pink"))
    ]
    assert state.drop_set(1) == [Change("ball", Ball(1, "red"), None)]
    assert sorted(state.drop_set(2), key=repr) == [
        Change("ball", Ball(2, "blue"), None),
        Change("ball", Ball(3, "pink"), None),
    ]
    assert state.drop_set(2) == []


def test_the_difference_holds_only_real_changes() -> None:
    before = state_with(Ball(1, "red"), Ball(2, "blue"), Ball(3, "pink"))
    after = state_with(Ball(1, "red"), Ball(2, "green"), Ball(4, "gold"))
    assert sorted(before.diff(after), key=repr) == sorted(
        [
            Change("ball", Ball(3, "pink"), None),
            Change("ball", Ball(2, "blue"), Ball(2, "green")),
            Change("ball", None, Ball(4, "gold")),
        ],
        key=repr,
    )
    assert before.diff(state_with(*before.rows("ball"))) == []


def test_lookups_follow_updates() -> None:
    state = state_with(Ball(1, "red"))
    state.apply("ball", [Ball(1, "red")], [Ball(1, "blue")], held_by(1))
    assert state.tables["ball"].find("id", 1) == Ball(1, "blue")
    assert state.tables["ball"].find("id", 2) is None
