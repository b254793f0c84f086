// Which of the three wasm packages a worker runs (build.sh builds them all):
//
//   www/pkg/           wasm SIMD and WebGPU: where the network may run on the GPU;
//   www/pkg-cpu/       wasm SIMD, CPU only: where the CPU is asked for or the browser offers no
//                      WebGPU adapter, and first for `auto`, which then tries the GPU beside it
//                      (worker/gpu-trial.js). The WebGPU stack is about three quarters of the code, so
//                      this one downloads and compiles in a fraction of the time;
//   www/pkg-baseline/  neither: for browsers without wasm SIMD (before Chrome 91, Firefox 89,
//                      Safari 16.4), about half as fast on the CPU. Every browser with WebGPU
//                      has wasm SIMD.
//
// The page knows the instruction set; each load's backend (the picker) says whether a GPU is
// wanted; only the worker can ask for a WebGPU adapter where the network would run, so it makes
// the last choice, and keeps a package it loaded for when the backend is switched back.
// `?wasm=baseline` in the page's address forces the baseline, to compare the two in class.

import { Kind } from './protocol.js';

// The smallest module that uses a SIMD instruction: (func (result v128) i32.const 0
// i8x16.splat i8x16.popcnt). The same probe as GoogleChromeLabs/wasm-feature-detect's `simd`.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** True where this JavaScript engine can compile wasm SIMD. */
export const hasWasmSimd = () => {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
};

/** The instruction set, 'simd' or 'baseline', from the page's address and the browser. */
export function instructionSet(search = globalThis.location?.search ?? '') {
  if (new URLSearchParams(search).get('wasm') === 'baseline') return 'baseline';
  return hasWasmSimd() ? 'simd' : 'baseline';
}

/**
 * Whether the worker fetches the wasm and the model gzipped (camtag_bg.wasm.gz: a quarter of the
 * bytes from a server that does not compress, as `python3 -m http.server` does not; <bundle>.gz)
 * and inflates them with DecompressionStream (Chrome 80, Firefox 113, Safari 16.4); elsewhere it
 * fetches the plain files.
 */
export const canInflate = () => typeof DecompressionStream === 'function';

/** A worker's first message: the instruction set, whether gzipped, and the first load's backend. */
export const wasmMessage = (backend) => ({ kind: Kind.WASM, wasm: instructionSet(), gzipped: canInflate(), backend });

/**
 * The package a worker loads (its directory under www/) for its instruction set ('simd' |
 * 'baseline') and a backend ('auto' | 'webgpu' | 'cpu'): the WebGPU one only where WebGPU is asked
 * for and `hasAdapter()` resolves that WebGPU offers an adapter here. `auto` starts on the CPU
 * everywhere and reaches the GPU only through its trial (worker/gpu-trial.js), which asks for 'webgpu'.
 */
export async function choosePackage(instructions, backend, hasAdapter) {
  if (instructions === 'baseline') return 'pkg-baseline';
  return backend === 'webgpu' && (await hasAdapter()) ? 'pkg' : 'pkg-cpu';
}

let adapterCheck;

/** Resolves whether this (worker) global's WebGPU offers an adapter; asks once, never rejects. */
export function hasWebGpuAdapter() {
  adapterCheck ??= (async () => {
    try {
      return Boolean(await globalThis.navigator?.gpu?.requestAdapter());
    } catch {
      return false;
    }
  })();
  return adapterCheck;
}
