// OnlineList: who is online right now, sorted by name, yourself marked.
//
// The list is rebuilt only when who is online changes, not on every move,
// so a world full of walking players costs it nothing.

import { worldFromModel } from "./model_world.js";
import { element, showStatus } from "./world.js";

/** @typedef {import("./world.js").Player} Player */
/** @typedef {import("./world.js").World} World */
/** @typedef {import("./model_world.js").AnyModel} AnyModel */

/**
 * List a world's online players in `el`; returns what takes it down.
 * @param {HTMLElement} el
 * @param {World} world
 * @returns {() => void}
 */
export function mountOnlineList(el, world) {
  const root = element("div", "stdblite stdblite-list");
  const statusLine = element("div", "stdblite-status");
  const heading = element("div", "stdblite-heading");
  const list = element("ul", "stdblite-players");
  root.append(statusLine, heading, list);
  el.append(root);
  let shown = "";
  const changed = () => {
    const state = world.state();
    showStatus(root, statusLine, state);
    const online = onlinePlayers(state.players);
    const names = online.map((p) => [p.identity, p.name]);
    const signature = JSON.stringify([state.me, names]);
    if (signature === shown) return;
    shown = signature;
    heading.textContent = `${online.length} online`;
    list.replaceChildren(...online.map((player) => item(player, state.me)));
  };
  const unsubscribe = world.subscribe(changed);
  changed();
  return () => {
    unsubscribe();
    root.remove();
  };
}

/**
 * The online players, sorted by name (then identity, for equal names).
 * @param {Map<string, Player>} players
 * @returns {Player[]}
 */
export function onlinePlayers(players) {
  const online = [...players.values()].filter((player) => player.online);
  return online.sort(
    (a, b) =>
      a.name.localeCompare(b.name) || (a.identity < b.identity ? -1 : 1),
  );
}

/**
 * @param {Player} player
 * @param {string | null} me
 * @returns {HTMLLIElement}
 */
function item(player, me) {
  const li = element("li", player.identity === me ? "stdblite-me" : "");
  li.dataset.identity = player.identity;
  li.textContent = player.identity === me ? `${player.name} (you)` : player.name;
  return li;
}

export default {
  /** @param {{model: AnyModel, el: HTMLElement}} context */
  render({ model, el }) {
    const world = worldFromModel(model);
    const unmount = mountOnlineList(el, world);
    return () => {
      unmount();
      world.release();
    };
  },
};
