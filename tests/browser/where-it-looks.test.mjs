// "Where it looks": the class activation map of the top tag (or a picked one) over a picture and
// over the live camera, equal to `camtag cam` on the same pixels within 1e-3, adding up to the
// tag's logit (bias + mean of the map), drawn over the square the network saw and nowhere else.

import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { CACHE, CAMTAG_BIN, DEFAULT_MODEL_PATH, pageForTests, run, waitForTags, y4mOf } from './harness.mjs';

const TIMEOUT = 60_000;
const photo = (name) => join(CACHE, 'photos', name);

let page;
pageForTests(async () => ({ camera: await y4mOf('chelsea.png'), webgpu: false }), '/?backend=cpu', async (p) => {
  page = p;
  await waitForTags(page, TIMEOUT);
});

/** `camtag cam` on `file` (optionally `--tag`), its JSON. */
async function cliMap(file, tag) {
  const args = ['cam', file, '--model', DEFAULT_MODEL_PATH, '--json', '--device', 'cpu', ...(tag === undefined ? [] : ['--tag', String(tag)])];
  return JSON.parse(await run(CAMTAG_BIN, args)).map;
}

/**
 * Waits for a result with a map (of tag `index`, when given; of the picture on the stage, not a
 * camera frame still in flight, when `picture`) after `action`; returns the result.
 */
async function nextMap(action, index = null, { picture = false } = {}) {
  const before = await page.evaluate(() => window.camtag.frames);
  await action();
  await page.waitForFunction(([n, wanted, onPicture]) => {
    const { frames, lastResult, lastFrame } = window.camtag;
    const stage = document.querySelector('#picture');
    const ofPicture = !onPicture || (!stage.hidden && lastFrame?.width === stage.width && lastFrame?.height === stage.height);
    return frames > n && lastResult.map && ofPicture && (wanted === null || lastResult.map.index === wanted);
  }, [before, index, picture], { timeout: TIMEOUT });
  return page.evaluate(() => window.camtag.lastResult);
}

function assertSameMap(page_, cli, what) {
  assert.equal(page_.index, cli.index, `${what}: same tag`);
  assert.deepEqual(page_.shape, cli.shape);
  const scale = Math.max(...cli.values.map(Math.abs));
  page_.values.forEach((v, i) => assert.ok(Math.abs(v - cli.values[i]) <= 1e-3 * Math.max(1, scale), `${what}, cell ${i}: page ${v} vs CLI ${cli.values[i]}`));
  const mean = page_.values.reduce((a, b) => a + b, 0) / page_.values.length;
  assert.ok(Math.abs(page_.bias + mean - page_.logit) < 1e-3 * Math.max(1, Math.abs(page_.logit)), `${what}: bias + mean = logit`);
}

/** The overlay's alpha at a point given as fractions of its width and height. */
const overlayAlpha = (fx, fy) => page.evaluate(([x, y]) => {
  const canvas = document.querySelector('#cam-overlay');
  const [px, py] = [Math.floor(canvas.width * x), Math.floor(canvas.height * y)];
  return canvas.getContext('2d').getImageData(px, py, 1, 1).data[3];
}, [fx, fy]);

describe('where it looks', () => {
  test('off by default: no map is computed, nothing is drawn', async () => {
    assert.equal(await page.isChecked('#cam-toggle'), false);
    assert.equal(await page.evaluate(() => window.camtag.lastResult.map), undefined);
    assert.equal(await page.isHidden('#cam-overlay'), true);
  });

  test('on the live camera: the frame\'s map is the CLI\'s on the same pixels, drawn over the crop only', async () => {
    await nextMap(() => page.check('#cam-toggle'));
    const { png, result } = await page.evaluate(() => window.camtag.snapshot());
    const dir = await mkdtemp(join(tmpdir(), 'camtag-cam-'));
    const file = join(dir, 'frame.png');
    await writeFile(file, Buffer.from(png.split(',')[1], 'base64'));
    assertSameMap(result.map, await cliMap(file, result.map.index), 'camera frame');
    // The hottest place lies inside the picture, on the cat's face, not on the crop's border.
    const [h, w] = result.map.shape;
    const hottest = result.map.values.indexOf(Math.max(...result.map.values));
    const [row, column] = [Math.floor(hottest / w), hottest % w];
    assert.ok(row > 0 && row < h - 1 && column > 0 && column < w - 1, `hottest cell ${row},${column}`);
    // The square the network saw, in the frame's pixels (from the Rust preprocessing): centred, as
    // wide as the frame's shorter side times 224/256.
    const { frame, crop } = await page.evaluate(() => ({ frame: [window.camtag.lastFrame.width, window.camtag.lastFrame.height], crop: window.camtag.lastResult.crop }));
    const side = (Math.min(...frame) * 224) / 256;
    assert.ok(Math.abs(crop[2] - side) < 2 && Math.abs(crop[3] - side) < 2, `crop ${crop} in ${frame}`);
    assert.ok(Math.abs(crop[0] + crop[2] / 2 - frame[0] / 2) < 1 && Math.abs(crop[1] + crop[3] / 2 - frame[1] / 2) < 1, `crop ${crop} centred in ${frame}`);
    assert.equal(await page.isVisible('#cam-overlay'), true);
    assert.match(await page.textContent('#cam-legend-tag'), new RegExp(result.map.zh));
    // 640 x 426 frames: the crop is the middle square; the left and right edges stay clear.
    assert.ok((await overlayAlpha(0.5, 0.5)) > 0, 'drawn in the middle');
    assert.equal(await overlayAlpha(0.01, 0.5), 0, 'nothing left of the crop');
  });

  test('a picture: the map of the top tag, then of a tag picked in the list, as the CLI computes them', async () => {
    const file = photo('coffee.png');
    const top = await nextMap(() => page.setInputFiles('#file-input', file), null, { picture: true });
    assertSameMap(top.map, await cliMap(file), 'coffee, top tag');
    assert.equal(top.map.index, top.predictions[0].index);
    const second = top.predictions[1].index;
    const picked = await nextMap(() => page.click(`#results li[data-index="${second}"]`), second);
    assertSameMap(picked.map, await cliMap(file, second), 'coffee, picked tag');
    assert.equal(await page.$eval(`#results li[data-index="${second}"]`, (li) => li.classList.contains('mapped')), true);
    // Picked again: back to the top tag.
    const back = await nextMap(() => page.click(`#results li[data-index="${second}"]`), top.map.index);
    assert.equal(back.map.index, top.map.index);
  });

  test('turned off: the overlay goes and results stop carrying maps', async () => {
    const before = await page.evaluate(() => window.camtag.frames);
    await page.uncheck('#cam-toggle');
    await page.waitForFunction((n) => window.camtag.frames > n, before, { timeout: TIMEOUT });
    assert.equal(await page.evaluate(() => window.camtag.lastResult.map), undefined);
    assert.equal(await page.isHidden('#cam-overlay'), true);
    assert.equal(await page.isHidden('#cam-legend'), true);
  });
});
