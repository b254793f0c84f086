// The page's start: the backend and input size the address asks for, the wasm fetched at once,
// the camera opened while the model list and the first model load, and the offline cache
// installed once the first tag is on the screen.

import { explain } from './i18n.js';
import { fetchModelIndex, fillPicker, modelUrl } from './model-list.js';
import { Problem } from '../shared/problem.js';

const DEFAULT_MODEL = 'mobilenet_v2_int8.camtag'; // where models/index.json cannot be read

/** `?NAME=` in the page's address when it is one of `allowed`, else `fallback`. */
function fromAddress(name, allowed, fallback) {
  const requested = new URLSearchParams(location.search).get(name) ?? fallback;
  return allowed.includes(requested) ? requested : fallback;
}

/**
 * `onIndex(index)` hears models/index.json once it is read; `onPicker()` is called once the model
 * picker lists the built models (to add the user's); `firstModel()` resolves to the user's model
 * to start with, `{value, source}` (its picker value and what to load), or null for the default.
 */
export async function startUp({ engine, ui, camera, models, tagging, messages, onIndex, onPicker = () => {}, firstModel = async () => null }) {
  const backend = fromAddress('backend', ['auto', 'webgpu', 'cpu'], 'auto');
  engine.prepare(backend); // the wasm downloads and compiles while the page sets up and fetches the model
  ui.backendSelect.value = backend;
  // `?size=160` (or 128, 192): the input size the page starts with.
  ui.sizeSelect.value = fromAddress('size', [...ui.sizeSelect.options].map((o) => o.value), '');

  // The camera opens while the model list and the model load (a real camera takes a second or so
  // to start; so does the model); its frames wait until the model is ready. A model that cannot
  // load turns it off again; the model's problem, if any, is the one said. (A load superseded by
  // the user's choice leaves the camera to the newer load.)
  const opening = camera.start({ quiet: true });
  let first = DEFAULT_MODEL;
  try {
    const index = await fetchModelIndex();
    onIndex(index);
    fillPicker(ui.modelSelect, index);
    first = index.default;
  } catch (e) {
    messages.error(explain(new Problem('modelListFailed', {}, e.message)));
  }
  onPicker();
  // The user's own model, where they last chose one; the default where it cannot load.
  const mine = await firstModel().catch(() => null);
  if (mine) ui.modelSelect.value = mine.value;
  let loaded = mine ? await models.load(mine.source, backend) : false;
  if (mine && loaded === false) ui.modelSelect.value = first;
  if (!mine || loaded === false) loaded = await models.load({ url: modelUrl(first) }, backend);
  const cameraProblem = await opening;
  if (loaded === false) camera.stop();
  else if (loaded === true && cameraProblem) messages.error(explain(cameraProblem));
  // Installing the offline cache fetches the page, the wasm and the model a second time: it waits
  // for the first tag (at most 10 s), so it does not compete with it for the network and the CPU.
  if (loaded !== false && !cameraProblem) await Promise.race([tagging.firstTag, new Promise((ok) => setTimeout(ok, 10_000))]);
  registerServiceWorker();
}

/** Caches the app for offline use (www/sw.js); the page works the same without it. */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn(`camtag: no offline cache (${e.message})`));
}
