// What the Teach panel keeps across reloads, offline and closed tabs, in IndexedDB: the tags, the
// samples (the picture as a PNG or JPEG Blob, a small thumbnail, and their features under each
// base network), the user's trained models (bundle bytes apart from their name, date, tags and
// validation top-1) and a few settings. Everything is also held in memory and read from there:
// where IndexedDB is missing (some private windows) or a write fails (the quota is full), the
// page says so once through `onProblem` and carries on with what it has in memory.

import { Problem } from '../shared/problem.js';

const DB = 'camtag-teach';
const VERSION = 1;
const STORES = ['tags', 'samples', 'features', 'models', 'bundles', 'settings'];
const OPEN_TIMEOUT_MS = 3000; // an open that is blocked (another tab upgrading) must not stall the page

const request = (r) => new Promise((ok, fail) => {
  r.onsuccess = () => ok(r.result);
  r.onerror = () => fail(r.error);
});

/** Opens the database (creating its stores); rejects where IndexedDB is unavailable. */
function openDatabase() {
  return new Promise((ok, fail) => {
    let r;
    try {
      r = indexedDB.open(DB, VERSION);
    } catch (e) {
      fail(e);
      return;
    }
    const timer = setTimeout(() => fail(new Error('IndexedDB did not open')), OPEN_TIMEOUT_MS);
    r.onupgradeneeded = () => {
      for (const name of STORES) if (!r.result.objectStoreNames.contains(name)) r.result.createObjectStore(name, { keyPath: name === 'settings' ? 'key' : 'id' });
    };
    r.onsuccess = () => { clearTimeout(timer); ok(r.result); };
    r.onerror = () => { clearTimeout(timer); fail(r.error); };
    r.onblocked = () => { clearTimeout(timer); fail(new Error('IndexedDB is blocked by another tab')); };
  });
}

const featureKey = (sampleId, base) => `${sampleId}:${base}`;

/**
 * Opens the store and reads it into memory. `onProblem(problem)` hears, once per kind, that
 * nothing will be kept ('storageUnavailable') or that a write failed ('storageFull',
 * 'storageFailed'). Never rejects: without IndexedDB the store lives in memory only.
 */
export async function openStore({ onProblem = () => {} } = {}) {
  let db = null;
  try {
    db = await openDatabase();
  } catch (e) {
    onProblem(new Problem('storageUnavailable', {}, e?.message ?? String(e)));
  }
  const store = new TeachStore(db, onProblem);
  if (db) {
    try {
      await store.read();
    } catch (e) {
      onProblem(new Problem('storageFailed', {}, e?.message ?? String(e)));
    }
  }
  return store;
}

export class TeachStore {
  #db;
  #onProblem;
  #said = new Set(); // the problems said since the last good write
  #nextId = 1;
  #tags = []; // {id, zh, en}, in the order made
  #samples = new Map(); // id -> {id, tagId, blob, thumb, type}
  #features = new Map(); // `${sampleId}:${base}` -> Float32Array
  #models = []; // {id, name, created, tags: [{zh, en}], top1, base}
  #bundles = new Map(); // id -> Uint8Array (only where there is no database)
  #settings = new Map();

  constructor(db, onProblem) {
    this.#db = db;
    this.#onProblem = onProblem;
  }

  /** Whether what is added is kept across reloads (IndexedDB opened). */
  get persistent() {
    return this.#db !== null;
  }

  /** Reads every store but the bundles' bytes into memory. */
  async read() {
    const tx = this.#db.transaction(['tags', 'samples', 'features', 'models', 'settings']);
    const all = (name) => request(tx.objectStore(name).getAll());
    const [tags, samples, features, models, settings] = await Promise.all(['tags', 'samples', 'features', 'models', 'settings'].map(all));
    this.#tags = tags.sort((a, b) => a.id - b.id);
    this.#samples = new Map(samples.sort((a, b) => a.id - b.id).map((s) => [s.id, s]));
    this.#features = new Map(features.map((f) => [f.id, f.values]));
    this.#models = models.sort((a, b) => a.id - b.id);
    this.#settings = new Map(settings.map((s) => [s.key, s.value]));
    this.#nextId = 1 + Math.max(0, ...tags.map((x) => x.id), ...samples.map((x) => x.id), ...models.map((x) => x.id));
  }

  /** Runs `work(stores)` in one read-write transaction; a failure is said, not thrown. */
  async #write(names, work) {
    if (!this.#db) return false;
    try {
      await new Promise((ok, fail) => {
        const tx = this.#db.transaction(names, 'readwrite');
        tx.oncomplete = () => ok();
        tx.onerror = () => fail(tx.error);
        tx.onabort = () => fail(tx.error ?? new Error('transaction aborted'));
        work(Object.fromEntries(names.map((n) => [n, tx.objectStore(n)])));
      });
      this.#said.clear();
      return true;
    } catch (e) {
      const key = e?.name === 'QuotaExceededError' ? 'storageFull' : 'storageFailed';
      if (!this.#said.has(key)) {
        this.#said.add(key);
        this.#onProblem(new Problem(key, {}, e?.message ?? String(e)));
      }
      return false;
    }
  }

