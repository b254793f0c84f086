// build.sh on a machine that lacks what it cannot install itself: it names every missing tool, with
// the package that brings it, before doing any work (not "No module named pip" halfway through).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from './harness.mjs';

const which = (tool) => spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();

/** A folder for PATH holding only `tools` (links to this machine's) and `fakes` ({name: script}). */
function pathWith(tools, fakes = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'camtag-path-'));
  for (const tool of tools) symlinkSync(which(tool), join(dir, tool));
  for (const [name, script] of Object.entries(fakes)) {
    writeFileSync(join(dir, name), `#!${which('bash')}\n${script}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const build = (path, env = {}) => spawnSync(which('bash'), [join(ROOT, 'build.sh')], { encoding: 'utf8', env: { PATH: path, HOME: tmpdir(), ...env } });

test('an empty machine: every missing tool is named at once, and nothing is built', () => {
  const run = build(pathWith(['dirname']));
  assert.equal(run.status, 1, run.stderr);
  for (const named of ['rustup', 'build-essential', 'python3-pip', 'Node.js 20.10', 'sha256sum', 'gzip', 'awk', 'README']) {
    assert.ok(run.stderr.includes(named), `${named} not named:\n${run.stderr}`);
  }
  assert.ok(!run.stderr.includes('==>'), `it started work:\n${run.stderr}`);
});

test('Python without pip, and a Node.js too old, are each said with the way out', () => {
  const real = ['dirname', 'cargo', 'rustup', 'cc', 'sha256sum', 'gzip', 'awk'];
  const path = pathWith(real, {
    python3: 'if [[ $1 == -m ]]; then echo "No module named pip" >&2; exit 1; fi',
    node: 'if [[ $1 == --version ]]; then echo v18.19.1; else exit 1; fi',
    npm: 'exit 0',
  });
  const run = build(path);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /pip for python3.*apt-get install python3-pip/);
  assert.match(run.stderr, /Node\.js 20\.10 or later \(this is v18\.19\.1/);
  assert.ok(!/rustup|build-essential|sha256sum/.test(run.stderr), `only what is missing:\n${run.stderr}`);
});
