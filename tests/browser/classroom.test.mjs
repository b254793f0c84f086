// The classroom's layer table: the same numbers as `camtag info`, at the chosen input size.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { CAMTAG_BIN, WWW, pageForTests, run } from './harness.mjs';

const TIMEOUT = 60_000;
let page;
pageForTests({ camera: 'none', webgpu: false }, '/?backend=cpu', async (p) => {
  page = p;
  await page.waitForFunction(() => document.querySelector('#backend').textContent === 'CPU', null, { timeout: TIMEOUT });
});

const cells = (selector) => page.$$eval(selector, (tds) => tds.map((td) => td.textContent));
const row = async (name) => page.$$eval('#layers-table tbody tr', (trs, n) => {
  const tr = trs.find((r) => r.cells[0].textContent === n);
  return tr ? [...tr.cells].map((c) => c.textContent) : null;
}, name);

test('the layer table equals camtag info, and follows the input size', async () => {
  await page.click('#layers-panel summary');
  await page.waitForSelector('#layers-table tbody tr');
  const info = JSON.parse(await run(CAMTAG_BIN, ['info', '--model', join(WWW, 'models/mobilenet_v2.camtag'), '--json']));
  const names = await cells('#layers-table tbody tr td:first-child');
  assert.deepEqual(names, info.summary.layers.map((l) => l.name));
  const total = await cells('#layers-table tfoot td');
  assert.equal(total[3], '3,504,872');
  assert.equal(total[4], `${(info.macs / 1e6).toFixed(1)} M`);
  assert.equal((await row('head'))[2], '1280×7×7');
  assert.match((await row('blocks.1.depthwise'))[1], /depthwise 3×3 \/2/);

  await page.selectOption('#layers-size', '320');
  await page.waitForFunction(() => [...document.querySelectorAll('#layers-table tbody tr')].some((r) => r.cells[2].textContent === '1280×10×10'));
  assert.equal((await cells('#layers-table tfoot td'))[3], '3,504,872', 'parameters do not depend on the input size');
});
