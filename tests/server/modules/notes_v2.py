"""Notes, second version: adds a table and a reducer, keeps the data."""

from stdblite import PrimaryKey, ReducerContext, reducer, table


@table(public=True)
class Note:
    """A line of text."""

    id: PrimaryKey[int]
    text: str


@table(public=True)
class Tag:
    """A label on a note."""

    note_id: PrimaryKey[int]
    label: str


@reducer
def add_note(ctx: ReducerContext, id: int, text: str) -> None:
    """Add a note."""
    ctx.db.note.insert(Note(id, text))


@reducer
def tag_note(ctx: ReducerContext, note_id: int, label: str) -> None:
    """Label a note."""
    ctx.db.tag.insert(Tag(note_id, label))
