// What the page downloads, measured on the built site: each wasm package as written (and, where
// the target dir is at hand, as rustc wrote it before wasm-opt) and gzipped, and each model
// bundle and its gzip. Written to bench/results/sizes.json with the commit and the command, the
// source of the sizes the README quotes (bench/readme.mjs).
//
//   node bench/sizes.mjs      (after ./build.sh; CARGO_TARGET_DIR as build.sh had it)

import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WWW = join(ROOT, 'www');
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
const bytes = (file) => (existsSync(file) ? statSync(file).size : null);

// build.sh's packages and the target dirs rustc writes each one's module to (build.sh's build_wasm).
const PACKAGES = { pkg: 'wasm-simd128', 'pkg-cpu': 'wasm-simd128-cpu', 'pkg-baseline': '.' };
const packages = Object.fromEntries(Object.entries(PACKAGES).map(([pkg, target]) => [pkg, {
  rustc: bytes(join(TARGET, target, 'wasm32-unknown-unknown/release/camtag.wasm')),
  written: bytes(join(WWW, pkg, 'camtag_bg.wasm')),
  gzipped: bytes(join(WWW, pkg, 'camtag_bg.wasm.gz')),
}]));
const models = Object.fromEntries(['mobilenet_v2', 'mobilenet_v2_f16', 'mobilenet_v2_int8', 'efficientnet_lite0'].map((m) => [m, {
  bytes: bytes(join(WWW, 'models', `${m}.camtag`)),
  gzipped: bytes(join(WWW, 'models', `${m}.camtag.gz`)),
}]));
for (const [name, sizes] of Object.entries({ ...packages, ...models })) {
  if (Object.entries(sizes).some(([kind, v]) => v === null && kind !== 'rustc')) throw new Error(`${name} is not built: run ./build.sh first`);
}
const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const results = {
  commit: git('rev-parse', '--short', 'HEAD'),
  dirty: git('status', '--porcelain', '--untracked-files=no', '--', 'crate', 'Cargo.lock', 'build.sh') !== '',
  date: new Date().toISOString().slice(0, 10),
  command: 'node bench/sizes.mjs (after ./build.sh)',
  packages,
  models,
};
await writeFile(join(ROOT, 'bench/results/sizes.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
