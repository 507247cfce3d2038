// Replays a recorded session on the book's pages: no server, no kernel.
//
// A page asks for a map with
//   <div class="stdblite-playback" data-session="_static/sessions/story.json">
// (the path relative to the page). The recording holds a PlayerMap's first
// traits and timed frames of the player table, made by book/record_story.py
// from a real run; the widget module draws it exactly as in a notebook.

import widget from "./widgets/player_map.js";
import { RecordedModel, play } from "./widgets/recorded_model.js";

/** @param {HTMLElement} el */
async function mount(el) {
  const url = el.dataset.session;
  if (!url) return;
  try {
    const response = await fetch(url);
    const recording = await response.json();
    const model = new RecordedModel(recording.traits);
    await widget.render({ model, el });
    play(model, recording.frames, { loop: true });
  } catch (error) {
    console.error("[stdblite] cannot replay", url, error);
    el.textContent = `The recorded session could not be loaded (${error}).`;
  }
}

for (const el of document.querySelectorAll(".stdblite-playback")) {
  mount(/** @type {HTMLElement} */ (el));
}