  #id() {
    return this.#nextId++;
  }

  // --- tags ----------------------------------------------------------------------------------

  /** The tags, in the order they were made: `[{id, zh, en}]`. */
  get tags() {
    return [...this.#tags];
  }

  /** Adds a tag; resolves to it once written (or kept in memory). */
  async addTag({ zh, en = '' }) {
    const tag = { id: this.#id(), zh, en };
    this.#tags.push(tag);
    await this.#write(['tags'], (s) => s.tags.put(tag));
    return tag;
  }

  /** Renames tag `id` (`{zh}` and/or `{en}`). */
  async updateTag(id, fields) {
    const tag = this.#tags.find((t) => t.id === id);
    if (!tag) return;
    Object.assign(tag, fields);
    await this.#write(['tags'], (s) => s.tags.put({ ...tag }));
  }

  /** Removes tag `id` and its samples. */
  async removeTag(id) {
    this.#tags = this.#tags.filter((t) => t.id !== id);
    const gone = [...this.#samples.values()].filter((s) => s.tagId === id).map((s) => s.id);
    await this.#removeSamples(gone, (s) => s.tags.delete(id));
  }

  // --- samples -------------------------------------------------------------------------------

  /** Tag `tagId`'s samples, oldest first: `[{id, tagId, blob, thumb}]`. */
  samplesOf(tagId) {
    return [...this.#samples.values()].filter((s) => s.tagId === tagId);
  }

  /** Every sample, oldest first. */
  get samples() {
    return [...this.#samples.values()];
  }

  /** Adds a sample (`blob`: the picture, `thumb`: its thumbnail); resolves to it. */
  async addSample({ tagId, blob, thumb }) {
    const sample = { id: this.#id(), tagId, blob, thumb };
    this.#samples.set(sample.id, sample);
    await this.#write(['samples'], (s) => s.samples.put(sample));
    return sample;
  }

  async removeSample(id) {
    await this.#removeSamples([id]);
  }

  async #removeSamples(ids, more = () => {}) {
    const keys = [];
    for (const id of ids) {
      this.#samples.delete(id);
      for (const key of this.#features.keys()) if (key.startsWith(`${id}:`)) keys.push(key);
    }
    for (const key of keys) this.#features.delete(key);
    await this.#write(['tags', 'samples', 'features'], (s) => {
      for (const id of ids) s.samples.delete(id);
      for (const key of keys) s.features.delete(key);
      more(s);
    });
  }

  /** Removes every tag and sample (the trained models stay). */
  async clearSamples() {
    this.#tags = [];
    this.#samples.clear();
    this.#features.clear();
    await this.#write(['tags', 'samples', 'features'], (s) => {
      s.tags.clear();
      s.samples.clear();
      s.features.clear();
    });
  }

  /** Sample `sampleId`'s features under `base`, if described. */
  features(sampleId, base) {
    return this.#features.get(featureKey(sampleId, base));
  }

  /** Keeps sample `sampleId`'s features under `base` (a sample removed meanwhile keeps none). */
  async setFeatures(sampleId, base, values) {
    if (!this.#samples.has(sampleId)) return;
    const id = featureKey(sampleId, base);
    this.#features.set(id, values);
    await this.#write(['features'], (s) => s.features.put({ id, values }));
  }

  // --- the user's models ---------------------------------------------------------------------

  /** The user's models, oldest first: `[{id, name, created, tags, top1, base}]`. */
  get models() {
    return [...this.#models];
  }

  /** Keeps a model: its metadata and its bundle's bytes. Resolves to the metadata, with its id. */
  async addModel({ name, created = Date.now(), tags = [], top1 = null, base = null }, bytes) {
    const model = { id: this.#id(), name, created, tags, top1, base };
    this.#models.push(model);
    const kept = await this.#write(['models', 'bundles'], (s) => {
      s.models.put(model);
      s.bundles.put({ id: model.id, bytes });
    });
    if (!kept) this.#bundles.set(model.id, bytes);
    return model;
  }

  /** Model `id`'s bundle bytes (a fresh copy), or null. */
  async bundle(id) {
    if (this.#bundles.has(id)) return new Uint8Array(this.#bundles.get(id));
    if (!this.#db) return null;
    const record = await request(this.#db.transaction(['bundles']).objectStore('bundles').get(id));
    return record ? new Uint8Array(record.bytes) : null;
  }

  async removeModel(id) {
    this.#models = this.#models.filter((m) => m.id !== id);
    this.#bundles.delete(id);
    await this.#write(['models', 'bundles'], (s) => {
      s.models.delete(id);
      s.bundles.delete(id);
    });
  }

  // --- settings ------------------------------------------------------------------------------

  setting(key, fallback = null) {
    return this.#settings.has(key) ? this.#settings.get(key) : fallback;
  }

  async setSetting(key, value) {
    this.#settings.set(key, value);
    await this.#write(['settings'], (s) => s.settings.put({ key, value }));
  }
}
