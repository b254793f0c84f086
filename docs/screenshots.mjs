// The README's screenshots of the page's main states (not a test): the camera on WebGPU, where it
// looks (the class activation map), teaching three tags in the page, a dropped picture in English,
// a phone (Playwright's Pixel 7: its screen, touch and pixel ratio) and projector mode.
//
//   node docs/screenshots.mjs     (after ./build.sh and `npm ci` in tests/, whose harness it uses;
//                                 Chinese needs fonts-noto-cjk)

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { CACHE, ROOT, cropsOf, devices, launch, serveWww, waitForTags, y4mOf } from '../tests/browser/harness.mjs';

const DOCS = join(ROOT, 'docs');
await mkdir(DOCS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(DOCS, name), type: 'jpeg', quality: 80 });
const server = await serveWww();
const browser = await launch({ camera: await y4mOf('chelsea.png') });

const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
await page.goto(`${server.origin}/?backend=webgpu`);
await waitForTags(page, 120_000);
await shot(page, 'camera-webgpu.jpg');

// Where it looks: the class activation map of the top tag over the camera.
await page.check('#cam-toggle');
await page.waitForFunction(() => window.camtag.lastResult?.map, null, { timeout: 120_000 });
await page.waitForTimeout(500);
await shot(page, 'where-it-looks.jpg');
await page.uncheck('#cam-toggle');

// Teaching: three tags from picture files (crops of the test photos), trained in the page.
await page.click('#collect summary');
const tags = [['猫', 'cat', 'chelsea.png'], ['咖啡', 'coffee', 'coffee.png'], ['宇航员', 'astronaut', 'astronaut.png']];
for (const [zh, en, photo] of tags) {
  await page.fill('#tag-input', zh);
  await page.fill('#tag-en-input', en);
  await page.click('#tag-add');
  const group = `.sample-group[data-tag="${zh}"]`;
  await page.waitForSelector(group);
  await page.setInputFiles(`${group} .tag-files`, await cropsOf(photo, 8));
}
await page.waitForFunction(() => [...document.querySelectorAll('.sample-group')].reduce((n, g) => n + Number(g.dataset.count), 0) >= 24, null, { timeout: 120_000 });
await page.click('#train');
await page.waitForSelector('#teach-report[data-ms]', { timeout: 120_000 });
// The tags' last thumbnails, the curve and the report in one view.
await page.setViewportSize({ width: 1100, height: 900 });
await page.evaluate(() => document.querySelector('#teach-report').scrollIntoView({ block: 'end' }));
await shot(page, 'teach.jpg');
await page.close();

const cpu = await browser.newPage({ viewport: { width: 1100, height: 720 } });
await cpu.goto(`${server.origin}/?backend=cpu`);
await waitForTags(cpu, 60_000);
await cpu.selectOption('#language-select', 'en');
const before = await cpu.evaluate(() => window.camtag.frames);
await cpu.setInputFiles('#file-input', join(CACHE, 'photos/coffee.png'));
await cpu.waitForFunction((n) => window.camtag.frames > n && window.camtag.lastResult.predictions[0].index === 967, before);
await shot(cpu, 'picture-english.jpg');
await cpu.close();

// A phone, in Chinese (the language chosen above is remembered per origin and profile: this
// context is a fresh profile, so it is chosen again); shot at 1x to keep the file small.
const phone = await browser.newContext({ ...devices['Pixel 7'], deviceScaleFactor: 1 });
const onPhone = await phone.newPage();
await onPhone.goto(`${server.origin}/?backend=cpu`);
await onPhone.evaluate(() => localStorage.setItem('camtag.language', 'zh'));
await onPhone.reload();
await waitForTags(onPhone, 60_000);
await onPhone.waitForTimeout(1000);
await shot(onPhone, 'phone.jpg');
await phone.close();

// Projector mode, as `?present` opens it.
const projector = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await projector.goto(`${server.origin}/?backend=cpu&present`);
await waitForTags(projector, 60_000);
await projector.waitForTimeout(1000);
await shot(projector, 'projector.jpg');
await projector.close();

await browser.close();
await server.close();
console.log(`screenshots in ${DOCS}`);
