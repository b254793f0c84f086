// The page's handle on the inference worker: promises over the worker's message protocol
// (see worker/inference-worker.js). If the worker dies, every pending call fails with the reason and the next
// load starts a fresh worker. If the worker's WebGPU device is lost, the worker is ended (a
// readback on a lost device may never finish), pending calls fail and `onLost` is told. Where
// `auto` tries the GPU after the model is ready (worker/gpu-trial.js), `onTrial` hears what it kept.

import { Problem } from '../shared/problem.js';
import { wasmMessage } from '../shared/wasm-packages.js';

export class Engine {
  #worker = null;
  #pending = new Map(); // id -> {resolve, reject, width, height}
  #loading = null; // {id, resolve, reject, onProgress}: the latest load; earlier ones are superseded
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
    for (const { reject } of this.#pending.values()) reject(problem);
    this.#pending.clear();
    this.#loading?.reject(problem);
    this.#loading = null;
  }

  #receive(data) {
    if (data.type === 'lost') {
      const problem = Problem.from(data.problem);
      this.#fail(problem);
      this.#onLost(problem);
    } else if (data.type === 'trial') {
      if (data.loadId !== this.#readyId) return; // for a model replaced meanwhile
      this.#onTrial({ ...data, problem: data.problem && Problem.from(data.problem) });
    } else if (['progress', 'ready'].includes(data.type) || (data.type === 'error' && data.during === 'load')) {
      if (data.loadId !== this.#loading?.id) return; // a superseded load: its caller has its answer
      if (data.type === 'progress') return this.#loading.onProgress(data.fraction);
      if (data.type === 'ready') {
        this.#readyId = data.loadId;
        this.#loading.resolve(data);
      }
      else this.#loading.reject(Problem.from(data.problem));
      this.#loading = null;
    } else if (['layers', 'features'].includes(data.type) || (data.type === 'error' && ['layers', 'features'].includes(data.during))) {
      const call = this.#pending.get(data.id);
      this.#pending.delete(data.id);
      if (data.type === 'layers') call?.resolve(data.summary);
      else if (data.type === 'features') call?.resolve({ maps: data.maps, points: data.points });
      else call?.reject(Problem.from(data.problem));
    } else if (data.type === 'result' || (data.type === 'error' && data.during === 'classify')) {
      const call = this.#pending.get(data.id);
      this.#pending.delete(data.id);
      if (!call) return;
      // An empty frame (0 x 0, which the worker refuses) has no ImageData to give back.
      const frame = call.width && call.height ? new ImageData(new Uint8ClampedArray(data.rgba), call.width, call.height) : null;
      if (data.type === 'result') call.resolve({ result: data.result, frame });
      else call.reject(Object.assign(Problem.from(data.problem), { frame }));
    }
  }

  /** Starts the worker, which starts fetching the wasm for `backend`; the first load then waits less. */
  prepare(backend) {
    this.#worker ??= this.#spawn(backend);
  }

  /**
   * Loads a model from a URL, from bundle bytes, or an architecture by name with random weights
   * (`arch`, for timing). Resolves to `{backend, fallbackReason, manifest}`.
   */
  load({ url, bytes, arch }, backend, onProgress = () => {}) {
    this.#worker ??= this.#spawn(backend);
    this.#loading?.reject(new Problem('superseded', {}, 'another model was asked for'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#loading = { id, resolve, reject, onProgress };
      const transfer = bytes ? [bytes] : [];
      this.#worker.postMessage({ type: 'load', loadId: id, url: url && String(url), bytes, arch, backend }, transfer);
    });
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
    if (!this.#worker) return Promise.reject(new Problem('loadFailed', {}, 'no model is loaded'));
    const id = this.#nextId++;
    const rgba = new Uint8ClampedArray(image.data).buffer;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'features', id, rgba, width: image.width, height: image.height, point, maxChannels }, [rgba]);
    });
  }

  /** The active model's layer table at `size` x `size` (see `camtag info`). */
  layers(size) {
    if (!this.#worker) return Promise.reject(new Problem('loadFailed', {}, 'no model is loaded'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'layers', id, size });
    });
  }

  /**
   * Classifies an ImageData; its buffer moves to the worker and comes back. Resolves to
   * `{result, frame}` where `frame` is the ImageData that was classified. `size`: the input side
   * in pixels (default: the model's own).
   */
  classify(image, topK, size = null) {
    if (!this.#worker) return Promise.reject(new Problem('classifyFailed', {}, 'no model is loaded'));
    const id = this.#nextId++;
    const { width, height } = image;
    const rgba = image.data.buffer;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, width, height });
      this.#worker.postMessage({ type: 'classify', id, rgba, width, height, topK, size }, [rgba]);
    });
  }
}
