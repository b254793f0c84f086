// The worker protocol: the messages between the page (page/engine.js) and the inference worker
// (worker/inference-worker.js), imported by both so neither spells a kind or a shape on its own.
//
// Every request but the first carries an `id`, drawn by the page from one counter; whatever
// answers it carries the same id: a load's progress, the one reply or failure, and after a
// load's reply its trial of the GPU. A failure is a Problem (shared/problem.js), so the page
// gets a typed error (a key to translate, values, a detail) wherever the request came from.
//
//   page → worker                                    worker → page
//   WASM      {wasm, gzipped, backend}, first:       (none: it fetches that wasm package at once;
//             instruction set, gzipped or not, the    each load's backend picks its package,
//             first load's backend                    shared/wasm-packages.js)
//   LOAD      {id, url | bytes | arch, backend}      PROGRESS {id, fraction}, then
//                                                    REPLY {id, value: {backend, wasm, package,
//                                                      fallbackReason, manifest, trial}}, then
//                                                      where `trial` (auto with a WebGPU adapter,
//                                                      worker/gpu-trial.js) what runs it after:
//                                                    TRIAL {id, backend, package, gpuMs, cpuMs | problem}
//   CLASSIFY  {id, rgba, width, height, topK, size,  REPLY {id, value: result, rgba}; `result.model`
//             map, mapTag}: `map` asks for the class    (and with `map`, `result.map`: {index, en, zh,
//             activation map of `mapTag` (an output     shape, values, logit, bias}, page/where-it-looks.js)
//             index) or of the top tag
//                                                      is the id of the load whose model answered
//   LAYERS    {id, size}                             REPLY {id, value: layer table}
//   SIZES     {id, arch, sizes}                      REPLY {id, value: [{size, problem}]}: why the
//                                                      architecture `arch` refuses each size (null: takes it)
//   FEATURES  {id, rgba, width, height, point,       REPLY {id, value: {maps, points}}
//             maxChannels}
//   DESCRIBE  {id, base, rgba, width, height}        REPLY {id, value: {features, base}}: the pooled
//                                                      features (Float32Array) of the teacher, a
//                                                      base network (shared/teach-bases.js) the
//                                                      worker keeps beside the active model, on the CPU
//   TRAIN     {id, base, features, labels, tags,     EPOCH {id, record} after each epoch, then
//             options}: a new head on `base`           REPLY {id, value: {bundle, report}} (`bundle`:
//                                                      the .camtag's bytes, transferred)
//   CANCEL    {id}: stop training `id` (no answer    (TRAIN `id` then fails: 'trainCancelled')
//             of its own)
//   any request                                      FAILED {id, problem, rgba (CLASSIFY only)}
//                                                    LOST {problem}: the WebGPU device is gone (the
//                                                      page ends the worker: its work may never end)
//
// `rgba` (an ArrayBuffer) is transferred, so a frame is never copied; CLASSIFY's comes back.
// DESCRIBE and TRAIN run beside the one-at-a-time queue of the others (they use their own
// classifier, or none): the camera keeps being tagged while samples are added or a head trains.

import { Problem } from './problem.js';

export const Kind = Object.freeze({
  WASM: 'wasm',
  LOAD: 'load',
  CLASSIFY: 'classify',
  LAYERS: 'layers',
  SIZES: 'sizes',
  FEATURES: 'features',
  DESCRIBE: 'describe',
  TRAIN: 'train',
  CANCEL: 'cancel',
  EPOCH: 'epoch',
  PROGRESS: 'progress',
  REPLY: 'reply',
  FAILED: 'failed',
  TRIAL: 'trial',
  LOST: 'lost',
});

/** The answer to request `id`: its `value`, and the frame's buffer given back (`rgba`) if any. */
export const reply = (id, value, rgba) => ({ kind: Kind.REPLY, id, value, rgba });

/** Request `id` failed: `error` as a Problem (`fallbackKey` where it is not one already). */
export const failure = (id, error, fallbackKey, rgba) => ({ kind: Kind.FAILED, id, problem: Problem.of(error, fallbackKey).toJSON(), rgba });

export const progress = (id, fraction) => ({ kind: Kind.PROGRESS, id, fraction });

/** Training `id` finished an epoch: `record` is `{epoch, epochs, train, valid, best}`. */
export const epoch = (id, record) => ({ kind: Kind.EPOCH, id, record });

/** Load `id`'s trial of the GPU ended: what runs its model now, and the times or the problem. */
export const trial = (id, { backend, package: wasmPackage, gpuMs, cpuMs, problem }) => ({
  kind: Kind.TRIAL, id, backend, package: wasmPackage, ...(problem ? { problem: problem.toJSON() } : { gpuMs, cpuMs }),
});

/** The WebGPU device went away (`detail`: its reason and message). */
export const lost = (detail) => ({ kind: Kind.LOST, problem: new Problem('gpuLost', {}, detail).toJSON() });

/** The Problem a FAILED, TRIAL or LOST message carries, as a Problem again. */
export const problemOf = (message) => Problem.from(message.problem);

/** A REPLY's value; a FAILED message's Problem is thrown. */
export function valueOf(message) {
  if (message.kind === Kind.FAILED) throw problemOf(message);
  return message.value;
}
