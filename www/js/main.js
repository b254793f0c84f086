// The page: load the model, open the camera, tag each frame, show the top-5.

import { openCamera, closeCamera } from './camera.js';
import { startLoop } from './loop.js';
import { loadModel } from './model.js';
import { renderResults, rollingMedian } from './results.js';

const MODEL_URL = new URL('../models/mobilenet_v2.camtag', import.meta.url);
const TOP_K = 5;

const $ = (id) => document.getElementById(id);
const ui = {
  video: $('video'), placeholder: $('placeholder'), toggle: $('camera-toggle'), select: $('backend-select'),
  results: $('results'), fallback: $('fallback'), backend: $('backend'), ms: $('ms'), model: $('model-name'), status: $('status'), error: $('error'),
};

// State the end-to-end tests (and the curious) can read: `window.camtag`.
const state = {
  classifier: null, stopLoop: null, lastFrame: null, lastResult: null, frames: 0, firstTagMs: null,
  /** The last classified frame as a PNG data URL, with the result shown for it. */
  snapshot() {
    if (!state.lastFrame) return null;
    const canvas = document.createElement('canvas');
    canvas.width = state.lastFrame.width;
    canvas.height = state.lastFrame.height;
    canvas.getContext('2d').putImageData(state.lastFrame, 0, 0);
    return { png: canvas.toDataURL('image/png'), result: state.lastResult };
  },
};
window.camtag = state;

function showStatus(text) { ui.status.textContent = text; }
function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = !text;
}

const median = rollingMedian(15);

async function classifyFrame(frame) {
  const { classifier } = state;
  if (!classifier) return;
  try {
    const result = await classifier.classify(frame.data, frame.width, frame.height, TOP_K);
    state.lastFrame = frame;
    state.lastResult = result;
    state.frames += 1;
    state.firstTagMs ??= performance.now();
    renderResults(ui.results, result);
    ui.ms.textContent = `${median(result.totalMs).toFixed(0)} ms`;
    showStatus('');
  } catch (e) {
    showError(`识别出错 Classification failed: ${e?.message ?? e}`);
  }
}

async function startCamera() {
  showError('');
  try {
    await openCamera(ui.video);
  } catch (e) {
    showError(e.message);
    ui.toggle.textContent = '开始 Start camera';
    return;
  }
  ui.placeholder.hidden = true;
  ui.toggle.textContent = '停止 Stop camera';
  state.stopLoop?.();
  state.stopLoop = startLoop(ui.video, classifyFrame);
}

function stopCamera() {
  state.stopLoop?.();
  state.stopLoop = null;
  closeCamera(ui.video);
  ui.placeholder.hidden = false;
  ui.toggle.textContent = '开始 Start camera';
}

async function loadClassifier(backend) {
  ui.toggle.disabled = true;
  showStatus('正在加载模型… Loading the model…');
  try {
    const classifier = await loadModel(MODEL_URL, backend, (f) => showStatus(`正在加载模型 Loading the model… ${Math.round(f * 100)}%`));
    state.classifier?.free();
    state.classifier = classifier;
  } catch (e) {
    showError(e.message);
    showStatus('');
    return false;
  }
  const { classifier } = state;
  const manifest = classifier.manifest;
  ui.backend.textContent = classifier.backend;
  ui.model.textContent = `${manifest.name} (top-1 ${manifest.accuracy?.top1 ?? '?'}%)`;
  ui.fallback.hidden = !classifier.fallbackReason;
  ui.fallback.textContent = classifier.fallbackReason
    ? `此浏览器没有可用的 WebGPU，改用 CPU（较慢）。 WebGPU is not available here, so camtag runs on the CPU (slower). (${classifier.fallbackReason})`
    : '';
  showStatus('');
  ui.toggle.disabled = false;
  return true;
}

function initialBackend() {
  const requested = new URLSearchParams(location.search).get('backend') ?? 'auto';
  return ['auto', 'webgpu', 'cpu'].includes(requested) ? requested : 'auto';
}

async function main() {
  const backend = initialBackend();
  ui.select.value = backend;
  ui.toggle.addEventListener('click', () => (ui.video.srcObject ? stopCamera() : startCamera()));
  ui.select.addEventListener('change', async () => {
    const wasRunning = Boolean(ui.video.srcObject);
    stopCamera();
    if (await loadClassifier(ui.select.value) && wasRunning) await startCamera();
  });
  // Release the camera whenever the page is hidden; take it back when it returns.
  let resumeOnShow = false;
  document.addEventListener('visibilitychange', () => {
    if (document.hidden && ui.video.srcObject) { resumeOnShow = true; stopCamera(); }
    else if (!document.hidden && resumeOnShow) { resumeOnShow = false; startCamera(); }
  });
  window.addEventListener('pagehide', stopCamera);

  if (await loadClassifier(backend)) await startCamera();
}

main();
