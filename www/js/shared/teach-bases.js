// The networks a new head can be taught on (the crate's transfer recipes): the page's base-model
// choice, the worker's teacher (which bundle it loads to describe samples and to train on), and
// the key a sample's stored features are filed under. Features come from the very weights the
// trained bundle carries (its backbone is the teacher's bundle, in the same precision).
// MobileNetV2 is the page's default bundle, in 8 bits: already fetched (3.6 MB, not 14), and
// describing a sample costs what tagging a frame does (bench/results/teach.json).

export const BASES = Object.freeze({
  mobilenet_v2: Object.freeze({ file: 'mobilenet_v2_int8.camtag', name: 'MobileNetV2' }),
  efficientnet_lite0: Object.freeze({ file: 'efficientnet_lite0.camtag', name: 'EfficientNet-Lite0' }),
});

export const DEFAULT_BASE = 'mobilenet_v2';

/** Whether `base` names a network a head can be taught on. */
export const isBase = (base) => Object.hasOwn(BASES, base);
