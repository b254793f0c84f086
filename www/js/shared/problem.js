// Errors the reader sees: a message key (translated by page/i18n.js on the page) plus values and an
// untranslated technical detail. Plain data, so they cross the worker boundary.

export class Problem extends Error {
  constructor(key, values = {}, detail = '') {
    super(`${key}${detail ? `: ${detail}` : ''}`);
    this.key = key;
    this.values = values;
    this.detail = detail;
  }

  /** The structured-clone-safe form, for postMessage. */
  toJSON() {
    return { key: this.key, values: this.values, detail: this.detail };
  }

  static from({ key, values, detail }) {
    return new Problem(key, values, detail);
  }

  /** Any error as a Problem: itself if it is one, else `key` with the error's message as detail. */
  static of(error, key) {
    return error instanceof Problem ? error : new Problem(key, {}, error?.message ?? String(error));
  }
}
