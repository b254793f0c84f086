// camtag beside onnxruntime-web in one headless Chromium: MobileNetV2 and EfficientNet-Lite0
// (the same weights camtag imports; ONNX exported by bench/export_onnx.py), 224 px, batch 1,
// single-threaded wasm on the CPU (camtag's SIMD and baseline packages) and WebGPU (SwiftShader
// here), after one warm-up run, median and min of RUNS runs, plus cold costs (module + model
// load, first inference). Prints JSON lines and a table; writes the rows to OUT if set.
//
// Run through bench/ort.sh (which exports the ONNX files and installs onnxruntime-web).

import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const CACHE = process.env.CAMTAG_CACHE ?? join(ROOT, '.cache');
/** The built site whose packages and models are measured (another build's, for bench/before_after.sh). */
const WWW = process.env.CAMTAG_WWW ?? join(ROOT, 'www');
const RUNS = Number(process.env.RUNS ?? 30);
const BACKENDS = (process.env.BACKENDS ?? 'cpu,webgpu').split(','); // e.g. BACKENDS=cpu
const MODELS = (process.env.MODELS ?? 'mobilenet_v2,efficientnet_lite0').split(',');
const CAMTAG_BIN = process.env.CAMTAG_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'release/camtag');
/** The bundle's input normalization (`camtag info`), which onnxruntime's input must match. */
const normalization = (model) => {
  const info = JSON.parse(execFileSync(CAMTAG_BIN, ['info', '--model', join(WWW, 'models', `${model}.camtag`), '--json'], { encoding: 'utf8' }));
  return { mean: info.preprocessing.mean, std: info.preprocessing.std };
};
const ENGINES = { cpu: ['camtag', 'camtag-baseline', 'onnxruntime-web'], webgpu: ['camtag', 'onnxruntime-web'] };
const MOUNTS = [
  ['/www/', WWW],
  ['/ort/', join(HERE, 'node_modules/onnxruntime-web/dist')],
  ['/onnx/', join(CACHE, 'onnx')],
  ['/photos/', join(CACHE, 'photos')],
  ['/', join(HERE, 'ort')],
];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.png': 'image/png' };

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const [prefix, dir] = MOUNTS.find(([p]) => path.startsWith(p));
  const file = normalize(join(dir, path.slice(prefix.length) || 'index.html'));
  if (!file.startsWith(dir)) return res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const browserVersion = browser.version();
const ORT_VERSION = JSON.parse(await readFile(join(HERE, 'node_modules/onnxruntime-web/package.json'), 'utf8')).version;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const model of MODELS) {
  const norm = normalization(model);
  for (const backend of BACKENDS) {
    for (const engine of ENGINES[backend]) {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => window.benchReady, null, { timeout: 60_000 });
      const runs = backend === 'webgpu' ? Math.min(RUNS, 10) : RUNS;
      const r = await page.evaluate((c) => window.runBench(c), { engine, backend, model, runs, normalization: norm });
      const row = { model, engine, backend, actualBackend: r.actualBackend, top1: r.top1, runs: r.times.length, medianMs: median(r.times), minMs: Math.min(...r.times), loadMs: r.loadMs, firstMs: r.firstMs };
      console.log(JSON.stringify(row));
      rows.push(row);
      await page.close();
    }
  }
}
await browser.close();
server.close();

if (process.env.OUT) await writeFile(process.env.OUT, `${JSON.stringify({ chromium: browserVersion, onnxruntimeWeb: ORT_VERSION, rows }, null, 2)}\n`);

const fmt = (x) => x.toFixed(1);
console.log('\n| model | backend | engine | median ms | min ms | load ms | first inference ms | top-1 |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.model} | ${r.backend} | ${r.engine} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} | ${fmt(r.loadMs)} | ${fmt(r.firstMs)} | ${r.top1} |`);
