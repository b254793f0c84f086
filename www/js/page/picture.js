// Pictures from outside the camera: a chosen file, a dropped file, a pasted image. Each becomes
// full-resolution RGBA (the same pixels `camtag classify` would decode), drawn on the stage and
// tagged. A .camtag file chosen, dropped or pasted the same way is a model to load.

import { explain } from './i18n.js';
import { headerSize, isWhole } from './picture-header.js';
import { setToggle, showOnStage } from './stage.js';
import { Problem } from '../shared/problem.js';

/** Must match camtag's MAX_PIXELS (crate/src/preprocess/image.rs). */
const MAX_PIXELS = 50_000_000;

/** Decodes an image File/Blob into ImageData, drawing it on `canvas`. Throws a Problem. */
export async function decodePicture(blob, canvas) {
  if (blob.size === 0) throw new Problem('emptyFile', { name: blob.name || 'image' });
  // Read once: the header's size and whether the file is whole come from the same bytes.
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const declared = headerSize(bytes);
  if (declared && declared.width * declared.height > MAX_PIXELS) {
    throw new Problem('tooLarge', { size: `${declared.width}x${declared.height}`, max: MAX_PIXELS / 1e6 });
  }
  if (!isWhole(bytes)) throw new Problem('truncatedPicture', { name: blob.name || 'image', bytes: blob.size.toLocaleString('en') });
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new Problem('cannotRead', { name: blob.name || 'image' });
  }
  const { width, height } = bitmap;
  if (width * height > MAX_PIXELS) {
    bitmap.close();
    throw new Problem('tooLarge', { size: `${width}x${height}`, max: MAX_PIXELS / 1e6 });
  }
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return context.getImageData(0, 0, width, height);
}

/** What a dropped or pasted file is, by type and name. */
export function kindOf(file) {
  if (file.name?.toLowerCase().endsWith('.camtag')) return 'model';
  if (file.type.startsWith('image/')) return 'picture';
  return 'unknown';
}

/**
 * Calls `onFile(file)` for files dropped anywhere on the page or pasted, and marks `zone`
 * while something is dragged over the page.
 */
export function acceptFiles(zone, onFile) {
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  window.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    zone.classList.add('dragging');
  });
  window.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) zone.classList.remove('dragging');
  });
  window.addEventListener('drop', (event) => {
    zone.classList.remove('dragging');
    if (!hasFiles(event)) return;
    event.preventDefault();
    const [file] = event.dataTransfer.files;
    if (file) onFile(file);
  });
  window.addEventListener('paste', (event) => {
    const file = [...(event.clipboardData?.files ?? [])][0];
    if (file) {
      event.preventDefault();
      onFile(file);
    }
  });
}

/**
 * Takes pictures from `ui.fileInput`, drops and pastes: the camera stops, the picture is shown on
 * the stage and tagged. A model file goes to `onModelFile(file)`.
 */
export function setupPictures({ ui, camera, tagging, messages, onModelFile }) {
  async function show(file) {
    camera.stop();
    tagging.newSource();
    tagging.takeDown(); // the camera's tags do not describe the picture
    setToggle(ui, 'startCamera');
    messages.error('');
    try {
      const image = await decodePicture(file, ui.picture);
      showOnStage(ui, 'picture');
      await tagging.classify(image);
    } catch (e) {
      messages.error(explain(e));
    }
  }

  function onFile(file) {
    const kind = kindOf(file);
    if (kind === 'picture') show(file);
    else if (kind === 'model') onModelFile(file);
    else messages.error(explain(new Problem('notPictureNorModel', { name: file.name })));
  }

  ui.fileInput.addEventListener('change', () => {
    const [file] = ui.fileInput.files;
    if (file) onFile(file);
    ui.fileInput.value = '';
  });
  acceptFiles(ui.stage, onFile);
}
