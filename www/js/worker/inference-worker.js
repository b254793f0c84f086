// The inference worker: owns the wasm module and the classifier, so the page's main thread
// (video, buttons) never waits for a forward pass. It answers the requests of the worker
// protocol (shared/protocol.js) one at a time, in arrival order (but for the teacher's DESCRIBE
// and TRAIN, worker/teacher.js, which never touch the active model). A failed load keeps the previous
// classifier; `arch` loads an architecture with random weights (the classroom times the lesson's
// networks that ship without weights).

import { watchGpuDevices } from './gpu-watch.js';
import { CPU_RUNS, GPU_RUNS, gpuIsFaster, probePicture, timeRuns } from './gpu-trial.js';
import { chooseWasm, createClassifier, createUntrained, fetchBundle, loadWasm, triesGpu, wasmBuild } from './classifier-loader.js';
import { cancel as cancelTraining, describe, train } from './teacher.js';
import { Kind, epoch, failure, lost, progress, reply, trial as trialEnded } from '../shared/protocol.js';
import { Problem } from '../shared/problem.js';

let classifier = null;
let activePackage = null; // the wasm package `classifier` comes from
let activeLoad = null; // the id of the load that made `classifier`: each classification says it

const post = (message, transfer = []) => self.postMessage(message, transfer);

watchGpuDevices((detail) => post(lost(detail)));

let latestLoad = 0; // the id of the last load asked for

/** The classifier requests run on; none before the first load succeeds. */
function active() {
  if (!classifier) throw new Problem('loadFailed', {}, 'no model is loaded');
  return classifier;
}

async function load({ id, url, bytes, arch, backend }) {
  // `auto` with a WebGPU adapter starts on the CPU and tries the GPU beside it (worker/gpu-trial.js).
  const trial = !arch && (await triesGpu(backend));
  const first = trial ? 'cpu' : backend;
  let made;
  let data;
  if (arch) made = await createUntrained(arch, first);
  else {
    data = bytes ? new Uint8Array(bytes) : await fetchBundle(url, (fraction) => post(progress(id, fraction)));
    made = await createClassifier(data, first);
  }
  const next = made.classifier;
  classifier?.free();
  [classifier, activePackage, activeLoad] = [next, made.wasmPackage, id];
  if (trial) tryGpu(id, data); // not awaited: the camera's frames go on meanwhile
  return {
    backend: next.backend, wasm: wasmBuild(), package: made.wasmPackage,
    fallbackReason: next.fallbackReason ?? null, manifest: next.manifest, trial,
  };
}

let frameDone = []; // resolvers waiting for a classification to end, each called at one end

/**
 * Each request: what it does (resolving to the reply's value), the Problem its failure is when the
 * error is not one, and whether the frame's buffer goes back to the page.
 */
const REQUESTS = {
  [Kind.LOAD]: { run: load, failsAs: 'loadFailed' },
  [Kind.CLASSIFY]: {
    run: async ({ rgba, width, height, topK, size, map, mapTag }) => {
      const model = activeLoad;
      const pixels = new Uint8Array(rgba);
      const result = map
        ? await active().classifyWithMap(pixels, width, height, topK, size ?? undefined, mapTag ?? undefined)
        : await active().classify(pixels, width, height, topK, size ?? undefined);
      return { ...result, model };
    },
    failsAs: 'classifyFailed',
    givesBack: true,
  },
  [Kind.LAYERS]: { run: ({ size }) => active().layerTable(size), failsAs: 'loadFailed' },
  [Kind.SIZES]: {
    run: async ({ arch, sizes }) => {
      const { inputSizeProblem } = await loadWasm(active().backend === 'CPU' ? 'cpu' : 'webgpu');
      return sizes.map((size) => ({ size, problem: inputSizeProblem(arch, size) ?? null }));
    },
    failsAs: 'loadFailed',
  },
  [Kind.FEATURES]: {
    run: async ({ rgba, width, height, point, maxChannels }) => {
      const maps = await active().featureMaps(new Uint8Array(rgba), width, height, point, maxChannels);
      return { maps, points: classifier.probePoints() };
    },
    failsAs: 'classifyFailed',
  },
};

/** Runs one request and answers it: its reply, or its failure. */
async function answer(request) {
  if (request.kind === Kind.LOAD && request.id !== latestLoad) return; // a newer load is queued: the page no longer waits for this one
  const { run, failsAs, givesBack } = REQUESTS[request.kind];
  const rgba = givesBack ? request.rgba : undefined;
  const transfer = givesBack ? [rgba] : [];
  try {
    post(reply(request.id, await run(request), rgba), transfer);
  } catch (e) {
    post(failure(request.id, e, failsAs, rgba), transfer);
  } finally {
    if (request.kind === Kind.CLASSIFY && frameDone.length) frameDone.splice(0).forEach((done) => done()); // only during a trial's wait
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
      post(trialEnded(loadId, { backend: classifier.backend, package: activePackage, ...times }));
    });
  } catch (e) {
    if (current() && !(e instanceof Superseded)) {
      post(trialEnded(loadId, { backend: classifier.backend, package: activePackage, problem: Problem.of(e, 'loadFailed') }));
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

/** DESCRIBE and TRAIN: answered beside the queue (worker/teacher.js); their results' buffers are transferred. */
async function teach(request) {
  try {
    if (request.kind === Kind.DESCRIBE) {
      const value = await describe(request);
      post(reply(request.id, value), [value.features.buffer]);
    } else {
      const value = await train(request, (record) => post(epoch(request.id, record)));
      post(reply(request.id, value), [value.bundle.buffer]);
    }
  } catch (e) {
    post(failure(request.id, e, request.kind === Kind.DESCRIBE ? 'describeFailed' : 'trainFailed'));
  }
}

self.onmessage = ({ data: request }) => {
  if (request.kind === Kind.DESCRIBE || request.kind === Kind.TRAIN) {
    teach(request);
    return;
  }
  if (request.kind === Kind.CANCEL) {
    cancelTraining(request.id);
    return;
  }
  if (request.kind === Kind.WASM) {
    // Start fetching and compiling the wasm now, while the page and this worker fetch the model;
    // a failure surfaces at the first load, which awaits the same promise.
    chooseWasm(request);
    loadWasm(request.backend).catch(() => {});
    return;
  }
  if (request.kind === Kind.LOAD) latestLoad = request.id;
  inTurn(() => answer(request));
};
