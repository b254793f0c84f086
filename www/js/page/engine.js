// The page's handle on the inference worker: promises over the worker protocol
// (shared/protocol.js). If the worker dies, every pending call fails with the reason and the next
// load starts a fresh worker. If the worker's WebGPU device is lost, the worker is ended (a
// readback on a lost device may never finish), pending calls fail and `onLost` is told. Where
// `auto` tries the GPU after the model is ready (worker/gpu-trial.js), `onTrial` hears what it kept.

import { Kind, problemOf, valueOf } from '../shared/protocol.js';
import { Problem } from '../shared/problem.js';
import { wasmMessage } from '../shared/wasm-packages.js';

/** A copy of `image` (an ImageData), for a caller that keeps its frame: `classify` takes the buffer. */
export const copyOfFrame = (image) => new ImageData(new Uint8ClampedArray(image.data), image.width, image.height);

const noModel = (key) => Promise.reject(new Problem(key, {}, 'no model is loaded'));

export class Engine {
  #worker = null;
  #calls = new Map(); // request id -> {settle(answer), resolve, reject, onProgress (a load's fraction, a training's epoch)}
  #loadId = null; // the latest load; an earlier one still pending is superseded
  #readyId = null; // the load whose model runs
  #nextId = 1;
  #onLost;
  #onTrial;

  /**
   * `onLost(problem)`: the WebGPU device went away; the model must be loaded again.
   * `onTrial({backend, package, gpuMs, cpuMs} | {backend, package, problem})`: the running model's
   * trial of the GPU ended, and this is what runs it now.
   */
  constructor({ onLost = () => {}, onTrial = () => {} } = {}) {
    this.#onLost = onLost;
    this.#onTrial = onTrial;
  }

