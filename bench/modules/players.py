"""The benchmark's module: players on a grid, moved by primary key."""

import dataclasses

from stdblite import PrimaryKey, ReducerContext, ReducerError, reducer, table


@table(public=True)
class Player:
    """A player at a position."""

    id: PrimaryKey[int]
    name: str
    x: float
    y: float


@reducer
def seed(ctx: ReducerContext, count: int) -> None:
    """Create ``count`` players in one transaction."""
    for number in range(count):
        ctx.db.player.insert(Player(number, f"player-{number}", 0.0, 0.0))


@reducer
def move_player(ctx: ReducerContext, player_id: int, dx: float, dy: float) -> None:
    """Find a player by primary key and update two columns."""
    player = ctx.db.player.id.find(player_id)
    if player is None:
        raise ReducerError(f"no player {player_id}")
    moved = dataclasses.replace(player, x=player.x + dx, y=player.y + dy)
    ctx.db.player.id.update(moved)
