// A camera facing the user is shown mirrored (as a mirror would), one facing away is not; either
// way the pixels classified are the camera's own, unmirrored. The fake camera says nothing of
// the way it faces: the track's settings are made to say 'user' or 'environment'.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { CACHE, browserForTests, serveWww, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 90_000;
const chromium = browserForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }));

const [GX, GY] = [16, 12];

/** Mean colour of each block of a GX x GY grid over RGB(A) pixels `data`, `w` x `h`, `channels` a pixel: [row][column][r, g, b]. */
function gridMeans(data, w, h, channels) {
  const grid = Array.from({ length: GY }, () => Array.from({ length: GX }, () => [0, 0, 0, 0]));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * channels;
      const cell = grid[Math.floor((y * GY) / h)][Math.floor((x * GX) / w)];
      for (let c = 0; c < 3; c++) cell[c] += data[i + c];
      cell[3] += 1;
    }
  }
  return grid.map((row) => row.map(([r, g, b, n]) => [r / n, g / n, b / n]));
}

const mirror = (grid) => grid.map((row) => [...row].reverse());

/** The photo itself, at `w` x `h`, as its grid of means. */
async function photoBands(w, h) {
  const raw = await new Promise((ok, fail) => {
    import('node:child_process').then(({ execFile }) => execFile('ffmpeg', ['-loglevel', 'error', '-i', join(CACHE, 'photos/chelsea.png'),
      '-vf', `scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 1 << 26 }, (e, out) => (e ? fail(e) : ok(out))));
  });
  return gridMeans(raw, w, h, 3);
}

/** Mean absolute difference of two grids, per colour channel (0 to 255). */
const distance = (a, b) => a.flat(2).reduce((s, v, i) => s + Math.abs(v - b.flat(2)[i]), 0) / (GX * GY * 3);

async function openFacing(facing) {
  const server = await serveWww();
  const context = await chromium.browser.newContext();
  await context.addInitScript((mode) => {
    const settings = MediaStreamTrack.prototype.getSettings;
    MediaStreamTrack.prototype.getSettings = function () { return { ...settings.call(this), facingMode: mode }; };
  }, facing);
  const page = await context.newPage();
  await page.goto(`${server.origin}/?backend=cpu`);
  await waitForTags(page, TIMEOUT);
  const seen = await page.evaluate(() => {
    const video = document.getElementById('video');
    const { data, width, height } = window.camtag.lastFrame;
    return { mirrored: video.classList.contains('mirrored'), transform: getComputedStyle(video).transform, data: [...data], width, height };
  });
  const frame = gridMeans(seen.data, seen.width, seen.height, 4);
  const photo = await photoBands(seen.width, seen.height);
  await context.close();
  await server.close();
  return { mirrored: seen.mirrored, transform: seen.transform, frame, photo, flipped: mirror(photo) };
}

for (const [facing, mirrored] of [['user', true], ['environment', false]]) {
  test(`a camera facing ${facing === 'user' ? 'the user is shown mirrored' : 'away is not mirrored'}; the frame classified is the camera's own`, async () => {
    const seen = await openFacing(facing);
    assert.equal(seen.mirrored, mirrored);
    assert.equal(seen.transform, mirrored ? 'matrix(-1, 0, 0, 1, 0, 0)' : 'none');
    // The photo's blocks left to right, not right to left (it is far from symmetric).
    assert.ok(distance(seen.photo, seen.flipped) > 20, `the photo must tell left from right: ${distance(seen.photo, seen.flipped)}`);
    const [straight, reversed] = [distance(seen.frame, seen.photo), distance(seen.frame, seen.flipped)];
    assert.ok(straight < 8 && straight < reversed / 3, `as taken ${straight.toFixed(1)}, mirrored ${reversed.toFixed(1)}`);
  });
}
