// Browser timings (a benchmark, not a test): time from navigation start to the first tag, the bytes
// the page fetched before it (as served: no compression on this server), the median ms per frame
// over a run of frames and the browser's GPU process's share of a core meanwhile, in headless Chromium with the fake camera: `auto` (the page's
// default: the CPU first, then WebGPU tried beside it, js/worker/gpu-trial.js; its frames are timed after
// the trial), WebGPU and the CPU asked for, in a browser with WebGPU (SwiftShader, which then also
// composites the page), and `auto` in a browser that offers no WebGPU adapter (the CPU path most
// people without WebGPU get).
//
//   node bench/first-tag.mjs [frames]     (after ./build.sh, tests/fixtures/golden.sh and
//                                         `npm ci` in tests/: the harness's playwright-core)
//
// With OUT set, also writes the rows there as JSON (bench/ort.sh does, for BENCHMARKS.md);
// SIZE=160 (or 128, 192) runs the page at that input size; BACKENDS=cpu runs one path only
// (auto, webgpu, cpu, no-webgpu).

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';

import { DEFAULT_MODEL, ROOT, launch, serveWww, y4mOf } from '../tests/browser/harness.mjs';

const frames = Number(process.argv[2] ?? 20);

/**
 * CPU time (clock ticks, /proc: Linux only, else null) of Chromium's GPU process so far: where
 * SwiftShader draws, it composites the page there on the CPU, beside the model's worker. Its share
 * of a core over the timed frames says what the page's layers cost (BENCHMARKS.md, "The viewfinder").
 */
function gpuProcessTicks() {
  try {
    const stats = new Map(); // pid → [parent pid, utime + stime]
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        stats.set(pid, [fields[1], Number(fields[11]) + Number(fields[12])]);
      } catch {
        // a process that ended between the listing and the read
      }
    }
    // Only the GPU process of the browser this script started (not another Chrome's).
    const ours = (pid) => {
      for (let p = stats.get(pid)?.[0]; p && p !== '0'; p = stats.get(p)?.[0]) if (p === String(process.pid)) return true;
      return false;
    };
    let ticks = null;
    for (const [pid, [, used]] of stats) {
      try {
        if (ours(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=gpu-process')) ticks = (ticks ?? 0) + used;
      } catch {
        // ended meanwhile
      }
    }
    return ticks;
  } catch {
    return null; // no /proc
  }
}
const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const server = await serveWww();
const video = await y4mOf('chelsea.png');
const rows = [];
const PATHS = {
  auto: { browser: 'WebGPU (SwiftShader)', query: '?', webgpu: true },
  webgpu: { browser: 'WebGPU (SwiftShader)', query: '?backend=webgpu', webgpu: true },
  cpu: { browser: 'WebGPU (SwiftShader)', query: '?backend=cpu', webgpu: true },
  'no-webgpu': { browser: 'no WebGPU adapter', query: '?', webgpu: false },
};
for (const path of (process.env.BACKENDS ?? 'auto,webgpu,cpu,no-webgpu').split(',')) {
  const { browser: kind, query, webgpu } = PATHS[path];
  const browser = await launch({ camera: video, webgpu });
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  let bytes = 0;
  let counting = true;
  page.on('response', async (response) => {
    const length = Number(response.headers()['content-length'] ?? 0) || (await response.body().catch(() => Buffer.alloc(0))).length;
    if (counting) bytes += length;
  });
  await page.goto(`${server.origin}/${query}${process.env.SIZE ? `&size=${process.env.SIZE}` : ''}`);
  await page.waitForFunction(() => window.camtag?.frames > 0, null, { timeout: 300_000 });
  counting = false; // bytes of responses seen until now: a few may have landed after the first tag
  const firstTag = await page.evaluate(() => window.camtag.firstTagMs); // the page's clock, from navigation
  const firstBackend = await page.textContent('#backend');
  // `auto` tries the GPU after its first tag: time the frames of the backend it keeps.
  await page.waitForFunction(() => !window.camtag.gpuTrial?.pending, null, { timeout: 300_000 });
  const trial = await page.evaluate(() => window.camtag.gpuTrial);
  const times = [];
  const [ticksBefore, timedFrom] = [gpuProcessTicks(), Date.now()];
  let seen = await page.evaluate(() => window.camtag.frames);
  while (times.length < frames) {
    await page.waitForFunction((n) => window.camtag.frames > n, seen, { timeout: 300_000, polling: 10 });
    const { frames: count, ms } = await page.evaluate(() => ({ frames: window.camtag.frames, ms: window.camtag.lastResult.totalMs }));
    seen = count;
    times.push(ms);
  }
  const ticksAfter = gpuProcessTicks();
  // null where unknown, or where the GPU process restarted between the two readings.
  const gpuProcessCpuPercent = ticksBefore === null || ticksAfter === null || ticksAfter < ticksBefore ? null
    : Math.round((100 * (ticksAfter - ticksBefore)) / TICKS_PER_SECOND / ((Date.now() - timedFrom) / 1000));
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const shown = await page.textContent('#backend');
  const verdict = trial?.problem ? `the GPU failed: ${trial.problem.detail}` : `GPU ${trial?.gpuMs} ms, CPU ${trial?.cpuMs} ms`;
  const backend = trial ? `auto: ${firstBackend}, then ${shown} (trial: ${verdict})` : shown;
  rows.push({ browser: kind, backend, firstTagMs: firstTag, mbBeforeFirstTag: Math.round(bytes / 1e5) / 10, medianMsPerFrame: Math.round(median), minMs: Math.round(times[0]), frames, gpuProcessCpuPercent });
  await browser.close();
}
await server.close();
console.table(rows);
// The raw file says what made it: the commit (and whether the tree differed from it), the
// model, the machine, the browser and the command.
const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const results = {
  commit: git('rev-parse', '--short', 'HEAD'),
  dirty: git('status', '--porcelain', '--untracked-files=no', '--', 'www', 'crate') !== '',
  date: new Date().toISOString().slice(0, 10),
  model: DEFAULT_MODEL,
  machine: `${cpus().length} x ${cpus()[0].model.trim()}`,
  command: `node bench/first-tag.mjs ${frames}${process.env.SIZE ? ` (SIZE=${process.env.SIZE})` : ''}`,
  rows,
};
if (process.env.OUT) await writeFile(process.env.OUT, `${JSON.stringify(results, null, 2)}\n`);
