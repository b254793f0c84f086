// Offline: after one visit the service worker has the page, the wasm (only the packages this
// browser can run) and the default model, so a reload with the server gone and the network off
// still classifies the camera.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DEFAULT_MODEL, browserForTests, serveWww, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 60_000;
const chromium = browserForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }));

test('a reload with no server and no network still tags the camera', async () => {
  const server = await serveWww();
  const context = await chromium.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.origin}/?backend=cpu`);
  await waitForTags(page, TIMEOUT);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });
  const state = await page.evaluate(async () => {
    // The new version is installed (everything cached) before it controls the page; it claims the
    // page at the end of its activation, which then ends.
    const { active } = await navigator.serviceWorker.ready;
    if (active.state === 'activating') {
      await new Promise((done) => {
        active.addEventListener('statechange', () => active.state !== 'activating' && done());
        setTimeout(done, 10_000);
      });
    }
    return active.state;
  });
  assert.equal(state, 'activated', 'the service worker finished activating: it answers the offline reload');

  await server.close();
  await context.setOffline(true);
  await page.reload();
  const top = await waitForTags(page, TIMEOUT);
  assert.ok([281, 282, 283, 284, 285].includes(top[0].index), `a cat, got ${top[0].index}`);
  assert.equal(await page.textContent('#backend'), 'CPU');
  assert.equal(await page.getAttribute('#backend', 'data-wasm'), 'simd');
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));
  // Only the wasm this browser can run was cached: the SIMD packages (WebGPU and CPU-only, so the
  // picker works offline), gzipped like the default model; not the plain files nor the baseline.
  const cached = await page.evaluate(async () => {
    const names = [];
    for (const key of await caches.keys()) for (const r of await (await caches.open(key)).keys()) names.push(new URL(r.url).pathname);
    return names;
  });
  for (const file of ['/pkg/camtag_bg.wasm', '/pkg-cpu/camtag_bg.wasm', `/models/${DEFAULT_MODEL}`]) {
    assert.ok(cached.includes(`${file}.gz`), cached.join('\n'));
    assert.ok(!cached.includes(file), cached.join('\n'));
  }
  assert.ok(!cached.some((p) => p.startsWith('/pkg-baseline/')), cached.join('\n'));
  await context.close();
});
