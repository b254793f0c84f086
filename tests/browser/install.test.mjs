// Installable: the page's web app manifest (www/manifest.webmanifest), its icons and the service
// worker meet Chromium's criteria for "Install app", checked by Chromium itself
// (CDP Page.getInstallabilityErrors: none) and one by one, under a GitHub Pages sub-path. A
// persistent profile: Chromium never offers to install from an incognito one (Playwright's
// contexts are).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

import { CHROMIUM, chromiumArgs, serveWww, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 90_000;
let server;
let profile;
let context;
let page;
before(async () => {
  server = await serveWww({ base: '/camtag/' });
  profile = await mkdtemp(join(tmpdir(), 'camtag-profile-'));
  const args = chromiumArgs({ camera: await y4mOf('chelsea.png'), webgpu: false });
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args });
  page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${server.origin}/camtag/?backend=cpu`);
  await waitForTags(page, TIMEOUT);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });
});
after(async () => {
  await context?.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

test('the manifest, read through the page, meets the criteria one by one', async () => {
  const { manifest, href, theme, apple } = await page.evaluate(async () => {
    const link = document.querySelector('link[rel="manifest"]');
    const response = await fetch(link.href);
    return {
      manifest: await response.json(), href: link.href,
      theme: document.querySelector('meta[name="theme-color"]')?.content,
      apple: document.querySelector('link[rel="apple-touch-icon"]')?.href,
    };
  });
  assert.equal(manifest.name, 'camtag 看图识物');
  assert.ok(manifest.short_name);
  assert.equal(manifest.display, 'standalone');
  const scope = new URL(manifest.scope, href).href;
  assert.equal(scope, `${server.origin}/camtag/`, 'the sub-path, not the server root');
  assert.ok(new URL(manifest.start_url, href).href.startsWith(scope), 'start_url within scope');
  // The colours are the page's own (css/style.css's --bg).
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim());
  assert.equal(manifest.background_color, background);
  assert.equal(manifest.theme_color, theme);
  assert.ok(apple.endsWith('/camtag/icons/icon-192.png'));

  // Each PNG icon loads, and is the size it says.
  const sizes = await page.evaluate(async (icons) => Promise.all(icons.map(async (icon) => {
    const image = new Image();
    image.src = new URL(icon.src, document.querySelector('link[rel="manifest"]').href).href;
    await image.decode();
    return { ...icon, actual: `${image.naturalWidth}x${image.naturalHeight}` };
  })), manifest.icons.filter((i) => i.type === 'image/png'));
  for (const icon of sizes) assert.equal(icon.actual, icon.sizes, icon.src);
  const any = sizes.filter((i) => (i.purpose ?? 'any').split(' ').includes('any')).map((i) => i.sizes);
  assert.ok(any.includes('192x192') && any.includes('512x512'), JSON.stringify(sizes));
  assert.ok(sizes.some((i) => i.purpose === 'maskable' && i.sizes === '512x512'), 'a maskable 512 px icon');

  // A service worker controls the page and answers its fetches (it has a fetch handler).
  const controlled = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return { scope: new URL(registration.scope).pathname, script: navigator.serviceWorker.controller.scriptURL };
  });
  assert.equal(controlled.scope, '/camtag/');
  const script = await page.evaluate((url) => fetch(url).then((r) => r.text()), controlled.script);
  assert.match(script, /addEventListener\('fetch'/);
});

test("Chromium's own check: no installability error", async () => {
  const cdp = await context.newCDPSession(page);
  const { url, errors, data } = await cdp.send('Page.getAppManifest');
  assert.ok(url.endsWith('/camtag/manifest.webmanifest'), url);
  assert.deepEqual(errors, [], data);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, []);
});
