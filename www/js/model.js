// Loading the wasm package and model bundles (runs in the inference worker). All paths are
// relative to this file, so the site works from any sub-path (GitHub project pages).

import { Problem } from './problem.js';
import { packageDir } from './wasmbuild.js';

// Which wasm this worker runs: the page decides (wasmbuild.js) and says so in the worker's first
// message, before any load. (Not in the worker's URL: a worker served by the service worker
// sees the cached script's URL, without the query.)
let wasm = { build: 'simd', gzipped: false };

/** Sets the wasm build ('simd' | 'baseline') and whether to fetch it gzipped; before the first load. */
export function chooseWasm({ build, gzipped }) {
  wasm = { build: build === 'baseline' ? 'baseline' : 'simd', gzipped: gzipped === true };
}

/** The wasm build this worker runs. */
export const wasmBuild = () => wasm.build;

/**
 * The package's wasm: camtag_bg.wasm.gz inflated as it streams in, or the plain file. Either way
 * a Response typed application/wasm, which the module compiles while it downloads.
 */
async function wasmResponse(dir) {
  if (!wasm.gzipped) return fetch(new URL('camtag_bg.wasm', dir));
  const response = await fetch(new URL('camtag_bg.wasm.gz', dir));
  if (!response.ok) return response; // wasm-bindgen's loader reports the status
  const body = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Response(body, { headers: { 'content-type': 'application/wasm' } });
}

let wasmReady;

/**
 * Fetches and instantiates the wasm package once, resolving to its `Classifier` class. Its
 * linear memory is left on the worker's global as `camtagWasmMemory` for diagnostics (the soak
 * script reads its size: wasm memory only grows, so growth after warm-up means a leak).
 */
export function loadWasm() {
  wasmReady ??= (async () => {
    const dir = new URL(packageDir(wasm.build), import.meta.url);
    const pkg = await import(new URL('camtag.js', dir).href);
    const exports = await pkg.default({ module_or_path: wasmResponse(dir) });
    self.camtagWasmMemory = exports.memory;
    return pkg.Classifier;
  })().catch((e) => {
    wasmReady = undefined; // a network hiccup is not forever: the next load fetches it again
    throw e;
  });
  return wasmReady;
}

/** Downloads a bundle, reporting progress as a fraction. */
export async function fetchBundle(url, onProgress = () => {}) {
  const response = await fetch(url);
  if (!response.ok) throw new Problem('downloadFailed', {}, `${url} (HTTP ${response.status})`);
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body || !total) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const parts = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
    onProgress(Math.min(1, received / total));
  }
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

/** Runs `make()` once the wasm module is ready; its failure becomes a 'loadFailed' Problem. */
async function loaded(make) {
  const Classifier = await loadWasm();
  try {
    return await make(Classifier);
  } catch (e) {
    throw new Problem('loadFailed', {}, e?.message ?? String(e));
  }
}

/** Creates a classifier from bundle bytes on `backend` ('auto' | 'webgpu' | 'cpu'). */
export const createClassifier = (bytes, backend) => loaded((Classifier) => Classifier.create(bytes, backend));

/** The architecture `arch` (e.g. 'vgg16') with random weights, for timing only. */
export const createUntrained = (arch, backend) => loaded((Classifier) => Classifier.untrained(arch, backend));
