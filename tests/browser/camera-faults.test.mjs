// The camera page under the things that go wrong in real use: the model or backend switched
// while a frame is in flight, the camera unplugged mid-stream, the page hidden; and, over all of
// it plus two minutes of tagging, not one request leaves the page's origin.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { CACHE, launch, serveWww, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 60_000;
let server;
let browser;
let page;
const requests = [];
const pageErrors = [];

before(async () => {
  server = await serveWww();
  browser = await launch({ camera: await y4mOf('chelsea.png'), webgpu: true });
  const context = await browser.newContext();
  // Every request of the page, its workers and its service worker, from the first one.
  context.on('request', (r) => requests.push(r.url()));
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.origin}/?backend=cpu`);
  await waitForTags(page, TIMEOUT);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const frames = () => page.evaluate(() => window.camtag.frames);
const moreFrames = async () => page.waitForFunction((n) => window.camtag.frames > n, await frames(), { timeout: TIMEOUT });
const cameraOn = () => page.evaluate(() => document.querySelector('#video').srcObject?.getVideoTracks()[0]?.readyState === 'live');
/** The camera is on again (after a reload) and a new frame has been tagged since. */
async function taggingAgain() {
  await page.waitForFunction(() => document.querySelector('#video').srcObject?.getVideoTracks()[0]?.readyState === 'live', null, { timeout: TIMEOUT });
  await moreFrames();
}

test('switching model, then backend, while frames are in flight leaves no error and keeps tagging', async () => {
  // From here on, every state of the tags and the model's name is looked at: a top-5 on show is
  // only ever the one of the model named (both carry the id of the load that made the model).
  const before = await page.evaluate(() => {
    const [results, name] = [document.querySelector('#results'), document.querySelector('#model-name')];
    const watch = { shown: [], stale: [] };
    const look = () => {
      if (!results.children.length) return;
      const seen = { name: name.textContent, named: name.dataset.model, tagsOf: results.dataset.model };
      watch.shown.push(seen);
      if (seen.tagsOf !== seen.named) watch.stale.push(seen);
    };
    watch.observers = [new MutationObserver(look), new MutationObserver(look)];
    watch.observers[0].observe(results, { childList: true, attributes: true });
    watch.observers[1].observe(name, { childList: true, characterData: true, subtree: true, attributes: true });
    window.__watch = watch;
    return { name: name.textContent, named: name.dataset.model, tagsOf: results.dataset.model, tags: results.children.length };
  });
  assert.ok(before.named && before.tags === 5, `tags of a named model on show: ${JSON.stringify(before)}`);
  assert.equal(before.tagsOf, before.named, 'the tags on show are of the model named');
  // Three models asked for in quick succession while the camera loop runs: the last one wins.
  await page.selectOption('#model-select', 'efficientnet_lite0.camtag');
  await page.selectOption('#model-select', 'mobilenet_v2.camtag');
  await page.selectOption('#model-select', 'mobilenet_v2_f16.camtag');
  await page.waitForFunction(() => /f16/.test(document.querySelector('#model-name').textContent), null, { timeout: TIMEOUT });
  await taggingAgain();
  // WebGPU and straight back to the CPU, without waiting in between.
  await page.selectOption('#backend-select', 'webgpu');
  await page.selectOption('#backend-select', 'cpu');
  // The page shows "CPU" throughout; what ends the switch is the camera coming back.
  await page.waitForFunction(() => document.querySelector('#backend').textContent === 'CPU', null, { timeout: TIMEOUT });
  await taggingAgain();
  const top = await page.evaluate(() => window.camtag.lastResult.predictions);
  assert.ok([281, 282, 283, 284, 285].includes(top[0].index), `still a cat, got ${top[0].en}`);
  // No tags of a model the page had replaced were on show, not even for a moment; those on show
  // now are the new model's.
  const { shown, stale, now } = await page.evaluate(() => {
    const watch = window.__watch;
    watch.observers.forEach((o) => o.disconnect());
    const [results, name] = [document.querySelector('#results'), document.querySelector('#model-name')];
    return { shown: watch.shown, stale: watch.stale, now: { name: name.textContent, named: name.dataset.model, tagsOf: results.dataset.model } };
  });
  assert.match(now.name, /f16/);
  assert.notEqual(now.named, before.named, 'another model runs');
  assert.equal(now.tagsOf, now.named, 'the tags on show are of the model named');
  assert.deepEqual(stale, [], `tags of another model than the one named were on show (of ${shown.length} states seen)`);
  assert.ok(!shown.some((seen) => seen.tagsOf === before.named && seen.named !== before.named), 'the first model\'s tags under another name');
  assert.equal(await page.isVisible('#error'), false, await page.textContent('#error'));
  assert.deepEqual(pageErrors, []);
});

test('a camera unplugged mid-stream is reported; pictures still work; it can be started again', async () => {
  // Headless Chromium cannot unplug its fake camera. An unplugged camera's track ends (readyState
  // "ended") and fires "ended": exactly that is done here to the live track.
  // The loop always has a frame in the worker, so one is in flight at the unplug.
  const atUnplug = await page.evaluate(() => {
    const track = document.querySelector('#video').srcObject.getVideoTracks()[0];
    track.stop();
    track.dispatchEvent(new Event('ended'));
    return window.camtag.frames;
  });
  await page.waitForSelector('#error:not([hidden])', { timeout: TIMEOUT });
  assert.equal(await page.evaluate(() => document.querySelector('#video').srcObject), null);
  assert.match(await page.getAttribute('#camera-toggle', 'aria-label'), /Start camera/);
  // Long enough for the frame in flight to come back (a CPU frame takes ~0.1–0.3 s here): its
  // result is dropped, and the message of why the camera stopped stays.
  await page.waitForTimeout(1500);
  assert.equal(await frames(), atUnplug, 'a frame taken before the unplug was shown after it');
  assert.match(await page.textContent('#error'), /camera was disconnected/);

  const before = await frames();
  await page.setInputFiles('#file-input', join(CACHE, 'photos/coffee.png'));
  await page.waitForFunction((n) => window.camtag.frames > n, before, { timeout: TIMEOUT });
  assert.equal(await page.evaluate(() => window.camtag.lastResult.predictions[0].index), 967);

  await page.click('#camera-toggle');
  await page.waitForFunction(() => !document.querySelector('#video').hidden, null, { timeout: TIMEOUT });
  await moreFrames();
  assert.equal(await cameraOn(), true);
});

test('hiding the page turns the camera off; showing it again turns it back on', async () => {
  // Headless Chromium keeps every page visible (tried: another tab in front, a minimized window,
  // a frozen page), so the page is told it is hidden the way the browser tells it.
  const setHidden = (hidden) => page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  const track = await page.evaluateHandle(() => document.querySelector('#video').srcObject.getVideoTracks()[0]);
  await setHidden(true);
  assert.equal(await track.evaluate((t) => t.readyState), 'ended', 'the track is stopped: the camera light goes off');
  assert.equal(await page.evaluate(() => document.querySelector('#video').srcObject), null);
  await setHidden(false);
  await page.waitForFunction(() => document.querySelector('#video').srcObject?.getVideoTracks()[0]?.readyState === 'live', null, { timeout: TIMEOUT });
  await moreFrames();
});

test('two minutes of camera tagging, and everything before it, stay on the page origin', async () => {
  const start = await frames();
  await page.waitForTimeout(120_000);
  const tagged = (await frames()) - start;
  assert.ok(tagged >= 60, `the camera kept being tagged (${tagged} frames in 2 minutes)`);
  const own = requests.filter((url) => url.startsWith(`${server.origin}/`));
  const foreign = requests.filter((url) => !url.startsWith(`${server.origin}/`) && !/^(data|blob):/.test(url));
  assert.ok(own.length > 5, `the page's own files were requested (${own.length})`);
  assert.deepEqual(foreign, [], 'requests off the page origin');
  assert.deepEqual(pageErrors, []);
});
