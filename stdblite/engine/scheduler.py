"""Scheduled reducers: when each row of a scheduled table is next due.

A table declared ``@table(scheduled="reducer_name")`` holds one row per
pending call, with a ``scheduled_at`` column: ``ScheduleAt.time(...)``
runs once, ``ScheduleAt.interval(...)`` repeats. The scheduler follows the
committed deltas of those tables: a new row is armed, a deleted row is
cancelled. The due times live in memory; after a restart, a one-shot row
fires at its time (at once if that has passed) and a repeating row one
interval after the start.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..schema import ScheduleAt, TableSchema

__all__ = ["Scheduler"]


class Scheduler:
    """Due times of scheduled rows, in microseconds since the epoch."""

    def __init__(self, schemas: dict[str, TableSchema]) -> None:
        self.schemas = {n: s for n, s in schemas.items() if s.scheduled}
        self.due: dict[tuple[str, Hashable], int] = {}

    def arm(self, table: str, row: Any, now: int) -> None:
        """Note when a newly inserted scheduled row should run."""
        schema = self.schemas[table]
        at: ScheduleAt = row.scheduled_at
        key = getattr(row, schema.primary_key.name)  # type: ignore[union-attr]
        if at.at is not None:
            self.due[(table, key)] = at.at.micros_since_unix_epoch
        else:
            self.due[(table, key)] = now + (at.every_micros or 0)

    def cancel(self, table: str, row: Any) -> None:
        """Forget a scheduled row that was deleted."""
        schema = self.schemas[table]
        key = getattr(row, schema.primary_key.name)  # type: ignore[union-attr]
        self.due.pop((table, key), None)

    def follow(
        self, table: str, deletes: list[Any], inserts: list[Any], now: int
    ) -> None:
        """Apply one committed delta of a scheduled table.

        Rows are matched by primary key: an update that keeps the same
        schedule keeps its due time, while a row replaced by another row
        (a different key) is cancelled and the new one armed.
        """
        if table not in self.schemas:
            return
        key = self.schemas[table].primary_key.name  # type: ignore[union-attr]
        before = {getattr(r, key): r.scheduled_at for r in deletes}
        after = {getattr(r, key): r.scheduled_at for r in inserts}
        for row_key, at in before.items():
            if after.get(row_key) != at:
                self.due.pop((table, row_key), None)
        for row in inserts:
            if before.get(getattr(row, key)) != row.scheduled_at:
                self.arm(table, row, now)

    def next_due(self) -> int | None:
        """The earliest due time, or None if nothing is scheduled."""
        return min(self.due.values(), default=None)

    def pop_due(self, now: int) -> list[tuple[str, Hashable]]:
        """The rows due by ``now``, earliest first, removed from the plan."""
        ready = sorted((t, slot) for slot, t in self.due.items() if t <= now)
        for _, slot in ready:
            del self.due[slot]
        return [slot for _, slot in ready]
