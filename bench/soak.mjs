// Soak run (a script, not a test): FRAMES camera frames through the page in headless Chromium,
// reporting every EVERY frames the memory of the browser's processes (resident set of the
// renderer, the GPU process and the rest), the wasm module's linear memory, and the median ms
// per frame. Warm-up is the first tenth of the run; the figures that count are the growth
// after it and whether ms per frame stays steady. Writes bench/results/soak-<backend>.json.
//
//   node bench/soak.mjs [--backend cpu|webgpu] [--frames 10000] [--every 250]
//   (after ./build.sh, tests/fixtures/golden.sh and `npm ci` in tests/: the harness's playwright-core)

import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { ROOT, launch, serveWww, y4mOf } from '../tests/browser/harness.mjs';

const { values } = parseArgs({ options: {
  backend: { type: 'string', default: 'cpu' },
  frames: { type: 'string', default: '10000' },
  every: { type: 'string', default: '250' },
} });
const FRAMES = Number(values.frames);
const EVERY = Number(values.every);
const BACKEND = values.backend;

/** Resident memory in bytes of every process below `root` (the browser and its children). */
function treeRss(root) {
  const children = new Map();
  const rss = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      rss.set(Number(name), Number(fields[21]) * 4096);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch { /* the process ended meanwhile */ }
  }
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** The pid of the Chromium Playwright launched: the chromium process whose parent is us. */
function browserPid() {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('chromium')) return Number(name);
    } catch { /* gone */ }
  }
  throw new Error('cannot find the browser process');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes) => Math.round(bytes / 1e5) / 10;

const server = await serveWww();
const browser = await launch({ camera: await y4mOf('chelsea.png'), webgpu: BACKEND === 'webgpu' });
const pid = browserPid();
const page = await browser.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
await page.goto(`${server.origin}/?backend=${BACKEND}`);
await page.waitForFunction(() => window.camtag?.frames > 0, null, { timeout: 300_000 });
const worker = page.workers().find((w) => w.url().endsWith('/js/worker/inference-worker.js'));

const samples = [];
let window_ = [];
let seen = 0;
const started = Date.now();
while (seen < FRAMES) {
  const now = await page.evaluate(() => ({ frames: window.camtag.frames, ms: window.camtag.lastResult?.totalMs, error: document.querySelector('#error').textContent }));
  if (now.error) throw new Error(`the page shows an error after ${now.frames} frames: ${now.error}`);
  if (now.frames > seen) {
    window_.push(now.ms);
    seen = now.frames;
  }
  if (window_.length && seen >= (samples.length + 1) * EVERY) {
    const wasm = await worker.evaluate(() => self.camtagWasmMemory?.buffer.byteLength ?? 0);
    const sample = { frame: seen, seconds: Math.round((Date.now() - started) / 1000), rssMB: mb(treeRss(pid)), wasmMB: mb(wasm), medianMs: Math.round(median(window_)) };
    samples.push(sample);
    console.log(JSON.stringify(sample));
    window_ = [];
  }
  await new Promise((ok) => setTimeout(ok, 20));
}
const chromiumVersion = browser.version();
await browser.close();
await server.close();

const warm = samples.filter((s) => s.frame > FRAMES / 10);
const base = warm[0];
const last = samples.at(-1);
const mss = warm.map((s) => s.medianMs);
const summary = {
  backend: BACKEND, frames: seen, seconds: last.seconds, chromium: chromiumVersion,
  rssAfterWarmupMB: base.rssMB, rssEndMB: last.rssMB, rssGrowthPercent: Math.round(((last.rssMB - base.rssMB) / base.rssMB) * 1000) / 10,
  wasmAfterWarmupMB: base.wasmMB, wasmEndMB: last.wasmMB,
  medianMsPerFrame: median(mss), slowestWindowMs: Math.max(...mss), fastestWindowMs: Math.min(...mss),
  pageErrors,
};
console.log(JSON.stringify(summary, null, 2));
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, `bench/results/soak-${BACKEND}.json`), `${JSON.stringify({ summary, samples }, null, 2)}\n`);
