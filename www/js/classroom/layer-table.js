// The classroom's layer table: what each layer of the active model does to the picture, its
// output shape, parameters and multiply-accumulates, with totals (the numbers `camtag info`
// prints, computed by the same Rust code).

import { t } from '../page/i18n.js';

const KIND_KEYS = {
  conv: 'kindConv', depthwise: 'kindDepthwise', expand1x1: 'kindExpand', reduce1x1: 'kindReduce',
  residual_add: 'kindResidual', max_pool: 'kindMaxPool', global_avg_pool: 'kindGap', linear: 'kindLinear',
};

const group = (n) => n.toLocaleString('en-US');
const millions = (n) => (n ? `${(n / 1e6).toFixed(1)} M` : '–');

function kindText(layer) {
  const k = layer.kernel ? ` ${layer.kernel}×${layer.kernel}` : '';
  const stride = layer.stride > 1 ? ` /${layer.stride}` : '';
  const withKernel = ['conv', 'depthwise', 'max_pool'].includes(layer.kind);
  return `${t(KIND_KEYS[layer.kind] ?? layer.kind)}${withKernel ? k : ''}${stride}`;
}

/** Renders a summary `{input, layers}` into a <table>'s body and foot. */
export function renderLayerTable(table, summary) {
  const row = (cells, className) => {
    const tr = document.createElement('tr');
    if (className) tr.className = className;
    for (const [text, numeric] of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      if (numeric) td.className = 'num';
      tr.append(td);
    }
    return tr;
  };
  const body = table.tBodies[0] ?? table.createTBody();
  body.replaceChildren(...summary.layers.map((l) => {
    const tr = row([[l.name], [kindText(l)], [l.output.join('×'), true], [group(l.params), true], [millions(l.macs), true]]);
    tr.dataset.kind = l.kind;
    return tr;
  }));
  const params = summary.layers.reduce((n, l) => n + l.params, 0);
  const macs = summary.layers.reduce((n, l) => n + l.macs, 0);
  const foot = table.tFoot ?? table.createTFoot();
  foot.replaceChildren(row([[t('total')], [''], [summary.input.join('×'), true], [group(params), true], [millions(macs), true]], 'total'));
}
