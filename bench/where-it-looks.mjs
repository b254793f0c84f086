// What "where it looks" costs the camera (a benchmark, not a test): the median ms per frame with
// the class activation map off and on, alternating blocks of frames so drift hits both alike,
// on the CPU and on WebGPU (SwiftShader here: correctness, not speed), in headless Chromium with
// the fake camera (chelsea).
//
//   node bench/where-it-looks.mjs [frames per block]   (after ./build.sh and `npm ci` in tests/)
//
// With OUT set, also writes the rows there as JSON.

import { writeFile } from 'node:fs/promises';

import { launch, serveWww, y4mOf } from '../tests/browser/harness.mjs';

const frames = Number(process.argv[2] ?? 15);
const BLOCKS = 3; // off, on, off, on, … each `frames` long
const server = await serveWww();
const video = await y4mOf('chelsea.png');
const rows = [];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const backend of (process.env.BACKENDS ?? 'cpu,webgpu').split(',')) {
  const browser = await launch({ camera: video, webgpu: backend === 'webgpu' });
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  await page.goto(`${server.origin}/?backend=${backend}`);
  await page.waitForFunction(() => window.camtag?.frames > 3, null, { timeout: 180_000 });
  // Each new result's totalMs (preprocessing, forward pass with or without the map, readbacks).
  await page.evaluate(() => {
    let seen = window.camtag.frames;
    window.benchTimes = [];
    const poll = () => {
      if (window.camtag.frames !== seen) {
        seen = window.camtag.frames;
        window.benchTimes.push({ frame: seen, ms: window.camtag.lastResult.totalMs, map: Boolean(window.camtag.lastResult.map) });
      }
      requestAnimationFrame(poll);
    };
    poll();
  });
  const times = { off: [], on: [] };
  for (let block = 0; block < 2 * BLOCKS; block++) {
    const mode = block % 2 ? 'on' : 'off';
    await page.setChecked('#cam-toggle', mode === 'on');
    // The first frame after a switch may have been asked for before it: skip it.
    const start = (await page.evaluate(() => window.camtag.frames)) + 1;
    await page.waitForFunction((n) => window.camtag.frames >= n, start + frames, { timeout: 180_000 });
    const seen = await page.evaluate(([from, to]) => window.benchTimes.filter((t) => t.frame >= from && t.frame < to), [start, start + frames]);
    times[mode].push(...seen.filter((t) => t.map === (mode === 'on')).map((t) => t.ms));
  }
  const [off, on] = [median(times.off), median(times.on)];
  rows.push({ backend: await page.textContent('#backend'), frames: times.off.length, offMs: off, onMs: on, ratio: Number((on / off).toFixed(3)) });
  console.log(JSON.stringify(rows.at(-1)));
  await browser.close();
}
await server.close();
if (process.env.OUT) await writeFile(process.env.OUT, `${JSON.stringify(rows, null, 2)}\n`);
