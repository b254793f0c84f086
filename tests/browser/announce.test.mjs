// A screen reader hears the top tag when it changes, not every frame: the top-5 list and the
// verdict, redrawn per frame, are no live regions; the one polite live region (#announce) is
// written once for a still scene, and again when the scene changes.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { CACHE, pageForTests, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 90_000;
let page;
pageForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }), '/?backend=cpu', async (p) => {
  page = p;
  await waitForTags(page, TIMEOUT);
});

test('the per-frame list and verdict are no live regions; #announce is, politely', async () => {
  const live = await page.$$eval('[aria-live], [role="status"], [role="alert"]', (els) => els.map((e) => e.id));
  assert.ok(live.includes('announce'), live.join(', '));
  for (const id of ['results', 'verdict', 'tag-chip']) assert.ok(!live.includes(id), `#${id} is redrawn every frame: ${live.join(', ')}`);
  assert.equal(await page.getAttribute('#announce', 'aria-live'), 'polite');
});

test('over 20 camera frames of a still scene it changes at most once; another picture changes it', async () => {
  const watched = await page.evaluate(async () => {
    const region = document.getElementById('announce');
    const texts = [];
    new MutationObserver(() => texts.push(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true });
    window.announced = texts;
    const start = window.camtag.frames;
    await new Promise((done) => {
      const look = () => (window.camtag.frames >= start + 20 ? done() : setTimeout(look, 50));
      look();
    });
    return { frames: window.camtag.frames - start, texts: [...texts], now: region.textContent };
  });
  assert.ok(watched.frames >= 20);
  assert.ok(watched.texts.length <= 1, `announced ${watched.texts.length} times: ${watched.texts.join(' | ')}`);
  assert.ok(watched.now.length > 0, 'the top tag was said');

  // The scene changes: a picture of coffee instead of the cat.
  await page.setInputFiles('#file-input', join(CACHE, 'photos/coffee.png'));
  await page.waitForFunction((before) => document.getElementById('announce').textContent !== before, watched.now, { timeout: TIMEOUT });
  const after = await page.evaluate(() => ({ text: document.getElementById('announce').textContent, verdict: document.getElementById('verdict').textContent }));
  assert.equal(after.text, after.verdict, 'it says what the verdict shows');
});
