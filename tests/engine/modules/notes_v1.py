"""Notes, first version: the base that the migration tests republish over."""

from stdblite import AutoInc, PrimaryKey, ReducerContext, reducer, table


@table(public=True)
class Note:
    id: PrimaryKey[AutoInc[int]]
    text: str


@reducer.init
def init(ctx: ReducerContext) -> None:
    ctx.db.note.insert(Note(0, "welcome"))


@reducer
def add_note(ctx: ReducerContext, text: str) -> None:
    ctx.db.note.insert(Note(0, text))
