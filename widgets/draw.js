// Drawing the world on a canvas: the ground, then every player.
//
// The canvas keeps the world's proportions. At zoom 1 it shows the whole
// world; at zoom z it shows 1/z of each side, around a camera that
// follows your own player when it nears the edge of the view.

import { position } from "./sprites.js";

/** @typedef {import("./sprites.js").Sprite} Sprite */

/**
 * The part of the world on the canvas: world pixel (left, top) is drawn
 * at canvas pixel (0, 0), and one world pixel is `scale` canvas pixels.
 * @typedef {{left: number, top: number, scale: number}} View
 */

/** @typedef {{width: number, height: number}} Size */

/** Marker colours; tests read them to find players by their pixels. */
export const COLORS = Object.freeze({
  ground: "#d8ecc9",
  grid: "#c3deb0",
  border: "#6b8f5a",
  player: "#1864ab",
  me: "#e8590c",
  offline: "#adb5bd",
  outline: "#ffffff",
  label: "#212529",
});

const RADIUS = 6;
const MY_RADIUS = 8;

/** A camera over the world: where it looks, and how it follows you. */
export class Camera {
  /** @param {Size} world */
  constructor(world) {
    this.x = world.width / 2;
    this.y = world.height / 2;
  }

  /**
   * The view of a canvas of `size` at `zoom`, kept inside the world.
   * @param {Size} world
   * @param {Size} size
   * @param {number} zoom
   * @returns {View}
   */
  view(world, size, zoom) {
    const width = world.width / zoom;
    const height = world.height / zoom;
    return {
      left: clamp(this.x - width / 2, 0, world.width - width),
      top: clamp(this.y - height / 2, 0, world.height - height),
      scale: size.width / width,
    };
  }

  /**
   * Keep (x, y) out of the outer fifth of the view by moving the camera.
   * @param {number} x
   * @param {number} y
   * @param {View} view
   * @param {Size} size
   */
  follow(x, y, view, size) {
    const width = size.width / view.scale;
    const height = size.height / view.scale;
    this.x += overshoot(x, view.left, width);
    this.y += overshoot(y, view.top, height);
  }
}

/**
 * How far `at` lies beyond the middle three fifths of [start, start+length].
 * @param {number} at
 * @param {number} start
 * @param {number} length
 */
function overshoot(at, start, length) {
  const margin = length / 5;
  if (at < start + margin) return at - (start + margin);
  if (at > start + length - margin) return at - (start + length - margin);
  return 0;
}

/**
 * @param {number} value
 * @param {number} low
 * @param {number} high
 */
function clamp(value, low, high) {
  return Math.min(Math.max(value, low), Math.max(low, high));
}

/**
 * The ground: grass, a grid of tiles (or of groups of tiles, so lines
 * stay at least 8 canvas pixels apart), and the world's border.
 * @param {CanvasRenderingContext2D} ctx
 * @param {View} view
 * @param {Size} size
 * @param {{world: Size, tile: number}} options
 */
export function drawGround(ctx, view, size, options) {
  ctx.fillStyle = COLORS.ground;
  ctx.fillRect(0, 0, size.width, size.height);
  let spacing = options.tile;
  while (spacing * view.scale < 8) spacing *= 2;
  ctx.strokeStyle = COLORS.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let x = Math.ceil(view.left / spacing) * spacing; ; x += spacing) {
    const at = Math.round((x - view.left) * view.scale) + 0.5;
    if (at > size.width) break;
    ctx.moveTo(at, 0);
    ctx.lineTo(at, size.height);
  }
  for (let y = Math.ceil(view.top / spacing) * spacing; ; y += spacing) {
    const at = Math.round((y - view.top) * view.scale) + 0.5;
    if (at > size.height) break;
    ctx.moveTo(0, at);
    ctx.lineTo(size.width, at);
  }
  ctx.stroke();
  ctx.strokeStyle = COLORS.border;
  ctx.lineWidth = 2;
  ctx.strokeRect(
    -view.left * view.scale,
    -view.top * view.scale,
    options.world.width * view.scale,
    options.world.height * view.scale,
  );
}

