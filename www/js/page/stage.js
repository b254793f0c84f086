// The stage: what it shows (the camera, a picture or the placeholder) and its start/stop button.

import { setLabel } from './i18n.js';

/** Shows `what` ('video' | 'picture' | 'placeholder') on the stage, hides the others. */
export function showOnStage(ui, what) {
  ui.video.hidden = what !== 'video';
  ui.picture.hidden = what !== 'picture';
  ui.placeholder.hidden = what !== 'placeholder';
}

/** The camera button says `key` ('startCamera' | 'stopCamera'). */
export const setToggle = (ui, key) => setLabel(ui.toggle, key);
