// The page: load a model in the inference worker, tag the camera's frames or a picture, show
// the top-5.

import { closeCamera, currentCameraId, listCameras, openCamera } from './page/camera-device.js';
import { setupClassroom } from './classroom/panels.js';
import { setupCollect } from './collect/panel.js';
import { Engine } from './page/engine.js';
import { initLargeType } from './page/large-type.js';
import { renderLayerTable } from './classroom/layer-table.js';
import { currentLanguage, explain, setLanguage, t, translate } from './page/i18n.js';
import { startLoop } from './page/frame-loop.js';
import { fetchModelIndex, fillPicker, modelUrl } from './page/model-list.js';
import { acceptFiles, decodePicture, kindOf } from './page/picture.js';
import { Problem } from './shared/problem.js';
import { renderResults, rollingMedian } from './page/results.js';

const TOP_K = 5;

const $ = (id) => document.getElementById(id);
const ui = {
  stage: $('stage'), video: $('video'), picture: $('picture'), placeholder: $('placeholder'),
  toggle: $('camera-toggle'), fileInput: $('file-input'), backendSelect: $('backend-select'), modelSelect: $('model-select'),
  sizeSelect: $('size-select'),
  languageSelect: $('language-select'), pause: $('pause-toggle'), snapshot: $('snapshot'),
  cameraChoice: $('camera-choice'), cameraSelect: $('camera-select'), flip: $('camera-flip'),
  results: $('results'), fallback: $('fallback'), backend: $('backend'), ms: $('ms'), model: $('model-name'),
  status: $('status'), error: $('error'),
};

const engine = new Engine({ onLost: recoverOnCpu, onTrial: showTrial });
const collect = setupCollect({
  video: ui.video, panel: $('collect'), tagInput: $('tag-input'), capture: $('capture'),
  exportButton: $('export'), groups: $('sample-groups'),
});

// State the end-to-end tests (and the curious) can read: `window.camtag`.
const state = {
  model: null, source: null, pickers: null, stopLoop: null, resumeCamera: false, lastFrame: null, lastResult: null, frames: 0, firstTagMs: null, gpuTrial: null, cameraId: null, facingMode: 'environment', index: null,
  /** Bumped whenever the stage changes source, so a late result for the old one is dropped. */
  generation: 0,
  /** The last classified frame as a PNG data URL, with the result shown for it. */
  snapshot() {
    if (!state.lastFrame) return null;
    const canvas = document.createElement('canvas');
    canvas.width = state.lastFrame.width;
    canvas.height = state.lastFrame.height;
    canvas.getContext('2d').putImageData(state.lastFrame, 0, 0);
    return { png: canvas.toDataURL('image/png'), result: state.lastResult };
  },
};
window.camtag = state;

const onClassroomModel = setupClassroom({
  engine,
  current: () => ({ frame: state.lastFrame, result: state.lastResult, labels: state.model?.manifest.labels ?? null }),
  showError,
  modelIndex: () => state.index,
  // The comparison runs where the page's model runs (not `auto`: its trial would time itself).
  backend: () => (state.model ? (state.model.backend === 'CPU' ? 'cpu' : 'webgpu') : ui.backendSelect.value),
});
initLargeType($('large-type'));

function showStatus(text) { ui.status.textContent = text; }

/** Whether the message shown is a camera frame's failure, which the next good frame clears. */
let frameError = false;
function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = !text;
  frameError = false;
}

const median = rollingMedian(15);

let firstTagShown;
/** Resolves when the page shows its first tag (of the camera or of a picture). */
const firstTag = new Promise((resolve) => { firstTagShown = resolve; });

/**
 * Classifies one image in the worker and shows the result, unless the stage moved on meanwhile.
 * Resolves to whether it was shown.
 */
async function classify(image) {
  const generation = state.generation;
  // A smaller input for slow devices: the work scales with the pixels (160 px: half of 224's).
  const size = Number(ui.sizeSelect.value) || null;
  const { result, frame } = await engine.classify(image, TOP_K, size);
  if (generation !== state.generation) return false;
  state.lastFrame = frame;
  state.lastResult = result;
  state.frames += 1;
  if (state.frames === 1) {
    state.firstTagMs = Math.round(performance.now()); // since the page's navigation began
    firstTagShown();
  }
  renderResults(ui.results, result);
  ui.snapshot.disabled = false;
  ui.ms.textContent = `${median(result.totalMs).toFixed(0)} ms`;
  return true;
}

