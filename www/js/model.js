// Loading the wasm package and model bundles (runs in the inference worker). All paths are
// relative to this file, so the site works from any sub-path (GitHub project pages).

import init, { Classifier } from '../pkg/camtag.js';
import { Problem } from './problem.js';

let wasmReady;

/**
 * Fetches and instantiates the wasm module once. Its linear memory is left on the worker's
 * global as `camtagWasmMemory` for diagnostics (the soak script reads its size: wasm memory
 * only grows, so growth after warm-up means a leak).
 */
export function loadWasm() {
  wasmReady ??= init({ module_or_path: new URL('../pkg/camtag_bg.wasm', import.meta.url) }).then((exports) => {
    self.camtagWasmMemory = exports.memory;
    return exports;
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
  await loadWasm();
  try {
    return await make();
  } catch (e) {
    throw new Problem('loadFailed', {}, e?.message ?? String(e));
  }
}

/** Creates a classifier from bundle bytes on `backend` ('auto' | 'webgpu' | 'cpu'). */
export const createClassifier = (bytes, backend) => loaded(() => Classifier.create(bytes, backend));

/** The architecture `arch` (e.g. 'vgg16') with random weights, for timing only. */
export const createUntrained = (arch, backend) => loaded(() => Classifier.untrained(arch, backend));
