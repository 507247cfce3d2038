"""The tutorial's game module: players who join, walk, leave and return.

This file is a stdblite module, loaded by ``Database.open`` or published
with ``stdb publish``; it is not imported as part of the library.

The world is 241 x 169 tiles of 64 pixels; a new player spawns at its
centre, (7712, 5408). The server is the authority on movement: a step
longer than ``MAX_STEP`` pixels, or one that leaves the world, is refused.
"""

import dataclasses
import datetime as dt
import logging
import math

import petname

from stdblite import (
    AutoInc,
    Identity,
    PrimaryKey,
    ReducerContext,
    ReducerError,
    ScheduleAt,
    Unique,
    reducer,
    table,
)

log = logging.getLogger(__name__)

TILE = 64
WORLD_WIDTH = 241 * TILE
WORLD_HEIGHT = 169 * TILE
SPAWN_X = WORLD_WIDTH // 2
SPAWN_Y = WORLD_HEIGHT // 2
MAX_STEP = 4 * TILE


@table(public=True)
class Player:
    """One row per player who ever joined; offline players are kept."""

    identity: PrimaryKey[Identity]
    username: Unique[str]
    position_x: float
    position_y: float
    is_online: bool


def generated_name(ctx: ReducerContext) -> str:
    """A free name like ``brave-otter``, drawn with the transaction's rng.

    petname's own functions use the global random module; drawing from its
    word lists with ``ctx.rng`` keeps names deterministic per transaction.
    """
    for _ in range(20):
        name = f"{ctx.rng.choice(petname.adjectives)}-{ctx.rng.choice(petname.names)}"
        if ctx.db.player.username.find(name) is None:
            return name
    return f"player-{ctx.rng.randrange(10**9)}"


@reducer.client_connected
def identity_connected(ctx: ReducerContext) -> None:
    """A returning player comes back online; a new one spawns at the centre."""
    player = ctx.db.player.identity.find(ctx.sender)
    if player is not None:
        ctx.db.player.identity.update(dataclasses.replace(player, is_online=True))
        log.info("%s is back", player.username)
        return
    name = generated_name(ctx)
    ctx.db.player.insert(Player(ctx.sender, name, SPAWN_X, SPAWN_Y, True))
    log.info("%s joined", name)


@reducer.client_disconnected
def identity_disconnected(ctx: ReducerContext) -> None:
    """The player stays in the table, marked offline, where they stood."""
    player = ctx.db.player.identity.find(ctx.sender)
    if player is not None:
        ctx.db.player.identity.update(dataclasses.replace(player, is_online=False))


@reducer
def register_player(ctx: ReducerContext, username: str) -> None:
    """Choose a name; it must be non-empty, short and not taken."""
    username = username.strip()
    if not username:
        raise ReducerError("Username must not be empty")
    if len(username) > 32:
        raise ReducerError("Username must be at most 32 characters")
    taken = ctx.db.player.username.find(username)
    if taken is not None and taken.identity != ctx.sender:
        raise ReducerError(f"Username {username!r} is taken")
    player = ctx.db.player.identity.find(ctx.sender)
    if player is None:
        player = Player(ctx.sender, username, SPAWN_X, SPAWN_Y, False)
        ctx.db.player.insert(player)
        return
    ctx.db.player.identity.update(dataclasses.replace(player, username=username))


@reducer
def move_player(ctx: ReducerContext, x: float, y: float) -> None:
    """Move to (x, y): at most MAX_STEP pixels, and inside the world."""
    player = ctx.db.player.identity.find(ctx.sender)
    if player is None:
        raise ReducerError("You have no player yet")
    if not (0 <= x <= WORLD_WIDTH and 0 <= y <= WORLD_HEIGHT):
        raise ReducerError("That position is outside the world")
    step = math.hypot(x - player.position_x, y - player.position_y)
    if step > MAX_STEP:
        raise ReducerError(f"A step of {step:.0f} px is too long (max {MAX_STEP})")
    ctx.db.player.identity.update(
        dataclasses.replace(player, position_x=x, position_y=y)
    )


# -- the demo's wandering players ---------------------------------------------
# Computer-driven players for `stdb demo`: a scheduled reducer walks each
# one toward a target, then picks another. The tutorial never spawns them.

WANDER_STEP = 24.0
WANDER_RADIUS = 12 * TILE


@table
class Wanderer:
    """A computer-driven player, and the point it is walking to."""

    identity: PrimaryKey[Identity]
    target_x: float
    target_y: float


@table(scheduled="wander")
class WanderSchedule:
    """One row: when the wanderers take their next step."""

    scheduled_id: PrimaryKey[AutoInc[int]]
    scheduled_at: ScheduleAt


def wander_target(ctx: ReducerContext) -> tuple[float, float]:
    """A random point near the spawn, where everyone starts."""
    return (
        SPAWN_X + ctx.rng.uniform(-WANDER_RADIUS, WANDER_RADIUS),
        SPAWN_Y + ctx.rng.uniform(-WANDER_RADIUS / 2, WANDER_RADIUS / 2),
    )


@reducer
def spawn_wanderers(ctx: ReducerContext, count: int) -> None:
    """Add ``count`` wandering players, and start them walking."""
    if not 0 < count <= 50:
        raise ReducerError("Spawn between 1 and 50 wanderers")
    for _ in range(count):
        who = Identity(ctx.rng.randbytes(32))
        x, y = wander_target(ctx)
        ctx.db.player.insert(Player(who, generated_name(ctx), x, y, True))
        ctx.db.wanderer.insert(Wanderer(who, *wander_target(ctx)))
    if ctx.db.wander_schedule.count() == 0:
        every = ScheduleAt.interval(dt.timedelta(milliseconds=100))
        ctx.db.wander_schedule.insert(WanderSchedule(0, every))


@reducer
def wander(ctx: ReducerContext, tick: WanderSchedule) -> None:
    """Move every wanderer one step toward its target (10 times a second)."""
    for wanderer in list(ctx.db.wanderer.iter()):
        player = ctx.db.player.identity.find(wanderer.identity)
        if player is None:
            continue
        dx = wanderer.target_x - player.position_x
        dy = wanderer.target_y - player.position_y
        distance = math.hypot(dx, dy)
        if distance <= WANDER_STEP:
            x, y = wanderer.target_x, wanderer.target_y
            target_x, target_y = wander_target(ctx)
            ctx.db.wanderer.identity.update(
                Wanderer(wanderer.identity, target_x, target_y)
            )
        else:
            x = player.position_x + dx / distance * WANDER_STEP
            y = player.position_y + dy / distance * WANDER_STEP
        ctx.db.player.identity.update(
            dataclasses.replace(player, position_x=x, position_y=y)
        )
