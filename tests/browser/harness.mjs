// Shared by the browser tests: a static server for www/ on 127.0.0.1, Debian's Chromium with a
// fake camera, and the native CLI for cross-checking. Never downloads a browser.

import { spawn, execFile } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';

/** Playwright's device descriptors (viewport, touch, pixel ratio), for phone and tablet tests. */
export { devices } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const WWW = join(ROOT, 'www');
export const CACHE = process.env.CAMTAG_CACHE ?? join(ROOT, '.cache');
export const CAMTAG_BIN = process.env.CAMTAG_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'release/camtag');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The bundle the page loads first (build.sh's models/index.json `default`), by file name. */
export const DEFAULT_MODEL = JSON.parse(readFileSync(join(WWW, 'models/index.json'), 'utf8')).default;
/** Its path, for the CLI to classify what the page classifies. */
export const DEFAULT_MODEL_PATH = join(WWW, 'models', DEFAULT_MODEL);

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.camtag': 'application/octet-stream',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.webmanifest': 'application/manifest+json',
};

/**
 * Serves www/ on an ephemeral 127.0.0.1 port, under `base` (e.g. `/camtag/`, as GitHub Pages
 * serves a project site; anything outside it is a 404). Resolves to `{ origin, close() }`.
 */
export async function serveWww({ base = '/' } = {}) {
  const server = createServer((req, res) => {
    const full = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!full.startsWith(base)) { res.writeHead(404).end('not found'); return; }
    const path = `/${full.slice(base.length)}`;
    let file = normalize(join(WWW, path));
    if (!file.startsWith(WWW)) { res.writeHead(403).end(); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => { server.close(ok); server.closeAllConnections(); }),
  };
}

const BASE_ARGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-quic', '--no-first-run', '--disable-dev-shm-usage',
];

/**
 * Launches headless Chromium. `camera`: a .y4m file the fake camera plays (permission granted),
 * `'synthetic'` (Chromium's generated test pattern, as many cameras as `cameras`; a file gives
 * only one), `'denied'` (a fake camera exists but the permission prompt is refused) or `'none'`
 * (no camera). `webgpu`: expose WebGPU (SwiftShader).
 */
export async function launch(options = {}) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs(options) });
}

