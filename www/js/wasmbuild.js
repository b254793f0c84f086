// Which of the two wasm packages this browser runs (build.sh builds both): 'simd' (www/pkg/,
// wasm SIMD: 128-bit vector instructions, about 1.8x faster on the CPU) or 'baseline'
// (www/pkg-baseline/, for browsers without wasm SIMD: before Chrome 91, Firefox 89, Safari 16.4).
// `?wasm=baseline` in the page's address forces the baseline, to compare the two in class.

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

/** 'simd' or 'baseline', from the page's address and the browser. */
export function wasmBuild(search = globalThis.location?.search ?? '') {
  if (new URLSearchParams(search).get('wasm') === 'baseline') return 'baseline';
  return hasWasmSimd() ? 'simd' : 'baseline';
}

/**
 * Whether the worker fetches the wasm gzipped (camtag_bg.wasm.gz, 4 MB instead of 18 MB from a
 * server that does not compress, as `python3 -m http.server` does not) and inflates it with
 * DecompressionStream (Chrome 80, Firefox 113, Safari 16.4); elsewhere it fetches the plain file.
 */
export const canInflate = () => typeof DecompressionStream === 'function';

/** The worker's first message: which package, and whether gzipped. */
export const wasmMessage = () => ({ type: 'wasm', build: wasmBuild(), gzipped: canInflate() });

/** The package directory (relative to www/js/) of a build. */
export const packageDir = (build) => (build === 'baseline' ? '../pkg-baseline/' : '../pkg/');
