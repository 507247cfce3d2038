// PlayerMap: the world on a canvas, every player on it, and your own
// player walking with the arrow keys (or WASD) while the map has focus.
//
// Keys never move the marker directly. Each step asks the move reducer
// for a new position; the marker moves when the server's row does, so a
// step the reducer refuses is never drawn.
//
// As an anywidget module, `render` reads its options from the model; the
// demo page calls `mountPlayerMap` itself with a world of its own.

import { Camera, drawGround, drawPlayers } from "./draw.js";
import { worldFromModel } from "./model_world.js";
import { Sprites, position } from "./sprites.js";
import { element, showStatus } from "./world.js";

/** @typedef {import("./world.js").World} World */
/** @typedef {import("./model_world.js").AnyModel} AnyModel */

/**
 * @typedef {object} MapOptions
 * @property {number} worldWidth   in world pixels
 * @property {number} worldHeight
 * @property {number} tile         the size of a tile, for the grid
 * @property {"fade" | "hide"} offline  how offline players are shown
 * @property {string} moveReducer  called with (x, y) for each step
 * @property {number} step         world pixels per step; 30 steps a second
 * @property {number} zoom         1 shows the whole world
 * @property {number} width        of the canvas, in CSS pixels
 */

/** The tutorial world (stdblite/examples/game.py). @type {MapOptions} */
export const TUTORIAL_MAP = Object.freeze({
  worldWidth: 241 * 64,
  worldHeight: 169 * 64,
  tile: 64,
  offline: "fade",
  moveReducer: "move_player",
  step: 8,
  zoom: 1,
  width: 720,
});

const STEPS_PER_SECOND = 30;

/** @type {Record<string, number>} */
const ZOOMS = { "+": 2, "=": 2, "-": 0.5 };

/** @type {Record<string, [number, number]>} */
const DIRECTIONS = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  a: [-1, 0],
  d: [1, 0],
  w: [0, -1],
  s: [0, 1],
};

/**
 * @typedef {object} MountedMap
 * @property {() => void} redraw   after the options changed
 * @property {() => void} destroy  stop timers, drop listeners, remove the DOM
 */

/**
 * Draw a world into `el`, until `destroy` is called.
 * @param {HTMLElement} el
 * @param {World} world
 * @param {() => MapOptions} options  read again on every frame
 * @returns {MountedMap}
 */
export function mountPlayerMap(el, world, options) {
  const map = new PlayerMapView(el, world, options);
  return { redraw: () => map.schedule(), destroy: () => map.destroy() };
}

/** The DOM, the frame loop and the keyboard of one mounted map. */
class PlayerMapView {
  #aborter = new AbortController();
  #frame = 0;
  #messageTimer = 0;
  #zoomFactor = 1;
  #camera;
  #sprites;
  #unsubscribe;
  #keys;

  /**
   * @param {HTMLElement} el
   * @param {World} world
   * @param {() => MapOptions} options
   */
  constructor(el, world, options) {
    this.world = world;
    this.options = options;
    const first = options();
    this.#camera = new Camera({ width: first.worldWidth, height: first.worldHeight });
    this.#sprites = new Sprites(first.tile * 8);
    this.root = element("div", "stdblite stdblite-map");
    this.statusLine = element("div", "stdblite-status");
    this.canvas = element("canvas", "stdblite-canvas");
    this.message = element("div", "stdblite-message");
    this.#setUpCanvas();
    this.root.append(this.statusLine, this.canvas, this.message);
    el.append(this.root);
    this.#keys = new KeyWalker(this, this.#aborter.signal);
    this.#unsubscribe = world.subscribe(() => this.changed());
    this.changed();
  }

