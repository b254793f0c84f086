// The three wasm packages (js/shared/wasm-packages.js): with wasm SIMD, www/pkg/ where WebGPU offers an
// adapter and a GPU is wanted, www/pkg-cpu/ (no WebGPU stack) for the CPU (and first, for `auto`,
// which then tries the GPU: js/worker/gpu-trial.js); without SIMD,
// www/pkg-baseline/. Each CPU package tags the fake camera's cat with the native CLI's
// probabilities; each page fetches only the package it runs, and the model, gzipped (or plain
// where DecompressionStream is missing); the picker switches packages in the same worker, and a failed
// load on one leaves the other's model working.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { DEFAULT_MODEL, assertMatchesCli, browserForTests, openPage, serveWww, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 60_000;
const GPU_TIMEOUT = 240_000; // a frame takes seconds on SwiftShader
const DOMESTIC_CATS = [281, 282, 283, 284, 285];

let server;
before(async () => { server = await serveWww(); });
after(() => server?.close());

const wasmFiles = (requests) => requests.filter((p) => /\.wasm(\.gz)?$/.test(p));

describe('in a browser whose WebGPU offers no adapter', () => {
  const chromium = browserForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }));

  /** Opens `query` (after `setup(page)`), waits for tags, checks the cat and the wasm file fetched. */
  async function tagsWith(query, expected, file, setup = async () => {}) {
    const page = await chromium.browser.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await setup(page);
    await page.goto(`${server.origin}/${query}`);
    const top = await waitForTags(page, TIMEOUT);
    assert.ok(DOMESTIC_CATS.includes(top[0].index), `top-1 ${top[0].index} is a cat`);
    assert.equal(await page.textContent('#backend'), 'CPU');
    assert.equal(await page.getAttribute('#backend', 'data-wasm'), expected);
    assert.deepEqual(wasmFiles(requests), [file], 'only its own package');
    // The model comes in the same form as the wasm: gzipped where the browser can inflate.
    const bundles = requests.filter((p) => /\.camtag(\.gz)?$/.test(p));
    assert.deepEqual(bundles, [`/models/${DEFAULT_MODEL}${file.endsWith('.gz') ? '.gz' : ''}`]);
    assert.equal(await page.getAttribute('#backend', 'data-package'), file.split('/')[1]);
    await assertMatchesCli(page);
    return page;
  }

  test('the CPU runs the CPU-only SIMD package, fetched gzipped', async () => {
    const page = await tagsWith('?backend=cpu', 'simd', '/pkg-cpu/camtag_bg.wasm.gz');
    await page.close();
  });

  test('auto loads the CPU-only package, not the WebGPU one, and says why', async () => {
    const page = await tagsWith('', 'simd', '/pkg-cpu/camtag_bg.wasm.gz');
    assert.match(await page.textContent('#fallback'), /WebGPU is not available.*no WebGPU adapter/s);
    await page.close();
  });

  test('?wasm=baseline runs the package without SIMD, with the same answers', async () => {
    const page = await tagsWith('?backend=cpu&wasm=baseline', 'baseline', '/pkg-baseline/camtag_bg.wasm.gz');
    await page.close();
  });

  test('a browser without DecompressionStream fetches the plain wasm', async () => {
    const page = await tagsWith('?backend=cpu', 'simd', '/pkg-cpu/camtag_bg.wasm', (p) => p.addInitScript(() => { delete globalThis.DecompressionStream; }));
    await page.close();
  });

  test('a browser without wasm SIMD gets the baseline package', async () => {
    const page = await tagsWith('?backend=cpu', 'baseline', '/pkg-baseline/camtag_bg.wasm.gz', (p) =>
      // Such a browser's WebAssembly.validate refuses the SIMD probe module (opcode prefix 0xfd).
      p.addInitScript(() => {
        const validate = WebAssembly.validate.bind(WebAssembly);
        WebAssembly.validate = (bytes) => !new Uint8Array(bytes.buffer ?? bytes).includes(0xfd) && validate(bytes);
      }));
    await page.close();
  });

  test('asking for WebGPU after the CPU fails clearly and keeps the CPU model tagging', async () => {
    const page = await tagsWith('?backend=cpu', 'simd', '/pkg-cpu/camtag_bg.wasm.gz');
    await page.selectOption('#backend-select', 'webgpu');
    await page.waitForSelector('#error:not([hidden])', { timeout: TIMEOUT });
    assert.match(await page.textContent('#error'), /could not be loaded.*GPU.*MobileNetV2/s);
    const seen = await page.evaluate(() => window.camtag.frames);
    await page.waitForFunction((n) => window.camtag.frames > n + 2, seen, { timeout: TIMEOUT });
    // The camera's good frames do not wipe the message; the picker shows what runs.
    assert.match(await page.textContent('#error'), /could not be loaded/);
    assert.equal(await page.inputValue('#backend-select'), 'cpu');
    assert.equal(await page.textContent('#backend'), 'CPU');
    await page.close();
  });
});

