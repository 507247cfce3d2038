"""Notes without their text column: a change that would lose data."""

from stdblite import AutoInc, PrimaryKey, ReducerContext, reducer, table


@table(public=True)
class Note:
    id: PrimaryKey[AutoInc[int]]


@reducer.init
def init(ctx: ReducerContext) -> None:
    ctx.db.note.insert(Note(0))
