"""Notes whose text became a number: the data cannot follow."""

from stdblite import PrimaryKey, ReducerContext, reducer, table


@table(public=True)
class Note:
    """A line of text, now a number."""

    id: PrimaryKey[int]
    text: int


@reducer
def add_note(ctx: ReducerContext, id: int, text: int) -> None:
    """Add a note."""
    ctx.db.note.insert(Note(id, text))
