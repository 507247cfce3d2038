// A world read straight from a stdblite server, over the wire protocol.
//
// The browser opens its own WebSocket at /v1/database/NAME/subscribe,
// presents its token as the `token` query parameter (browsers cannot set
// an Authorization header on a WebSocket), subscribes to the player table
// and keeps those rows up to date from every TransactionUpdate. Widgets
// on one page that name the same server and database share one
// connection: two connections would be two sessions of one player, and
// closing either would mark the player offline.
//
// A closed connection is not reopened: the status says "disconnected"
// with the server's reason, and reloading the page starts afresh.

import { Listeners, rowToPlayer, TUTORIAL_COLUMNS } from "./world.js";

/** @typedef {import("./world.js").Columns} Columns */
/** @typedef {import("./world.js").Player} Player */
/** @typedef {import("./world.js").World} World */
/** @typedef {import("./world.js").WorldState} WorldState */
/** @typedef {Record<string, unknown>} Row */
/**
 * @typedef {{table: string, rows?: Row[], inserts?: Row[], deletes?: Row[]}}
 *   TableRows
 */

/**
 * @typedef {object} SocketOptions
 * @property {string} url          the server, e.g. http://127.0.0.1:3000
 * @property {string} database
 * @property {string | null} [token]  a token to present; otherwise the one
 *   this browser saved for the server, or none (the server mints one)
 * @property {boolean} [remember]  save the token in localStorage (default
 *   true), so a reload comes back as the same player
 * @property {Partial<Columns>} [columns]
 */

/** @type {Map<string, {connection: SocketConnection, users: number}>} */
const open = new Map();

/**
 * A world over a WebSocket, shared with every other widget on the page
 * that names the same server, database and table.
 * @param {SocketOptions} options
 * @returns {World}
 */
export function openSocketWorld(options) {
  const columns = { ...TUTORIAL_COLUMNS, ...options.columns };
  const key = JSON.stringify([options.url, options.database, columns]);
  let entry = open.get(key);
  if (entry === undefined || entry.connection.closed) {
    entry = { connection: new SocketConnection(options, columns), users: 0 };
    open.set(key, entry);
  }
  const shared = entry;
  shared.users += 1;
  let released = false;
  return {
    state: () => shared.connection.state,
    subscribe: (listener) => shared.connection.listeners.add(listener),
    call: (reducer, args) => shared.connection.call(reducer, args),
    release() {
      if (released) return;
      released = true;
      shared.users -= 1;
      if (shared.users === 0) {
        open.delete(key);
        shared.connection.close();
      }
    },
  };
}

/**
 * The ws:// address of a database's subscribe endpoint, with the token.
 * @param {string} url
 * @param {string} database
 * @param {string | null} token
 * @returns {string}
 */
export function subscribeUrl(url, database, token) {
  const address = new URL(
    `/v1/database/${encodeURIComponent(database)}/subscribe`,
    url,
  );
  if (address.protocol === "http:") address.protocol = "ws:";
  if (address.protocol === "https:") address.protocol = "wss:";
  if (token) address.searchParams.set("token", token);
  return address.href;
}

/** One WebSocket to one database, and the player rows it holds. */
class SocketConnection {
  /** @type {WorldState} */
  state = { status: "connecting", detail: "", me: null, players: new Map() };
  listeners = new Listeners();
  closed = false;
  /** @type {Map<number, (error: string | null) => void>} */
  #waiting = new Map();
  #nextRequest = 1;
  #aborter = new AbortController();
  /** @type {WebSocket} */
  #socket;
  #columns;
  #options;
  #presentedSavedToken = false;

  /**
   * @param {SocketOptions} options
   * @param {Columns} columns
   */
  constructor(options, columns) {
    this.#options = options;
    this.#columns = columns;
    const saved = options.token ? null : this.#savedToken();
    this.#presentedSavedToken = saved !== null;
    this.#socket = this.#connect(options.token || saved);
  }