/**
 * Every player: offline ones first (faded, unless hidden), then the
 * others, then yourself on top, each a dot; then their names.
 * @param {CanvasRenderingContext2D} ctx
 * @param {View} view
 * @param {Sprite[]} sprites
 * @param {{me: string | null, offline: "fade" | "hide", now: number}} how
 */
export function drawPlayers(ctx, view, sprites, how) {
  const rank = (/** @type {Sprite} */ s) =>
    s.player.identity === how.me ? 2 : s.player.online ? 1 : 0;
  /** @type {Marker[]} */
  const markers = [];
  for (const sprite of [...sprites].sort((a, b) => rank(a) - rank(b))) {
    const mine = sprite.player.identity === how.me;
    if (!sprite.player.online && !mine && how.offline === "hide") continue;
    const [x, y] = position(sprite, how.now);
    const at = { x: (x - view.left) * view.scale, y: (y - view.top) * view.scale };
    markers.push({ at, player: sprite.player, mine });
  }
  for (const marker of markers) drawDot(ctx, marker);
  drawLabels(ctx, markers);
  ctx.globalAlpha = 1;
}

/**
 * @typedef {{at: {x: number, y: number}, player: import("./world.js").Player,
 *   mine: boolean}} Marker
 * @typedef {{left: number, top: number, right: number, bottom: number}} Box
 */

/** @param {CanvasRenderingContext2D} ctx @param {Marker} marker */
function drawDot(ctx, { at, player, mine }) {
  ctx.globalAlpha = player.online ? 1 : 0.6;
  ctx.beginPath();
  ctx.arc(at.x, at.y, mine ? MY_RADIUS : RADIUS, 0, 2 * Math.PI);
  const fill = mine ? COLORS.me : COLORS.player;
  ctx.fillStyle = player.online ? fill : COLORS.offline;
  ctx.fill();
  ctx.lineWidth = 2;
  ctx.strokeStyle = COLORS.outline;
  ctx.stroke();
}

/**
 * Names above their dots. Players standing close would print their names
 * over each other, so each name takes the first free place among a few
 * (above its dot, below it, then higher up), yours first, and never covers
 * a dot; when no place is free it goes above its dot all the same.
 * @param {CanvasRenderingContext2D} ctx
 * @param {Marker[]} markers
 */
function drawLabels(ctx, markers) {
  ctx.font = "12px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.lineJoin = "round";
  /** @type {Box[]} */
  const taken = markers.map(({ at, mine }) => around(at, mine ? MY_RADIUS : RADIUS));
  for (const marker of [...markers].reverse()) {
    const label = marker.mine ? `${marker.player.name} (you)` : marker.player.name;
    const width = ctx.measureText(label).width;
    const places = labelPlaces(marker, width);
    const free = places.find((box) => !taken.some((other) => overlaps(box, other)));
    const box = free ?? places[0];
    taken.push(box);
    ctx.globalAlpha = marker.player.online ? 1 : 0.6;
    ctx.lineWidth = 3;
    ctx.strokeStyle = COLORS.outline;
    ctx.strokeText(label, (box.left + box.right) / 2, box.bottom);
    ctx.fillStyle = COLORS.label;
    ctx.fillText(label, (box.left + box.right) / 2, box.bottom);
  }
}

const LABEL_HEIGHT = 14;

/**
 * Where a name may go, best first: boxes of its width, centred on the dot.
 * @param {Marker} marker
 * @param {number} width
 * @returns {Box[]}
 */
function labelPlaces({ at, mine }, width) {
  const radius = mine ? MY_RADIUS : RADIUS;
  const above = at.y - radius - 3;
  const below = at.y + radius + 3 + LABEL_HEIGHT;
  const bottoms = [above, below, above - LABEL_HEIGHT, below + LABEL_HEIGHT];
  return bottoms.map((bottom) => ({
    left: at.x - width / 2 - 2,
    right: at.x + width / 2 + 2,
    top: bottom - LABEL_HEIGHT,
    bottom,
  }));
}

/** @param {{x: number, y: number}} at @param {number} radius @returns {Box} */
function around(at, radius) {
  const r = radius + 1;
  return { left: at.x - r, right: at.x + r, top: at.y - r, bottom: at.y + r };
}

/** @param {Box} a @param {Box} b */
function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}
