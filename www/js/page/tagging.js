// From an image to the tags on screen: classifies it in the worker (page/engine.js), drops the
// result if the stage changed source meanwhile or another model runs now, shows the top-5 and the
// ms per frame, and notes what it showed in `shown` (the frame, the result, how many, when the
// first) for the snapshot, the classroom and the tests. The list says which model's tags it
// shows (`data-model`, a load's id, as #model-name does): a model loaded takes down another's.
// The camera's tags are smoothed over a few frames and a verdict says the top tag, or "not sure"
// under the threshold (page/steady.js); `shown.lastResult` stays the frame's own result. With
// "where it looks" on, each result brings its class activation map, drawn over the frame
// (page/where-it-looks.js). The verdict is also the chip on the viewfinder (page/tag-chip.js),
// which a saved snapshot carries (`shown.lastChip`).

import { createAnnouncer } from './announcer.js';
import { setText } from './elements.js';
import { copyOfFrame } from './engine.js';
import { explain } from './i18n.js';
import { renderResults, rollingMedian } from './results.js';
import { createSmoother, createVerdict } from './steady.js';
import { chipText, createChip } from './tag-chip.js';

const TOP_K = 5;

export function createTagging({ engine, ui, messages, shown, whereItLooks }) {
  let generation = 0; // bumped whenever the stage changes source
  const median = rollingMedian(15);
  const smoother = createSmoother(5);
  let lastShown = null; // the result as shown (the camera's smoothed)
  let lastPicture = null; // the picture on the stage (not a camera frame), as classified
  const announcer = createAnnouncer(ui.announce); // says the top tag when it changes, not every frame
  const chip = createChip({ element: ui.chip, tagElement: ui.chipTag, probElement: ui.chipProb });
  const showChip = (said) => {
    shown.lastChip = chipText(said);
    chip.show(shown.lastChip);
  };
  const show = (result) => {
    lastShown = result;
    renderResults(ui.results, result);
    const said = verdict.show(result.predictions[0]);
    showChip(said);
    ui.results.classList.toggle('unsure', !said.sure);
    // The key: the top tag (or not sure) in the language shown; another frame of the same says nothing.
    announcer.say(`${document.documentElement.dataset.language}:${said.sure ? said.index : 'unsure'}`, said.text);
  };
  const verdict = createVerdict({
    input: ui.threshold, output: ui.thresholdValue, verdict: ui.verdict, onChange: () => lastShown && show(lastShown),
  });
  /** Takes the tags off the screen: the list, the verdict and the chip. */
  function takeDown() {
    lastShown = null;
    showChip(verdict.show(null));
    announcer.clear();
    ui.results.classList.remove('unsure');
    ui.results.replaceChildren();
  }
  let firstTagShown;
  /** Resolves when the page shows its first tag (of the camera or of a picture). */
  const firstTag = new Promise((resolve) => { firstTagShown = resolve; });

  /**
   * Classifies one image and shows the result, unless the stage moved on; resolves to whether
   * shown. A camera frame (`camera`) is shown smoothed with the frames before it.
   */
  async function classify(image, { camera = false } = {}) {
    const before = generation;
    // A smaller input for slow devices: the work scales with the pixels ('': the model's own).
    const size = Number(ui.sizeSelect.value) || null;
    const { result, frame } = await engine.classify(image, TOP_K, size, whereItLooks.request());
    if (before !== generation || result.model !== engine.model) return false;
    Object.assign(shown, { lastFrame: frame, lastResult: result, frames: shown.frames + 1 });
    if (shown.frames === 1) {
      shown.firstTagMs = Math.round(performance.now()); // since the page's navigation began
      firstTagShown();
    }
    lastPicture = camera ? null : frame; // a picture is tagged again when what to compute changes
    if (!camera) smoother.reset();
    const predictions = camera ? smoother.add(result.predictions, TOP_K) : result.predictions;
    show({ ...result, predictions });
    whereItLooks.show(result, frame); // the frame's own map, never smoothed
    ui.results.dataset.model = String(result.model);
    ui.snapshot.disabled = false;
    setText(ui.ms, `${median(result.totalMs).toFixed(0)} ms`);
    return true;
  }

  /** A camera frame (the frame loop sends one only once a model is loaded). */
  async function classifyFrame(frame) {
    const before = generation;
    try {
      // A late frame of a camera that stopped is dropped by classify, so why it stopped stays said.
      if (await classify(frame, { camera: true })) messages.frameTagged();
    } catch (e) {
      if (before === generation) messages.frameFailed(explain(e));
    }
  }

  return {
    classify,
    classifyFrame,
    firstTag,
    /** The stage changes source: a result still in the worker for the old one is not shown. */
    newSource: () => {
      generation += 1;
      lastPicture = null;
      smoother.reset();
      whereItLooks.clear();
    },
    /** Model `id` was loaded: another model's tags are taken down until it gives its own. */
    modelLoaded: (id) => {
      if (ui.results.dataset.model === String(id)) return;
      smoother.reset();
      whereItLooks.reset();
      takeDown();
      delete ui.results.dataset.model;
    },
    /** A picture replaces the camera: the camera's tags do not describe it. */
    takeDown,
    /** Tags the picture on the stage again (the map was turned on, or another tag picked). */
    again: () => lastPicture && classify(copyOfFrame(lastPicture)).catch((e) => messages.error(explain(e))),
    /** Shows the last result again (in another language). */
    redraw: () => lastShown && show(lastShown),
  };
}
