"""Notes, second version: adds a column with a default and a new table."""

from stdblite import AutoInc, PrimaryKey, ReducerContext, reducer, table


@table(public=True)
class Note:
    id: PrimaryKey[AutoInc[int]]
    text: str
    pinned: bool = False


@table(public=True)
class Tag:
    name: PrimaryKey[str]


@reducer.init
def init(ctx: ReducerContext) -> None:
    ctx.db.note.insert(Note(0, "welcome"))


@reducer
def add_note(ctx: ReducerContext, text: str) -> None:
    ctx.db.note.insert(Note(0, text))


@reducer
def pin_note(ctx: ReducerContext, text: str) -> None:
    ctx.db.note.insert(Note(0, text, pinned=True))


@reducer
def add_tag(ctx: ReducerContext, name: str) -> None:
    ctx.db.tag.insert(Tag(name))
