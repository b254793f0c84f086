// The page: its parts (page/, classroom/, teach/, collect/) put together. The model runs in the inference
// worker (worker/, reached through page/engine.js); a camera frame or a picture goes through
// page/tagging.js to the tags on screen. The README's Architecture section draws the whole path.

import { setupClassroom } from './classroom/panels.js';
import { createBackendDisplay } from './page/backend-display.js';
import { createCameraControl } from './page/camera-control.js';
import { pageElements } from './page/elements.js';
import { Engine } from './page/engine.js';
import { currentLanguage, setLanguage, translate } from './page/i18n.js';
import { initLargeType } from './page/large-type.js';
import { createMessages } from './page/messages.js';
import { createOfflineModels } from './page/offline-models.js';
import { createPresentMode } from './page/present.js';
import { createSettingsSheet } from './page/settings-sheet.js';
import { createModelLoading } from './page/model-loading.js';
import { setupPictures } from './page/picture.js';
import { saveSnapshot, snapshotOf } from './page/snapshot.js';
import { startUp } from './page/start-up.js';
import { createTagging } from './page/tagging.js';
import { createWhereItLooks } from './page/where-it-looks.js';
import { setupTeach, showStorageProblem } from './teach/panel.js';
import { openStore } from './teach/store.js';
import { createUserModels } from './teach/user-models.js';

// What the page shows, which its parts write and read, and so can the tests and the curious
// (`window.camtag`): the last classified frame and its result, how many frames were tagged and
// when the first tag came, `auto`'s trial of the GPU, the last feature maps.
const shown = {
  frames: 0, firstTagMs: null, lastFrame: null, lastResult: null, lastChip: null, gpuTrial: null, lastMaps: null,
  /** The last classified frame as a PNG data URL, with the result shown for it (`{withChip}`: as saved). */
  snapshot: (options) => snapshotOf(shown, options),
};
window.camtag = shown;

const ui = pageElements();
const messages = createMessages(ui);
const engine = new Engine({ onLost: (problem) => models.recoverOnCpu(problem), onTrial: (trial) => models.trialEnded(trial) });
const whereItLooks = createWhereItLooks({
  toggle: ui.camToggle, canvas: ui.camOverlay, legend: ui.camLegend, legendTag: ui.camLegendTag, results: ui.results,
  onChange: () => tagging.again(),
});
const tagging = createTagging({ engine, ui, messages, shown, whereItLooks });
// The Teach panel's samples and the user's models, from IndexedDB (or memory only, said so).
const store = await openStore({ onProblem: showStorageProblem });
const userModels = createUserModels({ store, ui, say: messages.status });
const teach = setupTeach({ engine, video: ui.video, store, userModels, shown });
const camera = createCameraControl({ ui, tagging, messages, collect: teach, ready: () => models.ready() });
// The comparison runs where the page's model runs (not `auto`: its trial would time itself).
// Which built models are kept for offline use (marked in the picker), and freeing their space.
let builtDefault = null; // models/index.json's default, which comes with the page
const offline = createOfflineModels({ select: ui.modelSelect, button: ui.freeOffline, defaultFile: () => builtDefault, say: messages.status });
const fileOf = (from) => (from?.url ? decodeURIComponent(new URL(from.url).pathname.split('/').pop()) : null);
const classroom = setupClassroom({ engine, shown, showError: messages.error, backend: () => models.backend() });
const models = createModelLoading({
  engine, ui, messages, camera, tagging, backendDisplay: createBackendDisplay({ ui, shown }),
  onModel: (loaded, from) => { classroom.onModel(loaded); offline.keep(fileOf(from)); },
  onSwitch: teach.abandon, sourceOf: userModels.sourceOf,
  explainFailure: (e, from) => offline.notKept(fileOf(from), e),
});
userModels.attach(models);
setupPictures({ ui, camera, tagging, messages, onModelFile: (file) => { teach.abandon(); userModels.openFile(file); } });
ui.snapshot.addEventListener('click', () => saveSnapshot(shown));
initLargeType(ui.largeType);
const settings = createSettingsSheet({ sheet: ui.settings, toggle: ui.settingsToggle, close: ui.settingsClose });
createPresentMode({ button: ui.present, onEnter: settings.close });

ui.languageSelect.value = currentLanguage();
translate();
ui.languageSelect.addEventListener('change', () => {
  setLanguage(ui.languageSelect.value);
  models.showBackend();
  classroom.onLanguage();
  tagging.redraw();
  teach.onLanguage();
  userModels.fill();
  offline.refresh();
});

startUp({
  engine, ui, camera, models, tagging, messages,
  onIndex: (index) => { builtDefault = index.default; classroom.onIndex(index); userModels.onIndex(index); },
  onPicker: () => { userModels.fill(); offline.refresh(); },
  firstModel: userModels.first,
});
