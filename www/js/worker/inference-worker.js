// The inference worker: owns the wasm module and the classifier, so the page's main thread
// (video, buttons) never waits for a forward pass. Protocol, one message at a time per kind:
//
//   in  {type: 'wasm', wasm, gzipped, backend}         (first: SIMD or not, gzipped or not, and the
//                                                      backend the first load will ask for: the
//                                                      worker fetches that wasm package at once;
//                                                      each load's backend picks its package,
//                                                      see shared/wasm-packages.js)
//   in  {type: 'load', loadId, url | bytes | arch, backend}
//                                                      out {type: 'progress', loadId, fraction}
//                                                      out {type: 'ready', loadId, backend, wasm, package, fallbackReason, manifest, trial}
//                                                      then, where `trial` (auto, with a WebGPU
//                                                      adapter: worker/gpu-trial.js), the backend kept:
//                                                      out {type: 'trial', loadId, backend, package, gpuMs, cpuMs}
//                                                       or {type: 'trial', loadId, backend, package, problem}
//   in  {type: 'classify', id, rgba, width, height, topK, size?}  (size: input side, default the model's)
//                                                      out {type: 'result', id, result, rgba}
//   in  {type: 'layers', id, size}                     out {type: 'layers', id, summary}
//   in  {type: 'features', id, rgba, width, height, point, maxChannels}
//                                                      out {type: 'features', id, maps, points}
//   any failure                                        out {type: 'error', id?, during, problem, rgba?}
//   the WebGPU device is lost                          out {type: 'lost', problem}  (the page then
//                                                      ends this worker: its work may never finish)
//
// `rgba` (an ArrayBuffer) is transferred both ways, so a frame is never copied. Messages are
// handled one at a time in arrival order. A failed load keeps the previous classifier. `arch`
// loads an architecture with random weights (the classroom times the lesson's networks that
// ship without weights).

import { watchGpuDevices } from './gpu-watch.js';
import { CPU_RUNS, GPU_RUNS, gpuIsFaster, probePicture, timeRuns } from './gpu-trial.js';
import { chooseWasm, createClassifier, createUntrained, fetchBundle, loadWasm, triesGpu, wasmBuild } from './classifier-loader.js';
import { Problem } from '../shared/problem.js';

let classifier = null;
let activePackage = null; // the wasm package `classifier` comes from

const asProblem = (e, key) => (e instanceof Problem ? e : new Problem(key, {}, e?.message ?? String(e)));

const post = (message, transfer = []) => self.postMessage(message, transfer);

watchGpuDevices((detail) => post({ type: 'lost', problem: new Problem('gpuLost', {}, detail).toJSON() }));

let latestLoad = 0;

async function load({ loadId, url, bytes, arch, backend }) {
  if (loadId !== latestLoad) return; // a newer load is queued: the page no longer waits for this one
  try {
    // `auto` with a WebGPU adapter starts on the CPU and tries the GPU beside it (worker/gpu-trial.js).
    const trial = !arch && (await triesGpu(backend));
    const first = trial ? 'cpu' : backend;
    let made;
    let data;
    if (arch) made = await createUntrained(arch, first);
    else {
      data = bytes ? new Uint8Array(bytes) : await fetchBundle(url, (fraction) => post({ type: 'progress', loadId, fraction }));
      made = await createClassifier(data, first);
    }
    const next = made.classifier;
    classifier?.free();
    [classifier, activePackage] = [next, made.wasmPackage];
    post({
      type: 'ready', loadId, backend: next.backend, wasm: wasmBuild(), package: made.wasmPackage,
      fallbackReason: next.fallbackReason ?? null, manifest: next.manifest, trial,
    });
    if (trial) tryGpu(loadId, data); // not awaited: the camera's frames go on meanwhile
  } catch (e) {
    post({ type: 'error', loadId, during: 'load', problem: asProblem(e, 'loadFailed').toJSON() });
  }
}

let frameDone = []; // resolvers waiting for a classification to end, each called at one end

async function classify({ id, rgba, width, height, topK, size }) {
  try {
    if (!classifier) throw new Problem('loadFailed', {}, 'no model is loaded');
    const result = await classifier.classify(new Uint8Array(rgba), width, height, topK, size ?? undefined);
    post({ type: 'result', id, result, rgba }, [rgba]);
  } catch (e) {
    post({ type: 'error', id, during: 'classify', problem: asProblem(e, 'classifyFailed').toJSON(), rgba }, [rgba]);
  } finally {
    if (frameDone.length) frameDone.splice(0).forEach((done) => done()); // only during a trial's wait
  }
}

