// The stage: what the viewfinder shows (the camera, a picture or the placeholder), shaped to it,
// and the bar's start/stop button.

import { setName } from './i18n.js';

/**
 * Shows `what` ('video' | 'picture' | 'placeholder') in the viewfinder, hides the others, and
 * gives the viewfinder the shown picture's proportions (css/style.css fits it to the screen).
 */
export function showOnStage(ui, what) {
  ui.video.hidden = what !== 'video';
  ui.picture.hidden = what !== 'picture';
  ui.placeholder.hidden = what !== 'placeholder';
  if (what === 'picture') fitTo(ui, ui.picture.width, ui.picture.height);
  else if (what === 'video') fitTo(ui, ui.video.videoWidth, ui.video.videoHeight);
  else fitTo(ui, 4, 3);
}

/** The viewfinder takes a `width` x `height` picture's proportions (none yet: 4:3). */
export function fitTo(ui, width, height) {
  ui.viewfinder.style.setProperty('--aspect', width > 0 && height > 0 ? `${width} / ${height}` : '4 / 3');
}

/** The camera button offers `key` ('startCamera' | 'stopCamera'), with its icon. */
export function setToggle(ui, key) {
  const starts = key === 'startCamera';
  setName(ui.toggle, key, starts ? 'i-camera' : 'i-stop');
  ui.toggle.classList.toggle('primary', starts);
}
