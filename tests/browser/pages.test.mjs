// GitHub Pages serves a project site under a sub-path (https://USER.github.io/REPO/): the page,
// its worker, the wasm, the models and the service worker must all load from there, by relative
// paths, and nothing may be asked of the server's root.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launch, openPage, serveWww, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 90_000;
let server;
let browser;
before(async () => {
  server = await serveWww({ base: '/camtag/' });
  browser = await launch({ camera: await y4mOf('chelsea.png'), webgpu: false });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('under /camtag/ the page tags the camera, and every request stays under it', async () => {
  const { page, requests, console } = await openPage(browser, `${server.origin}/camtag/?backend=cpu`);
  const top = await waitForTags(page, TIMEOUT);
  assert.ok([281, 282, 285].includes(top[0].index), `a cat, got ${top[0].index}`);
  const paths = requests.map((u) => new URL(u)).filter((u) => u.protocol.startsWith('http')).map((u) => u.pathname);
  assert.ok(paths.some((p) => p.endsWith('/pkg-cpu/camtag_bg.wasm.gz')) && paths.some((p) => p.endsWith('.camtag.gz')), paths.join('\n'));
  assert.deepEqual(paths.filter((p) => !p.startsWith('/camtag/')), [], 'requests outside the sub-path');
  assert.equal(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => new URL(r.scope).pathname)), '/camtag/');
  assert.deepEqual(console.filter((m) => m.startsWith('error') || m.startsWith('pageerror')), []);
});
