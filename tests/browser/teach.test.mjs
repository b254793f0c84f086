// Teaching new tags in the page (issue 24): tags from the camera (hold to capture) and from
// picture files, each sample described once by the worker's teacher while the camera keeps
// tagging; the bad inputs said before any training; training with a live curve, whose model runs
// at once on the camera and on a chosen picture; the downloaded bundle read back by the native
// CLI with the page's answer; the "not sure" threshold; a dropped bundle that collides with the
// user's model kept beside it, and removed; a model switch, a cancel or a reload stopping a training; the other
// base network; and a reload with no server and no network keeping the samples and the model,
// and adding a sample offline.

import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { CACHE, CAMTAG_BIN, WWW, cropsOf, holdCapture, launch, run, serveWww, waitForTags, y4mOf, nextResult as nextResultOn, pictureResult as pictureResultOn } from './harness.mjs';

const TIMEOUT = 60_000;
const TRAIN_TIMEOUT = 120_000;
const TAGS = ['猫', '咖啡', '宇航员'];
const MODEL_NAME = TAGS.join(' · ');

let server;
let browser;
let context;
let page;
let coffee; // crops of coffee.png
let astronaut; // crops of astronaut.png
let dir; // scratch files
const uncaught = []; // the page's uncaught errors: none, from start to end
const requests = []; // every request of the page, its workers and its service worker
before(async () => {
  [coffee, astronaut] = await Promise.all([cropsOf('coffee.png', 5), cropsOf('astronaut.png', 5)]);
  dir = await mkdtemp(join(tmpdir(), 'camtag-teach-'));
  server = await serveWww();
  browser = await launch({ camera: await y4mOf('chelsea.png'), webgpu: false });
  context = await browser.newContext();
  page = await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  page.on('pageerror', (e) => uncaught.push(e.message));
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.origin}/?backend=cpu`);
  await waitForTags(page, TIMEOUT);
  await page.click('#collect summary');
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const group = (tag) => `.sample-group[data-tag="${tag}"]`;
/** Tag `tag`'s sample count as the panel shows it (0 where there is no such tag). */
const count = (tag) => page.$eval(group(tag), (g) => Number(g.dataset.count)).catch(() => 0);
/** Waits until tag `tag` shows `n` samples. */
const waitCount = (tag, n) => page.waitForFunction(([t, k]) => document.querySelector(`.sample-group[data-tag="${t}"]`)?.dataset.count === String(k), [tag, n], { timeout: TIMEOUT });
/** How many samples' features are in IndexedDB. */
const described = () => page.evaluate(() => new Promise((ok, fail) => {
  const r = indexedDB.open('camtag-teach');
  r.onerror = () => fail(r.error);
  r.onsuccess = () => {
    const q = r.result.transaction('features').objectStore('features').count();
    q.onsuccess = () => { r.result.close(); ok(q.result); };
  };
}));
const totalSamples = async () => (await Promise.all(TAGS.map(count))).reduce((a, b) => a + b, 0);
const waitDescribed = (n) => page.waitForFunction((want) => new Promise((ok) => {
  const r = indexedDB.open('camtag-teach');
  r.onsuccess = () => {
    const q = r.result.transaction('features').objectStore('features').count();
    q.onsuccess = () => { r.result.close(); ok(q.result >= want); };
  };
}), n, { timeout: TIMEOUT, polling: 250 });

/** Clicks Train and resolves to the panel's error message. */
async function trainRefused() {
  await page.evaluate(() => { const e = document.querySelector('#teach-error'); e.textContent = ''; e.hidden = true; });
  await page.click('#train');
  await page.waitForSelector('#teach-error:not([hidden])', { timeout: TIMEOUT });
  return page.textContent('#teach-error');
}

const hold = (ms) => holdCapture(page, ms);
const nextResult = (action) => nextResultOn(page, action, TIMEOUT);
const pictureResult = (file) => pictureResultOn(page, file, TIMEOUT);

test('with no tags the panel suggests some; one tag cannot be trained', async () => {
  const offered = await page.$$eval('#tag-suggestions .suggestion', (bs) => bs.map((b) => b.dataset.suggestion));
  assert.deepEqual(offered, ['多云', '晴天', '夜景']);
  await page.click('#tag-suggestions .suggestion >> nth=0');
  await page.waitForSelector(group('多云'));
  assert.equal(await page.inputValue(`${group('多云')} .tag-en`), 'cloudy');
  assert.equal(await page.$$eval('#tag-suggestions .suggestion', (bs) => bs.length), 0, 'no suggestions once there is a tag');
  assert.match(await trainRefused(), /at least two tags \(there are 1\)/);
});

test('holding the button captures camera frames under the typed tag, each described once', async () => {
  await page.fill('#tag-input', '猫');
  await page.fill('#tag-en-input', 'cat');
  await hold(1200);
  assert.ok((await count('猫')) >= 4, `${await count('猫')} frames`);
  assert.equal(await page.inputValue(`${group('猫')} .tag-en`), 'cat');
  await waitDescribed(await count('猫'));
});

test('picture files are added to a tag; non-pictures and empty files are skipped and counted', async () => {
  await page.fill('#tag-input', '咖啡');
  await page.fill('#tag-en-input', 'coffee');
  await page.click('#tag-add');
  await page.waitForSelector(group('咖啡'));
  const empty = join(dir, 'empty.png');
  await writeFile(empty, '');
  const framesBefore = await page.evaluate(() => window.camtag.frames);
  await page.setInputFiles(`${group('咖啡')} .tag-files`, [...coffee.slice(0, 4), join(WWW, 'index.html'), empty]);
  await page.waitForFunction((tag) => document.querySelector(`.sample-group[data-tag="${tag}"]`)?.dataset.count === '4', '咖啡', { timeout: TIMEOUT });
  assert.match(await page.textContent('#teach-skipped'), /2 files skipped/);
  await waitDescribed((await count('猫')) + 4);
  // The camera kept being tagged while the pictures were described.
  assert.ok((await page.evaluate(() => window.camtag.frames)) > framesBefore, 'the camera kept tagging');
  assert.equal(await page.$$eval(`${group('咖啡')} .thumb`, (ts) => ts.length), 4);
});

test('bad tags are explained before any training: no samples, one sample, two tags named alike', async () => {
  assert.match(await trainRefused(), /The tag “多云” has 0 samples; it needs at least 2/);
  await page.click(`${group('多云')} .tag-remove`);
  await page.waitForSelector(group('多云'), { state: 'detached' });
  await page.fill('#tag-input', '宇航员');
  await page.fill('#tag-en-input', 'astronaut');
  await page.click('#tag-add');
  await page.setInputFiles(`${group('宇航员')} .tag-files`, astronaut.slice(0, 1));
  await page.waitForFunction(() => document.querySelector('.sample-group[data-tag="宇航员"]')?.dataset.count === '1', null, { timeout: TIMEOUT });
  assert.match(await trainRefused(), /The tag “宇航员” has 1 sample; it needs at least 2/, 'one sample, not "1 samples"');
  // A picture dropped on the tag is its sample (and not a picture for the stage).
  const base64 = (await import('node:fs')).readFileSync(astronaut[1]).toString('base64');
  await page.evaluate(({ base64, selector }) => {
    const data = new DataTransfer();
    data.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], 'astronaut.png', { type: 'image/png' }));
    document.querySelector(selector).dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, { base64, selector: group('宇航员') });
  await page.setInputFiles(`${group('宇航员')} .tag-files`, astronaut.slice(2, 4));
  await page.waitForFunction(() => document.querySelector('.sample-group[data-tag="宇航员"]')?.dataset.count === '4', null, { timeout: TIMEOUT });
  await page.fill(`${group('宇航员')} .tag-en`, 'Cat');
  await page.dispatchEvent(`${group('宇航员')} .tag-en`, 'change');
  assert.match(await trainRefused(), /Two tags are named “Cat”: rename one/);
  await page.fill(`${group('宇航员')} .tag-en`, 'astronaut');
  await page.dispatchEvent(`${group('宇航员')} .tag-en`, 'change');
  await waitDescribed(await totalSamples());
});

test('training draws its curve, reports each tag, and its model tags the camera at once', async () => {
  const counts = Object.fromEntries(await Promise.all(TAGS.map(async (tag) => [tag, await count(tag)])));
  await page.click('#train');
  await page.waitForSelector('#teach-report[data-ms]', { timeout: TRAIN_TIMEOUT });
  assert.equal(await page.isHidden('#teach-error'), true, await page.textContent('#teach-error'));
  assert.equal(await page.isVisible('#teach-curve'), true);
  assert.equal(await page.$$eval('#teach-curve polyline', (ls) => ls.length), 3, 'train loss, valid loss, valid top-1');
  assert.ok(Number(await page.getAttribute('#teach-curve', 'data-epochs')) >= 1);
  const rows = await page.$$eval('#teach-report tr[data-tag]', (trs) => trs.map((tr) => [tr.dataset.tag, ...[...tr.cells].slice(1).map((c) => Number(c.textContent))]));
  assert.deepEqual(rows.map(([tag]) => tag), TAGS);
  for (const [tag, trainN, validN] of rows) assert.equal(trainN + validN, counts[tag], `${tag}: ${trainN} + ${validN}`);
  assert.ok(Number(await page.getAttribute('#teach-report', 'data-top1')) >= 50, await page.textContent('#teach-report'));
  // The new model runs, is the one the picker shows, and is listed among the user's models.
  await page.waitForFunction((name) => document.querySelector('#model-name').textContent.startsWith(name), MODEL_NAME, { timeout: TIMEOUT });
  assert.match(await page.$eval('#model-select', (s) => s.value), /^user:\d+$/);
  assert.match(await page.$eval('#model-select', (s) => s.selectedOptions[0].textContent), new RegExp(`^${MODEL_NAME} · .* · 猫 / 咖啡 / 宇航员$`));
  assert.equal(await page.isEnabled('#model-download'), true);
});

test('the trained tags on the live camera: the cat is 猫, steadily', async () => {
  await page.waitForFunction(() => window.camtag.lastResult?.predictions.length === 3 && window.camtag.lastResult.model === Number(document.querySelector('#model-name').dataset.model), null, { timeout: TIMEOUT });
  const top = await nextResult(async () => {});
  assert.deepEqual(top.map((p) => p.zh).sort(), [...TAGS].sort(), 'its three tags, and only them');
  assert.equal(top[0].zh, '猫');
  assert.equal(await page.getAttribute('#verdict', 'data-state'), 'sure');
  assert.equal(await page.textContent('#verdict'), '猫 cat');
});

let coffeeTop; // the page's predictions for coffee.png under the trained model
test('the trained tags on a chosen picture', async () => {
  coffeeTop = await pictureResult(join(CACHE, 'photos/coffee.png'));
  assert.equal(coffeeTop[0].zh, '咖啡');
  assert.equal(coffeeTop[0].en, 'coffee');
});

let downloaded;
test('the downloaded bundle gives the native CLI the page\'s answer', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#model-download')]);
  assert.match(download.suggestedFilename(), /\.camtag$/);
  downloaded = join(dir, 'mine.camtag');
  await download.saveAs(downloaded);
  const [cli] = JSON.parse(await run(CAMTAG_BIN, ['classify', join(CACHE, 'photos/coffee.png'), '--model', downloaded, '--json', '--top', '3', '--device', 'cpu']));
  assert.deepEqual(cli.predictions.map((p) => p.index), coffeeTop.map((p) => p.index));
  assert.equal(cli.predictions[0].zh, '咖啡');
  for (const [i, p] of coffeeTop.entries()) assert.ok(Math.abs(p.prob - cli.predictions[i].prob) < 1e-3, `${p.zh}: page ${p.prob} vs CLI ${cli.predictions[i].prob}`);
});

test('the exported zip, trained natively with the same seed, reaches the page\'s validation top-1 within 5 points', async () => {
  const pageTop1 = Number(await page.getAttribute('#teach-report', 'data-top1'));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const zip = join(dir, 'camtag-samples.zip');
  await download.saveAs(zip);
  const report = JSON.parse(await run(CAMTAG_BIN, ['train', '--data', zip, '--arch', 'mobilenet-v2-transfer', '--views', '1', '--seed', '42',
    '--backbone', join(WWW, 'models/mobilenet_v2_int8.camtag'), '--out', join(dir, 'native.camtag'), '--json']));
  assert.deepEqual([...report.tags].sort(), [...TAGS].sort(), 'the zip holds the page\'s tags');
  const counts = Object.fromEntries(report.tags.map((tag, i) => [tag, report.picturesPerTag[i]]));
  for (const tag of TAGS) assert.equal(counts[tag], await count(tag), `${tag}: every sample in the zip`);
  const nativeTop1 = report.kept.valid.top1;
  assert.ok(Math.abs(nativeTop1 - pageTop1) <= 5, `page ${pageTop1}% vs native ${nativeTop1}%`);
});

test('under the threshold the page says "not sure" instead of a tag', async () => {
  const top = await pictureResult(join(CACHE, 'photos/china.jpg'));
  const setThreshold = (percent) => page.$eval('#threshold', (input, value) => {
    input.value = String(value);
    input.dispatchEvent(new Event('input'));
  }, percent);
  await setThreshold(0);
  assert.equal(await page.getAttribute('#verdict', 'data-state'), 'sure');
  assert.ok((await page.textContent('#verdict')).startsWith(top[0].zh), await page.textContent('#verdict'));
  const above = Math.min(95, Math.ceil((top[0].prob * 100 + 0.01) / 5) * 5);
  if (top[0].prob * 100 < above) {
    await setThreshold(above);
    assert.equal(await page.getAttribute('#verdict', 'data-state'), 'unsure', `top ${top[0].prob} under ${above}%`);
    assert.equal(await page.textContent('#verdict'), '不确定 not sure');
  }
  await setThreshold(55);
  assert.equal(await page.textContent('#threshold-value'), '55%');
});

test('a dropped bundle named like the user\'s model is kept beside it, renamed', async () => {
  const before = await page.$$eval('#model-select optgroup.user-models option', (os) => os.length);
  await page.setInputFiles('#file-input', downloaded);
  await page.waitForFunction((name) => document.querySelector('#model-name').textContent.startsWith(`${name} (2)`), MODEL_NAME, { timeout: TIMEOUT });
  assert.match(await page.textContent('#status'), /both are kept, the new one as “猫 · 咖啡 · 宇航员 \(2\)”/);
  const names = await page.$$eval('#model-select optgroup.user-models option', (os) => os.map((o) => o.textContent));
  assert.equal(names.length, before + 1, names.join('\n'));
  assert.ok(names.some((n) => n.startsWith(`${MODEL_NAME} (2) · `)), names.join('\n'));
});

test('the user\'s model can be removed (asked first); the default model then runs', async () => {
  const before = await page.$$eval('#model-select optgroup.user-models option', (os) => os.length);
  assert.match(await page.$eval('#model-select', (s) => s.selectedOptions[0].textContent), /\(2\) · /);
  await page.click('#model-remove');
  await page.waitForFunction(() => /^MobileNetV2 · int8/.test(document.querySelector('#model-name').textContent), null, { timeout: TIMEOUT });
  const names = await page.$$eval('#model-select optgroup.user-models option', (os) => os.map((o) => o.textContent));
  assert.equal(names.length, before - 1);
  assert.ok(!names.some((n) => n.includes('(2)')), names.join('\n'));
  assert.equal(await page.$eval('#model-select', (s) => s.value), 'mobilenet_v2_int8.camtag');
  assert.equal(await page.isDisabled('#model-remove'), true);
});

test('a model switch during training abandons it; the samples stay', async () => {
  const counts = await Promise.all(TAGS.map(count));
  const models = await page.$$eval('#model-select optgroup.user-models option', (os) => os.length);
  await page.evaluate(() => {
    document.querySelector('#train').click();
    const select = document.querySelector('#model-select');
    select.value = 'mobilenet_v2_int8.camtag';
    select.dispatchEvent(new Event('change'));
  });
  await page.waitForFunction(() => /Another model was chosen, so training stopped/.test(document.querySelector('#teach-status').textContent), null, { timeout: TIMEOUT });
  await page.waitForFunction(() => /^MobileNetV2 · int8/.test(document.querySelector('#model-name').textContent), null, { timeout: TIMEOUT });
  assert.deepEqual(await Promise.all(TAGS.map(count)), counts);
  assert.equal(await page.$$eval('#model-select optgroup.user-models option', (os) => os.length), models, 'no model saved');
  assert.equal(await page.isEnabled('#train'), true);
});

test('cancel stops a training between epochs', async () => {
  const models = await page.$$eval('#model-select optgroup.user-models option', (os) => os.length);
  await page.evaluate(() => {
    const curve = document.querySelector('#teach-curve');
    new MutationObserver((_, observer) => {
      if (Number(curve.dataset.epochs) >= 1) {
        document.querySelector('#train-cancel').click();
        observer.disconnect();
      }
    }).observe(curve, { attributes: true, attributeFilter: ['data-epochs'] });
    document.querySelector('#train').click();
  });
  await page.waitForFunction(() => /Training cancelled; your samples are kept/.test(document.querySelector('#teach-status').textContent) || !document.querySelector('#teach-report').hidden, null, { timeout: TRAIN_TIMEOUT });
  assert.match(await page.textContent('#teach-status'), /Training cancelled/);
  assert.ok(Number(await page.getAttribute('#teach-curve', 'data-epochs')) < 30, 'it stopped before its last epoch');
  assert.equal(await page.$$eval('#model-select optgroup.user-models option', (os) => os.length), models, 'no model saved');
  assert.match(await page.textContent('#model-name'), /^MobileNetV2 · int8/);
});

test('a reload during training abandons it; the samples stay', async () => {
  const counts = await Promise.all(TAGS.map(count));
  const models = await page.$$eval('#model-select optgroup.user-models option', (os) => os.length);
  await page.click('#train');
  await page.reload();
  await waitForTags(page, TIMEOUT);
  await page.click('#collect summary');
  await page.waitForSelector(group('宇航员'));
  assert.deepEqual(await Promise.all(TAGS.map(count)), counts);
  assert.equal(await page.$$eval('#model-select optgroup.user-models option', (os) => os.length), models, 'no model saved');
  assert.equal(await page.isHidden('#teach-error'), true);
  assert.equal(await page.isEnabled('#train'), true);
});

test('EfficientNet-Lite0 as the base: the samples are described again under it, and its head trained', async () => {
  await page.selectOption('#teach-base', 'efficientnet_lite0');
  await page.click('#train');
  await page.waitForSelector('#teach-report[data-ms]', { timeout: TRAIN_TIMEOUT });
  assert.equal(await page.isHidden('#teach-error'), true, await page.textContent('#teach-error'));
  await page.waitForFunction((name) => document.querySelector('#model-name').textContent.startsWith(`${name} (2)`), MODEL_NAME, { timeout: TIMEOUT });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#model-download')]);
  const file = join(dir, 'efficientnet.camtag');
  await download.saveAs(file);
  const bytes = (await import('node:fs')).readFileSync(file);
  const manifest = JSON.parse(bytes.subarray(16, 16 + bytes.readUInt32LE(12)).toString('utf8'));
  assert.equal(manifest.training.recipe, 'efficientnet-lite0-transfer');
  assert.deepEqual(manifest.labels.zh, TAGS);
  assert.deepEqual(manifest.labels.en, ['cat', 'coffee', 'astronaut']);
  const top = await pictureResult(join(CACHE, 'photos/coffee.png'));
  assert.equal(top[0].zh, '咖啡');
  await page.selectOption('#teach-base', 'mobilenet_v2');
});

test('a reload with no server and no network keeps the samples and the model, and adds a sample offline', async () => {
  // The trained model is chosen again: the page starts with the user's model last chosen.
  const mine = await page.$eval('#model-select optgroup.user-models option', (o) => o.value);
  await page.selectOption('#model-select', mine);
  await page.waitForFunction((name) => document.querySelector('#model-name').textContent.startsWith(name), MODEL_NAME, { timeout: TIMEOUT });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });
  await page.evaluate(async () => {
    const { active } = await navigator.serviceWorker.ready;
    if (active.state === 'activating') await new Promise((done) => { active.addEventListener('statechange', done); setTimeout(done, 10_000); });
  });
  // The worker fetched the teacher's base network before the service worker took the page over;
  // once it has, the page has it fetch the base again, through it, and keep it.
  await page.waitForFunction(() => caches.match(new URL('models/mobilenet_v2_int8.camtag.gz', location.href).href).then(Boolean), null, { timeout: TIMEOUT, polling: 500 });
  const before = await described();
  const counts = await Promise.all(TAGS.map(count));

  await server.close();
  await context.setOffline(true);
  await page.reload();
  await waitForTags(page, TIMEOUT);
  await page.waitForFunction((name) => document.querySelector('#model-name').textContent.startsWith(name), MODEL_NAME, { timeout: TIMEOUT });
  await page.waitForFunction(() => window.camtag.lastResult?.predictions.length === 3, null, { timeout: TIMEOUT });
  assert.equal(await page.$eval('#model-select', (s) => s.value), mine);
  assert.equal(await page.inputValue('#threshold'), '55', 'the threshold is remembered');
  await page.click('#collect summary');
  await page.waitForSelector(group('咖啡'));
  assert.deepEqual(await Promise.all(TAGS.map(count)), counts);
  assert.equal(await page.inputValue(`${group('宇航员')} .tag-en`), 'astronaut');
  await page.setInputFiles(`${group('宇航员')} .tag-files`, astronaut.slice(4, 5));
  await waitCount('宇航员', counts[2] + 1);
  await waitDescribed(before + 1); // described offline: the teacher's network came from the cache
  assert.equal(await page.isHidden('#teach-error'), true, await page.textContent('#teach-error'));
  await context.setOffline(false);
});

test('nothing went uncaught in the page, and nothing was asked of another origin', () => {
  assert.deepEqual(uncaught, []);
  const foreign = requests.filter((url) => !url.startsWith(`${server.origin}/`) && !/^(data|blob):/.test(url));
  assert.deepEqual(foreign, [], 'requests off the page origin');
  assert.ok(requests.some((url) => url.endsWith('/models/mobilenet_v2_int8.camtag.gz')), 'the teacher was fetched from the origin');
});