/** A camera frame (the loop calls it only once a model is loaded: its `ready`). */
async function classifyFrame(frame) {
  const generation = state.generation;
  try {
    // A good frame clears a frame's failure, and only that: a model that could not be loaded or
    // a picture that could not be read stays said while the camera goes on (so does why a camera
    // stopped, which a late frame of it does not even reach: classify drops it).
    if ((await classify(frame)) && frameError) showError('');
  } catch (e) {
    if (generation === state.generation) {
      showError(explain(e));
      frameError = true;
    }
  }
}

function showOnStage(what) {
  ui.video.hidden = what !== 'video';
  ui.picture.hidden = what !== 'picture';
  ui.placeholder.hidden = what !== 'placeholder';
}

/**
 * Opens the camera and starts the frame loop. Says what went wrong, or with `quiet`, resolves to
 * the problem for the caller to say.
 */
async function startCamera({ quiet = false } = {}) {
  state.generation += 1;
  if (!quiet) showError('');
  closeCamera(ui.video);
  try {
    await openCamera(ui.video, { deviceId: state.cameraId, facingMode: state.facingMode, onEnded: onCameraLost });
  } catch (e) {
    if (quiet) return e;
    showError(explain(e));
    return e;
  }
  state.cameraId = currentCameraId(ui.video);
  showOnStage('video');
  setToggle('stopCamera');
  setPaused(false);
  ui.pause.hidden = false;
  await offerCameras();
  collect.refresh();
}

/** The camera went away while in use (unplugged): stop cleanly and say so; pictures still work. */
function onCameraLost() {
  stopCamera();
  showError(t('cameraLost'));
}

/** Shows the camera picker and the front/back button when there is more than one camera. */
async function offerCameras() {
  const cameras = await listCameras();
  ui.cameraChoice.hidden = cameras.length < 2;
  ui.flip.hidden = cameras.length < 2;
  ui.cameraSelect.replaceChildren(...cameras.map((c) => new Option(c.label, c.deviceId, false, c.deviceId === state.cameraId)));
}

/**
 * Front ⇄ back: asks for the camera facing the other way (phones and tablets say which way each
 * faces); where cameras do not say (most desktop webcams) and the same one comes back, takes the
 * next one in the device list instead.
 */
async function flipCamera() {
  const before = state.cameraId;
  state.facingMode = state.facingMode === 'user' ? 'environment' : 'user';
  state.cameraId = null;
  await startCamera();
  if (state.cameraId && state.cameraId === before) {
    const cameras = await listCameras();
    const next = cameras[(cameras.findIndex((c) => c.deviceId === before) + 1) % cameras.length];
    if (next && next.deviceId !== before) {
      state.cameraId = next.deviceId;
      await startCamera();
    }
  }
}

/** Pausing freezes the picture and the tags; the camera stays open. */
function setPaused(paused) {
  state.stopLoop?.();
  state.stopLoop = null;
  ui.pause.dataset.i18n = paused ? 'resume' : 'pause';
  ui.pause.textContent = t(ui.pause.dataset.i18n);
  ui.pause.setAttribute('aria-pressed', String(paused));
  if (paused) ui.video.pause();
  else {
    ui.video.play();
    state.stopLoop = startLoop(ui.video, classifyFrame, { ready: () => state.model !== null });
  }
}

