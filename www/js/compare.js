// The classroom's architecture comparison: every model the page offers, and the lesson's
// networks that ship without weights (VGG, GoogLeNet, ResNet), side by side: parameters and
// multiply-adds at 224 px (from `camtag info`, via models/index.json), ImageNet top-1 from each
// bundle's manifest, and milliseconds per frame measured here, on this device, on the current
// frame (each bundle in a worker of its own, so the page's model is left alone).

import { Engine } from './engine.js';
import { t } from './i18n.js';
import { modelUrl } from './models.js';

const millions = (n) => `${(n / 1e6).toFixed(1)} M`;
const billions = (n) => `${(n / 1e9).toFixed(2)} G`;

/** Rows `{key, name, params, macs, top1, ms}` for the index (measured fields null for now). */
export function comparisonRows(index) {
  return [
    ...index.models.map((m) => ({ key: m.file, name: m.name, params: m.params, macs: m.macs, top1: null, ms: null, bundle: true })),
    ...(index.zoo ?? []).map((z) => ({ key: z.arch, name: z.name, params: z.params, macs: z.macs, top1: null, ms: null, bundle: false })),
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
      r.ms == null ? (r.bundle ? '…' : '–') : `${Math.round(r.ms)} ms`,
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

/** Loads each bundle in its own worker and times three runs on `frame`; fills `top1` and `ms`. */
export async function measure(rows, frame, backend, onRow) {
  for (const row of rows.filter((r) => r.bundle)) {
    const engine = new Engine();
    try {
      const { manifest } = await engine.load({ url: modelUrl(row.key) }, backend);
      row.top1 = manifest.accuracy?.top1 ?? null;
      const times = [];
      for (let i = 0; i < 4; i += 1) {
        const copy = new ImageData(new Uint8ClampedArray(frame.data), frame.width, frame.height);
        const { result } = await engine.classify(copy, 5);
        if (i > 0) times.push(result.totalMs); // the first run compiles shaders / warms up
      }
      row.ms = times.sort((a, b) => a - b)[1];
    } finally {
      engine.close();
    }
    onRow();
  }
}
