// The page's controls and readouts in www/index.html, looked up once by id.

export const byId = (id) => document.getElementById(id);

/**
 * Writes `text` into `el`, or `value` into its `dataset[key]` (undefined: removes it), only where
 * it differs: the per-frame readouts stay put on a still scene, since a write of the same value
 * still replaces the text or restyles the element, and the page is redrawn for it.
 */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
export function setData(el, key, value) {
  if (value === undefined) {
    if (key in el.dataset) delete el.dataset[key];
  } else if (el.dataset[key] !== value) el.dataset[key] = value;
}

/** The elements the page's own modules use (the classroom and collect panels find theirs). */
export function pageElements() {
  const ids = {
    stage: 'stage', video: 'video', picture: 'picture', placeholder: 'placeholder', toggle: 'camera-toggle',
    fileInput: 'file-input', backendSelect: 'backend-select', modelSelect: 'model-select', freeOffline: 'free-offline', sizeSelect: 'size-select',
    languageSelect: 'language-select', pause: 'pause-toggle', snapshot: 'snapshot', cameraChoice: 'camera-choice',
    cameraSelect: 'camera-select', flip: 'camera-flip', results: 'results', fallback: 'fallback', backend: 'backend',
    ms: 'ms', model: 'model-name', status: 'status', error: 'error', largeType: 'large-type',
    verdict: 'verdict', announce: 'announce', threshold: 'threshold', thresholdValue: 'threshold-value',
    camToggle: 'cam-toggle', viewfinder: 'viewfinder', chip: 'tag-chip', chipTag: 'chip-tag', chipProb: 'chip-prob',
    present: 'present', settings: 'settings', settingsToggle: 'settings-toggle', settingsClose: 'settings-close', camOverlay: 'cam-overlay', camLegend: 'cam-legend', camLegendTag: 'cam-legend-tag',
  };
  return Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, byId(id)]));
}
