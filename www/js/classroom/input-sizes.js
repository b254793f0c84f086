// The classroom's "any input size": the same frame through the same model at 160, 224 and 320
// pixels, predictions and timings side by side. It works because every network here ends in
// global average pooling: a bigger picture makes bigger feature maps, and the average of each
// channel is still one number.

import { copyOfFrame } from '../page/engine.js';
import { renderResults } from '../page/results.js';
import { t } from '../page/i18n.js';

export const SIZES = [160, 224, 320];

/** Classifies a copy of `frame` (an ImageData) at each size, one after another. */
export async function compareSizes(engine, frame, topK = 5) {
  const rows = [];
  for (const size of SIZES) {
    const { result } = await engine.classify(copyOfFrame(frame), topK, size);
    rows.push({ size, result });
  }
  return rows;
}

/** One column per size: the side, the feature-map side before pooling, ms, and the top-5. */
export function renderSizes(container, rows) {
  container.replaceChildren(...rows.map(({ size, result }) => {
    const column = document.createElement('section');
    column.className = 'size-column';
    column.dataset.size = String(size);
    const title = document.createElement('h4');
    title.textContent = `${size}×${size}`;
    const note = document.createElement('p');
    note.className = 'muted';
    const side = Math.ceil(size / 32);
    note.textContent = t('sizeNote', { side, ms: Math.round(result.totalMs) });
    const list = document.createElement('ol');
    list.className = 'results compact';
    renderResults(list, result);
    column.append(title, note, list);
    return column;
  }));
}
