// Loading the wasm package and a model bundle. All paths are relative to the page, so the site
// works from any sub-path (GitHub project pages).

import init, { Classifier } from '../pkg/camtag.js';

let wasmReady;

/** Fetches and instantiates the wasm module once. */
export function loadWasm() {
  wasmReady ??= init({ module_or_path: new URL('../pkg/camtag_bg.wasm', import.meta.url) });
  return wasmReady;
}

/** Fetches a bundle and creates a classifier on `backend` ('auto' | 'webgpu' | 'cpu'). */
export async function loadModel(url, backend, onProgress = () => {}) {
  await loadWasm();
  const response = await fetch(url);
  if (!response.ok) throw new Error(`模型下载失败 Model download failed: ${url} (HTTP ${response.status})`);
  const bytes = await readWithProgress(response, onProgress);
  try {
    return await Classifier.create(bytes, backend);
  } catch (e) {
    throw new Error(`模型无法加载 The model could not be loaded: ${e?.message ?? e}`);
  }
}

async function readWithProgress(response, onProgress) {
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body || !total) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const out = new Uint8Array(total);
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > total) return concat(out.subarray(0, received), value, reader);
    out.set(value, received);
    received += value.length;
    onProgress(received / total);
  }
  return out.subarray(0, received);
}

// Content-Length was wrong (e.g. a compressing server): finish without the preallocated buffer.
async function concat(head, value, reader) {
  const parts = [head.slice(), value];
  for (;;) {
    const { done, value: more } = await reader.read();
    if (done) break;
    parts.push(more);
  }
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}
