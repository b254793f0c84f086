// Camera controls: choose among several cameras, flip front/back, pause and resume, save a snapshot.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { join } from 'node:path';

import { CACHE, pageForTests, waitForTags } from './harness.mjs';

const TIMEOUT = 60_000;
let page;
pageForTests({ camera: 'synthetic', webgpu: false, cameras: 2 }, '/?backend=cpu', async (p) => {
  page = p;
  await waitForTags(page, TIMEOUT);
});

const frames = () => page.evaluate(() => window.camtag.frames);
const trackId = () => page.evaluate(() => document.querySelector('#video').srcObject?.getVideoTracks()[0]?.getSettings().deviceId);
const moreFrames = async (than) => page.waitForFunction((n) => window.camtag.frames > n, than, { timeout: TIMEOUT });

test('with two cameras, the picker switches between them and tagging goes on', async () => {
  await page.waitForSelector('#camera-choice:not([hidden])', { timeout: TIMEOUT });
  const options = await page.$$eval('#camera-select option', (os) => os.map((o) => o.value));
  assert.equal(options.length, 2);
  const before = await trackId();
  const other = options.find((id) => id !== before);
  await page.selectOption('#camera-select', other);
  await page.waitForFunction((id) => document.querySelector('#video').srcObject?.getVideoTracks()[0]?.getSettings().deviceId === id, other, { timeout: TIMEOUT });
  await moreFrames(await frames());
});

test('the front/back button turns to the other camera and back', async () => {
  assert.equal(await page.isVisible('#camera-flip'), true);
  const first = await trackId();
  await page.click('#camera-flip');
  await page.waitForFunction((id) => {
    const now = document.querySelector('#video').srcObject?.getVideoTracks()[0]?.getSettings().deviceId;
    return now && now !== id;
  }, first, { timeout: TIMEOUT });
  await moreFrames(await frames());
  await page.click('#camera-flip');
  await page.waitForFunction((id) => document.querySelector('#video').srcObject?.getVideoTracks()[0]?.getSettings().deviceId === id, first, { timeout: TIMEOUT });
  await moreFrames(await frames());
});

test('pause freezes the tags, resume brings them back', async () => {
  await page.click('#pause-toggle');
  assert.equal(await page.getAttribute('#pause-toggle', 'aria-pressed'), 'true');
  const paused = await frames();
  await page.waitForTimeout(2000); // several CPU frames' worth
  assert.ok((await frames()) <= paused + 1, 'at most the frame already in flight completes');
  await page.click('#pause-toggle');
  assert.equal(await page.getAttribute('#pause-toggle', 'aria-pressed'), 'false');
  await moreFrames(await frames());
});

test('a snapshot saves the classified frame as a PNG named after its tag', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#snapshot')]);
  assert.match(download.suggestedFilename(), /^camtag-.+-\d{4}-\d\d-\d\dT[\d-]+\.png$/);
  const stream = await download.createReadStream();
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const png = Buffer.concat(chunks);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});

test('a picture chosen while the camera runs replaces its tags for good', async () => {
  const before = await frames();
  await page.setInputFiles('#file-input', join(CACHE, 'photos/coffee.png'));
  await page.waitForFunction((n) => window.camtag.frames > n && !document.querySelector('#picture').hidden, before, { timeout: TIMEOUT });
  await page.waitForTimeout(1500); // a camera frame in flight must not overwrite the picture's tags
  assert.equal(await page.evaluate(() => window.camtag.lastResult.predictions[0].index), 967);
  assert.equal(await page.getAttribute('#results li:first-child', 'data-index'), '967');
  assert.equal(await page.evaluate(() => document.querySelector('#video').srcObject), null, 'the camera is off');
  await page.click('#camera-toggle'); // back to the camera
  await moreFrames(await frames());
});

test('stopping the camera turns it off', async () => {
  await page.click('#camera-toggle');
  assert.equal(await page.evaluate(() => document.querySelector('#video').srcObject), null);
  assert.equal(await page.isHidden('#pause-toggle'), true);
});
