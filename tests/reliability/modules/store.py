"""A key-value store for the fuzz test: one reducer that changes data.

``put`` refuses negative values, so the fuzzer meets a reducer that says
no as well as one that commits.
"""

from stdblite import PrimaryKey, ReducerContext, ReducerError, reducer, table


@table(public=True)
class Item:
    key: PrimaryKey[str]
    value: int


@table
class Secret:
    key: PrimaryKey[str]
    value: str


@reducer
def put(ctx: ReducerContext, key: str, value: int) -> None:
    """Set ``key`` to ``value``; values must not be negative."""
    if value < 0:
        raise ReducerError("value must not be negative")
    found = ctx.db.item.key.find(key)
    if found is not None:
        ctx.db.item.key.delete(key)
    ctx.db.item.insert(Item(key, value))
