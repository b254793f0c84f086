// The Teach panel (教 Teach), grown out of "collect samples": tags and their samples from the
// camera (hold to capture) or from picture files, kept in IndexedDB (teach/store.js), each
// described once by the worker's teacher when added (teach/trainer.js); the base network; the
// zip export for `camtag train --data`; "clear all"; and training (teach/training-view.js), whose
// model becomes the running one at once.

import { byId as $ } from '../page/elements.js';
import { explain, t } from '../page/i18n.js';
import { cleanTag } from '../collect/samples.js';
import { zip } from '../collect/zip.js';
import { DEFAULT_BASE, isBase } from '../shared/teach-bases.js';
import { captureFrame, decodeFile } from './pictures.js';
import { createTagList } from './tag-list.js';
import { keepBaseOffline } from './offline-base.js';
import { createDescriber } from './trainer.js';
import { createTrainingView } from './training-view.js';

const CAPTURE_EVERY_MS = 200;

/** Says in the panel that samples and models are not kept (`problem`: teach/store.js's), and why. */
export function showStorageProblem(problem) {
  const notice = $('teach-storage');
  notice.textContent = explain(problem);
  notice.dataset.problem = problem.key;
  notice.hidden = false;
}
const sameName = (a, b) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * `engine`: page/engine.js's Engine; `video`: the camera's <video>; `store`: an open TeachStore;
 * `userModels`: teach/user-models.js; `shown` (window.camtag) gets `describeMs`, the last
 * DESCRIBE round trips. Returns `refresh()` (the camera came or went), `abandon()` (another model
 * was asked for: a training stops), `onLanguage()`.
 */