/** The command-line switches `launch` gives Chromium for `options` (for a persistent profile too). */
export function chromiumArgs({ camera, webgpu = true, cameras = 1 } = {}) {
  const args = [...BASE_ARGS];
  if (camera === 'synthetic') args.push(`--use-fake-device-for-media-stream=device-count=${cameras}`, '--use-fake-ui-for-media-stream');
  else if (camera === 'denied') args.push('--use-fake-device-for-media-stream', '--deny-permission-prompts');
  else if (camera === 'none') args.push('--use-fake-ui-for-media-stream');
  else if (camera) args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${camera}`);
  if (webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader');
  return args;
}

/** Opens the page and records every request it makes, and its console, for the assertions. */
export async function openPage(browser, url) {
  const page = await browser.newPage();
  const requests = [];
  const console = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, requests, console };
}

/**
 * Inside a test file or `describe`: launch Chromium with `options` (an object, or an async
 * function returning one) before its tests, close it after. The handle's `browser` is set once
 * launched.
 */
export function browserForTests(options) {
  const handle = { browser: null };
  before(async () => { handle.browser = await launch(typeof options === 'function' ? await options() : options); });
  after(() => handle.browser?.close());
  return handle;
}

/**
 * For a test file that works on one page: before its tests, serve www/, launch Chromium with
 * `options`, open `path` and call `ready(page)`; after them, close everything.
 */
export function pageForTests(options, path, ready) {
  // One hook, not three: split into separate top-level before() hooks, the page hook ran
  // before the server existed (node 20's runner).
  let server;
  let browser;
  before(async () => {
    server = await serveWww();
    browser = await launch(typeof options === 'function' ? await options() : options);
    const { page } = await openPage(browser, `${server.origin}${path}`);
    await ready(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
}

/** Makes (once) a y4m video of a photo for the fake camera. */
export async function y4mOf(photo) {
  const out = join(CACHE, 'video', photo.replace(/\.\w+$/, '.y4m'));
  if (!existsSync(out)) {
    await promisify(execFile)('mkdir', ['-p', dirname(out)]);
    await run('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', join(CACHE, 'photos', photo),
      '-vf', 'scale=640:-2', '-frames:v', '30', '-pix_fmt', 'yuv420p', out]);
  }
  return out;
}

/**
 * `n` different pictures of a test photo (made once, with ffmpeg): crops of 70 % from different
 * corners, every other one mirrored, as PNG paths. A tag's samples in the Teach tests.
 */
export async function cropsOf(photo, n) {
  const dir = join(CACHE, 'crops');
  await promisify(execFile)('mkdir', ['-p', dir]);
  const files = [];
  for (let i = 0; i < n; i++) {
    const out = join(dir, `${photo.replace(/\.\w+$/, '')}-${i}.png`);
    const [fx, fy] = [(i % 3) / 2, (Math.floor(i / 3) % 3) / 2];
    if (!existsSync(out)) {
      await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(CACHE, 'photos', photo),
        '-vf', `crop=iw*0.7:ih*0.7:iw*0.3*${fx}:ih*0.3*${fy}${i % 2 ? ',hflip' : ''}`, '-frames:v', '1', out]);
    }
    files.push(out);
  }
  return files;
}

/** Runs a program, resolving to its stdout; rejects with its stderr. */
export function run(program, args) {
  return new Promise((ok, fail) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? ok(stdout) : fail(new Error(`${program} exited ${code}: ${stderr}`))));
  });
}

/** Waits until the page shows a result; returns its top-5 as `[{index, prob}]`. */
export async function waitForTags(page, timeout) {
  await page.waitForFunction(() => window.camtag?.frames > 0, null, { timeout, polling: 250 });
  return page.$$eval('#results li', (items) => items.map((li) => ({ index: Number(li.dataset.index), prob: Number(li.dataset.prob) })));
}

/** Classifies the page's last frame with the native CLI and compares the top-5. */
export async function assertMatchesCli(page) {
  const { png, result } = await page.evaluate(() => window.camtag.snapshot());
  const dir = await mkdtemp(join(tmpdir(), 'camtag-'));
  const file = join(dir, 'frame.png');
  await writeFile(file, Buffer.from(png.split(',')[1], 'base64'));
  const [cli] = JSON.parse(await run(CAMTAG_BIN, ['classify', file, '--model', DEFAULT_MODEL_PATH, '--json', '--top', '5', '--device', 'cpu']));
  assert.deepEqual(result.predictions.map((p) => p.index), cli.predictions.map((p) => p.index), 'same top-5 classes');
  for (const [i, p] of result.predictions.entries()) {
    assert.ok(Math.abs(p.prob - cli.predictions[i].prob) < 1e-3, `${p.en}: page ${p.prob} vs CLI ${cli.predictions[i].prob}`);
  }
}

/** Holds the Teach panel's "hold to capture" for `ms`, then waits for the last capture's PNG encoding. */
export async function holdCapture(page, ms) {
  await page.locator('#capture').scrollIntoViewIfNeeded(); // under the viewfinder: below the fold on a laptop
  const box = await page.locator('#capture').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(ms);
  await page.mouse.up();
  await page.waitForTimeout(300);
}

/** The next result the page shows after `action`: its predictions. */
export async function nextResult(page, action, timeout = 60_000) {
  const before = await page.evaluate(() => window.camtag.frames);
  await action();
  await page.waitForFunction((n) => window.camtag.frames > n, before, { timeout });
  return page.evaluate(() => window.camtag.lastResult.predictions);
}

/**
 * Chooses picture `file` and resolves to its predictions: those of the picture, not of a camera
 * frame still in flight when it was chosen (the frame classified has the picture's size).
 */
export async function pictureResult(page, file, timeout = 60_000) {
  const before = await page.evaluate(() => window.camtag.frames);
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction((n) => {
    const [picture, frame] = [document.querySelector('#picture'), window.camtag.lastFrame];
    return window.camtag.frames > n && !picture.hidden && frame?.width === picture.width && frame?.height === picture.height;
  }, before, { timeout });
  return page.evaluate(() => window.camtag.lastResult.predictions);
}
