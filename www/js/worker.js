// The inference worker: owns the wasm module and the classifier, so the page's main thread
// (video, buttons) never waits for a forward pass. Protocol, one message at a time per kind:
//
//   in  {type: 'wasm', wasm, gzipped, backend}         (first: SIMD or not, gzipped or not, and the
//                                                      backend the first load will ask for: the
//                                                      worker fetches that wasm package at once;
//                                                      each load's backend picks its package,
//                                                      see wasmbuild.js)
//   in  {type: 'load', loadId, url | bytes | arch, backend}
//                                                      out {type: 'progress', loadId, fraction}
//                                                      out {type: 'ready', loadId, backend, wasm, package, fallbackReason, manifest}
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

import { watchGpuDevices } from './gpuwatch.js';
import { chooseWasm, createClassifier, createUntrained, fetchBundle, loadWasm, wasmBuild } from './model.js';
import { Problem } from './problem.js';

let classifier = null;

const asProblem = (e, key) => (e instanceof Problem ? e : new Problem(key, {}, e?.message ?? String(e)));

const post = (message, transfer = []) => self.postMessage(message, transfer);

watchGpuDevices((detail) => post({ type: 'lost', problem: new Problem('gpuLost', {}, detail).toJSON() }));

let latestLoad = 0;

async function load({ loadId, url, bytes, arch, backend }) {
  if (loadId !== latestLoad) return; // a newer load is queued: the page no longer waits for this one
  try {
    let made;
    if (arch) made = await createUntrained(arch, backend);
    else {
      const data = bytes ? new Uint8Array(bytes) : await fetchBundle(url, (fraction) => post({ type: 'progress', loadId, fraction }));
      made = await createClassifier(data, backend);
    }
    const next = made.classifier;
    classifier?.free();
    classifier = next;
    post({
      type: 'ready', loadId, backend: next.backend, wasm: wasmBuild(), package: made.wasmPackage,
      fallbackReason: next.fallbackReason ?? null, manifest: next.manifest,
    });
  } catch (e) {
    post({ type: 'error', loadId, during: 'load', problem: asProblem(e, 'loadFailed').toJSON() });
  }
}

async function classify({ id, rgba, width, height, topK, size }) {
  try {
    if (!classifier) throw new Problem('loadFailed', {}, 'no model is loaded');
    const result = await classifier.classify(new Uint8Array(rgba), width, height, topK, size ?? undefined);
    post({ type: 'result', id, result, rgba }, [rgba]);
  } catch (e) {
    post({ type: 'error', id, during: 'classify', problem: asProblem(e, 'classifyFailed').toJSON(), rgba }, [rgba]);
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

// One thing at a time, in arrival order: a classification never overlaps another or a load.
let queue = Promise.resolve();
self.onmessage = ({ data }) => {
  if (data.type === 'wasm') {
    // Start fetching and compiling the wasm now, while the page and this worker fetch the model;
    // a failure surfaces at the first load, which awaits the same promise.
    chooseWasm(data);
    loadWasm(data.backend).catch(() => {});
  }
  else if (data.type === 'load') {
    latestLoad = data.loadId;
    queue = queue.then(() => load(data));
  }
  else if (data.type === 'classify') queue = queue.then(() => classify(data));
  else if (data.type === 'layers') queue = queue.then(() => layers(data));
  else if (data.type === 'features') queue = queue.then(() => features(data));
};
