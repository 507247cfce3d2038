"""Notes, first version."""

from stdblite import PrimaryKey, ReducerContext, reducer, table


@table(public=True)
class Note:
    """A line of text."""

    id: PrimaryKey[int]
    text: str


@reducer
def add_note(ctx: ReducerContext, id: int, text: str) -> None:
    """Add a note."""
    ctx.db.note.insert(Note(id, text))
