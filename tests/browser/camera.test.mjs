// The foundation slice end to end: the page, served on 127.0.0.1, tags what a fake camera shows
// (chelsea the cat), on WebGPU (SwiftShader) and on the CPU, with the same probabilities as the
// native CLI for the same frame; it talks to nobody but its own origin; a denied camera is
// explained.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { DEFAULT_MODEL, DEFAULT_MODEL_PATH, assertMatchesCli, browserForTests, openPage, serveWww, waitForTags, y4mOf } from './harness.mjs';

const DOMESTIC_CATS = [281, 282, 283, 284, 285]; // tabby, tiger cat, Persian, Siamese, Egyptian cat
const FIRST_TAG_TIMEOUT = 60_000;

let server;
let video;
before(async () => {
  server = await serveWww();
  video = await y4mOf('chelsea.png');
});
after(() => server?.close());

function assertOnlyOwnOrigin(requests) {
  const foreign = requests.filter((url) => !url.startsWith(`${server.origin}/`) && !/^(data|blob):/.test(url));
  assert.deepEqual(foreign, [], 'requests off the page origin');
}

for (const backend of ['webgpu', 'cpu']) {
  describe(`camera on the ${backend} path`, () => {
    const chromium = browserForTests(() => ({ camera: video }));

    test('the cat is tagged, as the CLI tags the same frame, and nothing leaves the origin', async () => {
      const { page, requests, console } = await openPage(chromium.browser, `${server.origin}/?backend=${backend}`);
      let top;
      try {
        top = await waitForTags(page, FIRST_TAG_TIMEOUT);
      } catch (e) {
        throw new Error(`no tag within ${FIRST_TAG_TIMEOUT} ms; page said: ${await page.textContent('body')}\nconsole:\n${console.join('\n')}`);
      }
      assert.ok(DOMESTIC_CATS.includes(top[0].index), `top-1 ${top[0].index} is a cat`);
      const shown = await page.textContent('#results li:first-child .zh');
      assert.ok(shown.length > 0);
      assert.equal(await page.textContent('#backend'), backend === 'webgpu' ? 'WebGPU' : 'CPU');
      await assertMatchesCli(page);
      assertOnlyOwnOrigin(requests);
      await page.close();
    });
  });
}

describe('without a camera', () => {
  const chromium = browserForTests(() => ({ camera: 'none', webgpu: false }));

  test('the page says there is no camera', async () => {
    const { page } = await openPage(chromium.browser, `${server.origin}/?backend=cpu`);
    await page.waitForSelector('#error:not([hidden])', { timeout: FIRST_TAG_TIMEOUT });
    assert.match(await page.textContent('#error'), /No camera was found/);
    await page.close();
  });

  /** Opens the page with the default bundle's gzipped form (what the page fetches) replaced. */
  async function pageWithBundleGz(body) {
    const page = await chromium.browser.newPage({ serviceWorkers: 'block' }); // so the route sees every request
    await page.route(`**/models/${DEFAULT_MODEL}.gz`, (route) => route.fulfill({ body, contentType: 'application/gzip' }));
    await page.goto(`${server.origin}/?backend=cpu`);
    await page.waitForSelector('#error:not([hidden])', { timeout: FIRST_TAG_TIMEOUT });
    return page;
  }

  test('a model that fails to load is explained', async () => {
    const page = await pageWithBundleGz(gzipSync(readFileSync(DEFAULT_MODEL_PATH).subarray(0, 5000)));
    assert.match(await page.textContent('#error'), /The model could not be loaded: .*truncated/);
    assert.equal(await page.isDisabled('#camera-toggle'), true);
    await page.close();
  });

  test('a download cut off mid-stream is explained', async () => {
    const gz = gzipSync(readFileSync(DEFAULT_MODEL_PATH));
    const page = await pageWithBundleGz(gz.subarray(0, gz.length >> 1));
    assert.match(await page.textContent('#error'), new RegExp(`Model download failed: .*${DEFAULT_MODEL.replace('.', '\\.')}\\.gz`));
    assert.equal(await page.isDisabled('#camera-toggle'), true);
    await page.close();
  });
});

describe('without camera permission', () => {
  const chromium = browserForTests(() => ({ camera: 'denied', webgpu: false }));

  test('the page says the camera was denied, and the model still loads', async () => {
    const { page } = await openPage(chromium.browser, `${server.origin}/?backend=cpu`);
    await page.waitForSelector('#error:not([hidden])', { timeout: FIRST_TAG_TIMEOUT });
    assert.match(await page.textContent('#error'), /Camera access was denied/);
    assert.equal(await page.textContent('#backend'), 'CPU');
    await page.close();
  });
});

/** A page as in a browser without WebGPU: no `navigator.gpu` in the page nor in its workers. */
async function pageWithoutWebGpu(browser) {
  const page = await browser.newPage({ serviceWorkers: 'block' }); // so the route sees the worker's script
  await page.addInitScript(() => { delete Navigator.prototype.gpu; });
  await page.route('**/js/worker/inference-worker.js', async (route) => {
    const response = await route.fetch();
    const body = `delete WorkerNavigator.prototype.gpu;\n${await response.text()}`;
    await route.fulfill({ response, body });
  });
  return page;
}

describe('in a browser without WebGPU', () => {
  const chromium = browserForTests(() => ({ camera: video }));

  test('auto falls back to the CPU, says so, and tags', async () => {
    const page = await pageWithoutWebGpu(chromium.browser);
    await page.goto(`${server.origin}/`);
    const top = await waitForTags(page, FIRST_TAG_TIMEOUT);
    assert.ok(DOMESTIC_CATS.includes(top[0].index));
    assert.equal(await page.textContent('#backend'), 'CPU');
    assert.match(await page.textContent('#status') + await page.textContent('#fallback'), /WebGPU is not available/);
    await page.close();
  });

  test('asking for WebGPU explicitly gives a clear error', async () => {
    const page = await pageWithoutWebGpu(chromium.browser);
    await page.goto(`${server.origin}/?backend=webgpu`);
    await page.waitForSelector('#error:not([hidden])', { timeout: FIRST_TAG_TIMEOUT });
    assert.match(await page.textContent('#error'), /could not be loaded.*GPU/s);
    await page.close();
  });
});

describe('in a browser with WebGPU but no adapter', () => {
  const chromium = browserForTests(() => ({ camera: video, webgpu: false })); // navigator.gpu, no adapter

  test('auto falls back to the CPU and tags', async () => {
    const { page } = await openPage(chromium.browser, `${server.origin}/`);
    const top = await waitForTags(page, FIRST_TAG_TIMEOUT);
    assert.ok(DOMESTIC_CATS.includes(top[0].index));
    assert.equal(await page.textContent('#backend'), 'CPU');
    assert.match(await page.textContent('#fallback'), /WebGPU is not available/);
    await page.close();
  });
});
