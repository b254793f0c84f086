// The Teach panel's training: the Train button (what makes the tags untrainable is said first,
// naming the tag to fix), the live curve (teach/curve.js) and the cancel button, then the
// validation top-1 and each tag's train/valid counts; the model is saved as the user's and runs
// at once. Another model asked for meanwhile abandons the training; the samples stay either way.

import { byId as $ } from '../page/elements.js';
import { explain, setLabel, t } from '../page/i18n.js';
import { drawCurve } from './curve.js';
import { trainOn, untrainable } from './trainer.js';

const make = (name, props = {}) => Object.assign(document.createElement(name), props);
const round = (x) => (Number.isFinite(x) ? Number(x.toFixed(1)) : '—');

/**
 * `describer`: the panel's (its queue is drained first); `base()`: the chosen base network;
 * `say.{status,error}(text)`; `onChange()`: the panel redraws. Returns `refresh()` and `abandon()`.
 */
export function createTrainingView({ engine, store, userModels, describer, base, say, onChange }) {
  const ui = {
    train: $('train'), cancel: $('train-cancel'), curve: $('teach-curve'), report: $('teach-report'),
    download: $('model-download'), remove: $('model-remove'), modelSelect: $('model-select'),
  };
  let controller = null; // the training running, if any

  const curveLabels = () => ({ train: t('curveTrainLoss'), valid: t('curveValidLoss'), top1: t('curveValidTop1') });

  function showReport(report, tags) {
    const top1 = report.valid?.top1;
    const head = make('p', { className: 'teach-top1' });
    head.textContent = t('trainedReport', {
      top1: round(top1), kept: report.keptEpoch ?? '—', run: report.epochsRun ?? '—', early: report.stoppedEarly ? t('stoppedEarly') : '',
    });
    const table = make('table', { className: 'per-tag' });
    const header = make('tr');
    for (const key of ['tag', 'trainSamples', 'validSamples']) {
      const th = make('th');
      setLabel(th, key);
      header.append(th);
    }
    table.append(header);
    (report.tags ?? tags).forEach((tag, i) => {
      const row = make('tr');
      row.dataset.tag = tag.zh;
      const counts = report.perTag?.[i] ?? {};
      row.append(make('td', { textContent: tag.en && tag.en !== tag.zh ? `${tag.zh} ${tag.en}` : tag.zh }), make('td', { textContent: String(counts.train ?? '—') }), make('td', { textContent: String(counts.valid ?? '—') }));
      table.append(row);
    });
    ui.report.dataset.top1 = String(top1);
    ui.report.replaceChildren(head, table);
    ui.report.hidden = false;
  }

  async function train() {
    say.error('');
    const tags = store.tags;
    const problem = untrainable(tags, (id) => store.samplesOf(id).length);
    if (problem) {
      say.error(explain(problem));
      return;
    }
    const clicked = performance.now();
    controller = new AbortController();
    const { signal } = controller;
    const which = base();
    ui.train.disabled = true;
    ui.cancel.hidden = false;
    ui.report.hidden = true;
    delete ui.report.dataset.ms;
    const records = [];
    ui.curve.removeAttribute('hidden'); // an SVG element has no `hidden` property
    drawCurve(ui.curve, records, curveLabels());
    try {
      if (describer.pending) say.status(t('describing', { n: describer.pending }));
      await describer.drain();
      const name = tags.map((tag) => tag.zh.trim()).join(' · ');
      const { bundle, report, tags: named } = await trainOn({
        engine, store, base: which, tags, name, signal,
        onDescribe: (i, n) => say.status(t('describingAll', { i: i + 1, n })),
        onEpoch: (record) => {
          records.push(record);
          drawCurve(ui.curve, records, curveLabels());
          say.status(t('trainingEpoch', { epoch: record.epoch, epochs: record.epochs, top1: round(record.valid?.top1) }));
        },
      });
      controller = null; // done: loading its model below is no switch away from it
      const { model } = await userModels.save(bundle, { name, tags: named, top1: report.valid?.top1 ?? null, base: which });
      showReport(report, named);
      await userModels.use(model);
      ui.report.dataset.ms = String(Math.round(performance.now() - clicked));
      say.status(t('trainedActive', { name: model.name }));
    } catch (e) {
      if (e?.key === 'trainCancelled' || signal.aborted) say.status(t(signal.reason === 'switch' ? 'trainAbandoned' : 'trainCancelled'));
      else say.error(explain(e));
    } finally {
      controller = null;
      ui.train.disabled = false;
      ui.cancel.hidden = true;
      onChange();
    }
  }

  ui.train.addEventListener('click', train);
  ui.cancel.addEventListener('click', () => controller?.abort('cancel'));
  ui.download.addEventListener('click', () => {
    const model = userModels.selected();
    if (model) userModels.download(model);
  });
  ui.remove.addEventListener('click', async () => {
    const model = userModels.selected();
    if (model && (await userModels.remove(model))) say.status(t('modelRemoved', { name: model.name }));
    onChange();
  });
  const mine = () => {
    ui.download.disabled = !userModels.selected();
    ui.remove.disabled = ui.download.disabled;
  };
  ui.modelSelect.addEventListener('change', mine);

  return {
    running: () => controller !== null,
    refresh: mine,
    /** Another model was asked for: a training running stops (its samples stay). */
    abandon: () => controller?.abort('switch'),
  };
}
