// Snapshots: the last classified frame as a PNG. The one saved (the bar's shutter button) carries
// the tag chip as the viewfinder showed it and is named after its top tag; the bare frame is what
// the tests classify again with the CLI.

import { currentLanguage } from './i18n.js';
import { drawChip } from './tag-chip.js';

/**
 * `{png, result, chip}`: the frame `shown` last as a PNG data URL, with its result; with
 * `withChip`, the chip (`shown.lastChip`) drawn on it, and `chip` says `{text, box}` (else null).
 * Null before a first frame.
 */
export function snapshotOf(shown, { withChip = false } = {}) {
  if (!shown.lastFrame) return null;
  const canvas = document.createElement('canvas');
  canvas.width = shown.lastFrame.width;
  canvas.height = shown.lastFrame.height;
  const context = canvas.getContext('2d');
  context.putImageData(shown.lastFrame, 0, 0);
  const text = withChip ? shown.lastChip : null;
  const chip = text ? { text, box: drawChip(context, canvas.width, canvas.height, text) } : null;
  return { png: canvas.toDataURL('image/png'), result: shown.lastResult, chip };
}

/** Downloads the snapshot of `shown`, chip and all, as camtag-TAG-TIME.png. */
export function saveSnapshot(shown) {
  const shot = snapshotOf(shown, { withChip: true });
  if (!shot) return;
  // Named as the chip says (the camera's tag is steadied over frames; "not sure" under the threshold).
  const top = shot.result.predictions[0];
  const said = shot.chip?.text.tag ?? (currentLanguage() === 'en' ? top.en : top.zh);
  const name = said.replace(/[\\/:*?"<>|\s]+/g, '_');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const link = Object.assign(document.createElement('a'), { href: shot.png, download: `camtag-${name}-${stamp}.png` });
  link.click();
}
