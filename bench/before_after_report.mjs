// bench/before_after.sh's table: for each path and model, camtag's median ms and its ratio to
// onnxruntime's (onnxruntime-web's in the browser) in each round, before and after the change.
//
//   node bench/before_after_report.mjs DIR ROUNDS

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, rounds] = [process.argv[2], Number(process.argv[3])];
const read = (build, half, round) => JSON.parse(readFileSync(join(dir, `${build}-${half}-${round}.json`), 'utf8')).rows;
/** [half, camtag engine, backend, the peer's engine and backend] for each path. */
const PATHS = [
  ['native', 'camtag', 'cpu', 'onnxruntime', 'cpu'],
  ['browser', 'camtag', 'cpu', 'onnxruntime-web', 'cpu'],
  ['browser', 'camtag-baseline', 'cpu', 'onnxruntime-web', 'cpu'],
  ['browser', 'camtag', 'webgpu', 'onnxruntime-web', 'webgpu'],
];
const find = (rows, model, engine, backend) => rows.find((r) => r.model === model && r.engine === engine && r.backend === backend);
console.log('| path | model | round | before: ms (ratio) | after: ms (ratio) |');
console.log('| --- | --- | --- | --- | --- |');
for (const [half, engine, backend, peer, peerBackend] of PATHS) {
  for (const model of ['mobilenet_v2', 'efficientnet_lite0']) {
    for (let round = 1; round <= rounds; round++) {
      const cell = (build) => {
        const rows = read(build, half, round);
        const ours = find(rows, model, engine, backend);
        const theirs = find(rows, model, peer, peerBackend);
        if (!ours || !theirs) return 'n/a';
        return `${ours.medianMs.toFixed(1)} (${(ours.medianMs / theirs.medianMs).toFixed(2)})`;
      };
      console.log(`| ${half} ${engine} ${backend} | ${model} | ${round} | ${cell('old')} | ${cell('new')} |`);
    }
  }
}
