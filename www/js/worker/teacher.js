// The teacher (runs in the inference worker): a base network (shared/teach-bases.js) loaded on
// the CPU beside the active model, which describes samples (their globally pooled features) and
// trains a new head on them with the wasm package's `teach`. It never touches the active model,
// so the camera keeps being tagged meanwhile: describing is one picture at a time on the
// teacher's own classifier, and training yields to the worker's event loop between epochs.

import { createClassifier, fetchBundle, loadWasm } from './classifier-loader.js';
import { BASES, isBase } from '../shared/teach-bases.js';
import { Problem } from '../shared/problem.js';

const teachers = new Map(); // base -> promise of {classifier, bytes}

/** The teacher for `base`, loaded once (its bundle fetched relative to this file). */
function teacher(base) {
  if (!isBase(base)) return Promise.reject(new Problem('teachBase', { base: String(base) }));
  if (!teachers.has(base)) {
    const ready = (async () => {
      const url = new URL(`../../models/${BASES[base].file}`, import.meta.url).href;
      const bytes = await fetchBundle(url);
      const { classifier } = await createClassifier(bytes, 'cpu');
      return { classifier, bytes };
    })();
    teachers.set(base, ready);
    ready.catch(() => teachers.delete(base)); // a network hiccup is not forever
  }
  return teachers.get(base);
}

const unsupported = () => new Problem('teachUnsupported', {}, 'this wasm build has no describe/teach');

/** Plain data from what wasm-bindgen hands back (serde maps arrive as Map): clonable, readable. */
export function plain(value) {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

let describing = Promise.resolve(); // one description at a time (the teacher's busy rule)

/**
 * The pooled features of RGBA pixels under `base`'s teacher. Resolves to `{features, base}`,
 * `features` a Float32Array of its own (transferable).
 */
export function describe({ base, rgba, width, height }) {
  const run = describing.then(async () => {
    const { classifier } = await teacher(base);
    if (typeof classifier.describe !== 'function') throw unsupported();
    const features = await classifier.describe(new Uint8Array(rgba), width, height);
    return { features: new Float32Array(features), base };
  });
  describing = run.catch(() => {});
  return run;
}

let training = null; // {id, cancelled}: the one training running

/** Asks training `id` to stop after its current epoch (a newer training stops the older one). */
export function cancel(id) {
  if (training?.id === id) training.cancelled = true;
}

/**
 * Trains a new head on `base` from `features` (n x width floats) and `labels` (n tag indices).
 * `onEpoch(record)` hears each epoch. Resolves to `{bundle: Uint8Array, report}`; rejects with
 * 'trainCancelled' when cancelled, else a 'trainFailed' Problem carrying the crate's message.
 */
export async function train({ id, base, features, labels, tags, options }, onEpoch) {
  if (training) training.cancelled = true;
  const run = { id, cancelled: false };
  training = run;
  try {
    const { bytes } = await teacher(base);
    const { teach } = await loadWasm('cpu');
    if (typeof teach !== 'function') throw unsupported();
    if (run.cancelled) throw new Error('cancelled');
    const result = await teach(bytes, new Float32Array(features), new Uint32Array(labels), tags, options ?? {}, (record) => {
      onEpoch(plain(record));
      return !run.cancelled;
    });
    const bundle = result.bundle ?? result.get?.('bundle');
    const report = result.report ?? result.get?.('report');
    // A copy with a buffer of its own (never a view of wasm memory), to transfer to the page.
    return { bundle: new Uint8Array(bundle), report: plain(report) };
  } catch (e) {
    if (run.cancelled || /cancelled/i.test(e?.message ?? '')) throw new Problem('trainCancelled');
    throw Problem.of(e, 'trainFailed');
  } finally {
    if (training === run) training = null;
  }
}
