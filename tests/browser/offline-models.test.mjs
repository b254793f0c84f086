// Every model opened online works offline after: the service worker keeps the bundle, the picker
// marks it "available offline", and a reload with no network runs it. "Remove offline copies"
// (asked first) frees that space: offline, such a model then fails and says why, while the
// default, which comes with the page, still tags.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DEFAULT_MODEL, browserForTests, serveWww, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 120_000;
const OTHER = 'efficientnet_lite0.camtag';
const chromium = browserForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }));

/** Waits until the page tags the camera with the model named `name` (its own tags, not the last model's). */
async function tagsOf(page, name) {
  await page.waitForFunction((wanted) => {
    const [model, results] = [document.getElementById('model-name'), document.getElementById('results')];
    return model.textContent.startsWith(wanted) && results.children.length > 0 && results.dataset.model === model.dataset.model;
  }, name, { timeout: TIMEOUT, polling: 250 });
  return page.$$eval('#results li', (items) => items.map((li) => Number(li.dataset.index)));
}

const isCat = (index) => index >= 281 && index <= 285;
const offlineMark = (page, file) => page.getAttribute(`#model-select option[value="${file}"]`, 'data-offline');

test('a model opened online runs offline after a reload; once its copy is removed it fails and says so', async () => {
  const server = await serveWww();
  const context = await chromium.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.origin}/?backend=cpu`);
  await waitForTags(page, TIMEOUT);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });

  // Online: open EfficientNet-Lite0; it is kept and marked, beside the default.
  assert.equal(await offlineMark(page, OTHER), 'false', 'not yet opened');
  await page.selectOption('#model-select', OTHER);
  assert.ok(isCat((await tagsOf(page, 'EfficientNet-Lite0'))[0]));
  await page.waitForFunction((file) => document.querySelector(`#model-select option[value="${file}"]`).dataset.offline === 'true', OTHER, { timeout: TIMEOUT });
  assert.equal(await offlineMark(page, DEFAULT_MODEL), 'true', 'the default comes with the page');
  assert.equal(await offlineMark(page, 'mobilenet_v2.camtag'), 'false', 'never opened');
  assert.match(await page.textContent(`#model-select option[value="${OTHER}"]`), /available offline/);
  assert.equal(await page.isVisible('#free-offline'), true);

  // No server, no network: a reload, then EfficientNet-Lite0 again.
  await server.close();
  await context.setOffline(true);
  await page.reload();
  await tagsOf(page, 'MobileNetV2');
  await page.waitForFunction((file) => document.querySelector(`#model-select option[value="${file}"]`).dataset.offline === 'true', OTHER, { timeout: TIMEOUT });
  await page.selectOption('#model-select', OTHER);
  assert.ok(isCat((await tagsOf(page, 'EfficientNet-Lite0'))[0]));
  assert.equal(await page.isHidden('#error'), true, await page.textContent('#error'));

  // Free the space (asked first; refused, nothing goes), then back to the default.
  page.once('dialog', (dialog) => dialog.dismiss());
  await page.click('#free-offline');
  assert.equal(await offlineMark(page, OTHER), 'true', 'refused: kept');
  page.once('dialog', (dialog) => dialog.accept());
  await page.click('#free-offline');
  await page.waitForFunction((file) => document.querySelector(`#model-select option[value="${file}"]`).dataset.offline === 'false', OTHER, { timeout: TIMEOUT });
  assert.equal(await offlineMark(page, DEFAULT_MODEL), 'true');
  assert.equal(await page.isHidden('#free-offline'), true, 'nothing left to free');
  await page.selectOption('#model-select', DEFAULT_MODEL);
  assert.ok(isCat((await tagsOf(page, 'MobileNetV2'))[0]));

  // Offline, EfficientNet-Lite0 now fails and says why; the default keeps tagging.
  await page.selectOption('#model-select', OTHER);
  await page.waitForSelector('#error:not([hidden])', { timeout: TIMEOUT });
  const error = await page.textContent('#error');
  assert.match(error, /EfficientNet-Lite0 is not kept for offline use.*(Model download failed|The model could not be loaded)/s, 'and why, in the error\'s own words');
  assert.match(error, /Still using MobileNetV2/);
  assert.equal(await page.inputValue('#model-select'), DEFAULT_MODEL, 'the picker goes back to what runs');
  const frames = await page.evaluate(() => window.camtag.frames);
  await page.waitForFunction((n) => window.camtag.frames > n + 3, frames, { timeout: TIMEOUT });
  assert.ok(isCat((await tagsOf(page, 'MobileNetV2'))[0]));
  assert.deepEqual(errors, []);
  await context.close();
});
