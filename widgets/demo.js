// The page `stdb start` serves at /db/NAME: a live map of the database's
// world, who is online, and a form to pick your name.
//
// Opening the page connects this browser to the database as a client, so
// the tutorial module's client_connected reducer puts you in the world
// with a generated name; the form calls register_player to change it.
// Options come from the page's query string: ?zoom=6&step=8&offline=fade.

import { mountOnlineList } from "./online_list.js";
import { mountPlayerMap, TUTORIAL_MAP } from "./player_map.js";
import { openSocketWorld } from "./socket_world.js";
import { element } from "./world.js";

/** @typedef {import("./player_map.js").MapOptions} MapOptions */
/** @typedef {import("./world.js").World} World */

/**
 * Build the page inside `root`, for the database it names.
 * @param {HTMLElement} root  carries `data-database`
 * @returns {() => void} what takes the page down again
 */
export function startDemo(root) {
  const database = root.dataset.database ?? "";
  const world = openSocketWorld({ url: location.origin, database });
  const mapPlace = element("section", "demo-map");
  const side = element("aside", "demo-side");
  root.append(mapPlace, side);
  const options = mapOptions(new URLSearchParams(location.search));
  const map = mountPlayerMap(mapPlace, world, () => options);
  side.append(nameForm(world), help());
  const unmountList = mountOnlineList(side, world);
  return () => {
    map.destroy();
    unmountList();
    world.release();
  };
}

/**
 * The map's options: the tutorial's, zoomed in, changed by the query.
 * @param {URLSearchParams} query
 * @returns {MapOptions}
 */
export function mapOptions(query) {
  const number = (/** @type {string} */ name, /** @type {number} */ fallback) => {
    const value = Number(query.get(name));
    return query.has(name) && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    ...TUTORIAL_MAP,
    zoom: number("zoom", 6),
    step: number("step", TUTORIAL_MAP.step),
    width: number("width", 900),
    offline: query.get("offline") === "hide" ? "hide" : "fade",
  };
}

/**
 * A form that calls register_player, and says how it went.
 * @param {World} world
 * @returns {HTMLFormElement}
 */
function nameForm(world) {
  const form = element("form", "demo-name");
  const input = element("input", "");
  input.name = "username";
  input.placeholder = "your name";
  input.maxLength = 32;
  const button = element("button", "");
  button.textContent = "Set name";
  const answer = element("div", "demo-answer");
  form.append(input, button, answer);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = await world.call("register_player", [input.value]);
    answer.textContent = error === null ? `You are ${input.value.trim()}.` : error;
    answer.dataset.outcome = error === null ? "committed" : "failed";
  });
  return form;
}

function help() {
  const text = element("p", "demo-help");
  text.textContent =
    "Click the map, then walk with the arrow keys or WASD; + and - zoom. " +
    "Reload the page to come back as the same player.";
  return text;
}

const page = document.getElementById("stdblite-demo");
if (page !== null) startDemo(page);
