"""A small shop for the engine tests: items, a private vault, stamps.

Reducers here insert, update and delete through every kind of handle,
and some fail on purpose, so the tests can check what survives.
"""

import dataclasses
import logging

from stdblite import (
    AutoInc,
    Identity,
    Index,
    PrimaryKey,
    ReducerContext,
    ReducerError,
    Unique,
    UniqueConstraintViolation,
    reducer,
    table,
)

log = logging.getLogger(__name__)

# What the look_up reducers saw, appended in order. Module state is not
# transactional; the tests read it through db.module.namespace["SEEN"].
SEEN: list[object] = []


@table(public=True)
class Item:
    id: PrimaryKey[AutoInc[int]]
    name: Unique[str]
    price: Index[int]
    weight: Index[float]


@table
class Vault:
    """Private: only the owner's SQL may read it."""

    key: PrimaryKey[str]
    secret: str


@table(public=True)
class Stamp:
    """What one transaction saw of its context."""

    id: PrimaryKey[AutoInc[int]]
    reducer: str
    micros: int
    draw: float
    sender: Identity
    has_connection: bool


def _stamp(ctx: ReducerContext, name: str) -> None:
    micros = ctx.timestamp.micros_since_unix_epoch
    has_connection = ctx.connection_id is not None
    ctx.db.stamp.insert(
        Stamp(0, name, micros, ctx.rng.random(), ctx.sender, has_connection)
    )


@reducer.init
def init(ctx: ReducerContext) -> None:
    ctx.db.vault.insert(Vault("combination", "1234"))
    _stamp(ctx, "init")


@reducer
def stamp(ctx: ReducerContext) -> None:
    _stamp(ctx, "stamp")


@reducer
def add_item(ctx: ReducerContext, name: str, price: int, weight: float) -> None:
    ctx.db.item.insert(Item(0, name, price, weight))


@reducer
def add_item_with_id(ctx: ReducerContext, item_id: int, name: str) -> None:
    ctx.db.item.insert(Item(item_id, name, 0, 0.0))


@reducer
def try_add_item(ctx: ReducerContext, name: str) -> None:
    if ctx.db.item.try_insert(Item(0, name, 0, 0.0)) is None:
        log.info("%s is already on the shelf", name)


@reducer
def set_price(ctx: ReducerContext, name: str, price: int) -> None:
    item = ctx.db.item.name.find(name)
    if item is None:
        raise ReducerError(f"no item {name!r}")
    ctx.db.item.id.update(dataclasses.replace(item, price=price))


@reducer
def bump(ctx: ReducerContext, name: str) -> None:
    """Read, then write: lost updates would show under concurrency."""
    item = ctx.db.item.name.find(name)
    if item is None:
        raise ReducerError(f"no item {name!r}")
    ctx.db.item.id.update(dataclasses.replace(item, price=item.price + 1))


@reducer
def rename(ctx: ReducerContext, old: str, new: str) -> None:
    item = ctx.db.item.name.find(old)
    if item is None:
        raise ReducerError(f"no item {old!r}")
    ctx.db.item.id.update(dataclasses.replace(item, name=new))


@reducer
def remove_item(ctx: ReducerContext, name: str) -> None:
    if not ctx.db.item.name.delete(name):
        raise ReducerError(f"no item {name!r}")


@reducer
def remove_exact(ctx: ReducerContext, item_id: int, name: str) -> None:
    """Delete by row value: only a row equal in every column goes."""
    found = ctx.db.item.id.find(item_id)
    if found is None or not ctx.db.item.delete(dataclasses.replace(found, name=name)):
        raise ReducerError("no such row")


@reducer
def churn_then_fail(ctx: ReducerContext, how: str) -> None:
    """Insert, update and delete, then fail the way ``how`` says."""
    ctx.db.item.insert(Item(0, "plum", 7, 0.5))
    apple = ctx.db.item.name.find("apple")
    assert apple is not None
    ctx.db.item.id.update(dataclasses.replace(apple, price=99, weight=9.0))
    ctx.db.item.name.delete("pear")
    ctx.db.vault.insert(Vault("spare", "key"))
    log.info("churned, now failing by %s", how)
    if how == "refuse":
        raise ReducerError("changed my mind")
    if how == "crash":
        raise ValueError("the shelf collapsed")
    if how == "duplicate":
        ctx.db.item.insert(Item(0, "apple", 1, 1.0))


@reducer
def stock_pair(ctx: ReducerContext, first: str, second: str) -> None:
    """Insert two items; if the second name is taken, suffix it."""
    ctx.db.item.insert(Item(0, first, 1, 1.0))
    try:
        ctx.db.item.insert(Item(0, second, 2, 2.0))
    except UniqueConstraintViolation:
        ctx.db.item.insert(Item(0, f"{second}-2", 2, 2.0))


@reducer
def look_up(ctx: ReducerContext, name: str, price: int) -> None:
    found = ctx.db.item.name.find(name)
    SEEN.append(
        {
            "find": None if found is None else found.name,
            "price": sorted(i.name for i in ctx.db.item.price.filter(price)),
            "count": ctx.db.item.count(),
        }
    )


@reducer
def look_up_ranges(ctx: ReducerContext, low: int, high: int, heavy: float) -> None:
    SEEN.append(
        {
            "range": sorted(i.name for i in ctx.db.item.price.filter(range(low, high))),
            "slice": sorted(
                i.name for i in ctx.db.item.weight.filter(slice(None, heavy))
            ),
        }
    )


@reducer
def reprice_and_look(ctx: ReducerContext, name: str, price: int) -> None:
    """A transaction sees its own writes through find and filter."""
    set_price(ctx, name, price)
    ctx.db.item.insert(Item(0, f"{name}-new", price, 0.0))
    look_up(ctx, name, price)
