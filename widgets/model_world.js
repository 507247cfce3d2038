// A world read from an anywidget model, and the choice between the two
// kinds of world a widget can have.
//
// In a notebook the default source of rows is a DbConnection in the
// Python kernel: the widget's Python side keeps the model's `players`,
// `me` and `status` traits up to date, and Jupyter's widget channel
// carries them here, so the browser needs no route to the database
// server. A reducer call goes back the same way, as a custom message the
// Python side answers. A model whose `server_url` is set asks for the
// other source: the browser connects to that server itself.
//
// The model's state alone is enough to draw: a page with no kernel at all
// (the book's recorded sessions) renders from whatever the traits hold.

import { openSocketWorld } from "./socket_world.js";
import { Listeners } from "./world.js";

/** @typedef {import("./world.js").Player} Player */
/** @typedef {import("./world.js").Status} Status */
/** @typedef {import("./world.js").World} World */
/** @typedef {import("./world.js").WorldState} WorldState */

/**
 * The part of anywidget's model the widgets use.
 * @typedef {object} AnyModel
 * @property {(name: string) => any} get
 * @property {(event: string, callback: (...args: any[]) => void) => void} on
 * @property {(event: string, callback: (...args: any[]) => void) => void} off
 * @property {(content: any) => void} send
 */

/** How long a reducer call waits for the kernel to answer. */
const KERNEL_TIMEOUT = 10_000;

/**
 * The world a widget's model asks for: its server's, or the kernel's.
 * @param {AnyModel} model
 * @returns {World}
 */
export function worldFromModel(model) {
  const url = model.get("server_url");
  if (url) {
    return openSocketWorld({
      url,
      database: model.get("database"),
      token: model.get("token") || null,
      columns: model.get("columns"),
    });
  }
  return new ModelWorld(model);
}

/** Rows from the model's traits; reducer calls as messages to the kernel. */
export class ModelWorld {
  listeners = new Listeners();
  /** @type {Map<number, {resolve: (error: string | null) => void, timer: number}>} */
  #waiting = new Map();
  #nextCall = 1;
  #model;
  /** @type {WorldState} */
  #state;

  /** @param {AnyModel} model */
  constructor(model) {
    this.#model = model;
    this.#state = this.#read();
    for (const name of ["players", "me", "status", "status_detail"]) {
      model.on(`change:${name}`, this.#changed);
    }
    model.on("msg:custom", this.#answered);
  }

  /** @returns {WorldState} */
  state() {
    return this.#state;
  }

  /** @param {() => void} listener */
  subscribe(listener) {
    return this.listeners.add(listener);
  }

  /**
   * Ask the kernel to call a reducer; resolve to its error, or null.
   * @param {string} reducer
   * @param {unknown[]} args
   * @returns {Promise<string | null>}
   */
  call(reducer, args) {
    const id = this.#nextCall++;
    this.#model.send({ type: "call", id, reducer, args });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve("no answer from the kernel");
      }, KERNEL_TIMEOUT);
      this.#waiting.set(id, { resolve, timer });
    });
  }

  release() {
    for (const name of ["players", "me", "status", "status_detail"]) {
      this.#model.off(`change:${name}`, this.#changed);
    }
    this.#model.off("msg:custom", this.#answered);
    for (const { resolve, timer } of this.#waiting.values()) {
      clearTimeout(timer);
      resolve("the widget was closed");
    }
    this.#waiting.clear();
  }

  /** @returns {WorldState} */
  #read() {
    /** @type {Player[]} */
    const rows = this.#model.get("players") ?? [];
    /** @type {Status} */
    const status = this.#model.get("status") || "connecting";
    return {
      status,
      detail: this.#model.get("status_detail") ?? "",
      me: this.#model.get("me") || null,
      players: new Map(rows.map((player) => [player.identity, player])),
    };
  }

  #changed = () => {
    this.#state = this.#read();
    this.listeners.notify();
  };

  /** @param {{type?: string, id?: number, error?: string | null}} message */
  #answered = (message) => {
    if (message.type !== "result" || message.id === undefined) return;
    const waiting = this.#waiting.get(message.id);
    if (waiting === undefined) return;
    this.#waiting.delete(message.id);
    clearTimeout(waiting.timer);
    waiting.resolve(message.error ?? null);
  };
}