  #spawn(backend) {
    const worker = new Worker(new URL('../worker/inference-worker.js', import.meta.url), { type: 'module' });
    // First, which wasm it fetches at once (SIMD or not, for a GPU or not, gzipped or not).
    worker.postMessage(wasmMessage(backend));
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Problem('workerStopped', {}, event.message || 'unknown error'));
    };
    return worker;
  }

  #fail(problem) {
    this.#worker?.terminate();
    this.#worker = null;
    for (const { reject } of this.#calls.values()) reject(problem);
    this.#calls.clear();
  }

  #receive(message) {
    if (message.kind === Kind.LOST) {
      const problem = problemOf(message);
      this.#fail(problem);
      this.#onLost(problem);
    } else if (message.kind === Kind.TRIAL) {
      if (message.id !== this.#readyId) return; // for a model replaced meanwhile
      this.#onTrial({ ...message, problem: message.problem && problemOf(message) });
    } else if (message.kind === Kind.PROGRESS) {
      this.#calls.get(message.id)?.onProgress(message.fraction);
    } else if (message.kind === Kind.EPOCH) {
      this.#calls.get(message.id)?.onProgress(message.record);
    } else {
      // A reply or a failure; none is waited for where the call was superseded or failed already.
      const call = this.#calls.get(message.id);
      if (!call) return;
      this.#calls.delete(message.id);
      try {
        call.resolve(call.settle(message));
      } catch (e) {
        call.reject(e);
      }
    }
  }

  /**
   * Sends request `message` (kind, id, fields); resolves to `settle(answer)`, by default the
   * reply's value, or rejects with the failure's Problem.
   */
  #request(message, { transfer = [], onProgress = () => {}, settle = valueOf } = {}) {
    return new Promise((resolve, reject) => {
      this.#calls.set(message.id, { settle, resolve, reject, onProgress });
      this.#worker.postMessage(message, transfer);
    });
  }

  /** The id of the load whose model runs (null before the first); each classification's `model` names one. */
  get model() {
    return this.#readyId;
  }

  /** Starts the worker, which starts fetching the wasm for `backend`; the first load then waits less. */
  prepare(backend) {
    this.#worker ??= this.#spawn(backend);
  }

  /**
   * Loads a model from a URL, from bundle bytes, or an architecture by name with random weights
   * (`arch`, for timing). Resolves to `{id, backend, wasm, package, fallbackReason, manifest, trial}`,
   * `id` naming the model in the results it gives.
   */
  load({ url, bytes, arch }, backend, onProgress = () => {}) {
    this.#worker ??= this.#spawn(backend);
    const superseded = this.#calls.get(this.#loadId);
    if (superseded) {
      this.#calls.delete(this.#loadId);
      superseded.reject(new Problem('superseded', {}, 'another model was asked for'));
    }
    const id = this.#nextId++;
    this.#loadId = id;
    const settle = (answer) => {
      const model = valueOf(answer);
      this.#readyId = id;
      return { ...model, id };
    };
    const message = { kind: Kind.LOAD, id, url: url && String(url), bytes, arch, backend };
    return this.#request(message, { transfer: bytes ? [bytes] : [], onProgress, settle });
  }

  /** Ends the worker (and frees its model); a later load starts a fresh one. */
  close() {
    this.#fail(new Problem('workerStopped', {}, 'closed'));
  }

  /**
   * The feature map after point `point` of the active model for a copy of `image` (an
   * ImageData): resolves to `{maps: {point, shape, channels, data}, points}` (every point's name).
   */
  featureMaps(image, point, maxChannels) {
    if (!this.#worker) return noModel('loadFailed');
    const rgba = new Uint8ClampedArray(image.data).buffer;
    const { width, height } = image;
    return this.#request({ kind: Kind.FEATURES, id: this.#nextId++, rgba, width, height, point, maxChannels }, { transfer: [rgba] });
  }

  /** Why architecture `arch` refuses each of `sizes`: `[{size, problem}]` (`problem` null: takes it). */
  sizeProblems(arch, sizes) {
    if (!this.#worker) return noModel('loadFailed');
    return this.#request({ kind: Kind.SIZES, id: this.#nextId++, arch, sizes });
  }

  /** The active model's layer table at `size` x `size` (see `camtag info`). */
  layers(size) {
    if (!this.#worker) return noModel('loadFailed');
    return this.#request({ kind: Kind.LAYERS, id: this.#nextId++, size });
  }

  /**
   * The pooled features of `image` (an ImageData, whose buffer moves to the worker) under the
   * teacher of `base` (shared/teach-bases.js), which the worker keeps beside the active model.
   * Resolves to `{features: Float32Array, base}`.
   */
  describe(image, base) {
    this.#worker ??= this.#spawn('cpu');
    const rgba = image.data.buffer;
    const { width, height } = image;
    return this.#request({ kind: Kind.DESCRIBE, id: this.#nextId++, base, rgba, width, height }, { transfer: [rgba] });
  }

  /**
   * Trains a new head on `base`: `features` (Float32Array, n x width) and `labels` (Uint32Array)
   * move to the worker; `tags` `[{zh, en}]`; `options` as the crate's `teach` takes them.
   * `onEpoch(record)` hears each epoch; aborting `signal` cancels (the promise then rejects with
   * 'trainCancelled'). Resolves to `{bundle: Uint8Array, report}`.
   */
  train({ base, features, labels, tags, options }, { onEpoch = () => {}, signal } = {}) {
    this.#worker ??= this.#spawn('cpu');
    const id = this.#nextId++;
    const worker = this.#worker;
    signal?.addEventListener('abort', () => worker.postMessage({ kind: Kind.CANCEL, id }), { once: true });
    const message = { kind: Kind.TRAIN, id, base, features, labels, tags, options };
    return this.#request(message, { transfer: [features.buffer, labels.buffer], onProgress: onEpoch });
  }

  /**
   * Classifies an ImageData; its buffer moves to the worker and comes back. Resolves to
   * `{result, frame}` where `frame` is the ImageData that was classified. `size`: the input side
   * in pixels (default: the model's own). `map`: also the class activation map of `tag` (an
   * output index; null: the top tag), as `result.map` (page/where-it-looks.js).
   */
  classify(image, topK, size = null, { map = false, tag = null } = {}) {
    if (!this.#worker) return noModel('classifyFailed');
    const { width, height } = image;
    const rgba = image.data.buffer;
    const settle = (answer) => {
      // An empty frame (0 x 0, which the worker refuses) has no ImageData to give back.
      const frame = width && height ? new ImageData(new Uint8ClampedArray(answer.rgba), width, height) : null;
      if (answer.kind === Kind.FAILED) throw Object.assign(problemOf(answer), { frame });
      return { result: answer.value, frame };
    };
    return this.#request({ kind: Kind.CLASSIFY, id: this.#nextId++, rgba, width, height, topK, size, map, mapTag: tag }, { transfer: [rgba], settle });
  }
}