  #setUpCanvas() {
    // JupyterLab binds arrow keys to moving between cells; this attribute
    // asks it to leave the keys of anything inside the map alone.
    this.root.dataset.lmSuppressShortcuts = "true";
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute(
      "aria-label",
      "the world map; click it, then walk with the arrow keys or WASD",
    );
  }

  /** The world changed: retarget the sprites and draw on the next frame. */
  changed() {
    const state = this.world.state();
    showStatus(this.root, this.statusLine, state);
    this.#sprites.update(state.players, performance.now());
    this.schedule();
  }

  schedule() {
    if (this.#frame === 0) {
      this.#frame = requestAnimationFrame((now) => this.#draw(now));
    }
  }

  /**
   * One frame: size the canvas, follow yourself, draw; go on while gliding.
   * @param {number} now
   */
  #draw(now) {
    this.#frame = 0;
    const options = this.options();
    const world = { width: options.worldWidth, height: options.worldHeight };
    const size = this.#fit(options);
    const ctx = this.canvas.getContext("2d");
    if (ctx === null) return;
    const me = this.world.state().me;
    const zoom = Math.min(Math.max(options.zoom * this.#zoomFactor, 1), 64);
    this.#follow(me, now, world, size, zoom);
    const view = this.#camera.view(world, size, zoom);
    this.canvas.dataset.view = `${view.left} ${view.top} ${view.scale}`;
    ctx.setTransform(devicePixelRatio, 0, 0, devicePixelRatio, 0, 0);
    drawGround(ctx, view, size, { world, tile: options.tile });
    const sprites = [...this.#sprites.byIdentity.values()];
    drawPlayers(ctx, view, sprites, { me, offline: options.offline, now });
    if (this.#sprites.moving(now)) this.schedule();
  }

  /**
   * Give the canvas the world's proportions at the asked width.
   * @param {MapOptions} options
   * @returns {{width: number, height: number}}
   */
  #fit(options) {
    const width = options.width;
    const height = Math.round((width * options.worldHeight) / options.worldWidth);
    const ratio = devicePixelRatio;
    if (this.canvas.width !== Math.round(width * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.style.width = `${width}px`;
    }
    if (this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.height = Math.round(height * ratio);
      this.canvas.style.height = `${height}px`;
    }
    return { width, height };
  }

  /**
   * Move the camera if your own player nears the edge of the view.
   * @param {string | null} me
   * @param {number} now
   * @param {{width: number, height: number}} world
   * @param {{width: number, height: number}} size
   * @param {number} zoom
   */
  #follow(me, now, world, size, zoom) {
    const mine = me === null ? undefined : this.#sprites.byIdentity.get(me);
    if (mine === undefined || zoom <= 1) return;
    const [x, y] = position(mine, now);
    this.#camera.follow(x, y, this.#camera.view(world, size, zoom), size);
  }

  /**
   * Zoom in (factor above 1) or out, from the keyboard.
   * @param {number} factor
   */
  zoomBy(factor) {
    this.#zoomFactor *= factor;
    this.schedule();
  }

  /**
   * Say something under the map for a few seconds (a refused step, say).
   * @param {string} text
   */
  say(text) {
    this.message.textContent = text;
    clearTimeout(this.#messageTimer);
    this.#messageTimer = setTimeout(() => {
      this.message.textContent = "";
    }, 4000);
  }

  destroy() {
    this.#aborter.abort();
    this.#keys.stop();
    this.#unsubscribe();
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#messageTimer);
    this.root.remove();
  }
}

/**
 * Arrow keys and WASD, held or tapped, turned into calls of the move
 * reducer: one step at once, then 30 a second while a key is held.
 */
class KeyWalker {
  /** @type {Set<string>} */
  #held = new Set();
  #timer = 0;
  /** @type {{x: number, y: number} | null} where we last asked to go */
  #aim = null;
  #inFlight = 0;