/** Saves the last classified frame as a PNG named after its top tag. */
function saveSnapshot() {
  const shot = state.snapshot();
  if (!shot) return;
  const top = shot.result.predictions[0];
  const name = (currentLanguage() === 'en' ? top.en : top.zh).replace(/[\\/:*?"<>|\s]+/g, '_');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const link = Object.assign(document.createElement('a'), { href: shot.png, download: `camtag-${name}-${stamp}.png` });
  link.click();
}

function stopCamera() {
  // A frame still in the worker was taken before the camera stopped: its result must not land
  // after the stop (on top of a picture shown meanwhile, or counted as a fresh tag).
  state.generation += 1;
  state.stopLoop?.();
  state.stopLoop = null;
  closeCamera(ui.video);
  ui.pause.hidden = true;
  collect.refresh();
  if (!ui.picture.hidden) return;
  showOnStage('placeholder');
  setToggle('startCamera');
}

function setToggle(key) {
  ui.toggle.dataset.i18n = key;
  ui.toggle.textContent = t(key);
}

async function showPicture(file) {
  stopCamera();
  state.generation += 1;
  ui.results.replaceChildren(); // the camera's tags do not describe the picture
  setToggle('startCamera');
  showError('');
  try {
    const image = await decodePicture(file, ui.picture);
    showOnStage('picture');
    await classify(image);
  } catch (e) {
    showError(explain(e));
  }
}

/**
 * Loads a model (`{url}` or `{file}`) on a backend. On failure the previous model stays.
 * Resolves to true (loaded), false (failed, said why) or 'superseded' (another load was asked
 * for meanwhile, and carries on).
 */
async function loadModel(source, backend) {
  ui.toggle.disabled = !state.model;
  showStatus(t('loadingModel', { percent: '' }));
  let model;
  try {
    const from = source.file ? { bytes: await source.file.arrayBuffer() } : { url: source.url };
    model = await engine.load(from, backend, (f) => showStatus(t('loadingModel', { percent: `${Math.round(f * 100)}%` })));
  } catch (e) {
    if (e.key === 'superseded') return 'superseded';
    showError(state.model ? `${explain(e)} ${t('stillUsing', { name: state.model.manifest.name })}` : explain(e));
    // A trial of the GPU still running for the previous model ended with this load (worker.js).
    if (state.gpuTrial?.pending) {
      state.gpuTrial = null;
      showBackend(state.model);
    }
    // The pickers show what runs: the previous model, on its backend.
    if (state.pickers) [ui.backendSelect.value, ui.modelSelect.value] = [state.pickers.backend, state.pickers.model];
    showStatus('');
    ui.toggle.disabled = !state.model;
    return false;
  }
  state.model = model;
  state.source = source;
  state.pickers = { backend: ui.backendSelect.value, model: ui.modelSelect.value };
  state.gpuTrial = model.trial ? { pending: true } : null;
  showError('');
  showBackend(model);
  const { manifest } = model;
  const dtype = manifest.weights.dtype === 'f32' ? '' : ` · ${manifest.weights.dtype}`;
  ui.model.textContent = `${manifest.name}${dtype}${manifest.accuracy ? ` (top-1 ${Number(manifest.accuracy.top1.toFixed(1))}%)` : ''}`;
  showStatus('');
  ui.toggle.disabled = false;
  showLayers();
  onClassroomModel(manifest);
  return true;
}

/** Says what runs the model: the backend, its wasm package, and why, when that was not the GPU. */
function showBackend(model) {
  ui.backend.textContent = model.backend;
  // On the CPU, which wasm build runs (SIMD or not) matters for speed: said on hover, and to tests,
  // as is the package (www/pkg, pkg-cpu or pkg-baseline: wasmbuild.js).
  ui.backend.dataset.wasm = model.wasm;
  ui.backend.dataset.package = model.package;
  const trial = state.gpuTrial;
  if (trial?.pending) ui.backend.title = t('tryingGpu');
  else if (trial && !trial.problem) ui.backend.title = t('gpuTimes', { gpu: trial.gpuMs, cpu: trial.cpuMs });
  else ui.backend.title = model.backend === 'CPU' ? t(model.wasm === 'simd' ? 'wasmSimd' : 'wasmBaseline') : '';
  let why = '';
  if (trial?.problem) why = `${t('fallback')} (${trial.problem.detail || explain(trial.problem)})`;
  else if (trial && !trial.pending && model.backend === 'CPU') why = t('gpuSlower', { gpu: trial.gpuMs, cpu: trial.cpuMs });
  else if (model.fallbackReason) why = `${t('fallback')} (${model.fallbackReason})`;
  ui.fallback.hidden = !why;
  ui.fallback.textContent = why;
}

/**
 * `auto`'s trial of the GPU ended (gputrial.js): the model now runs on `backend`, from `package`.
 * `state.gpuTrial` keeps the times (or the problem) for the curious and the tests.
 */
function showTrial({ backend, package: wasmPackage, gpuMs, cpuMs, problem }) {
  if (!state.model) return;
  state.gpuTrial = problem ? { problem } : { gpuMs, cpuMs, backend };
  Object.assign(state.model, { backend, package: wasmPackage });
  showBackend(state.model);
}

/**
 * Loads `source` on the chosen backend, the camera stopped meanwhile and started again after (by
 * the last of several reloads asked for in a row).
 */
async function reloadModel(source) {
  state.resumeCamera ||= Boolean(ui.video.srcObject);
  stopCamera();
  state.generation += 1; // a frame still in flight was tagged by the model being replaced
  const loaded = await loadModel(source, ui.backendSelect.value);
  if (loaded === 'superseded') return;
  const resume = state.resumeCamera && Boolean(state.model);
  state.resumeCamera = false;
  if (!resume) return;
  // After a failed load its message stays; a camera that cannot come back says so instead.
  const problem = await startCamera({ quiet: loaded === false });
  if (problem && loaded === false) showError(explain(problem));
}

/** The GPU went away (see gpuwatch.js): load the same model on the CPU, say so, carry on. */
async function recoverOnCpu(problem) {
  ui.backendSelect.value = 'cpu';
  await reloadModel(state.source ?? { url: modelUrl(ui.modelSelect.value) });
  ui.fallback.textContent = `${t('gpuLost')} (${problem.detail})`;
  ui.fallback.hidden = false;
}

/** Fills the layer table for the active model at the chosen input size, when it is open. */
async function showLayers() {
  const panel = $('layers-panel');
  if (!panel.open || !state.model) return;
  try {
    renderLayerTable($('layers-table'), await engine.layers(Number($('layers-size').value)));
  } catch (e) {
    showError(explain(e));
  }
}

function onFile(file) {
  const kind = kindOf(file);
  if (kind === 'picture') showPicture(file);
  else if (kind === 'model') loadModel({ file }, ui.backendSelect.value);
  else showError(explain(new Problem('notPictureNorModel', { name: file.name })));
}

/** `?size=160` (or 128, 192) in the address: the input size the page starts with. */
function initialSize() {
  const requested = new URLSearchParams(location.search).get('size') ?? '';
  return [...ui.sizeSelect.options].some((o) => o.value === requested) ? requested : '';
}

function initialBackend() {
  const requested = new URLSearchParams(location.search).get('backend') ?? 'auto';
  return ['auto', 'webgpu', 'cpu'].includes(requested) ? requested : 'auto';
}

async function main() {
  const backend = initialBackend();
  engine.prepare(backend); // the wasm downloads and compiles while the page sets up and fetches the model
  ui.backendSelect.value = backend;
  ui.sizeSelect.value = initialSize();
  ui.languageSelect.value = currentLanguage();
  translate();
  ui.languageSelect.addEventListener('change', () => {
    setLanguage(ui.languageSelect.value);
    if (state.model) showBackend(state.model);
    showLayers();
    if (state.lastResult) renderResults(ui.results, state.lastResult);
  });
  ui.toggle.addEventListener('click', () => (ui.video.srcObject ? stopCamera() : startCamera()));
  ui.pause.addEventListener('click', () => setPaused(ui.pause.dataset.i18n === 'pause'));
  ui.snapshot.addEventListener('click', saveSnapshot);
  ui.flip.addEventListener('click', flipCamera);
  ui.cameraSelect.addEventListener('change', () => {
    state.cameraId = ui.cameraSelect.value;
    startCamera();
  });
  ui.fileInput.addEventListener('change', () => {
    const [file] = ui.fileInput.files;
    if (file) onFile(file);
    ui.fileInput.value = '';
  });
  acceptFiles(ui.stage, onFile);
  $('layers-panel').addEventListener('toggle', showLayers);
  $('layers-size').addEventListener('change', showLayers);
  ui.backendSelect.addEventListener('change', () => reloadModel(state.source ?? { url: modelUrl(ui.modelSelect.value) }));
  ui.modelSelect.addEventListener('change', () => reloadModel({ url: modelUrl(ui.modelSelect.value) }));
  // Release the camera whenever the page is hidden; take it back when it returns.
  let resumeOnShow = false;
  document.addEventListener('visibilitychange', () => {
    if (document.hidden && ui.video.srcObject) { resumeOnShow = true; stopCamera(); }
    else if (!document.hidden && resumeOnShow) { resumeOnShow = false; startCamera(); }
  });
  window.addEventListener('pagehide', stopCamera);

  // The camera opens while the model list and the model load (a real camera takes a second or so
  // to start; so does the model); its frames wait until the model is ready. A model that cannot
  // load turns it off again; the model's problem, if any, is the one said. (A load superseded by
  // the user's choice leaves the camera to the newer load.)
  const camera = startCamera({ quiet: true });
  let first = 'mobilenet_v2_int8.camtag';
  try {
    const index = await fetchModelIndex();
    state.index = index;
    fillPicker(ui.modelSelect, index);
    first = index.default;
  } catch (e) {
    showError(explain(new Problem('modelListFailed', {}, e.message)));
  }
  const loaded = await loadModel({ url: modelUrl(first) }, backend);
  const cameraProblem = await camera;
  if (loaded === false) stopCamera();
  else if (loaded === true && cameraProblem) showError(explain(cameraProblem));
  // Installing the offline cache fetches the page, the wasm and the model a second time: it waits
  // for the first tag (at most 10 s), so it does not compete with it for the network and the CPU.
  if (loaded !== false && !cameraProblem) await Promise.race([firstTag, new Promise((ok) => setTimeout(ok, 10_000))]);
  registerServiceWorker();
}

/** Caches the app for offline use (www/sw.js); the page works the same without it. */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn(`camtag: no offline cache (${e.message})`));
}

main();
