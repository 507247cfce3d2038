// A widget model with no kernel behind it, for pages that only replay.
//
// The book has no server and no kernel: it shows a recorded session by
// giving a widget's `render` this model and changing its traits over
// time, exactly as the Python side would have. Reducer calls get an
// answer at once, saying that a recording cannot be changed.

/** @typedef {import("./model_world.js").AnyModel} AnyModel */

/**
 * One step of a recording: at `at` milliseconds, these traits change.
 * @typedef {{at: number, traits: Record<string, unknown>}} Frame
 */

/** @implements {AnyModel} */
export class RecordedModel {
  /** @type {Map<string, Set<(...args: any[]) => void>>} */
  #handlers = new Map();
  #traits;

  /** @param {Record<string, unknown>} traits  the widget's whole state */
  constructor(traits) {
    this.#traits = { ...traits };
  }

  /** @param {string} name */
  get(name) {
    return this.#traits[name];
  }

  /**
   * Change traits, then tell whoever listens to each.
   * @param {Record<string, unknown>} traits
   */
  set(traits) {
    Object.assign(this.#traits, traits);
    for (const name of Object.keys(traits)) this.#emit(`change:${name}`, traits[name]);
  }

  /**
   * @param {string} event
   * @param {(...args: any[]) => void} callback
   */
  on(event, callback) {
    const handlers = this.#handlers.get(event) ?? new Set();
    handlers.add(callback);
    this.#handlers.set(event, handlers);
  }

  /**
   * @param {string} event
   * @param {(...args: any[]) => void} callback
   */
  off(event, callback) {
    this.#handlers.get(event)?.delete(callback);
  }

  /** @param {{type?: string, id?: number}} content */
  send(content) {
    if (content.type !== "call") return;
    const error = "this is a recording: nothing here can change";
    const result = { type: "result", id: content.id, error };
    queueMicrotask(() => this.#emit("msg:custom", result));
  }

  /**
   * @param {string} event
   * @param {unknown} value
   */
  #emit(event, value) {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) handler(value);
  }
}

/**
 * Replay frames on a model, each at its time; returns what stops it.
 * @param {RecordedModel} model
 * @param {Frame[]} frames
 * @param {{loop?: boolean}} [options]  start again after the last frame
 * @returns {() => void}
 */
export function play(model, frames, options = {}) {
  /** @type {number[]} */
  let timers = [];
  const length = Math.max(0, ...frames.map((frame) => frame.at)) + 1000;
  const start = () => {
    timers = frames.map((frame) => setTimeout(() => model.set(frame.traits), frame.at));
    if (options.loop) timers.push(setTimeout(start, length));
  };
  start();
  return () => timers.forEach((timer) => clearTimeout(timer));
}
