"""Names the bindings cannot use, and the client's check of bindings at connect.

Schemas here are written as the JSON a server serves, so each test shows
the exact document that leads to the outcome.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import pytest

from stdblite.client.remote_schema import Bindings, read_schema
from stdblite.codegen import generate, plan, render
from stdblite.errors import ClientError, CodegenError
from stdblite.identity import Identity


def column(name: str, kind: str = "str", **flags: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "optional": False, **flags}


def table(name: str, *columns: dict[str, Any], public: bool = True) -> dict[str, Any]:
    return {"name": name, "public": public, "columns": list(columns)}


def reducer(name: str, *params: dict[str, Any], kind: str = "reducer") -> dict:
    return {"name": name, "kind": kind, "params": list(params)}


def schema(tables: list[dict], reducers: list[dict] | None = None) -> dict:
    return {"tables": tables, "reducers": reducers or []}


def colour(name: str, variants: list[str]) -> dict[str, Any]:
    return column(name, "enum", enum="Colour", variants=variants)


@pytest.mark.parametrize(
    ("description", "message"),
    [
        (
            schema([table("event_context", column("a"))]),
            "the row class of table event_context and a name the bindings use "
            "would both be called EventContext",
        ),
        (
            schema([table("player", column("a")), table("player_table", column("a"))]),
            "would both be called PlayerTable",
        ),
        (
            schema([table("t", colour("a", ["RED"]), colour("b", ["RED", "BLUE"]))]),
            "two enums are named Colour but have different members",
        ),
        (
            schema([table("none", column("a"))]),
            "would be called None, a Python keyword",
        ),
        (schema([], [reducer("say hello")]), "'say hello' cannot be a Python name"),
        (schema([], [reducer("__secret")]), "'__secret' starts with __"),
        (schema([table("t", colour("a", ["not-a-name"]))]), "member 'not-a-name'"),
        ({"tables": "nope"}, "cannot read the schema"),
    ],
)
def test_names_the_bindings_cannot_use_are_refused(
    description: dict, message: str, tmp_path: Any
) -> None:
    with pytest.raises(CodegenError, match=message.replace("(", r"\(")):
        generate(description, tmp_path / "bindings")
    assert not (tmp_path / "bindings").exists()


def test_a_module_with_nothing_public_still_makes_a_package() -> None:
    files = render(plan(schema([table("hidden", column("a"), public=False)])))
    assert "No table of this module is public" in files["tables.py"]
    assert "Hidden" not in files["tables.py"]
    for name, text in files.items():
        compile(text, name, "exec")


def test_rendering_twice_gives_the_same_text() -> None:
    description = schema(
        [table("item", column("id", "int", primary_key=True), colour("c", ["A"]))],
        [reducer("paint", colour("c", ["A"]))],
    )
    assert render(plan(description)) == render(plan(description))


# -- the client's check of generated classes against the server's schema ------


@dataclasses.dataclass(frozen=True)
class Player:
    identity: Identity
    username: str


class Colour(enum.Enum):
    RED = "RED"


PLAYER = table("player", column("identity", "identity"), column("username"))


def test_matching_bindings_give_their_own_classes() -> None:
    tinted = table("tinted", colour("c", ["RED"]))
    found = read_schema(
        schema([PLAYER, tinted]),
        bindings=Bindings({"player": Player}, {"Colour": Colour}),
    )
    assert found.tables["player"].row_type is Player
    assert found.tables["tinted"].column("c").type.enum_cls is Colour


@pytest.mark.parametrize(
    ("description", "message"),
    [
        (
            schema([table("player", column("identity", "identity"), column("name"))]),
            "another Player: table player now has (identity: Identity, name: str)",
        ),
        (
            schema([table("player", column("identity"), column("username"))]),
            "another Player: table player now has (identity: str, username: str)",
        ),
        (schema([table("other", column("a"))]), "table(s) player, which the database"),
        (
            schema([PLAYER, table("tinted", colour("c", ["RED", "BLUE"]))]),
            "another enum Colour: now (RED, BLUE)",
        ),
    ],
)
def test_bindings_of_another_version_fail_naming_the_difference(
    description: dict, message: str
) -> None:
    given = Bindings({"player": Player}, {"Colour": Colour})
    with pytest.raises(ClientError, match="run stdb generate again") as raised:
        read_schema(description, bindings=given)
    assert message in str(raised.value)
