// The tag chip: the top tag written on the viewfinder, as a phone camera writes its scene ("多云")
// on the picture: the word in the page's language(s) and its confidence, or "not sure" under the
// threshold (page/steady.js). Written only when what it says changes, so it does not flicker; the
// polite live region (page/announcer.js), not the chip, speaks to screen readers. The same chip is
// drawn onto a saved snapshot.

import { setData, setText } from './elements.js';

/** What the chip says for `verdict` (what page/steady.js's verdict shows), or null for none. */
export function chipText(verdict) {
  if (!verdict) return null;
  return { tag: verdict.text, prob: verdict.sure ? `${Math.round(verdict.prob * 100)}%` : '', sure: verdict.sure };
}

/** The chip in the page: `element` holding `tagElement` and `probElement`. */
export function createChip({ element, tagElement, probElement }) {
  return {
    /** Shows `text` (from `chipText`), or hides the chip (null). */
    show(text) {
      if (!text) {
        if (!element.hidden) element.hidden = true;
        return;
      }
      setText(tagElement, text.tag);
      setText(probElement, text.prob);
      setData(element, 'state', text.sure ? 'sure' : 'unsure');
      if (element.hidden) element.hidden = false;
    },
  };
}

// The drawn chip's colours: the page's (css/style.css `.tag-chip`), so a snapshot looks as the
// screen did. The backdrop is 80 % opaque: white text keeps a contrast of 9:1 or more over any picture.
const BACKDROP = 'rgba(12, 16, 20, 0.8)';
const TEXT = '#ffffff';
const PROB = '#d9e1e8';

/**
 * Draws the chip (`text`, from `chipText`) at the top centre of a `width` x `height` picture in
 * `context`; returns the box it covers, `{x, y, width, height}` (before its soft shadow).
 */
export function drawChip(context, width, height, text) {
  const size = Math.max(14, Math.round(Math.min(width, height) * 0.06));
  const font = `700 ${size}px system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif`;
  const small = `600 ${Math.round(size * 0.7)}px system-ui, sans-serif`;
  context.save();
  context.font = font;
  const tagWidth = context.measureText(text.tag).width;
  context.font = small;
  const probWidth = text.prob ? context.measureText(text.prob).width + size * 0.6 : 0;
  const box = { width: Math.min(width - 8, Math.ceil(tagWidth + probWidth + size * 1.8)), height: Math.round(size * 1.6) };
  box.x = Math.round((width - box.width) / 2);
  box.y = Math.round(size * 0.5);
  context.beginPath();
  if (context.roundRect) context.roundRect(box.x, box.y, box.width, box.height, box.height / 2);
  else context.rect(box.x, box.y, box.width, box.height);
  context.fillStyle = BACKDROP;
  context.fill();
  context.textBaseline = 'middle';
  context.fillStyle = TEXT;
  context.font = font;
  const middle = box.y + box.height / 2;
  context.fillText(text.tag, box.x + size * 0.9, middle, box.width - size * 1.8 - probWidth);
  if (text.prob) {
    context.font = small;
    context.fillStyle = PROB;
    context.fillText(text.prob, box.x + box.width - size * 0.9 - (probWidth - size * 0.6), middle);
  }
  context.restore();
  return box;
}
