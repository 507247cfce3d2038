"""A workshop for the codegen tests: every rule the bindings' names follow.

- ``Item`` uses every column type, an optional enum, a unique and two
  indexed columns, one of them named ``count`` like a table method;
- ``Lesson`` is stored as ``class``, a Python keyword, and has no
  primary key (so no ``on_update``);
- ``Secret`` is private and no reducer takes it: no row class;
- ``Draft`` is private, but ``submit`` takes one: a row class, no handle;
- ``tick`` is scheduled and the lifecycle reducers are the server's:
  no methods;
- ``import`` is a keyword, ``paint`` takes a ``callback`` argument, and
  ``ping_then`` is both a reducer and the name of ``ping``'s then-form.
"""

import enum
from typing import Any

from stdblite import (
    AutoInc,
    ConnectionId,
    Identity,
    Index,
    PrimaryKey,
    ReducerContext,
    ScheduleAt,
    Timestamp,
    Unique,
    reducer,
    table,
)


class Color(enum.Enum):
    RED = 1
    GREEN = 2


@table(public=True)
class Item:
    item_id: PrimaryKey[AutoInc[int]]
    name: Unique[str]
    price: Index[float]
    count: Index[int]
    color: Color | None
    owner: Identity
    made: Timestamp
    data: bytes
    via: ConnectionId | None


@table(name="class", public=True)
class Lesson:
    title: str
    painted: str | None


@table
class Secret:
    note: str


@table
class Draft:
    text: str


@table(scheduled="tick")
class TickSchedule:
    scheduled_id: PrimaryKey[AutoInc[int]]
    scheduled_at: ScheduleAt


def lessons(ctx: ReducerContext) -> Any:
    """The ``class`` table: a keyword, so reached with ``getattr``."""
    return getattr(ctx.db, "class")


@reducer.client_connected
def hello(ctx: ReducerContext) -> None:
    """Lifecycle: only the server calls it."""


@reducer
def tick(ctx: ReducerContext, row: TickSchedule) -> None:
    """Scheduled: only the server calls it."""


@reducer
def add_item(
    ctx: ReducerContext, name: str, price: float, count: int, color: Color | None
) -> None:
    """A new item, owned by the caller."""
    ctx.db.item.insert(
        Item(0, name, price, count, color, ctx.sender, ctx.timestamp, b"\x00", None)
    )


@reducer
def submit(ctx: ReducerContext, draft: Draft) -> None:
    """A private row as an argument: it becomes a lesson."""
    lessons(ctx).insert(Lesson(draft.text, None))


@reducer
def paint(ctx: ReducerContext, title: str, callback: str) -> None:
    """An argument named like the then-form's callback."""
    lessons(ctx).insert(Lesson(title, callback))


@reducer(name="import")
def import_everything(ctx: ReducerContext) -> None:
    """A reducer named like a Python keyword."""
    lessons(ctx).insert(Lesson("imported", None))


@reducer
def ping(ctx: ReducerContext) -> None:
    """Its then-form's name belongs to the next reducer."""


@reducer
def ping_then(ctx: ReducerContext) -> None:
    """A reducer that the dynamic client also gives precedence."""
