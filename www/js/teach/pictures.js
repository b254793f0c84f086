// Samples' pictures: a camera frame captured, or a picture file decoded (turned upright by its
// EXIF orientation, as the CLI does), each as three things: the pixels to describe (RGBA, at most
// MAX_SIDE a side: the network sees 224 px anyway, and a phone photo's 48 MB of RGBA need not
// cross to the worker), the picture to keep (PNG, or the file itself where it is a PNG or JPEG:
// what the zip export hands `camtag train`) and a small JPEG thumbnail for the panel.

const MAX_SIDE = 1024;
const THUMB_HEIGHT = 72;

const canvasOf = (width, height) => Object.assign(document.createElement('canvas'), { width, height });
const blobOf = (canvas, type, quality) => new Promise((ok, fail) => canvas.toBlob((b) => (b ? ok(b) : fail(new Error('encoding failed'))), type, quality));

/** A small JPEG of `source` (anything drawable) of `width` x `height` pixels. */
function thumbnailOf(source, width, height) {
  const scale = THUMB_HEIGHT / height;
  const canvas = canvasOf(Math.max(1, Math.round(width * scale)), THUMB_HEIGHT);
  canvas.getContext('2d').drawImage(source, 0, 0, canvas.width, canvas.height);
  return blobOf(canvas, 'image/jpeg', 0.7);
}

/** `source`'s pixels at most MAX_SIDE a side, as ImageData. */
function pixelsOf(source, width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = canvasOf(Math.round(width * scale), Math.round(height * scale));
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return { canvas, image: context.getImageData(0, 0, canvas.width, canvas.height) };
}

/**
 * What `video` shows now: resolves to `{image, blob, thumb}` (`blob` a PNG of the full frame), or
 * null when it has no frame.
 */
export async function captureFrame(video) {
  const { videoWidth: width, videoHeight: height } = video;
  if (!width || !height) return null;
  const canvas = canvasOf(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(video, 0, 0);
  const image = width <= MAX_SIDE && height <= MAX_SIDE ? context.getImageData(0, 0, width, height) : pixelsOf(canvas, width, height).image;
  const [blob, thumb] = await Promise.all([blobOf(canvas, 'image/png'), thumbnailOf(canvas, width, height)]);
  return { image, blob, thumb };
}

/** Whether a file may be a picture: an image type, and not empty. */
export const mayBePicture = (file) => file.size > 0 && (file.type ?? '').startsWith('image/');

/**
 * Decodes a picture file (or Blob), upright. Resolves to `{image, blob, thumb}`, or null where it
 * is not a picture the browser can read (the caller counts it as skipped).
 */
export async function decodeFile(file) {
  if (!mayBePicture(file)) return null;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return null;
  }
  try {
    const { width, height } = bitmap;
    const { canvas, image } = pixelsOf(bitmap, width, height);
    const keep = file.type === 'image/png' || file.type === 'image/jpeg' ? file : await blobOf(canvas, 'image/png');
    // A File keeps its name and date in IndexedDB too; a plain Blob of the same bytes is enough.
    const blob = keep instanceof File ? new Blob([keep], { type: keep.type }) : keep;
    return { image, blob, thumb: await thumbnailOf(bitmap, width, height) };
  } finally {
    bitmap.close();
  }
}

/** A stored sample's pixels again (to describe it under another base network). */
export async function pixelsOfBlob(blob) {
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  try {
    return pixelsOf(bitmap, bitmap.width, bitmap.height).image;
  } finally {
    bitmap.close();
  }
}
