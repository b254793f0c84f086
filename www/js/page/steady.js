// Steady tags and "not sure": the camera's tags smoothed over the last few frames (an exponential
// moving average of each class's probability, so one odd frame does not flip the top tag), and a
// confidence threshold (a slider, remembered in localStorage) under which the page says
// 不确定 / not sure instead of a tag. Pictures are not smoothed; both have the threshold.

import { setData, setText } from './elements.js';
import { currentLanguage, t } from './i18n.js';

const KEY = 'camtag.threshold';
const DEFAULT_PERCENT = 20;

/**
 * An exponential moving average of probabilities per class index, over about `frames` frames
 * (alpha = 2 / (frames + 1)); a class missing from a frame's top-k counts as 0 there.
 */
export function createSmoother(frames = 5) {
  const alpha = 2 / (frames + 1);
  let average = new Map(); // class index -> the prediction, its prob averaged
  return {
    /** Forgets the past frames (another model, another source). */
    reset() {
      average = new Map();
    },
    /** Adds a frame's `predictions`; returns the `k` highest averaged, shaped as predictions. */
    add(predictions, k) {
      if (!average.size) average = new Map(predictions.map((p) => [p.index, { ...p }]));
      else {
        for (const p of average.values()) p.prob *= 1 - alpha;
        for (const p of predictions) {
          const seen = average.get(p.index);
          if (seen) Object.assign(seen, { ...p, prob: seen.prob + alpha * p.prob });
          else average.set(p.index, { ...p, prob: alpha * p.prob });
        }
        for (const [index, p] of average) if (p.prob < 1e-4) average.delete(index);
      }
      return [...average.values()].sort((a, b) => b.prob - a.prob).slice(0, k).map((p) => ({ ...p }));
    },
  };
}

const readPercent = () => {
  try {
    const stored = Number(localStorage.getItem(KEY));
    return localStorage.getItem(KEY) !== null && stored >= 0 && stored <= 100 ? stored : DEFAULT_PERCENT;
  } catch {
    return DEFAULT_PERCENT;
  }
};

/**
 * The threshold slider (`input`, a range in percent, and `output`, its readout) and the verdict
 * line (`verdict`): the top tag, or not sure. `onChange()` hears the slider move.
 */
export function createVerdict({ input, output, verdict, onChange = () => {} }) {
  input.value = String(readPercent());
  const percent = () => Number(input.value);
  const showValue = () => { output.textContent = `${percent()}%`; };
  showValue();
  input.addEventListener('input', () => {
    showValue();
    try {
      localStorage.setItem(KEY, String(percent()));
    } catch {
      // the slider still works for this visit
    }
    onChange();
  });
  return {
    /** The threshold as a probability. */
    threshold: () => percent() / 100,
    /**
     * Shows the verdict on `top` (the first prediction shown), or clears it (null); returns what
     * it shows, `{sure, text, prob, index}` (`text`: the name in the page's language or both, or
     * "not sure"), or null.
     */
    show(top) {
      // Each frame: written only where it changed (page/elements.js).
      if (!top) {
        setText(verdict, '');
        setData(verdict, 'state', undefined);
        return null;
      }
      const sure = top.prob >= percent() / 100;
      setData(verdict, 'state', sure ? 'sure' : 'unsure');
      setData(verdict, 'index', sure ? String(top.index) : '');
      const language = currentLanguage();
      const name = language === 'zh' ? top.zh : language === 'en' ? top.en : `${top.zh} ${top.en}`;
      const text = sure ? name : t('notSure');
      setText(verdict, text);
      return { sure, text, prob: top.prob, index: top.index };
    },
  };
}
