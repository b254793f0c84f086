// The wasm packages' own kernels, under Node: the loops the page runs on the CPU, built for wasm
// SIMD (www/pkg-cpu, and www/pkg whose CPU path is the same build with WebGPU beside it) and
// without it (www/pkg-baseline), each checked against burn's own operations on a thousand random
// shapes (crate/src/kernels/check.rs through `kernelCheck`). Native tests never run these builds.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

import { WWW } from './harness.mjs';

for (const pkg of ['pkg-cpu', 'pkg-baseline', 'pkg']) {
  test(`${pkg}: its kernels equal burn on 1,000 random shapes`, async () => {
    const module = await import(pathToFileURL(join(WWW, pkg, 'camtag.js')).href);
    await module.default({ module_or_path: readFileSync(join(WWW, pkg, 'camtag_bg.wasm')) });
    let total = 0;
    for (const seed of [1, 2, 3, 4]) {
      const report = module.kernelCheck(seed, 250);
      total += report.cases;
      assert.ok(report.worst < 1, JSON.stringify(report));
      for (const [kind, n] of report.perKind) assert.ok(n > 10, `${pkg} seed ${seed}: ${kind} drawn ${n} times`);
    }
    assert.ok(total >= 900, `${total} cases`);
  });
}

test('the check refuses a call of more than 5,000 cases (a call blocks its thread)', async () => {
  const module = await import(pathToFileURL(join(WWW, 'pkg-cpu', 'camtag.js')).href);
  await module.default({ module_or_path: readFileSync(join(WWW, 'pkg-cpu', 'camtag_bg.wasm')) });
  assert.throws(() => module.kernelCheck(1, 5001), /at most 5,000/);
});
