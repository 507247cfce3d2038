// Where to draw each player between two rows from the server.
//
// Rows arrive at the rate the server commits moves: 10 a second for the
// demo's wanderers, 30 for a player holding an arrow key. Drawn as they
// come, players would hop. Each sprite instead glides from where it is
// drawn now to its new position over the time that passed since its
// previous row, so a steady stream of moves looks like steady walking,
// one row behind the server at most.

/** @typedef {import("./world.js").Player} Player */

/** The longest and shortest glide, in milliseconds. */
const LONGEST_GLIDE = 250;
const SHORTEST_GLIDE = 16;

/**
 * A player as drawn: the row's fields, plus the glide in progress.
 * @typedef {object} Sprite
 * @property {Player} player   the latest row
 * @property {number} fromX
 * @property {number} fromY
 * @property {number} start    when the glide began (performance.now())
 * @property {number} duration
 * @property {number} lastRow  when the latest row arrived
 */

export class Sprites {
  /** @type {Map<string, Sprite>} */
  byIdentity = new Map();
  #jump;

  /** @param {number} jump  a move longer than this is drawn at once */
  constructor(jump) {
    this.#jump = jump;
  }

  /**
   * Take the world's players as the new targets; forget the departed.
   * @param {Map<string, Player>} players
   * @param {number} now
   */
  update(players, now) {
    for (const identity of this.byIdentity.keys()) {
      if (!players.has(identity)) this.byIdentity.delete(identity);
    }
    for (const [identity, player] of players) {
      const sprite = this.byIdentity.get(identity);
      if (sprite === undefined) {
        this.byIdentity.set(identity, arrived(player, now));
      } else if (sprite.player !== player) {
        this.#retarget(sprite, player, now);
      }
    }
  }

  /**
   * @param {Sprite} sprite
   * @param {Player} player
   * @param {number} now
   */
  #retarget(sprite, player, now) {
    const moved = sprite.player.x !== player.x || sprite.player.y !== player.y;
    if (moved) {
      const [x, y] = position(sprite, now);
      const far = Math.hypot(player.x - x, player.y - y) > this.#jump;
      sprite.fromX = far ? player.x : x;
      sprite.fromY = far ? player.y : y;
      sprite.start = now;
      const since = now - sprite.lastRow;
      sprite.duration = Math.min(LONGEST_GLIDE, Math.max(SHORTEST_GLIDE, since));
      sprite.lastRow = now;
    }
    sprite.player = player;
  }

  /**
   * True while any sprite is still gliding.
   * @param {number} now
   */
  moving(now) {
    for (const sprite of this.byIdentity.values()) {
      if (now < sprite.start + sprite.duration) return true;
    }
    return false;
  }
}

/**
 * A sprite that appears where its row says, not gliding.
 * @param {Player} player
 * @param {number} now
 * @returns {Sprite}
 */
function arrived(player, now) {
  return {
    player,
    fromX: player.x,
    fromY: player.y,
    start: now,
    duration: 0,
    lastRow: now,
  };
}

/**
 * Where a sprite is drawn at time `now`: part way along its glide.
 * @param {Sprite} sprite
 * @param {number} now
 * @returns {[number, number]}
 */
export function position(sprite, now) {
  const { player, fromX, fromY, start, duration } = sprite;
  const done = duration <= 0 ? 1 : Math.min(1, (now - start) / duration);
  return [fromX + (player.x - fromX) * done, fromY + (player.y - fromY) * done];
}
