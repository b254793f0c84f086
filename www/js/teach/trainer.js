// From the samples to a trained model, without the DOM: what makes a set of tags untrainable
// (said before any work, with the tag to fix), the samples' features under the chosen base
// network (each sample is described once, when added; one described under another base is
// described again here), and the TRAIN request itself.

import { Problem } from '../shared/problem.js';
import { pixelsOfBlob } from './pictures.js';

/** A tag's name as compared for sameness: trimmed, case and width of spaces ignored. */
const sameness = (name) => (name ?? '').trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Why `tags` (`[{id, zh, en}]`, `count(tagId)` samples each) cannot be trained on, as a Problem;
 * null when they can: at least two tags, each named, no two named alike, two samples each.
 */
export function untrainable(tags, count) {
  if (tags.length < 2) return new Problem('teachTwoTags', { n: tags.length });
  const seen = new Set();
  for (const tag of tags) {
    if (!sameness(tag.zh)) return new Problem('teachNoName');
    for (const name of [tag.zh, tag.en].filter((n) => sameness(n))) {
      if (seen.has(sameness(name))) return new Problem('teachSameName', { name: name.trim() });
    }
    seen.add(sameness(tag.zh));
    if (sameness(tag.en) && sameness(tag.en) !== sameness(tag.zh)) seen.add(sameness(tag.en));
  }
  for (const tag of tags) {
    const n = count(tag.id);
    if (n < 2) return new Problem('teachFewSamples', { tag: tag.zh, n });
  }
  return null;
}

const KEEP_PIXELS = 4;

/**
 * Describes samples one at a time, in the order added, beside the camera's frames: `add(sample,
 * image)` queues one (`image`: its pixels, if at hand). `onChange(pending)` hears how many wait,
 * `onTimed(ms)` each DESCRIBE's round trip. `drain()` resolves once none wait.
 */
export function createDescriber({ engine, store, base, onChange = () => {}, onProblem = () => {}, onTimed = () => {} }) {
  let chain = Promise.resolve();
  let pending = 0;
  const add = (sample, picture) => {
    const which = base();
    // The pixels of the first few waiting are kept; those of a long queue (a folder of 2,000
    // photos) are decoded again from the stored picture when their turn comes, so the memory
    // they hold stays small.
    const image = pending < KEEP_PIXELS ? picture : null;
    pending += 1;
    onChange(pending);
    chain = chain.then(async () => {
      try {
        if (!store.features(sample.id, which) && store.samples.some((s) => s.id === sample.id)) {
          const pixels = image ?? (await pixelsOfBlob(sample.blob));
          const started = performance.now();
          const { features } = await engine.describe(pixels, which);
          onTimed(performance.now() - started);
          await store.setFeatures(sample.id, which, features);
        }
      } catch (e) {
        onProblem(e);
      } finally {
        pending -= 1;
        onChange(pending);
      }
    });
  };
  return { add, drain: () => chain, get pending() { return pending; } };
}

/**
 * Trains a head on `base` for `tags` from the store's samples: describes those not yet described
 * under `base` (`onDescribe(done, total)`), then sends TRAIN; `onEpoch(record)` hears each epoch,
 * aborting `signal` cancels. Resolves to `{bundle, report, tags}`.
 */
export async function trainOn({ engine, store, base, tags, name, onDescribe = () => {}, onEpoch = () => {}, signal }) {
  const samples = tags.flatMap((tag, label) => store.samplesOf(tag.id).map((sample) => ({ sample, label })));
  const missing = samples.filter(({ sample }) => !store.features(sample.id, base));
  for (const [i, { sample }] of missing.entries()) {
    if (signal?.aborted) throw new Problem('trainCancelled');
    onDescribe(i, missing.length);
    const { features } = await engine.describe(await pixelsOfBlob(sample.blob), base);
    await store.setFeatures(sample.id, base, features);
  }
  if (signal?.aborted) throw new Problem('trainCancelled');
  const width = store.features(samples[0].sample.id, base).length;
  const features = new Float32Array(samples.length * width);
  samples.forEach(({ sample }, i) => features.set(store.features(sample.id, base), i * width));
  const labels = Uint32Array.from(samples, ({ label }) => label);
  const named = tags.map((t) => ({ zh: t.zh.trim(), en: (t.en ?? '').trim() || t.zh.trim() }));
  const options = { name, seed: 42 };
  const { bundle, report } = await engine.train({ base, features, labels, tags: named, options }, { onEpoch, signal });
  return { bundle, report, tags: named };
}
