// "Where it looks": the class activation map of the top tag (or the tag picked in the list),
// drawn over the camera or the picture as a translucent heat map with a legend. The map comes
// with the frame's own result (one forward pass, crate/src/cam.rs): for a network that ends in
// global average pooling and one linear layer, logit = bias + mean of the map, so each cell says
// how much that place adds to the tag's score. Drawn over the square the network saw (the centre
// crop, which the result gives in the frame's pixels: the geometry is the Rust preprocessing's),
// where the frame is shown (object-fit: contain).

/** Five stops of matplotlib's `inferno` (at 0, ¼, ½, ¾, 1), as `camtag cam` draws them. */
const INFERNO = [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]];

/** `inferno(t)` for t in 0..1: [r, g, b]. */
export function inferno(t) {
  const x = Math.min(1, Math.max(0, t)) * 4;
  const i = Math.min(3, Math.floor(x));
  const f = x - i;
  return INFERNO[i].map((c, k) => c * (1 - f) + INFERNO[i + 1][k] * f);
}

/** The map's cells as RGBA, scaled from its minimum (dark) to its maximum (bright), half opaque. */
function cells(map) {
  const [h, w] = map.shape;
  let [min, max] = [Infinity, -Infinity];
  for (const v of map.values) [min, max] = [Math.min(min, v), Math.max(max, v)];
  const span = Math.max(max - min, 1e-6);
  const rgba = new Uint8ClampedArray(w * h * 4);
  map.values.forEach((v, i) => {
    rgba.set([...inferno((v - min) / span), 150], i * 4);
  });
  return new ImageData(rgba, w, h);
}

/**
 * Draws `map` on `canvas` (laid over an element showing a `frame.width` x `frame.height` frame,
 * object-fit: contain), over `crop` (`[left, top, width, height]` in the frame's pixels, the
 * square the network saw); `map` null clears it.
 */
export function drawMap(canvas, map, frame, crop) {
  const ratio = globalThis.devicePixelRatio || 1;
  const [cw, ch] = [Math.round(canvas.clientWidth * ratio), Math.round(canvas.clientHeight * ratio)];
  if (canvas.width !== cw || canvas.height !== ch) [canvas.width, canvas.height] = [cw, ch];
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, cw, ch);
  if (!map || !cw || !ch) return;
  const fit = Math.min(cw / frame.width, ch / frame.height);
  const [ox, oy] = [(cw - frame.width * fit) / 2, (ch - frame.height * fit) / 2];
  const [left, top, width, height] = crop;
  const small = new OffscreenCanvas(map.shape[1], map.shape[0]);
  small.getContext('2d').putImageData(cells(map), 0, 0);
  context.imageSmoothingEnabled = true; // the browser's bilinear upsampling, as `camtag cam --out`
  context.imageSmoothingQuality = 'high';
  context.drawImage(small, ox + left * fit, oy + top * fit, width * fit, height * fit);
}

/**
 * The control: a checkbox turns the map on; a click on a tag in the list picks whose map (again:
 * back to the top tag); `onChange()` then (a picture is tagged again). `request()` says what to
 * ask the worker for; `show(result, frame)` draws the result's map over its crop and names its
 * tag in the legend.
 */
export function createWhereItLooks({ toggle, canvas, legend, legendTag, results, onChange = () => {} }) {
  let picked = null; // an output index, or null for the top tag
  let last = null;
  const redraw = () => last && show(...last);

  function show(result, frame) {
    last = [result, frame];
    const on = toggle.checked && Boolean(result?.map);
    legend.hidden = !on;
    canvas.hidden = !on;
    if (!on) return drawMap(canvas, null);
    drawMap(canvas, result.map, frame, result.crop);
    legendTag.textContent = `${result.map.zh} ${result.map.en === result.map.zh ? '' : result.map.en}`.trim();
    canvas.dataset.index = String(result.map.index);
    for (const li of results.children) li.classList.toggle('mapped', li.dataset.index === String(result.map.index));
  }

  toggle.addEventListener('change', () => {
    if (!toggle.checked) picked = null;
    redraw();
    onChange();
  });
  results.addEventListener('click', (event) => {
    const li = event.target.closest('li[data-index]');
    if (!li || !toggle.checked) return;
    const index = Number(li.dataset.index);
    picked = picked === index ? null : index;
    onChange();
  });
  globalThis.addEventListener?.('resize', redraw);

  return {
    /** What a classification should also compute: `{map: false}` or `{map: true, tag}`. */
    request: () => (toggle.checked ? { map: true, tag: picked } : { map: false }),
    show,
    /** The stage changes source: the map of the last frame no longer lies over it. */
    clear: () => show(null, null),
    /** The model changed: its tags mean other things. */
    reset: () => {
      picked = null;
      last = null;
      drawMap(canvas, null);
    },
  };
}
