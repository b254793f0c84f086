// GitHub Pages serves a project site under a sub-path (https://USER.github.io/REPO/): the page,
// its worker, the wasm, the models and the service worker must all load from there, by relative
// paths, and nothing may be asked of the server's root.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { cropsOf, launch, openPage, serveWww, waitForTags, y4mOf } from './harness.mjs';

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

test('under /camtag/ the Teach panel describes pictures, trains and runs the new model, all under it', async () => {
  const { page, requests, console } = await openPage(browser, `${server.origin}/camtag/?backend=cpu`);
  await waitForTags(page, TIMEOUT);
  await page.click('#collect summary');
  for (const [tag, photo] of [['咖啡', 'coffee.png'], ['宇航员', 'astronaut.png']]) {
    await page.fill('#tag-input', tag);
    await page.click('#tag-add');
    await page.setInputFiles(`.sample-group[data-tag="${tag}"] .tag-files`, await cropsOf(photo, 4));
  }
  await page.waitForFunction(() => [...document.querySelectorAll('.sample-group')].every((g) => g.dataset.count === '4'), null, { timeout: TIMEOUT });
  await page.click('#train');
  await page.waitForSelector('#teach-report[data-ms]', { timeout: TIMEOUT });
  await page.waitForFunction(() => window.camtag.lastResult?.predictions.length === 2, null, { timeout: TIMEOUT });
  const tags = await page.evaluate(() => window.camtag.lastResult.predictions.map((p) => p.zh).sort());
  assert.deepEqual(tags, ['咖啡', '宇航员'].sort(), 'the taught model tags the camera');
  const paths = requests.map((u) => new URL(u)).filter((u) => u.protocol.startsWith('http')).map((u) => u.pathname);
  assert.ok(paths.some((p) => /^\/camtag\/models\/mobilenet_v2(_int8)?\.camtag/.test(p)), 'the teacher\'s base came from under the sub-path');
  assert.deepEqual(paths.filter((p) => !p.startsWith('/camtag/')), [], 'requests outside the sub-path');
  assert.deepEqual(console.filter((m) => m.startsWith('error') || m.startsWith('pageerror')), []);
});
