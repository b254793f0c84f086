// In-page half of bench/ort.mjs: times camtag (its wasm package, as the page's worker uses it)
// and onnxruntime-web on the same weights, the same 224x224 picture, batch 1. Exposes
// `window.runBench({engine, backend, model, runs, normalization})`, resolving to per-run
// milliseconds and cold costs. engine: 'camtag' (wasm SIMD: www/pkg-cpu/ on the CPU, www/pkg/ on
// WebGPU, as the page chooses), 'camtag-baseline' (www/pkg-baseline/, no SIMD) or
// 'onnxruntime-web'; model: 'mobilenet_v2' or 'efficientnet_lite0'.

import * as ort from '/ort/ort.all.min.mjs';

ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1; // camtag's wasm is single-threaded: compare like with like
ort.env.wasm.proxy = false;

/**
 * chelsea.png's 224x224 centre crop, as RGBA, and with `normalization` ({mean, std}) as the
 * normalized CHW floats ONNX takes.
 */
async function picture(normalization = null) {
  const blob = await (await fetch('/photos/chelsea.png')).blob();
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(224, 224);
  const side = Math.min(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, 224, 224);
  const rgba = ctx.getImageData(0, 0, 224, 224).data;
  if (!normalization) return { rgba: new Uint8Array(rgba), chw: null };
  const { mean, std } = normalization;
  const chw = new Float32Array(3 * 224 * 224);
  for (let i = 0; i < 224 * 224; i += 1) {
    for (let c = 0; c < 3; c += 1) chw[c * 224 * 224 + i] = (rgba[i * 4 + c] / 255 - mean[c]) / std[c];
  }
  return { rgba: new Uint8Array(rgba), chw };
}

const now = () => performance.now();

/** Runs `infer` once (the first inference: shader compilation, caches), then `runs` times. */
async function time(infer, runs) {
  const first = now();
  let top1 = await infer();
  const firstMs = now() - first;
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t = now();
    top1 = await infer();
    times.push(now() - t);
  }
  return { firstMs, times, top1 };
}

async function camtag(dir, backend, model, runs, pic) {
  const t0 = now();
  const pkg = await import(`${dir}camtag.js`);
  await pkg.default({ module_or_path: `${dir}camtag_bg.wasm` });
  const bytes = new Uint8Array(await (await fetch(`/www/models/${model}.camtag`)).arrayBuffer());
  const classifier = await pkg.Classifier.create(bytes, backend);
  const loadMs = now() - t0;
  const infer = async () => (await classifier.classify(pic.rgba, 224, 224, 5)).predictions[0].index;
  return { actualBackend: classifier.backend, loadMs, ...(await time(infer, runs)) };
}

async function onnx(backend, model, runs, pic) {
  const t0 = now();
  const bytes = new Uint8Array(await (await fetch(`/onnx/${model}.onnx`)).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [backend === 'webgpu' ? 'webgpu' : 'wasm'] });
  const loadMs = now() - t0;
  const infer = async () => {
    const out = await session.run({ input: new ort.Tensor('float32', pic.chw, [1, 3, 224, 224]) });
    const logits = await out.logits.getData(); // read back, as camtag does
    let best = 0;
    for (let i = 1; i < logits.length; i += 1) if (logits[i] > logits[best]) best = i;
    return best;
  };
  return { actualBackend: backend, loadMs, ...(await time(infer, runs)) };
}

window.runBench = async ({ engine, backend, model, runs, normalization }) => {
  // camtag normalizes inside classify; onnxruntime gets the floats the bundle asks for
  // (`normalization`: its manifest's mean and std, which bench/ort.mjs reads with `camtag info`).
  if (engine === 'camtag') return camtag(backend === 'cpu' ? '/www/pkg-cpu/' : '/www/pkg/', backend, model, runs, await picture());
  if (engine === 'camtag-baseline') return camtag('/www/pkg-baseline/', backend, model, runs, await picture());
  return onnx(backend, model, runs, await picture(normalization));
};
window.benchReady = true;
