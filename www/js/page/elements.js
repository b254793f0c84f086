// The page's controls and readouts in www/index.html, looked up once by id.

export const byId = (id) => document.getElementById(id);

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
