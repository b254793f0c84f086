// Collecting your own tags: hold to capture frames under a tag, remove a bad one, export a zip in
// the ImageFolder layout (TAG/0001.png) that `camtag train --data` reads; then the round trip:
// `camtag train` on that zip, and the bundle it writes dropped on the page shows those tags.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { CAMTAG_BIN, holdCapture, pageForTests, run, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 60_000;
let page;
let exported; // the zip the export test saved
pageForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }), '/?backend=cpu', async (p) => {
  page = p;
  await waitForTags(page, TIMEOUT);
  await page.click('#collect summary');
});

const count = (tag) => page.$$eval(`.sample-group[data-tag="${tag}"] .thumb`, (thumbs) => thumbs.length);

const hold = (ms) => holdCapture(page, ms);

test('holding the button captures frames under the typed tag', async () => {
  assert.equal(await page.isDisabled('#capture'), true, 'no tag yet');
  await page.fill('#tag-input', '猫');
  await hold(1000);
  assert.ok((await count('猫')) >= 3, `${await count('猫')} frames`);
  await page.fill('#tag-input', '多云');
  await hold(600);
  assert.ok((await count('多云')) >= 2);
});

test('clicking a thumbnail removes that sample', async () => {
  const before = await count('猫');
  await page.click('.sample-group[data-tag="猫"] .thumb >> nth=0');
  assert.equal(await count('猫'), before - 1);
});

test('the export is a valid zip in ImageFolder layout', async () => {
  const expected = { 猫: await count('猫'), 多云: await count('多云') };
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  assert.equal(download.suggestedFilename(), 'camtag-samples.zip');
  const file = join(await mkdtemp(join(tmpdir(), 'camtag-')), 'samples.zip');
  await download.saveAs(file);
  exported = file;
  const listing = JSON.parse(await run('python3', ['-c', `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, "CRC error"
print(json.dumps([[i.filename, z.read(i)[:8].hex(), i.flag_bits & 0x800] for i in z.infolist()]))`, file]));
  const byTag = {};
  for (const [name, magic, utf8] of listing) {
    assert.match(name, /^(猫|多云)\/\d{4}\.png$/);
    assert.equal(magic, '89504e470d0a1a0a', `${name} is a PNG`);
    assert.ok(utf8, `${name} is flagged UTF-8`);
    const tag = name.split('/')[0];
    byTag[tag] = (byTag[tag] ?? 0) + 1;
  }
  assert.deepEqual(byTag, expected);
});

test('camtag train accepts the export, and the page uses the bundle it writes', async () => {
  assert.ok(exported, 'the export test ran first');
  const dir = await mkdtemp(join(tmpdir(), 'camtag-roundtrip-'));
  await run('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', exported, join(dir, 'data')]);
  const bundle = join(dir, 'mine.camtag');
  const report = JSON.parse(await run(CAMTAG_BIN, [
    'train', '--data', join(dir, 'data'), '--arch', 'vgg', '--size', '32', '--epochs', '2', '--out', bundle, '--name', 'My tags', '--json',
  ]));
  assert.deepEqual(report.tags, ['多云', '猫']);

  await page.setInputFiles('#file-input', bundle);
  await page.waitForFunction(() => document.querySelector('#model-name').textContent.includes('My tags'), null, { timeout: TIMEOUT });
  // Frames already in flight were tagged by the previous model; wait for the new one's.
  await page.waitForFunction(() => window.camtag.lastResult?.predictions.length === 2, null, { timeout: TIMEOUT });
  const predictions = await page.evaluate(() => window.camtag.lastResult.predictions);
  assert.deepEqual(predictions.map((p) => p.zh).sort(), ['多云', '猫'], 'both tags, and only them, are ranked');
  const shown = await page.$$eval('#results li', (items) => items.map((li) => li.textContent));
  assert.equal(shown.length, 2);
  assert.ok(shown.every((text) => /多云|猫/.test(text)), shown.join(' | '));
});
