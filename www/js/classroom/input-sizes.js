// The classroom's "any input size": the same frame through the same model at 160, 224 and 320
// pixels, predictions and timings side by side. It works because the network ends in global
// average pooling: a bigger picture makes bigger feature maps, and the average of each channel is
// still one number. Beside it, VGG-16 as published, whose fully connected head fixes the size:
// its refusal at each size, in Rust's words (no network allocated: only its shape is checked).

import { copyOfFrame } from '../page/engine.js';
import { renderResults } from '../page/results.js';
import { t } from '../page/i18n.js';

export const SIZES = [160, 224, 320];

/** The network shown refusing sizes: VGG-16 with its fully connected head. */
export const FIXED_SIZE_ARCH = 'vgg16';

/**
 * Classifies a copy of `frame` (an ImageData) at each size, one after another, and asks whether
 * VGG-16 as published could take each: `[{size, result, fixed: problem | null}]`.
 */
export async function compareSizes(engine, frame, topK = 5) {
  const problems = await engine.sizeProblems(FIXED_SIZE_ARCH, SIZES);
  const rows = [];
  for (const [i, size] of SIZES.entries()) {
    const { result } = await engine.classify(copyOfFrame(frame), topK, size);
    rows.push({ size, result, fixed: problems[i].problem });
  }
  return rows;
}

/** One column per size: the side, the feature-map side before pooling, ms, and the top-5. */
export function renderSizes(container, rows) {
  container.replaceChildren(...rows.map(({ size, result, fixed }) => {
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
    const vgg = document.createElement('p');
    vgg.className = `fixed-size ${fixed ? 'refused' : 'accepted'}`;
    vgg.dataset.refused = String(Boolean(fixed));
    vgg.textContent = fixed ? `${t('vggRefuses')} ${fixed}` : t('vggTakes');
    column.append(title, note, list, vgg);
    return column;
  }));
}
