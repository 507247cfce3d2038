"""A tiny warehouse for the property tests: stock keeping units by sku.

Several reducers fail by design (ReducerError for bad requests, a unique
violation for a duplicate sku), so random call sequences exercise both
commits and rollbacks.
"""

import dataclasses

from stdblite import (
    AutoInc,
    Index,
    PrimaryKey,
    ReducerContext,
    ReducerError,
    Unique,
    reducer,
    table,
)


@table(public=True)
class Stock:
    id: PrimaryKey[AutoInc[int]]
    sku: Unique[str]
    qty: Index[int]


def _existing(ctx: ReducerContext, sku: str) -> Stock:
    row = ctx.db.stock.sku.find(sku)
    if row is None:
        raise ReducerError(f"no stock of {sku!r}")
    return row


@reducer
def receive(ctx: ReducerContext, sku: str, qty: int) -> None:
    """A new sku; a duplicate is an uncaught unique violation."""
    if qty <= 0:
        raise ReducerError("qty must be positive")
    ctx.db.stock.insert(Stock(0, sku, qty))


@reducer
def restock(ctx: ReducerContext, sku: str, qty: int) -> None:
    row = _existing(ctx, sku)
    ctx.db.stock.id.update(dataclasses.replace(row, qty=row.qty + qty))
    if row.qty + qty <= 0:
        raise ReducerError("stock cannot drop to zero or below")


@reducer
def ship(ctx: ReducerContext, sku: str, qty: int) -> None:
    """Take qty out; the row goes when the last unit ships."""
    row = _existing(ctx, sku)
    if not 0 < qty <= row.qty:
        raise ReducerError(f"cannot ship {qty} of {row.qty}")
    if qty == row.qty:
        ctx.db.stock.delete(row)
    else:
        ctx.db.stock.id.update(dataclasses.replace(row, qty=row.qty - qty))


@reducer
def relabel(ctx: ReducerContext, sku: str, new_sku: str) -> None:
    row = _existing(ctx, sku)
    ctx.db.stock.id.update(dataclasses.replace(row, sku=new_sku))


@reducer
def clear_below(ctx: ReducerContext, limit: int) -> None:
    """Delete every row with qty in [0, limit), found through the index."""
    for row in list(ctx.db.stock.qty.filter(range(0, limit))):
        ctx.db.stock.delete(row)


@reducer
def receive_or_add(ctx: ReducerContext, sku: str, qty: int) -> None:
    """Insert, or on a taken sku add to the existing row."""
    if qty <= 0:
        raise ReducerError("qty must be positive")
    if ctx.db.stock.try_insert(Stock(0, sku, qty)) is None:
        row = _existing(ctx, sku)
        ctx.db.stock.id.update(dataclasses.replace(row, qty=row.qty + qty))
