// The networks a new head can be taught on (the crate's transfer recipes): the page's base-model
// choice, the worker's teacher (which bundle it loads to describe samples and to train on), and
// the key a sample's stored features are filed under. Only the f32 bundles: features must come
// from the very weights the trained bundle carries.

export const BASES = Object.freeze({
  mobilenet_v2: Object.freeze({ file: 'mobilenet_v2.camtag', name: 'MobileNetV2' }),
  efficientnet_lite0: Object.freeze({ file: 'efficientnet_lite0.camtag', name: 'EfficientNet-Lite0' }),
});

export const DEFAULT_BASE = 'mobilenet_v2';

/** Whether `base` names a network a head can be taught on. */
export const isBase = (base) => Object.hasOwn(BASES, base);
