// Which model runs, and on what: the first load, the model and backend pickers (the built models
// and the user's own, teach/user-models.js), a dropped .camtag file, and the move to the CPU when
// the GPU goes away. A load that fails keeps the
// previous model (and the pickers go back to it); several asked for in a row: the last one wins.

import { explain, t } from './i18n.js';
import { modelUrl } from './model-list.js';

/**
 * `camera` is stopped during a reload and started again after it; `onModel(manifest, from)` hears
 * of every model loaded (and what it was loaded from); `onSwitch()` of every other model picked
 * (the teacher abandons a training); `sourceOf(value)` resolves a picker value to what to load
 * (default: a built model's `{url}`); `explainFailure(error, from)` may say better why a load
 * failed (a model not kept offline), else null.
 */
export function createModelLoading({
  engine, ui, messages, backendDisplay, camera, tagging, onModel, onSwitch = () => {}, sourceOf = async (value) => ({ url: modelUrl(value) }),
  explainFailure = () => null,
}) {
  let model = null; // what the worker runs: {backend, wasm, package, fallbackReason, manifest, trial}
  let source = null; // where it came from: {url} or {file}
  let pickers = null; // the pickers' values that loaded it
  let resumeCamera = false;

  const pickedSource = () => source ?? { url: modelUrl(ui.modelSelect.value) };

  /**
   * Loads a model (`{url}` or `{file}`, with `name` to show instead of the manifest's) on a backend. On failure the previous model stays.
   * Resolves to true (loaded), false (failed, said why) or 'superseded' (another load was asked
   * for meanwhile, and carries on).
   */
  async function load(from, backend) {
    ui.toggle.disabled = !model;
    messages.status(t('loadingModel', { percent: '' }));
    let loaded;
    try {
      const what = from.file ? { bytes: await from.file.arrayBuffer() } : { url: from.url };
      loaded = await engine.load(what, backend, (f) => messages.status(t('loadingModel', { percent: `${Math.round(f * 100)}%` })));
    } catch (e) {
      if (e.key === 'superseded') return 'superseded';
      const why = explainFailure(e, from) ?? explain(e);
      messages.error(model ? `${why} ${t('stillUsing', { name: model.manifest.name })}` : why);
      if (model) backendDisplay.loadFailed(model);
      if (pickers) [ui.backendSelect.value, ui.modelSelect.value] = [pickers.backend, pickers.model];
      messages.status('');
      ui.toggle.disabled = !model;
      return false;
    }
    [model, source] = [loaded, from];
    pickers = { backend: ui.backendSelect.value, model: ui.modelSelect.value };
    messages.error('');
    backendDisplay.loaded(model);
    const { manifest } = model;
    const dtype = manifest.weights.dtype === 'f32' ? '' : ` · ${manifest.weights.dtype}`;
    ui.model.textContent = `${from.name ?? manifest.name}${dtype}${manifest.accuracy ? ` (top-1 ${Number(manifest.accuracy.top1.toFixed(1))}%)` : ''}`;
    ui.model.dataset.model = String(model.id);
    tagging.modelLoaded(model.id); // the tags on screen came from the model it replaces
    messages.status('');
    ui.toggle.disabled = false;
    onModel(manifest, from);
    return true;
  }

  /**
   * Loads `from` on the chosen backend, the camera stopped meanwhile and started again after (by
   * the last of several reloads asked for in a row).
   */
  async function reload(from) {
    resumeCamera ||= camera.isOn();
    camera.stop();
    tagging.newSource(); // a frame still in flight was tagged by the model being replaced
    const loaded = await load(from, ui.backendSelect.value);
    if (loaded === 'superseded') return;
    const resume = resumeCamera && Boolean(model);
    resumeCamera = false;
    if (!resume) return;
    // After a failed load its message stays; a camera that cannot come back says so instead.
    const problem = await camera.start({ quiet: loaded === false });
    if (problem && loaded === false) messages.error(explain(problem));
  }

  ui.backendSelect.addEventListener('change', () => reload(pickedSource()));
  ui.modelSelect.addEventListener('change', async () => {
    onSwitch(); // at once: what to load may take a moment to read
    reload(await sourceOf(ui.modelSelect.value));
  });

  return {
    load,
    reload,
    /** What runs now (`{id, backend, manifest, …}`), or null. */
    current: () => model,
    /** The pickers as they are now load what runs (after the model picker was set to it by hand). */
    pickedNow: () => { if (model) pickers = { backend: ui.backendSelect.value, model: ui.modelSelect.value }; },
    ready: () => model !== null,
    /** What the running model computes on, as a backend to ask for: 'cpu' or 'webgpu' (none yet: the picker's). */
    backend: () => (model ? (model.backend === 'CPU' ? 'cpu' : 'webgpu') : ui.backendSelect.value),
    /** Says again what runs the model (in another language). */
    showBackend: () => model && backendDisplay.show(model),
    /** `auto`'s trial of the GPU ended (page/engine.js's `onTrial`). */
    trialEnded: (trial) => model && backendDisplay.trialEnded(model, trial),
    /** The GPU went away (worker/gpu-watch.js): load the same model on the CPU, say so, carry on. */
    async recoverOnCpu(problem) {
      ui.backendSelect.value = 'cpu';
      await reload(pickedSource());
      backendDisplay.gpuLost(problem);
    },
  };
}
