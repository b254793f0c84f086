// Steady tags (page/steady.js), the page's own module in the page: the camera's tags averaged over
// about five frames, so one odd frame does not flip the top tag but a lasting change does; a class
// that leaves the top-k fades; the first frame is shown as it is. And the threshold's default and
// its memory across visits.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pageForTests } from './harness.mjs';

let page;
pageForTests({ camera: 'none', webgpu: false }, '/?backend=cpu', async (p) => {
  page = p;
  await page.waitForFunction(() => document.querySelector('#backend').textContent === 'CPU', null, { timeout: 60_000 });
});

/** Feeds `frames` (each `[[index, prob]…]`) to a smoother of 5 frames; resolves to the top index after each. */
const smoothed = (frames) => page.evaluate(async (list) => {
  const { createSmoother } = await import('./js/page/steady.js');
  const smoother = createSmoother(5);
  return list.map((frame) => smoother.add(frame.map(([index, prob]) => ({ index, prob, zh: `${index}`, en: `${index}` })), 5)
    .map((p) => [p.index, Number(p.prob.toFixed(4))]));
}, frames);

test('the first frame is shown as it is', async () => {
  const [first] = await smoothed([[[1, 0.7], [2, 0.2], [3, 0.1]]]);
  assert.deepEqual(first, [[1, 0.7], [2, 0.2], [3, 0.1]]);
});

test('one odd frame does not flip the top tag; a lasting change does', async () => {
  const steady = [[1, 0.8], [2, 0.15]];
  const odd = [[2, 0.9], [1, 0.05]];
  const shown = await smoothed([steady, steady, steady, steady, odd, steady, steady, steady, odd, odd, odd]);
  const tops = shown.map((frame) => frame[0][0]);
  assert.deepEqual(tops.slice(0, 9), Array(9).fill(1), JSON.stringify(shown));
  assert.deepEqual(tops.slice(9), [2, 2], 'odd frames in a row win');
});

test('a class that leaves the top-k fades away', async () => {
  const shown = await smoothed([[[1, 0.6], [7, 0.4]], ...Array(12).fill([[1, 0.9], [2, 0.1]])]);
  const seven = shown.map((frame) => frame.find(([index]) => index === 7)?.[1] ?? 0);
  for (let i = 1; i < seven.length; i++) assert.ok(seven[i] < seven[i - 1] || seven[i] === 0, JSON.stringify(seven));
  assert.ok(seven.at(-1) < 0.01, `${seven.at(-1)}`);
});

test('the threshold starts at 20% and is remembered across visits', async () => {
  assert.equal(await page.inputValue('#threshold'), '20');
  await page.$eval('#threshold', (input) => {
    input.value = '40';
    input.dispatchEvent(new Event('input'));
  });
  assert.equal(await page.textContent('#threshold-value'), '40%');
  await page.reload();
  await page.waitForSelector('#threshold');
  assert.equal(await page.inputValue('#threshold'), '40');
  assert.equal(await page.textContent('#threshold-value'), '40%');
});
