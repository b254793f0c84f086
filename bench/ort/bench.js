// In-page half of bench/ort.mjs: times camtag (its wasm module, as the page's worker uses it) and
// onnxruntime-web on the same MobileNetV2 weights, the same 224x224 picture, batch 1. Exposes
// `window.runBench({engine, backend, runs})`, resolving to per-run milliseconds and cold costs.

import init, { Classifier } from '/www/pkg/camtag.js';
import * as ort from '/ort/ort.all.min.mjs';

ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1; // camtag's wasm is single-threaded: compare like with like
ort.env.wasm.proxy = false;

/** chelsea.png's 224x224 centre crop, as RGBA, and as the normalized CHW floats ONNX takes. */
async function picture() {
  const blob = await (await fetch('/photos/chelsea.png')).blob();
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(224, 224);
  const side = Math.min(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, 224, 224);
  const rgba = ctx.getImageData(0, 0, 224, 224).data;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const chw = new Float32Array(3 * 224 * 224);
  for (let i = 0; i < 224 * 224; i += 1) {
    for (let c = 0; c < 3; c += 1) chw[c * 224 * 224 + i] = (rgba[i * 4 + c] / 255 - mean[c]) / std[c];
  }
  return { rgba: new Uint8Array(rgba), chw };
}

const now = () => performance.now();

async function camtag(backend, runs, pic) {
  const t0 = now();
  await init('/www/pkg/camtag_bg.wasm');
  const bytes = new Uint8Array(await (await fetch('/www/models/mobilenet_v2.camtag')).arrayBuffer());
  const classifier = await Classifier.create(bytes, backend);
  const loadMs = now() - t0;
  const first = now();
  let result = await classifier.classify(pic.rgba, 224, 224, 5);
  const firstMs = now() - first;
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t = now();
    result = await classifier.classify(pic.rgba, 224, 224, 5);
    times.push(now() - t);
  }
  return { actualBackend: classifier.backend, loadMs, firstMs, times, top1: result.predictions[0].index };
}

async function onnx(backend, runs, pic) {
  const t0 = now();
  const bytes = new Uint8Array(await (await fetch('/onnx/mobilenet_v2.onnx')).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: [backend === 'webgpu' ? 'webgpu' : 'wasm'] });
  const loadMs = now() - t0;
  const input = () => new ort.Tensor('float32', pic.chw, [1, 3, 224, 224]);
  const run = async () => {
    const out = await session.run({ input: input() });
    const logits = await out.logits.getData(); // read back, as camtag does
    let best = 0;
    for (let i = 1; i < logits.length; i += 1) if (logits[i] > logits[best]) best = i;
    return best;
  };
  const first = now();
  let top1 = await run();
  const firstMs = now() - first;
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t = now();
    top1 = await run();
    times.push(now() - t);
  }
  return { actualBackend: backend, loadMs, firstMs, times, top1 };
}

window.runBench = async ({ engine, backend, runs }) => {
  const pic = await picture();
  return engine === 'camtag' ? camtag(backend, runs, pic) : onnx(backend, runs, pic);
};
window.benchReady = true;
