// Bad input, the way people hand it to the page: broken model bundles and broken pictures,
// chosen with the file picker. Each gets a clear message, and the page keeps working with the
// model it had (a broken bundle never replaces a good one).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, test } from 'node:test';

import { CACHE, CAMTAG_BIN, DEFAULT_MODEL_PATH, WWW, pageForTests, run } from './harness.mjs';

const TIMEOUT = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'camtag-bad-'));

let page;
pageForTests({ camera: 'none', webgpu: false }, '/?backend=cpu', async (p) => {
  page = p;
  await page.waitForFunction(() => document.querySelector('#backend').textContent === 'CPU', null, { timeout: TIMEOUT });
  // The page then tries the (absent) camera: let that message come before the tests clear it.
  await page.waitForFunction(() => /No camera was found/.test(document.querySelector('#error').textContent), null, { timeout: TIMEOUT });
});

// --- model bundles: the layout of crate/src/bundle/mod.rs -------------------------------------
// magic "CAMTAG\r\n" | u32 LE version | u32 LE manifest length | manifest JSON | burnpack weights

const good = readFileSync(join(WWW, 'models/mobilenet_v2.camtag'));
const manifestLength = good.readUInt32LE(12);
const manifest = () => JSON.parse(good.subarray(16, 16 + manifestLength).toString('utf8'));
const weights = good.subarray(16 + manifestLength);

/** A bundle with `edit(manifest)` applied; the weights' checksum stays right unless `weightBytes` differs. */
function withManifest(edit, weightBytes = weights) {
  const m = manifest();
  edit(m);
  const json = Buffer.from(JSON.stringify(m));
  const header = Buffer.alloc(16);
  good.copy(header, 0, 0, 12);
  header.writeUInt32LE(json.length, 12);
  return Buffer.concat([header, json, weightBytes]);
}

/** A bundle whose weights are `length` bytes of junk, with their checksum set right. */
function withJunkWeights(length) {
  const junk = Buffer.alloc(length, 7);
  return withManifest((m) => { m.weights.bytes = junk.length; m.weights.sha256 = createHash('sha256').update(junk).digest('hex'); }, junk);
}

const BAD_BUNDLES = [
  ['empty', Buffer.alloc(0), /file is empty/],
  ['a PNG renamed', readFileSync(join(CACHE, 'photos/chelsea.png')), /it is a picture, not a model/],
  ['a text file renamed', Buffer.from('hello, camtag\n'), /does not start with the camtag magic bytes/],
  ['cut inside the header', good.subarray(0, 12), /truncated: 12 bytes, the header needs 16/],
  ['cut inside the manifest', good.subarray(0, 16 + 100), /truncated: manifest needs/],
  ['cut inside the weights', good.subarray(0, good.length - 4096), /truncated: weights are/],
  ['another format version', Buffer.concat([good.subarray(0, 8), Buffer.from([99, 0, 0, 0]), good.subarray(12)]), /format version 99 is not supported/],
  ['an oversized manifest length', (() => { const b = Buffer.from(good.subarray(0, 64 * 1024)); b.writeUInt32LE(0xfffffff0, 12); return b; })(), /manifest length 4294967280 is implausible/],
  ['bytes after the weights', Buffer.concat([good, Buffer.alloc(1024)]), /weights are \d+ bytes, the manifest says/],
  ['a flipped weight byte', (() => { const b = Buffer.from(good); b[b.length - 10] ^= 0x40; return b; })(), /checksum mismatch/],
  ['a manifest that is not JSON', (() => { const b = Buffer.from(good); b[16] = '#'.charCodeAt(0); return b; })(), /manifest is invalid/],
  ['fewer Chinese labels than English', withManifest((m) => m.labels.zh.pop()), /1000 English labels but 999 Chinese/],
  ['a label count the network does not have', withManifest((m) => { m.architecture.config.num_classes = 10; }), /10 outputs but the manifest has 1000 labels/],
  ['an input size the weights cannot take', withManifest((m) => { m.preprocessing.crop = 0; }), /crop 0 must be within 1\.\.=4096/],
  ['weights of a narrower network', withManifest((m) => { m.architecture.config.width_mult = 0.5; }), /do not fit the architecture/],
  ['weights too few for the network', withJunkWeights(4096), /has \d+ values but the weights are only 4096 bytes/],
  ['weights that are not burnpack', withJunkWeights(weights.length), /weights are not in burnpack format/],
  ['a network too big to build', withManifest((m) => { m.architecture.config.width_mult = 1000; }), /width multiplier 1000 \(must be within \(0, 4\]\)/],
];

/** Chooses `bytes` as `<name>.camtag` and waits for the page's message about it. */
async function chooseModel(name, bytes) {
  const file = join(dir, `${name.replace(/\W+/g, '_')}.camtag`);
  writeFileSync(file, bytes);
  await page.evaluate(() => { document.querySelector('#error').textContent = ''; });
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(() => document.querySelector('#error').textContent !== '', null, { timeout: TIMEOUT });
  return page.textContent('#error');
}

