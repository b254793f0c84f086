// The three wasm packages (js/wasmbuild.js): with wasm SIMD, www/pkg/ where WebGPU offers an
// adapter and a GPU is wanted, www/pkg-cpu/ (no WebGPU stack) for the CPU; without SIMD,
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

  test('the picker moves between the WebGPU and the CPU-only package, each fetched once', async () => {
    const { page, requests } = await openPage(chromium.browser, `${server.origin}/?backend=cpu`);
    const paths = () => wasmFiles(requests.map((u) => new URL(u).pathname));
    await waitForTags(page, TIMEOUT);
    assert.deepEqual(paths(), ['/pkg-cpu/camtag_bg.wasm.gz']);

    await page.selectOption('#backend-select', 'auto');
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
