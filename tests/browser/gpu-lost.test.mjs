// The WebGPU device lost mid-run (driver reset, GPU taken away): the page notices, loads the
// same model on the CPU, says so, and the camera goes on being tagged.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pageForTests, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 120_000; // the first frame on SwiftShader takes seconds
let page;
pageForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: true }), '/?backend=webgpu', async (p) => {
  page = p;
  await waitForTags(page, TIMEOUT);
});

test('a lost WebGPU device falls back to the CPU, says so, and tagging goes on', async () => {
  assert.equal(await page.textContent('#backend'), 'WebGPU');
  const worker = page.workers().find((w) => w.url().endsWith('/js/worker/inference-worker.js'));
  assert.ok(worker, 'the inference worker is running');
  // GPUDevice.destroy() loses the device the way a driver reset does (reason "destroyed").
  const destroyed = await worker.evaluate(() => {
    for (const device of self.camtagGpuDevices) device.destroy();
    return self.camtagGpuDevices.length;
  });
  assert.ok(destroyed >= 1, 'the worker created a WebGPU device');
  await page.waitForFunction(() => document.querySelector('#backend').textContent === 'CPU' && !document.querySelector('#fallback').hidden, null, { timeout: TIMEOUT });
  assert.match(await page.textContent('#fallback'), /GPU device was lost.*switched to the CPU.*destroyed/s);
  assert.equal(await page.inputValue('#backend-select'), 'cpu');
  const before = await page.evaluate(() => window.camtag.frames);
  await page.waitForFunction((n) => window.camtag.frames > n + 1, before, { timeout: TIMEOUT });
  const top = await page.evaluate(() => window.camtag.lastResult);
  assert.equal(top.backend, 'CPU');
  assert.ok([281, 282, 283, 284, 285].includes(top.predictions[0].index), `a cat, got ${top.predictions[0].en}`);
  assert.equal(await page.isVisible('#error'), false, await page.textContent('#error'));
});
