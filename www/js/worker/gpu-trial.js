// `auto` where the browser offers a WebGPU adapter (runs in the inference worker): the first tags
// come from the CPU-only package, while the WebGPU package loads beside them; then both networks
// run the same picture, one run at a time between the camera's frames, and the worker keeps the
// faster. Starting on the CPU puts a sixth of the wasm before the first tag, and no shader
// compilation (see BENCHMARKS.md); measuring matters because an adapter is not a fast GPU: a
// software one (SwiftShader, which Chrome offers on some machines) or a weak integrated GPU can
// be many times slower than wasm SIMD on the CPU.

/** A mid-grey RGBA picture, `side` x `side`, as `{rgba, width, height}`: both paths time it. */
export function probePicture(side = 224) {
  return { rgba: new Uint8Array(side * side * 4).fill(128), width: side, height: side };
}

/** The median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Timed runs after the warm-up: the GPU's first one compiles its shaders. */
export const GPU_RUNS = 3;
export const CPU_RUNS = 2;

/**
 * Runs `timeOnce()` (resolving to milliseconds) up to `runs` times; stops after a run longer than
 * `enough` ms (on a GPU twice as slow as the CPU, one run tells, and each holds the camera's
 * frames back). Resolves to the median.
 */
export async function timeRuns(timeOnce, runs, enough = Infinity) {
  const times = [];
  while (times.length < runs) {
    times.push(await timeOnce());
    if (times.at(-1) > enough) break;
  }
  return median(times);
}

/** Whether the GPU is kept: its median time per picture is below the CPU's. */
export const gpuIsFaster = ({ gpuMs, cpuMs }) => gpuMs < cpuMs;
