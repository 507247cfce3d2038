"""Scheduled reducers for the engine tests: one-shot and repeating ticks.

Each row of ``tick_schedule`` asks the engine to call ``tick`` with that
row; every run that commits leaves a row in ``tick``.
"""

import datetime as dt

from stdblite import (
    AutoInc,
    Identity,
    PrimaryKey,
    ReducerContext,
    ReducerError,
    ScheduleAt,
    reducer,
    table,
)

# How often tick was attempted per label, failures included. Module state
# is not rolled back, which is what lets a label fail exactly once.
ATTEMPTS: dict[str, int] = {}


@table(scheduled="tick")
class TickSchedule:
    id: PrimaryKey[AutoInc[int]]
    scheduled_at: ScheduleAt
    label: str


@table(public=True)
class Tick:
    id: PrimaryKey[AutoInc[int]]
    label: str
    sender: Identity
    has_connection: bool


@reducer
def tick(ctx: ReducerContext, row: TickSchedule) -> None:
    """Record a run; a label starting with "flaky" fails on its 2nd try."""
    ATTEMPTS[row.label] = ATTEMPTS.get(row.label, 0) + 1
    if row.label.startswith("flaky") and ATTEMPTS[row.label] == 2:
        raise ReducerError("a flaky tick")
    has_connection = ctx.connection_id is not None
    ctx.db.tick.insert(Tick(0, row.label, ctx.sender, has_connection))


@reducer
def schedule_once(ctx: ReducerContext, label: str, delay_ms: int) -> None:
    at = ctx.timestamp + dt.timedelta(milliseconds=delay_ms)
    ctx.db.tick_schedule.insert(TickSchedule(0, ScheduleAt.time(at), label))


@reducer
def schedule_every(ctx: ReducerContext, label: str, every_ms: int) -> None:
    every = ScheduleAt.interval(dt.timedelta(milliseconds=every_ms))
    ctx.db.tick_schedule.insert(TickSchedule(0, every, label))


@reducer
def cancel(ctx: ReducerContext, label: str) -> None:
    for row in list(ctx.db.tick_schedule.iter()):
        if row.label == label:
            ctx.db.tick_schedule.delete(row)


@reducer
def replace_every(ctx: ReducerContext, old: str, new: str, every_ms: int) -> None:
    """Cancel one repeating row and start another, in one transaction."""
    cancel(ctx, old)
    schedule_every(ctx, new, every_ms)
