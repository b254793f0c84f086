// The classroom's architecture comparison: every model the page offers, and the lesson's
// networks that ship without weights (VGG, GoogLeNet, ResNet), side by side: parameters and
// multiply-adds at 224 px as published (from `camtag info`, via models/index.json), ImageNet top-1
// from each bundle's manifest, and milliseconds per frame measured here, on this device, on the
// current frame (each network in a worker of its own, so the page's model is left alone). VGG-16
// is timed by its convolutions (marked *): its fully connected head is too large for a page.

import { Engine, copyOfFrame } from '../page/engine.js';
import { t } from '../page/i18n.js';
import { modelUrl } from '../page/model-list.js';

const millions = (n) => `${(n / 1e6).toFixed(1)} M`;
const billions = (n) => `${(n / 1e9).toFixed(2)} G`;

/** Rows `{key, name, params, macs, top1, ms}` for the index (measured fields null for now). */
export function comparisonRows(index) {
  return [
    ...index.models.map((m) => ({ key: m.file, name: m.name, params: m.params, macs: m.macs, top1: null, ms: null, bundle: true })),
    ...(index.zoo ?? []).map((z) => ({
      key: z.arch, name: z.name, params: z.params, macs: z.macs, top1: null, ms: null, bundle: false, timed: z.timed ?? null,
    })),
  ];
}

export function renderComparison(table, rows) {
  const body = table.tBodies[0] ?? table.createTBody();
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.key = r.key;
    const cells = [
      r.name,
      millions(r.params),
      billions(r.macs),
      r.top1 == null ? (r.bundle ? '…' : t('noWeights')) : `${r.top1.toFixed(1)}%`,
      r.ms == null ? '…' : `${Math.round(r.ms)} ms${r.timed ? ' *' : ''}`,
    ];
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (i > 0) td.className = 'num';
      tr.append(td);
    });
    return tr;
  }));
}

/**
 * Times every row on `frame`, each in a worker of its own: a bundle as the page would load it, a
 * lesson network without weights as its architecture with random weights (the time of a forward
 * pass does not depend on the values of the weights). One warm-up run (shader compilation, first
 * allocations), then up to three timed runs, fewer when one run takes seconds (VGG-16 on a CPU);
 * fills `top1` (bundles only) and `ms` (the median).
 */
export async function measure(rows, frame, backend, onRow) {
  for (const row of rows) {
    const engine = new Engine();
    try {
      // A network too large for a page (VGG-16's fully connected head) is timed by its trunk.
      const { manifest } = await engine.load(row.bundle ? { url: modelUrl(row.key) } : { arch: row.timed ?? row.key }, backend);
      row.top1 = manifest.accuracy?.top1 ?? null;
      const run = async () => (await engine.classify(copyOfFrame(frame), 5)).result.totalMs;
      const warmup = await run();
      const times = [];
      const budgetMs = 6000;
      let spent = 0;
      while (times.length < 3 && (times.length === 0 || spent + warmup < budgetMs)) {
        const ms = await run();
        times.push(ms);
        spent += ms;
      }
      row.ms = times.sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)];
    } finally {
      engine.close();
    }
    onRow();
  }
}
