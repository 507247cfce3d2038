"""Notes whose text became an int: a change data cannot follow."""

from stdblite import AutoInc, PrimaryKey, ReducerContext, reducer, table


@table(public=True)
class Note:
    id: PrimaryKey[AutoInc[int]]
    text: int


@reducer.init
def init(ctx: ReducerContext) -> None:
    ctx.db.note.insert(Note(0, 42))