describe('in a browser with WebGPU', () => {
  const chromium = browserForTests(async () => ({ camera: await y4mOf('chelsea.png') }));

  /** Waits for the end of `auto`'s trial of the GPU (js/worker/gpu-trial.js): resolves to its times. */
  const trialOf = async (page) => {
    await page.waitForFunction(() => window.camtag.gpuTrial && !window.camtag.gpuTrial.pending, null, { timeout: GPU_TIMEOUT });
    return page.evaluate(() => window.camtag.gpuTrial);
  };

  test('auto tags first on the CPU-only package, then tries WebGPU and keeps the faster', async () => {
    const page = await chromium.browser.newPage();
    const fetched = []; // [path, start time since the epoch]
    page.on('requestfinished', (r) => fetched.push([new URL(r.url()).pathname, r.timing().startTime]));
    await page.goto(`${server.origin}/`);
    await waitForTags(page, TIMEOUT);
    assert.equal(await page.getAttribute('#backend', 'data-package'), 'pkg-cpu');
    const trial = await trialOf(page);
    // SwiftShader draws on the CPU: its WebGPU is many times slower than the CPU-only package.
    assert.ok(trial.gpuMs > trial.cpuMs, `GPU ${trial.gpuMs} ms, CPU ${trial.cpuMs} ms`);
    assert.equal(trial.backend, 'CPU');
    assert.equal(await page.textContent('#backend'), 'CPU');
    assert.equal(await page.getAttribute('#backend', 'data-package'), 'pkg-cpu');
    assert.match(await page.textContent('#fallback'), new RegExp(`WebGPU is slower than the CPU on this device \\(${trial.gpuMs} ms a picture against ${trial.cpuMs} ms\\)`));
    // The WebGPU package was fetched for the trial, after the first tag; the camera tags on.
    const firstTagAt = await page.evaluate(() => performance.timeOrigin + window.camtag.firstTagMs);
    const gpuPackage = fetched.filter(([path]) => path.startsWith('/pkg/'));
    assert.deepEqual(wasmFiles(gpuPackage.map(([path]) => path)), ['/pkg/camtag_bg.wasm.gz']);
    assert.ok(gpuPackage.every(([, start]) => start > firstTagAt), 'the WebGPU package waited for the first tag');
    const seen = await page.evaluate(() => window.camtag.frames);
    await page.waitForFunction((n) => window.camtag.frames > n + 2, seen, { timeout: TIMEOUT });
    assert.ok(DOMESTIC_CATS.includes(await page.evaluate(() => window.camtag.lastResult.predictions[0].index)));
    await page.close();
  });

  test('where WebGPU wins the trial, auto moves the running model onto it', async () => {
    // As on a device whose GPU is faster than its CPU: the trial's verdict is served reversed
    // (SwiftShader's WebGPU is never the faster here); the move itself is real.
    const page = await chromium.browser.newPage({ serviceWorkers: 'block' }); // so the route sees the worker's imports
    let served = false;
    await page.route('**/js/worker/gpu-trial.js', async (route) => {
      const response = await route.fetch();
      const source = await response.text();
      const body = source.replace(/export const gpuIsFaster = .*;/, 'export const gpuIsFaster = () => true;');
      served = body !== source;
      await route.fulfill({ response, body });
    });
    await page.goto(`${server.origin}/`);
    await waitForTags(page, TIMEOUT);
    const trial = await trialOf(page);
    assert.ok(served, 'the reversed verdict was served');
    assert.equal(trial.backend, 'WebGPU');
    assert.equal(await page.textContent('#backend'), 'WebGPU');
    assert.equal(await page.getAttribute('#backend', 'data-package'), 'pkg');
    assert.equal(await page.isHidden('#fallback'), true);
    assert.match(await page.getAttribute('#backend', 'title'), new RegExp(`WebGPU ${trial.gpuMs} ms, CPU ${trial.cpuMs} ms`));
    const seen = await page.evaluate(() => window.camtag.frames);
    await page.waitForFunction((n) => window.camtag.frames > n + 1, seen, { timeout: GPU_TIMEOUT });
    assert.equal(await page.evaluate(() => window.camtag.lastResult.backend), 'WebGPU');
    await assertMatchesCli(page);
    await page.close();
  });

  test('the picker moves between the WebGPU and the CPU-only package, each fetched once', async () => {
    const { page, requests } = await openPage(chromium.browser, `${server.origin}/?backend=cpu`);
    const paths = () => wasmFiles(requests.map((u) => new URL(u).pathname));
    await waitForTags(page, TIMEOUT);
    assert.deepEqual(paths(), ['/pkg-cpu/camtag_bg.wasm.gz']);

    await page.selectOption('#backend-select', 'webgpu');
    await page.waitForFunction(() => document.querySelector('#backend').textContent === 'WebGPU', null, { timeout: GPU_TIMEOUT });
    let seen = await page.evaluate(() => window.camtag.frames);
    await page.waitForFunction((n) => window.camtag.frames > n, seen, { timeout: GPU_TIMEOUT });
    assert.ok(DOMESTIC_CATS.includes(await page.evaluate(() => window.camtag.lastResult.predictions[0].index)));
    assert.equal(await page.getAttribute('#backend', 'data-package'), 'pkg');
    assert.deepEqual(paths(), ['/pkg-cpu/camtag_bg.wasm.gz', '/pkg/camtag_bg.wasm.gz']);

    await page.selectOption('#backend-select', 'cpu');
    await page.waitForFunction(() => document.querySelector('#backend').textContent === 'CPU', null, { timeout: TIMEOUT });
    seen = await page.evaluate(() => window.camtag.frames);
    await page.waitForFunction((n) => window.camtag.frames > n, seen, { timeout: TIMEOUT });
    assert.deepEqual(paths(), ['/pkg-cpu/camtag_bg.wasm.gz', '/pkg/camtag_bg.wasm.gz'], 'the CPU package is kept, not fetched again');
    await assertMatchesCli(page);
    await page.close();
  });
});
