// Teaching in the page (a benchmark, not a test), on the CPU package in headless Chromium with
// the fake camera: what adding one sample costs (the DESCRIBE round trip to the worker's teacher,
// MobileNetV2 f32, ms; with the camera tagging beside it, and alone) next to one camera frame's
// classification (the default model, MobileNetV2 int8), and training 3 tags x 30 samples (ms
// from the Train click to the new model running), with the teacher's first load apart.
//
//   node bench/teach.mjs [samplesPerTag]    (after ./build.sh, tests/fixtures/golden.sh and
//                                           `npm ci` in tests/: the harness's playwright-core)
//
// Prints one JSON object; with OUT set, also writes it there.

import { writeFile } from 'node:fs/promises';

import { cropsOf, launch, serveWww, y4mOf } from '../tests/browser/harness.mjs';

const perTag = Number(process.argv[2] ?? 30);
const TIMEOUT = 300_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await serveWww();
const browser = await launch({ camera: await y4mOf('chelsea.png'), webgpu: false });
const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
await page.goto(`${server.origin}/?backend=cpu`);
await page.waitForFunction(() => window.camtag?.frames > 3, null, { timeout: TIMEOUT });

/** The camera's classification times (the worker's totalMs) over the next `n` frames. */
async function frameTimes(n) {
  const times = [];
  let seen = await page.evaluate(() => window.camtag.frames);
  while (times.length < n) {
    await page.waitForFunction((k) => window.camtag.frames > k, seen, { timeout: TIMEOUT, polling: 10 });
    const { frames, ms } = await page.evaluate(() => ({ frames: window.camtag.frames, ms: window.camtag.lastResult.totalMs }));
    seen = frames;
    times.push(ms);
  }
  return times;
}

const classifyMs = median(await frameTimes(15));
await page.click('#collect summary');
const photos = { 咖啡: 'coffee.png', 宇航员: 'astronaut.png', 宫殿: 'china.jpg' };
const described = () => page.evaluate(() => (window.camtag.describeMs ?? []).length);
let first = null;
for (const [tag, photo] of Object.entries(photos)) {
  await page.fill('#tag-input', tag);
  await page.click('#tag-add');
  const files = await cropsOf(photo, perTag);
  const before = await described();
  await page.setInputFiles(`.sample-group[data-tag="${tag}"] .tag-files`, files);
  await page.waitForFunction((n) => (window.camtag.describeMs ?? []).length >= n, before + files.length, { timeout: TIMEOUT });
  first ??= await page.evaluate(() => window.camtag.describeMs[0]);
}
const describeMs = await page.evaluate(() => window.camtag.describeMs.slice(1));
// The camera's frames while nothing else runs in the worker, for the same page state.
const classifyAfterMs = median(await frameTimes(10));

await page.click('#train');
await page.waitForSelector('#teach-report[data-ms]', { timeout: TIMEOUT });
const trainToActiveMs = Number(await page.getAttribute('#teach-report', 'data-ms'));
const epochs = Number(await page.getAttribute('#teach-curve', 'data-epochs'));
const top1 = Number(await page.getAttribute('#teach-report', 'data-top1'));
// Describing alone: the camera stopped, ten more pictures.
await page.click('#camera-toggle');
await page.waitForFunction(() => document.querySelector('#video').hidden, null, { timeout: TIMEOUT });
const done = await described();
await page.setInputFiles('.sample-group[data-tag="咖啡"] .tag-files', (await cropsOf('coffee.png', 10)));
await page.waitForFunction((n) => (window.camtag.describeMs ?? []).length >= n, done + 10, { timeout: TIMEOUT });
const aloneMs = await page.evaluate((n) => window.camtag.describeMs.slice(n), done);

const result = {
  browser: 'headless Chromium, CPU package (pkg-cpu), no WebGPU',
  classifyMsMedian: Math.round(classifyMs),
  classifyMsMedianAfterSamples: Math.round(classifyAfterMs),
  firstDescribeMs: first, // includes fetching and loading the teacher (shared/teach-bases.js)
  describeMsMedian: median(describeMs),
  describeMsMin: Math.min(...describeMs),
  describeMsMax: Math.max(...describeMs),
  describeMsMedianCameraOff: median(aloneMs),
  samples: describeMs.length + 1,
  tags: Object.keys(photos).length,
  trainToActiveMs,
  epochs,
  validTop1: top1,
};
console.log(JSON.stringify(result, null, 2));
if (process.env.OUT) await writeFile(process.env.OUT, `${JSON.stringify(result, null, 2)}\n`);
await browser.close();
await server.close();
