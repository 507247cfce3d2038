"""A module whose client_connected can refuse connections."""

from stdblite import PrimaryKey, ReducerContext, ReducerError, reducer, table


@table(public=True)
class Visitor:
    """One row per connection that got in."""

    id: PrimaryKey[int]
    who: str


@table
class Door:
    """One row: whether new connections are let in."""

    id: PrimaryKey[int]
    is_open: bool


@reducer.init
def setup(ctx: ReducerContext) -> None:
    """The door starts open."""
    ctx.db.door.insert(Door(0, True))


@reducer.client_connected
def arrive(ctx: ReducerContext) -> None:
    """Let a visitor in only while the door is open."""
    door = ctx.db.door.id.find(0)
    if door is None or not door.is_open:
        raise ReducerError("the door is closed for the night")
    ctx.db.visitor.insert(Visitor(ctx.db.visitor.count(), str(ctx.sender)))


@reducer
def close_door(ctx: ReducerContext) -> None:
    """Refuse everyone who connects from now on."""
    ctx.db.door.id.update(Door(0, False))
