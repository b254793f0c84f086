// The two wasm packages: browsers with wasm SIMD run www/pkg/ (SIMD), the others www/pkg-baseline/.
// Both tag the fake camera's cat on the CPU with the native CLI's probabilities, each page
// fetches only its own package (gzipped, or plain where DecompressionStream is missing), and a
// browser that cannot validate SIMD gets the baseline.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertMatchesCli, browserForTests, openPage, serveWww, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 60_000;
const DOMESTIC_CATS = [281, 282, 283, 284, 285];

let server;
before(async () => { server = await serveWww(); });
after(() => server?.close());
const chromium = browserForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }));

/** Opens `query` (after `setup(page)`), waits for tags, checks the cat and the wasm file fetched. */
async function tagsWith(query, expected, file, setup = async () => {}) {
  const page = await chromium.browser.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await setup(page);
  await page.goto(`${server.origin}/${query}`);
  const top = await waitForTags(page, TIMEOUT);
  assert.ok(DOMESTIC_CATS.includes(top[0].index), `top-1 ${top[0].index} is a cat`);
  assert.equal(await page.textContent('#backend'), 'CPU');
  assert.equal(await page.getAttribute('#backend', 'data-wasm'), expected);
  const wasm = requests.filter((p) => /\.wasm(\.gz)?$/.test(p));
  assert.deepEqual(wasm, [file], 'only its own package');
  await assertMatchesCli(page);
  await page.close();
}

test('a browser with wasm SIMD runs the SIMD package, fetched gzipped', () => tagsWith('?backend=cpu', 'simd', '/pkg/camtag_bg.wasm.gz'));

test('?wasm=baseline runs the package without SIMD, with the same answers', () =>
  tagsWith('?backend=cpu&wasm=baseline', 'baseline', '/pkg-baseline/camtag_bg.wasm.gz'));

test('a browser without DecompressionStream fetches the plain wasm', () =>
  tagsWith('?backend=cpu', 'simd', '/pkg/camtag_bg.wasm', (page) => page.addInitScript(() => { delete globalThis.DecompressionStream; })));

test('a browser without wasm SIMD gets the baseline package', () =>
  tagsWith('?backend=cpu', 'baseline', '/pkg-baseline/camtag_bg.wasm.gz', (page) =>
    // Such a browser's WebAssembly.validate refuses the SIMD probe module (opcode prefix 0xfd).
    page.addInitScript(() => {
      const validate = WebAssembly.validate.bind(WebAssembly);
      WebAssembly.validate = (bytes) => !new Uint8Array(bytes.buffer ?? bytes).includes(0xfd) && validate(bytes);
    })));
