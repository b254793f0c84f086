// Loading the wasm package and model bundles (runs in the inference worker). All paths are
// relative to this file, so the site works from any sub-path (GitHub project pages).

import { Problem } from '../shared/problem.js';
import { choosePackage, hasWebGpuAdapter } from '../shared/wasm-packages.js';

// Which wasm this worker runs: the page says in the worker's first message (shared/wasm-packages.js), before
// any load, whether it has wasm SIMD and whether to fetch gzipped; each load's backend then picks
// the package (not from the worker's URL: a worker served by the service worker sees the cached
// script's URL, without the query).
let settings = { wasm: 'simd', gzipped: false };

/** Sets the instruction set and whether to fetch gzipped; before the first load. */
export function chooseWasm({ wasm, gzipped }) {
  settings = { wasm: wasm === 'baseline' ? 'baseline' : 'simd', gzipped: gzipped === true };
}

/** The instruction set this worker runs, 'simd' or 'baseline'. */
export const wasmBuild = () => settings.wasm;

/**
 * Whether a load on `backend` starts on the CPU and tries the GPU beside it (worker/gpu-trial.js): `auto`
 * where WebGPU offers an adapter (every browser with WebGPU has wasm SIMD).
 */
export const triesGpu = async (backend) => backend === 'auto' && settings.wasm === 'simd' && hasWebGpuAdapter();

/**
 * The package's wasm: camtag_bg.wasm.gz inflated as it streams in, or the plain file. Either way
 * a Response typed application/wasm, which the module compiles while it downloads.
 */
async function wasmResponse(dir) {
  if (!settings.gzipped) return fetch(new URL('camtag_bg.wasm', dir));
  const response = await fetch(new URL('camtag_bg.wasm.gz', dir));
  if (!response.ok) return response; // wasm-bindgen's loader reports the status
  const body = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Response(body, { headers: { 'content-type': 'application/wasm' } });
}

const packages = new Map(); // package name -> promise of its exports: {Classifier, teach}

/**
 * The package for a backend ('auto' | 'webgpu' | 'cpu'), fetched and instantiated once per
 * package: resolves to `{name, Classifier, teach}` (`teach`: the free function that trains a new
 * head, undefined in a package built before it). A worker that switches between the GPU and the CPU
 * keeps both, so a failed load on one leaves the other's classifier working. The linear memory
 * of the last one instantiated is left on the worker's global as `camtagWasmMemory` for
 * diagnostics (the soak script reads its size: wasm memory only grows, so growth after warm-up
 * means a leak).
 */
export async function loadWasm(backend) {
  const name = await choosePackage(settings.wasm, backend, hasWebGpuAdapter);
  if (!packages.has(name)) {
    const ready = (async () => {
      const dir = new URL(`../../${name}/`, import.meta.url);
      const pkg = await import(new URL('camtag.js', dir).href);
      const exports = await pkg.default({ module_or_path: wasmResponse(dir) });
      self.camtagWasmMemory = exports.memory;
      return { Classifier: pkg.Classifier, teach: pkg.teach, inputSizeProblem: pkg.inputSizeProblem, bundleProblem: pkg.bundleProblem };
    })();
    packages.set(name, ready);
    // A network hiccup is not forever: the next load fetches it again.
    ready.catch(() => packages.delete(name));
  }
  return { name, ...(await packages.get(name)) };
}

/**
 * Downloads a bundle, reporting progress as a fraction of the bytes that cross the network. Where
 * this worker inflates (as for the wasm), it asks for `<url>.gz` first: build.sh writes one beside
 * each bundle, fewer bytes from any server, compressing or not (sizes in BENCHMARKS.md); a bundle
 * without one (put there by hand) is fetched as it is.
 */
export async function fetchBundle(url, onProgress = () => {}) {
  if (settings.gzipped) {
    const response = await fetch(`${url}.gz`);
    if (response.ok) return readBody(response, `${url}.gz`, onProgress, true);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Problem('downloadFailed', {}, `${url} (HTTP ${response.status})`);
  return readBody(response, url, onProgress, false);
}

/** A response's bytes, inflated when `gzipped`; a broken or cut-off body is a 'downloadFailed'. */
async function readBody(response, url, onProgress, gzipped) {
  const total = Number(response.headers.get('content-length')) || 0;
  let received = 0;
  let body = response.body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      received += chunk.length;
      if (total) onProgress(Math.min(1, received / total));
      controller.enqueue(chunk);
    },
  }));
  if (gzipped) body = body.pipeThrough(new DecompressionStream('gzip'));
  try {
    return new Uint8Array(await new Response(body).arrayBuffer());
  } catch (e) {
    throw new Problem('downloadFailed', {}, `${url} (${e?.message ?? e})`);
  }
}

/**
 * Runs `make(Classifier)` once the package for `backend` is ready: resolves to
 * `{classifier, wasmPackage}`; a failure to make it becomes a 'loadFailed' Problem.
 */
async function loaded(backend, make) {
  const wasm = await loadWasm(backend);
  try {
    return { classifier: await make(wasm), wasmPackage: wasm.name };
  } catch (e) {
    throw Problem.of(e, 'loadFailed');
  }
}

/** A bundle's header and manifest (the 16-byte header says how long the manifest is). */
function headOf(bytes) {
  if (bytes.length < 16) return bytes;
  const length = new DataView(bytes.buffer, bytes.byteOffset, 16).getUint32(12, true);
  return bytes.subarray(0, Math.min(bytes.length, 16 + length));
}

/**
 * Creates a classifier from bundle bytes on `backend` ('auto' | 'webgpu' | 'cpu'). Its manifest is
 * checked first (`bundleProblem`), so a network too large for a page is refused before the whole
 * file is copied into the module's memory.
 */
export const createClassifier = (bytes, backend) => loaded(backend, ({ Classifier, bundleProblem }) => {
  const problem = bundleProblem?.(headOf(bytes));
  if (problem) throw new Error(problem);
  return Classifier.create(bytes, backend);
});

/** The architecture `arch` (e.g. 'vgg16') with random weights, for timing only. */
export const createUntrained = (arch, backend) => loaded(backend, ({ Classifier }) => Classifier.untrained(arch, backend));