async function tagsOf(file) {
  const before = await page.evaluate(() => window.camtag.frames);
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction((n) => window.camtag.frames > n, before, { timeout: TIMEOUT });
  return page.evaluate(() => window.camtag.lastResult.predictions);
}

describe('broken model bundles are refused, and the model in use stays', () => {
  for (const [name, bytes, reason] of BAD_BUNDLES) {
    test(name, async () => {
      const message = await chooseModel(name, bytes);
      assert.match(message, /could not be loaded/, message);
      assert.match(message, reason, message);
      assert.match(message, /Still using MobileNetV2/, message);
    });
  }

  test('after all of them, the page still tags with the model it had', async () => {
    assert.match(await page.textContent('#model-name'), /^MobileNetV2 · int8 \(top-1/);
    const top = await tagsOf(join(CACHE, 'photos/coffee.png'));
    assert.equal(top[0].index, 967); // espresso
  });
});

// --- pictures ---------------------------------------------------------------------------------

/** A real PNG (valid CRCs) of `width` x `height` grey pixels. */
function png(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter method, no interlace
  const rows = Buffer.alloc((width + 1) * height, 128); // mid grey…
  for (let y = 0; y < height; y += 1) rows[y * (width + 1)] = 0; // …each row led by filter type 0 (None)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('broken pictures are explained, and the page goes on', () => {
  const cases = [
    ['empty.png', Buffer.alloc(0), /file is empty \(0 bytes\): empty\.png/],
    ['notes.png', Buffer.from('these are notes, not a picture\n'), /cannot be read: notes\.png/],
    ['cut.png', readFileSync(join(CACHE, 'photos/chelsea.png')).subarray(0, 2000), /cut\.png is truncated \(2,000 bytes\)/],
    ['huge.png', png(20000, 20000), /too large \(20000x20000; at most 50 megapixels\)/],
  ];
  for (const [name, bytes, reason] of cases) {
    test(name, async () => {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      await page.evaluate(() => { document.querySelector('#error').textContent = ''; });
      await page.setInputFiles('#file-input', file);
      await page.waitForFunction(() => document.querySelector('#error').textContent !== '', null, { timeout: TIMEOUT });
      assert.match(await page.textContent('#error'), reason);
    });
  }

  // A browser decodes a file cut short without complaint (grey where the data stops): the page
  // refuses it as the CLI does, at any cut, in every format (JPEG, GIF and BMP made by ffmpeg).
  for (const format of ['jpg', 'gif', 'bmp']) {
    test(`a ${format.toUpperCase()} cut short anywhere is refused, by the page and by the CLI`, async () => {
      const whole = join(dir, `chelsea.${format}`);
      await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(CACHE, 'photos/chelsea.png'), ...(format === 'gif' ? ['-frames:v', '1'] : []), whole]);
      const bytes = readFileSync(whole);
      assert.ok((await tagsOf(whole)).length === 5, 'the whole file is tagged');
      for (const cut of [200, 1000, 5000, Math.floor(bytes.length / 2), bytes.length - 1]) {
        const file = join(dir, `cut-${cut}.${format}`);
        writeFileSync(file, bytes.subarray(0, cut));
        await page.evaluate(() => { document.querySelector('#error').textContent = ''; });
        const before = await page.evaluate(() => window.camtag.frames);
        await page.setInputFiles('#file-input', file);
        await page.waitForFunction(() => document.querySelector('#error').textContent !== '', null, { timeout: TIMEOUT });
        assert.match(await page.textContent('#error'), new RegExp(`cut-${cut}\\.${format} is truncated|cannot be read: cut-${cut}`));
        assert.equal(await page.evaluate(() => window.camtag.frames), before, `${format} cut at ${cut} was tagged`);
        const cli = await run(CAMTAG_BIN, ['classify', file, '--model', DEFAULT_MODEL_PATH, '--device', 'cpu']).then(() => 'tagged', (e) => e.message);
        assert.match(cli, /truncated|not a valid picture/, `the CLI on ${format} cut at ${cut}: ${cli}`);
      }
    });
  }

  test('a 1x1 picture is tagged (it is scaled up like any other)', async () => {
    const file = join(dir, 'dot.png');
    writeFileSync(file, png(1, 1));
    const top = await tagsOf(file);
    assert.equal(top.length, 5);
    assert.ok(top.every((p) => Number.isFinite(p.prob)));
  });

  test('an empty frame is refused by the worker with a reason, not a crash', async () => {
    const message = await page.evaluate(async () => {
      const { Engine } = await import('./js/page/engine.js');
      const engine = new Engine();
      try {
        await engine.load({ url: new URL('models/mobilenet_v2.camtag', location.href).href }, 'cpu');
        await engine.classify({ data: new Uint8ClampedArray(0), width: 0, height: 0 }, 5);
        return 'classified an empty frame';
      } catch (e) {
        return e.message;
      } finally {
        engine.close();
      }
    });
    assert.match(message, /picture is empty \(0x0 pixels\)/);
  });

  test('after all of them, the page still tags pictures', async () => {
    const top = await tagsOf(join(CACHE, 'photos/coffee.png'));
    assert.equal(top[0].index, 967);
  });
});
