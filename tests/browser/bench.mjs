// Browser timings (a benchmark, not a test): time from page load to the first tag, the bytes
// the page fetched before it (as served: no compression on this server), and the median ms per
// frame over a run of frames, on the WebGPU and the CPU path, in headless Chromium with the fake
// camera.
//
//   node tests/browser/bench.mjs [frames]     (after ./build.sh and tests/fixtures/golden.sh)
//
// With OUT set, also writes the rows there as JSON (bench/ort.sh does, for BENCHMARKS.md);
// SIZE=160 (or 128, 192) runs the page at that input size; BACKENDS=cpu runs one path only.

import { writeFile } from 'node:fs/promises';

import { launch, serveWww, y4mOf } from './harness.mjs';

const frames = Number(process.argv[2] ?? 20);
const server = await serveWww();
const video = await y4mOf('chelsea.png');
const rows = [];
for (const backend of (process.env.BACKENDS ?? 'webgpu,cpu').split(',')) {
  const browser = await launch({ camera: video });
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  let bytes = 0;
  let counting = true;
  page.on('response', async (response) => {
    const length = Number(response.headers()['content-length'] ?? 0) || (await response.body().catch(() => Buffer.alloc(0))).length;
    if (counting) bytes += length;
  });
  const t0 = Date.now();
  await page.goto(`${server.origin}/?backend=${backend}${process.env.SIZE ? `&size=${process.env.SIZE}` : ''}`);
  await page.waitForFunction(() => window.camtag?.frames > 0, null, { timeout: 300_000 });
  const firstTag = Date.now() - t0;
  counting = false;
  const times = [];
  let seen = await page.evaluate(() => window.camtag.frames);
  while (times.length < frames) {
    await page.waitForFunction((n) => window.camtag.frames > n, seen, { timeout: 300_000, polling: 10 });
    const { frames: count, ms } = await page.evaluate(() => ({ frames: window.camtag.frames, ms: window.camtag.lastResult.totalMs }));
    seen = count;
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const shown = await page.textContent('#backend');
  rows.push({ backend: shown, firstTagMs: firstTag, mbBeforeFirstTag: Math.round(bytes / 1e5) / 10, medianMsPerFrame: Math.round(median), minMs: Math.round(times[0]), frames });
  await browser.close();
}
await server.close();
console.table(rows);
if (process.env.OUT) await writeFile(process.env.OUT, `${JSON.stringify(rows, null, 2)}\n`);