  /**
   * @param {string | null} token
   * @returns {WebSocket}
   */
  #connect(token) {
    const { url, database } = this.#options;
    const socket = new WebSocket(subscribeUrl(url, database, token));
    const signal = this.#aborter.signal;
    socket.addEventListener("message", (e) => this.#receive(e.data), { signal });
    socket.addEventListener("close", (e) => this.#closedBy(e), { signal });
    return socket;
  }

  /**
   * Send a CallReducer; resolve to the error text, or null once committed.
   * @param {string} reducer
   * @param {unknown[]} args
   * @returns {Promise<string | null>}
   */
  call(reducer, args) {
    if (this.closed || this.#socket.readyState !== WebSocket.OPEN) {
      return Promise.resolve("not connected");
    }
    const request_id = this.#nextRequest++;
    this.#send({ CallReducer: { request_id, reducer, args } });
    return new Promise((resolve) => this.#waiting.set(request_id, resolve));
  }

  /** Close the socket and forget every listener. */
  close() {
    this.closed = true;
    this.#aborter.abort();
    this.#socket.close(1000, "widget removed");
    this.#answerAll("the widget was closed");
  }

  /** @param {unknown} message */
  #send(message) {
    this.#socket.send(JSON.stringify(message));
  }

  /** @param {unknown} data */
  #receive(data) {
    /** @type {Record<string, any>} */
    let frame;
    try {
      frame = JSON.parse(String(data));
    } catch (error) {
      console.error("[stdblite] a frame that is not JSON:", error);
      return;
    }
    const [type, body] = Object.entries(frame)[0] ?? ["", {}];
    this.#handle(type, body);
    this.listeners.notify();
  }

  /**
   * Apply one server message to the rows and the status.
   * @param {string} type
   * @param {Record<string, any>} body
   */
  #handle(type, body) {
    switch (type) {
      case "InitialConnection":
        return this.#greeted(body.identity, body.token);
      case "SubscribeApplied":
        this.state.status = "connected";
        return this.#apply(body.tables);
      case "SubscriptionError":
        return this.#refused(body.error);
      case "TransactionUpdate":
        return this.#apply(body.tables);
      case "ReducerResult":
        this.#apply(body.tables);
        return this.#answer(body.request_id, body.error);
      case "Error":
        console.warn("[stdblite] the server refused a message:", body.error);
        return this.#answer(body.request_id, body.error);
    }
  }

  /**
   * The server said who we are: keep the token, subscribe to the players.
   * @param {string} identity
   * @param {string} token
   */
  #greeted(identity, token) {
    this.state.me = identity;
    if (this.#options.remember ?? true) this.#saveToken(token);
    const queries = [`SELECT * FROM ${this.#columns.table}`];
    this.#send({ Subscribe: { request_id: 0, query_set_id: 1, queries } });
  }

  /**
   * Deletes first, then inserts: an update is both, with the same identity.
   * @param {TableRows[]} tables
   */
  #apply(tables) {
    const players = this.state.players;
    for (const update of tables) {
      if (update.table !== this.#columns.table) continue;
      for (const row of update.deletes ?? []) {
        players.delete(String(row[this.#columns.identity]));
      }
      for (const row of [...(update.rows ?? []), ...(update.inserts ?? [])]) {
        const player = rowToPlayer(row, this.#columns);
        players.set(player.identity, player);
      }
    }
  }

  /**
   * @param {number | null} requestId
   * @param {string | null} error
   */
  #answer(requestId, error) {
    if (requestId === null) return;
    const resolve = this.#waiting.get(requestId);
    this.#waiting.delete(requestId);
    resolve?.(error);
  }

  /** @param {string} why */
  #answerAll(why) {
    for (const resolve of this.#waiting.values()) resolve(why);
    this.#waiting.clear();
  }

  /**
   * The server refused the subscription (no such table, say): nothing can
   * be shown, so say why and close.
   * @param {string} error
   */
  #refused(error) {
    console.warn("[stdblite] subscription refused:", error);
    this.close();
    this.state.status = "disconnected";
    this.state.detail = error;
  }

  /** @param {CloseEvent} event */
  #closedBy(event) {
    if (this.#presentedSavedToken && this.state.me === null) {
      // A token saved for an earlier server at this address (one that ran
      // in memory, say) is refused: forget it and join as someone new.
      console.info("[stdblite] the saved token was refused:", event.reason);
      this.#presentedSavedToken = false;
      this.#forgetToken();
      this.#socket = this.#connect(null);
      return;
    }
    this.closed = true;
    this.state.status = "disconnected";
    this.state.detail = event.reason || this.state.detail || `code ${event.code}`;
    console.info("[stdblite] connection closed:", this.state.detail);
    this.#answerAll("the connection closed");
    this.listeners.notify();
  }

  get #storageKey() {
    return `stdblite token for ${new URL(this.#options.url).origin}`;
  }

  /** @returns {string | null} */
  #savedToken() {
    if (!(this.#options.remember ?? true)) return null;
    try {
      return localStorage.getItem(this.#storageKey);
    } catch {
      return null;
    }
  }

  #forgetToken() {
    try {
      localStorage.removeItem(this.#storageKey);
    } catch {
      // Nothing was saved where nothing can be stored.
    }
  }

  /** @param {string} token */
  #saveToken(token) {
    try {
      localStorage.setItem(this.#storageKey, token);
    } catch {
      console.info("[stdblite] cannot save the token; a reload is a new player");
    }
  }
}
