// The classroom's live feature maps: the channels after a chosen layer, each as a small heat map
// (its own minimum dark, maximum bright), so students see what early channels respond to (edges,
// colours) and how later ones get coarser and more abstract.

/** Draws `maps` ({shape: [c, h, w], channels, data}) as a grid of tiles on `canvas`. */
export function drawFeatureMaps(canvas, maps) {
  const [, h, w] = maps.shape;
  const n = maps.channels;
  const columns = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / columns);
  const scale = Math.max(1, Math.floor(96 / Math.max(h, w)));
  const gap = 2;
  canvas.width = columns * (w * scale + gap);
  canvas.height = rows * (h * scale + gap);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const tile = new ImageData(w, h);
  const scratch = new OffscreenCanvas(w, h);
  for (let c = 0; c < n; c += 1) {
    const values = maps.data.slice(c * h * w, (c + 1) * h * w);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const range = hi - lo || 1;
    for (let i = 0; i < values.length; i += 1) {
      const [r, g, b] = heat((values[i] - lo) / range);
      tile.data.set([r, g, b, 255], i * 4);
    }
    scratch.getContext('2d').putImageData(tile, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const x = (c % columns) * (w * scale + gap);
    const y = Math.floor(c / columns) * (h * scale + gap);
    ctx.drawImage(scratch, x, y, w * scale, h * scale);
  }
}

/** Dark blue → teal → yellow, a perceptually ordered ramp (after viridis' end points). */
function heat(t) {
  const stops = [[68, 1, 84], [33, 145, 140], [253, 231, 37]];
  const s = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(s));
  const f = s - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
}
