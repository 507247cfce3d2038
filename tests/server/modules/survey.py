"""A table with a column of each kind, for subscription queries over the wire."""

import logging

from stdblite import Identity, PrimaryKey, ReducerContext, ReducerError, reducer, table

log = logging.getLogger(__name__)


@table(public=True)
class Reading:
    """One measurement; every query in the tests filters these."""

    id: PrimaryKey[int]
    label: str
    value: float
    count: int
    ok: bool
    tag: bytes
    author: Identity


@table
class Secret:
    """A private table: only the owner may read it."""

    id: PrimaryKey[int]
    note: str


@reducer
def put(
    ctx: ReducerContext, id: int, label: str, value: float, count: int, ok: bool
) -> None:
    """Insert or replace a reading; its tag is its id as one byte."""
    row = Reading(id, label, value, count, ok, bytes([id % 256]), ctx.sender)
    if ctx.db.reading.id.find(id) is not None:
        ctx.db.reading.id.update(row)
    else:
        ctx.db.reading.insert(row)


@reducer
def put_many(ctx: ReducerContext, first: int, count: int) -> None:
    """Insert ``count`` readings with ids from ``first``, in one transaction."""
    for id in range(first, first + count):
        put(ctx, id, f"r{id}", float(id), id, id % 2 == 0)


@reducer
def remove(ctx: ReducerContext, id: int) -> None:
    """Delete a reading."""
    if not ctx.db.reading.id.delete(id):
        raise ReducerError(f"no reading {id}")


@reducer
def hide(ctx: ReducerContext, id: int, note: str) -> None:
    """Write to the private table."""
    ctx.db.secret.insert(Secret(id, note))


@reducer
def chatter(ctx: ReducerContext, lines: int) -> None:
    """Write ``lines`` log lines, numbered."""
    for number in range(lines):
        log.info("chatter line %d", number)


@reducer
def crash(ctx: ReducerContext) -> None:
    """Fail with an error that is not a ReducerError."""
    ctx.db.reading.insert(Reading(999, "x", 0.0, 0, True, b"", ctx.sender))
    raise ZeroDivisionError("the module divided by zero")
