"""A notice board for the client tests: every column type, and batches.

``post_many`` writes several rows in one transaction, so a test can check
that callbacks see the whole transaction; ``tidy`` updates, deletes and
inserts at once; ``refuse`` and ``crash`` fail in the two ways a reducer
can; ``Tag`` is a table without a primary key.
"""

import dataclasses
import enum

from stdblite import (
    AutoInc,
    Index,
    PrimaryKey,
    ReducerContext,
    ReducerError,
    Timestamp,
    Unique,
    reducer,
    table,
)


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@table(public=True)
class Note:
    id: PrimaryKey[AutoInc[int]]
    title: Unique[str]
    board: Index[str]
    colour: Colour
    stars: float
    body: bytes
    due: Timestamp | None


@table(public=True)
class Tag:
    """No primary key: a set of (note, word) pairs."""

    note: int
    word: str


@table
class Secret:
    key: PrimaryKey[str]


@reducer
def post(ctx: ReducerContext, title: str, board: str, colour: Colour) -> None:
    """One note, due a day after it was posted."""
    due = Timestamp(ctx.timestamp.micros_since_unix_epoch + 86_400_000_000)
    ctx.db.note.insert(Note(0, title, board, colour, 0.0, title.encode(), due))


@reducer
def post_many(ctx: ReducerContext, board: str, count: int) -> None:
    """``count`` notes on one board, in one transaction."""
    for i in range(count):
        note = Note(0, f"{board}-{i}", board, Colour.GREEN, float(i), b"\x00", None)
        ctx.db.note.insert(note)


@reducer
def star(ctx: ReducerContext, title: str, stars: float) -> None:
    """Change one note's stars."""
    note = ctx.db.note.title.find(title)
    if note is None:
        raise ReducerError(f"no note {title!r}")
    ctx.db.note.id.update(dataclasses.replace(note, stars=stars))


@reducer
def tidy(ctx: ReducerContext, keep: str, drop: str, add: str) -> None:
    """Update one note, delete another and post a third, all at once."""
    kept = ctx.db.note.title.find(keep)
    dropped = ctx.db.note.title.find(drop)
    if kept is None or dropped is None:
        raise ReducerError("tidy needs two existing notes")
    ctx.db.note.id.update(dataclasses.replace(kept, stars=kept.stars + 1))
    ctx.db.note.delete(dropped)
    ctx.db.note.insert(Note(0, add, kept.board, Colour.RED, 0.0, b"", None))


@reducer
def tag(ctx: ReducerContext, note: int, word: str) -> None:
    """Tag a note (a set: the same tag twice is one row)."""
    ctx.db.tag.insert(Tag(note, word))


@reducer
def untag(ctx: ReducerContext, note: int, word: str) -> None:
    """Remove a tag."""
    ctx.db.tag.delete(Tag(note, word))


@reducer
def refuse(ctx: ReducerContext) -> None:
    """Write, then refuse: nothing may survive."""
    ctx.db.note.insert(Note(0, "ghost", "x", Colour.RED, 0.0, b"", None))
    raise ReducerError("refused on purpose")


@reducer
def crash(ctx: ReducerContext) -> None:
    """Write, then crash: nothing may survive."""
    ctx.db.note.insert(Note(0, "wreck", "x", Colour.RED, 0.0, b"", None))
    raise RuntimeError("crashed on purpose")