async function features({ id, rgba, width, height, point, maxChannels }) {
  try {
    if (!classifier) throw new Problem('loadFailed', {}, 'no model is loaded');
    const maps = await classifier.featureMaps(new Uint8Array(rgba), width, height, point, maxChannels);
    post({ type: 'features', id, maps, points: classifier.probePoints() });
  } catch (e) {
    post({ type: 'error', id, during: 'features', problem: asProblem(e, 'classifyFailed').toJSON() });
  }
}

function layers({ id, size }) {
  try {
    if (!classifier) throw new Problem('loadFailed', {}, 'no model is loaded');
    post({ type: 'layers', id, summary: classifier.layerTable(size) });
  } catch (e) {
    post({ type: 'error', id, during: 'layers', problem: asProblem(e, 'loadFailed').toJSON() });
  }
}

class Superseded extends Error {}

const TRIAL_WAIT_MS = 3000; // the longest the trial waits for a first tag (a picture, no camera)

/**
 * `auto`'s trial of the GPU for load `loadId`, from the same bundle bytes: the WebGPU package and
 * classifier are made and warmed up (shader compilation) beside the frames; the timed runs, and
 * the swap, take their turn between frames. A newer load ends it, whether or not that load
 * succeeds (the page then forgets the trial). Otherwise tells the page what runs.
 */
async function tryGpu(loadId, bundle) {
  const current = () => loadId === latestLoad;
  let gpu = null;
  try {
    // After the first tag is shown (or a few seconds without one): the GPU's package is 4 MB to
    // fetch and compile, which the first tag need not wait for. The page sends the camera's next
    // frame only once it has shown the last tag (page/frame-loop.js), so the end of the second
    // classification comes after the first tag is on the screen.
    const classifications = (n) => new Promise((done) => {
      const next = () => (--n > 0 ? frameDone.push(next) : done());
      frameDone.push(next);
    });
    await Promise.race([classifications(2), new Promise((done) => setTimeout(done, TRIAL_WAIT_MS))]);
    if (!current()) return;
    const made = await createClassifier(bundle, 'webgpu');
    gpu = made.classifier;
    const { rgba, width, height } = probePicture();
    const run = (c) => c.classify(rgba, width, height, 1);
    await run(gpu);
    const timeOn = (which) => inTurn(async () => {
      if (!current()) throw new Superseded();
      const c = which === 'gpu' ? gpu : classifier;
      const start = performance.now();
      await run(c);
      return performance.now() - start;
    });
    const cpuMs = await timeRuns(() => timeOn('cpu'), CPU_RUNS);
    const gpuMs = await timeRuns(() => timeOn('gpu'), GPU_RUNS, 2 * cpuMs);
    const times = { gpuMs: Math.round(gpuMs), cpuMs: Math.round(cpuMs) };
    await inTurn(() => {
      if (!current()) return;
      if (gpuIsFaster(times)) {
        classifier.free();
        [classifier, activePackage, gpu] = [gpu, made.wasmPackage, null];
      }
      post({ type: 'trial', loadId, backend: classifier.backend, package: activePackage, ...times });
    });
  } catch (e) {
    if (current() && !(e instanceof Superseded)) {
      post({ type: 'trial', loadId, backend: classifier.backend, package: activePackage, problem: asProblem(e, 'loadFailed').toJSON() });
    }
  } finally {
    gpu?.free();
  }
}

// One thing at a time, in arrival order: a classification never overlaps another or a load.
let queue = Promise.resolve();

/** Runs `task` after everything queued before it; resolves or rejects as it does. */
function inTurn(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

self.onmessage = ({ data }) => {
  if (data.type === 'wasm') {
    // Start fetching and compiling the wasm now, while the page and this worker fetch the model;
    // a failure surfaces at the first load, which awaits the same promise.
    chooseWasm(data);
    loadWasm(data.backend).catch(() => {});
  }
  else if (data.type === 'load') {
    latestLoad = data.loadId;
    inTurn(() => load(data));
  }
  else if (data.type === 'classify') inTurn(() => classify(data));
  else if (data.type === 'layers') inTurn(() => layers(data));
  else if (data.type === 'features') inTurn(() => features(data));
};
