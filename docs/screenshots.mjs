// The README's screenshots of the page's main states (not a test): the camera on WebGPU, a
// dropped picture in English, collecting samples, and a phone-sized screen.
//
//   node docs/screenshots.mjs     (after ./build.sh and `npm ci` in tests/, whose harness it uses;
//                                 Chinese needs fonts-noto-cjk)

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { CACHE, ROOT, launch, serveWww, waitForTags, y4mOf } from '../tests/browser/harness.mjs';

const DOCS = join(ROOT, 'docs');
await mkdir(DOCS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(DOCS, name), type: 'jpeg', quality: 80 });
const server = await serveWww();
const browser = await launch({ camera: await y4mOf('chelsea.png') });

const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
await page.goto(`${server.origin}/?backend=webgpu`);
await waitForTags(page, 120_000);
await shot(page, 'camera-webgpu.jpg');

await page.click('#collect summary');
await page.fill('#tag-input', '猫');
const box = await page.locator('#capture').boundingBox();
await page.mouse.move(box.x + 5, box.y + 5);
await page.mouse.down();
await page.waitForTimeout(1500);
await page.mouse.up();
await page.waitForTimeout(500);
await page.evaluate(() => document.querySelector('#collect').scrollIntoView());
await shot(page, 'collect.jpg');
await page.close();

const cpu = await browser.newPage({ viewport: { width: 1100, height: 720 } });
await cpu.goto(`${server.origin}/?backend=cpu`);
await waitForTags(cpu, 60_000);
await cpu.selectOption('#language-select', 'en');
const before = await cpu.evaluate(() => window.camtag.frames);
await cpu.setInputFiles('#file-input', join(CACHE, 'photos/coffee.png'));
await cpu.waitForFunction((n) => window.camtag.frames > n && window.camtag.lastResult.predictions[0].index === 967, before);
await shot(cpu, 'picture-english.jpg');
await cpu.setViewportSize({ width: 390, height: 844 });
await cpu.selectOption('#language-select', 'zh');
await shot(cpu, 'phone.jpg');
await cpu.close();

await browser.close();
await server.close();
console.log(`screenshots in ${DOCS}`);