  /**
   * @param {PlayerMapView} map
   * @param {AbortSignal} signal
   */
  constructor(map, signal) {
    this.map = map;
    const canvas = map.canvas;
    canvas.addEventListener("keydown", (e) => this.#down(e), { signal });
    canvas.addEventListener("keyup", (e) => this.#up(e), { signal });
    canvas.addEventListener("blur", () => this.stop(), { signal });
  }

  /** @param {KeyboardEvent} event */
  #down(event) {
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (key in ZOOMS) {
      event.preventDefault();
      this.map.zoomBy(ZOOMS[key]);
      return;
    }
    if (!(key in DIRECTIONS)) return;
    event.preventDefault();
    if (this.#held.has(key)) return;
    this.#held.add(key);
    this.#step();
    if (this.#timer === 0) {
      this.#timer = setInterval(() => this.#step(), 1000 / STEPS_PER_SECOND);
    }
  }

  /** @param {KeyboardEvent} event */
  #up(event) {
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    this.#held.delete(key);
    if (this.#held.size === 0) this.stop();
  }

  /** Let go of every key: stop stepping. */
  stop() {
    this.#held.clear();
    clearInterval(this.#timer);
    this.#timer = 0;
  }

  /** Ask the server for one step in the direction of the held keys. */
  #step() {
    const [dx, dy] = this.#direction();
    const from = this.#aim ?? this.#myPosition();
    if ((dx === 0 && dy === 0) || from === null) return;
    const options = this.map.options();
    const x = clamp(from.x + dx * options.step, options.worldWidth);
    const y = clamp(from.y + dy * options.step, options.worldHeight);
    this.#aim = { x, y };
    this.#inFlight += 1;
    this.map.world.call(options.moveReducer, [x, y]).then((error) => {
      this.#inFlight -= 1;
      if (error !== null) {
        this.#aim = null;
        this.map.say(`refused: ${error}`);
      } else if (this.#inFlight === 0 && this.#held.size === 0) {
        this.#aim = null;
      }
    });
  }

  /** @returns {[number, number]} the held keys' direction, unit length */
  #direction() {
    let dx = 0;
    let dy = 0;
    for (const key of this.#held) {
      dx += DIRECTIONS[key][0];
      dy += DIRECTIONS[key][1];
    }
    const length = Math.hypot(dx, dy);
    return length === 0 ? [0, 0] : [dx / length, dy / length];
  }

  /** @returns {{x: number, y: number} | null} your row's position */
  #myPosition() {
    const state = this.map.world.state();
    const mine = state.me === null ? undefined : state.players.get(state.me);
    if (mine === undefined) {
      this.map.say("you have no player in this world yet");
      return null;
    }
    return { x: mine.x, y: mine.y };
  }
}

/**
 * @param {number} value
 * @param {number} high
 */
function clamp(value, high) {
  return Math.min(Math.max(value, 0), high);
}

/** The model's traits that hold the map's options (see stdblite/widgets). */
const OPTION_TRAITS = [
  "world_width",
  "world_height",
  "tile",
  "offline",
  "move_reducer",
  "step",
  "zoom",
  "width",
];

/**
 * @param {AnyModel} model
 * @returns {MapOptions}
 */
function optionsFrom(model) {
  return {
    worldWidth: model.get("world_width"),
    worldHeight: model.get("world_height"),
    tile: model.get("tile"),
    offline: model.get("offline"),
    moveReducer: model.get("move_reducer"),
    step: model.get("step"),
    zoom: model.get("zoom"),
    width: model.get("width"),
  };
}

export default {
  /** @param {{model: AnyModel, el: HTMLElement}} context */
  render({ model, el }) {
    const world = worldFromModel(model);
    let options = optionsFrom(model);
    const map = mountPlayerMap(el, world, () => options);
    const changed = () => {
      options = optionsFrom(model);
      map.redraw();
    };
    for (const name of OPTION_TRAITS) model.on(`change:${name}`, changed);
    return () => {
      for (const name of OPTION_TRAITS) model.off(`change:${name}`, changed);
      map.destroy();
      world.release();
    };
  },
};
