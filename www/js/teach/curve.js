// The training curve, drawn live as inline SVG: the training and validation loss (left scale,
// from 0 to the highest loss seen) and the validation top-1 accuracy (right scale, 0-100 %), one
// point per epoch, and a mark at the epoch whose head is kept (the lowest validation loss).

const SVG = 'http://www.w3.org/2000/svg';
const [W, H, PAD] = [320, 160, 24];

const node = (name, attributes = {}) => {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  return el;
};

/**
 * Draws `records` (the `onEpoch` records so far: `{epoch, epochs, train: {loss}, valid: {loss,
 * top1}, best}`) into `svg`, replacing what it showed; `labels` names the three lines.
 */
export function drawCurve(svg, records, labels = { train: 'train loss', valid: 'valid loss', top1: 'valid top-1' }) {
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.replaceChildren();
  const epochs = Math.max(2, records.at(-1)?.epochs ?? 2);
  const maxLoss = Math.max(1e-6, ...records.flatMap((r) => [r.train.loss, r.valid.loss].filter(Number.isFinite)));
  const x = (epoch) => PAD + ((epoch - 1) / (epochs - 1)) * (W - 2 * PAD);
  const y = (fraction) => H - PAD + fraction * -(H - 2 * PAD);
  svg.append(node('rect', { x: PAD, y: PAD, width: W - 2 * PAD, height: H - 2 * PAD, class: 'frame' }));
  const line = (values, className, scale) => {
    const points = records.map((r, i) => [x(r.epoch), y(values[i] / scale)]).filter(([, py]) => Number.isFinite(py));
    if (!points.length) return;
    svg.append(node('polyline', { points: points.map((p) => p.map((v) => v.toFixed(1)).join(',')).join(' '), class: className }));
  };
  line(records.map((r) => r.train.loss), 'train', maxLoss);
  line(records.map((r) => r.valid.loss), 'valid', maxLoss);
  line(records.map((r) => r.valid.top1), 'top1', 100);
  const best = records.at(-1)?.best;
  if (best) svg.append(node('line', { x1: x(best), x2: x(best), y1: PAD, y2: H - PAD, class: 'best' }));
  const text = (content, attributes) => {
    const t = node('text', attributes);
    t.textContent = content;
    svg.append(t);
  };
  text(maxLoss.toFixed(2), { x: 2, y: PAD + 4, class: 'axis' });
  text('100%', { x: W - PAD + 2, y: PAD + 4, class: 'axis' });
  text(labels.train, { x: PAD, y: 14, class: 'train' });
  text(labels.valid, { x: PAD + 100, y: 14, class: 'valid' });
  text(labels.top1, { x: PAD + 200, y: 14, class: 'top1' });
  text(`${records.at(-1)?.epoch ?? 0} / ${epochs}`, { x: W - PAD, y: H - 6, class: 'axis', 'text-anchor': 'end' });
  svg.dataset.epochs = String(records.length);
}
