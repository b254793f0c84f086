// The classroom on the live camera (the fake camera plays chelsea the cat): feature maps refresh
// from the frames while the tags keep coming, the layer table renders, and the size comparison
// runs on the current frame.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pageForTests, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 90_000;
let page;
pageForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }), '/?backend=cpu', async (p) => {
  page = p;
  await waitForTags(page, TIMEOUT);
});

test('feature maps follow the live frames while tagging goes on', async () => {
  await page.click('#maps-panel summary');
  await page.waitForFunction(() => window.camtag.lastMaps, null, { timeout: TIMEOUT });
  const first = await page.evaluate(() => ({ maps: { point: window.camtag.lastMaps.point, shape: window.camtag.lastMaps.shape }, frames: window.camtag.frames }));
  assert.equal(first.maps.point, 'stem');
  assert.deepEqual(first.maps.shape, [32, 112, 112]);
  // Redrawn from newer frames, and the tags did not stop meanwhile.
  await page.waitForFunction((n) => window.camtag.frames > n + 2, first.frames, { timeout: TIMEOUT });
  await page.evaluate(() => { window.__maps = window.camtag.lastMaps; });
  await page.waitForFunction(() => window.camtag.lastMaps !== window.__maps, null, { timeout: TIMEOUT });
  const pixels = await page.evaluate(() => {
    const c = document.querySelector('#maps-canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return new Set(Array.from({ length: 200 }, (_, i) => d[Math.floor((i / 200) * (d.length / 4)) * 4])).size;
  });
  assert.ok(pixels > 5, 'the grid shows varied heat, not a blank canvas');
});

test('the layer table and the size comparison work on the camera frame', async () => {
  await page.click('#layers-panel summary');
  await page.waitForSelector('#layers-table tbody tr');
  await page.selectOption('#layers-size', '160');
  await page.waitForFunction(() => [...document.querySelectorAll('#layers-table tbody tr')].some((r) => r.cells[2].textContent === '1280×5×5'), null, { timeout: TIMEOUT });
  await page.click('#sizes-panel summary');
  await page.click('#sizes-run');
  await page.waitForSelector('#sizes-grid .size-column[data-size="320"] li', { timeout: TIMEOUT });
  const tops = await page.$$eval('#sizes-grid .size-column li:first-child', (lis) => lis.map((li) => Number(li.dataset.index)));
  assert.equal(tops.length, 3);
  for (const top of tops) assert.ok([281, 282, 285].includes(top), `a cat at every size, got ${tops}`);
});
