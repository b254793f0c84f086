// Collecting your own tags: frames captured under a tag name, reviewed, and exported as a zip in
// the ImageFolder layout `camtag train --data` reads (one folder per tag: 多云/0001.png …).

import { zip } from './zip.js';

/** Frames grouped by tag, in the order the tags were first used. */
export class SampleSet {
  #samples = []; // {id, tag, blob, url}
  #nextId = 1;

  /** Adds a PNG of what `video` shows now under `tag`. */
  async capture(video, tag) {
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    if (!canvas.width || !canvas.height) return null;
    canvas.getContext('2d').drawImage(video, 0, 0);
    const blob = await new Promise((ok) => canvas.toBlob(ok, 'image/png'));
    const sample = { id: this.#nextId++, tag, blob, url: URL.createObjectURL(blob) };
    this.#samples.push(sample);
    return sample;
  }

  remove(id) {
    const i = this.#samples.findIndex((s) => s.id === id);
    if (i < 0) return;
    URL.revokeObjectURL(this.#samples[i].url);
    this.#samples.splice(i, 1);
  }

  /** `[[tag, [samples…]]…]` */
  byTag() {
    const groups = new Map();
    for (const s of this.#samples) groups.set(s.tag, [...(groups.get(s.tag) ?? []), s]);
    return [...groups];
  }

  get size() {
    return this.#samples.length;
  }

  /** The zip: `TAG/0001.png`, numbered per tag. */
  async toZip() {
    const entries = [];
    for (const [tag, samples] of this.byTag()) {
      for (const [i, s] of samples.entries()) {
        entries.push({ name: `${tag}/${String(i + 1).padStart(4, '0')}.png`, bytes: new Uint8Array(await s.blob.arrayBuffer()) });
      }
    }
    return zip(entries);
  }
}

/** A tag must be a usable folder name: no slashes, no leading dot, not empty. */
export function cleanTag(text) {
  return text.trim().replace(/[\\/:*?"<>|\u0000-\u001f]/g, '').replace(/^\.+/, '').slice(0, 64);
}
