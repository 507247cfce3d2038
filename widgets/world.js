// The shape every widget draws from: a "world" of players and a status.
//
// A world comes from one of two sources with the same interface: a
// WebSocket to a stdblite server (socket_world.js), or an anywidget model
// whose rows a DbConnection in the Python kernel keeps up to date
// (model_world.js). The widgets only ever read a WorldState and ask the
// world to call a reducer; they never know which source they have.

/**
 * One player as the widgets see it, whatever the table calls its columns.
 * @typedef {object} Player
 * @property {string} identity  the player's identity, 0x and 64 hex digits
 * @property {string} name
 * @property {number} x         world pixels from the left edge
 * @property {number} y         world pixels from the top edge
 * @property {boolean} online
 */

/**
 * "connecting" until the first rows arrive, then "connected" until the
 * connection ends for good.
 * @typedef {"connecting" | "connected" | "disconnected"} Status
 */

/**
 * @typedef {object} WorldState
 * @property {Status} status
 * @property {string} detail          why we are disconnected, or ""
 * @property {string | null} me       our own identity, once known
 * @property {Map<string, Player>} players  by identity
 */

/**
 * What a widget needs from its source of rows.
 * @typedef {object} World
 * @property {() => WorldState} state
 * @property {(listener: () => void) => () => void} subscribe
 *   call the listener after every change; returns its remover
 * @property {(reducer: string, args: unknown[]) => Promise<string | null>} call
 *   call a reducer; resolves to its error message, or null if it committed
 * @property {() => void} release  this widget no longer needs the world
 */

/**
 * Which table holds the players, and which of its columns mean what.
 * @typedef {object} Columns
 * @property {string} table
 * @property {string} identity
 * @property {string} name
 * @property {string} x
 * @property {string} y
 * @property {string} online
 */

/** The tutorial's player table (stdblite/examples/game.py). @type {Columns} */
export const TUTORIAL_COLUMNS = Object.freeze({
  table: "player",
  identity: "identity",
  name: "username",
  x: "position_x",
  y: "position_y",
  online: "is_online",
});

/**
 * A table row, as the wire protocol sends it, as a Player.
 * @param {Record<string, unknown>} row
 * @param {Columns} columns
 * @returns {Player}
 */
export function rowToPlayer(row, columns) {
  return {
    identity: String(row[columns.identity]),
    name: String(row[columns.name] ?? ""),
    x: Number(row[columns.x]),
    y: Number(row[columns.y]),
    online: Boolean(row[columns.online]),
  };
}

/**
 * The text of the status line: connecting, connected as NAME, disconnected.
 * @param {WorldState} state
 * @returns {string}
 */
export function statusText(state) {
  if (state.status === "connecting") return "connecting…";
  if (state.status === "disconnected") {
    return state.detail ? `disconnected: ${state.detail}` : "disconnected";
  }
  const me = state.me === null ? undefined : state.players.get(state.me);
  return me ? `connected as ${me.name}` : "connected";
}

/**
 * Show a world's status on an element: its text, and `data-status` for
 * tests and style sheets.
 * @param {HTMLElement} root    carries the data-status attribute
 * @param {HTMLElement} line    shows the text
 * @param {WorldState} state
 */
export function showStatus(root, line, state) {
  root.dataset.status = state.status;
  line.textContent = statusText(state);
}

/**
 * A new element with a class, for the widgets' small DOM trees.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} className
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(tag, className) {
  const made = document.createElement(tag);
  made.className = className;
  return made;
}

/** A set of listeners, each removable by the function `add` returns. */
export class Listeners {
  /** @type {Set<() => void>} */
  #listeners = new Set();

  /**
   * @param {() => void} listener
   * @returns {() => void}
   */
  add(listener) {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Call every listener; one that throws is reported and skipped. */
  notify() {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        console.error("[stdblite] a world listener failed:", error);
      }
    }
  }
}
