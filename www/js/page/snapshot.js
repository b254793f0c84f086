// Snapshots: the last classified frame as a PNG, named after its top tag.

import { currentLanguage } from './i18n.js';

/** `{png, result}`: the frame `shown` last as a PNG data URL, with its result; null before one. */
export function snapshotOf(shown) {
  if (!shown.lastFrame) return null;
  const canvas = document.createElement('canvas');
  canvas.width = shown.lastFrame.width;
  canvas.height = shown.lastFrame.height;
  canvas.getContext('2d').putImageData(shown.lastFrame, 0, 0);
  return { png: canvas.toDataURL('image/png'), result: shown.lastResult };
}

/** Downloads the snapshot of `shown` as camtag-TAG-TIME.png. */
export function saveSnapshot(shown) {
  const shot = snapshotOf(shown);
  if (!shot) return;
  const top = shot.result.predictions[0];
  const name = (currentLanguage() === 'en' ? top.en : top.zh).replace(/[\\/:*?"<>|\s]+/g, '_');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const link = Object.assign(document.createElement('a'), { href: shot.png, download: `camtag-${name}-${stamp}.png` });
  link.click();
}
