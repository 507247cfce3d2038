"""A ledger for the crash test: every call writes two rows that belong together.

``record`` inserts an entry and its receipt in one transaction, so after
any crash either both rows of a call are there or neither is.
"""

from stdblite import PrimaryKey, ReducerContext, reducer, table


@table(public=True)
class Entry:
    id: PrimaryKey[int]
    writer: int
    amount: int


@table(public=True)
class Receipt:
    id: PrimaryKey[int]
    checksum: int


@reducer
def record(ctx: ReducerContext, id: int, writer: int, amount: int) -> None:
    """One entry and its receipt, or nothing."""
    ctx.db.entry.insert(Entry(id, writer, amount))
    ctx.db.receipt.insert(Receipt(id, id * 7 + amount))
