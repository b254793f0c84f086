// The results panel: top-5 with Chinese and English names, a bar each, and the timings.

const percent = (p) => `${(p * 100).toFixed(1)}%`;

/** Renders `{predictions, totalMs, backend}` into the panel. */
export function renderResults(list, classification) {
  const items = classification.predictions.map((p) => {
    const li = document.createElement('li');
    li.dataset.index = String(p.index);
    li.dataset.prob = String(p.prob);
    const name = document.createElement('div');
    name.className = 'name';
    const label = document.createElement('span');
    const zh = Object.assign(document.createElement('span'), { className: 'zh', textContent: p.zh });
    const en = Object.assign(document.createElement('span'), { className: 'en', textContent: ` ${p.en}`, lang: 'en' });
    label.append(zh, en);
    const value = Object.assign(document.createElement('span'), { className: 'prob', textContent: percent(p.prob) });
    name.append(label, value);
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('role', 'presentation');
    const fill = document.createElement('span');
    fill.style.width = percent(p.prob);
    bar.append(fill);
    li.append(name, bar);
    return li;
  });
  list.replaceChildren(...items);
}

/** Median of the last `n` values, for a steady ms-per-frame readout. */
export function rollingMedian(n) {
  const values = [];
  return (v) => {
    values.push(v);
    if (values.length > n) values.shift();
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
}