export function setupTeach({ engine, video, store, userModels, shown = {} }) {
  const ui = {
    panel: $('collect'), tagInput: $('tag-input'), enInput: $('tag-en-input'), addTag: $('tag-add'), capture: $('capture'),
    groups: $('sample-groups'), suggestions: $('tag-suggestions'), skipped: $('teach-skipped'), base: $('teach-base'),
    exportButton: $('export'), clearAll: $('clear-all'), status: $('teach-status'), error: $('teach-error'),
  };
  const say = {
    error: (text) => { ui.error.textContent = text; ui.error.hidden = !text; },
    status: (text) => { ui.status.textContent = text; },
  };
  ui.base.value = isBase(store.setting('base')) ? store.setting('base') : DEFAULT_BASE;

  const describer = createDescriber({
    engine, store, base: () => ui.base.value,
    onChange: (pending) => { if (!training.running()) say.status(pending ? t('describing', { n: pending }) : ''); },
    onProblem: (e) => say.error(explain(e)),
    onTimed: (ms) => { shown.describeMs = [...(shown.describeMs ?? []).slice(-199), Math.round(ms)]; },
  });

  let scheduled = false;
  /**
   * Sets the buttons at once (a tag typed makes "hold to capture" pressable straight away) and
   * redraws the list at most once a frame (2,000 files added call this 2,000 times).
   */
  const refresh = ({ now = false } = {}) => {
    ui.capture.disabled = !canCapture();
    ui.addTag.disabled = cleanTag(ui.tagInput.value) === '';
    ui.exportButton.disabled = store.samples.length === 0;
    ui.clearAll.disabled = store.tags.length === 0;
    training.refresh();
    if (now) list.render(); // what the reader just clicked away goes at once
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      list.render();
    });
  };

  /** The tag named `zh` (compared loosely), made if there is none (with `en`). */
  async function tagNamed(zh, en = '') {
    return store.tags.find((tag) => sameName(tag.zh, zh)) ?? store.addTag({ zh, en: en.trim() });
  }

  /** Keeps a decoded picture under `tag` and has it described. */
  async function addSample(tag, { image, blob, thumb }) {
    const sample = await store.addSample({ tagId: tag.id, blob, thumb });
    describer.add(sample, image);
    refresh();
  }

  /** Adds picture files under `tag`; files that are not pictures or are empty are skipped and counted. */
  async function addFiles(tag, files) {
    say.error('');
    let skipped = 0;
    for (const file of files) {
      const picture = await decodeFile(file);
      if (!picture) skipped += 1;
      else await addSample(tag, picture);
    }
    ui.skipped.hidden = skipped === 0;
    ui.skipped.textContent = skipped ? t('skipped', { n: skipped }) : '';
    ui.skipped.dataset.skipped = String(skipped);
  }

  const list = createTagList({
    store, groups: ui.groups, suggestions: ui.suggestions,
    on: {
      use: (tag) => {
        [ui.tagInput.value, ui.enInput.value] = [tag.zh, tag.en ?? ''];
        refresh();
      },
      rename: async (tag, fields) => {
        const clean = { ...fields };
        if ('zh' in clean) clean.zh = cleanTag(clean.zh);
        if (clean.zh === '') {
          refresh();
          return;
        }
        await store.updateTag(tag.id, clean);
        refresh();
      },
      // The store forgets at once and writes after: the list is redrawn before the write ends.
      remove: (tag) => {
        store.removeTag(tag.id);
        refresh({ now: true });
      },
      removeSample: (sample) => {
        store.removeSample(sample.id);
        refresh({ now: true });
      },
      addFiles,
      suggest: async ({ zh, en }) => {
        [ui.tagInput.value, ui.enInput.value] = [zh, en];
        await tagNamed(zh, en);
        refresh();
      },
    },
  });

  // --- the camera: hold to capture under the tag typed -----------------------------------------
  let timer = null;
  const canCapture = () => Boolean(video.srcObject) && !video.hidden && cleanTag(ui.tagInput.value) !== '';
  const grab = async () => {
    if (!canCapture()) return stop();
    // The tag as typed when the frame was taken (the reader may type another while it encodes).
    const [zh, en] = [cleanTag(ui.tagInput.value), ui.enInput.value];
    const picture = await captureFrame(video);
    if (!picture) return undefined;
    return addSample(await tagNamed(zh, en), picture);
  };
  const start = (event) => {
    event.preventDefault();
    if (timer || !canCapture()) return;
    // Held until released, even if the page moves under the finger (a thumbnail or a button
    // appearing above): without pointer capture that move is a pointerleave, and the hold ends.
    if (event.pointerId !== undefined) ui.capture.setPointerCapture?.(event.pointerId);
    grab();
    timer = setInterval(grab, CAPTURE_EVERY_MS);
  };
  const stop = () => {
    clearInterval(timer);
    timer = null;
  };
  ui.capture.addEventListener('pointerdown', start);
  for (const type of ['pointerup', 'pointerleave', 'pointercancel', 'lostpointercapture']) ui.capture.addEventListener(type, stop);
  ui.capture.addEventListener('keydown', (event) => {
    if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      grab(); // held keys repeat: one frame per repeat
    }
  });

  ui.tagInput.addEventListener('input', refresh);
  ui.addTag.addEventListener('click', async () => {
    const zh = cleanTag(ui.tagInput.value);
    if (!zh) return;
    if (store.tags.some((tag) => sameName(tag.zh, zh))) {
      say.error(t('tagExists', { name: zh }));
      return;
    }
    say.error('');
    await store.addTag({ zh, en: ui.enInput.value.trim() });
    refresh();
  });
  ui.base.addEventListener('change', () => {
    store.setSetting('base', ui.base.value);
    keepBaseOffline(ui.base.value);
  });

  ui.exportButton.addEventListener('click', async () => {
    const entries = [];
    for (const tag of store.tags) {
      const folder = cleanTag(tag.zh) || `tag${tag.id}`;
      for (const [i, s] of store.samplesOf(tag.id).entries()) {
        const extension = s.blob.type === 'image/jpeg' ? 'jpg' : 'png';
        entries.push({ name: `${folder}/${String(i + 1).padStart(4, '0')}.${extension}`, bytes: new Uint8Array(await s.blob.arrayBuffer()) });
      }
    }
    const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(zip(entries)), download: 'camtag-samples.zip' });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  });

  ui.clearAll.addEventListener('click', async () => {
    const n = store.samples.length;
    if (!window.confirm(t('clearAllConfirm', { tags: store.tags.length, n }))) return;
    await store.clearSamples();
    [ui.tagInput.value, ui.enInput.value] = ['', ''];
    ui.skipped.hidden = true;
    refresh();
  });

  const training = createTrainingView({ engine, store, userModels, describer, base: () => ui.base.value, say, onChange: refresh });
  ui.panel.addEventListener('toggle', () => {
    refresh();
    if (ui.panel.open) keepBaseOffline(ui.base.value); // about to teach: offline too
  });
  if (store.tags.length) keepBaseOffline(ui.base.value); // taught before: keep teaching offline
  refresh();

  return {
    refresh,
    abandon: training.abandon,
    onLanguage: refresh,
  };
}
