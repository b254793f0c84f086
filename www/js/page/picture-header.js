// A picture's width and height read from its header, before anything decodes it: a 20000 x 20000
// PNG is a few hundred kilobytes on disk but 1.6 GB once decoded, so its size is checked first
// (as `camtag classify` does). PNG, JPEG, GIF and WebP; other formats (BMP, AVIF…) return null
// and are checked after decoding.

const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b, i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const ascii = (b, i, n) => String.fromCharCode(...b.subarray(i, i + n));

/** `{width, height}` from the first bytes of a PNG (IHDR, the first chunk by the PNG spec). */
function png(b) {
  if (b.length < 24 || b[0] !== 0x89 || ascii(b, 1, 3) !== 'PNG' || ascii(b, 12, 4) !== 'IHDR') return null;
  return { width: u32be(b, 16), height: u32be(b, 20) };
}

/** JPEG: walks the marker segments to the first start-of-frame (SOF0–SOF15 but DHT, JPG, DAC). */
function jpeg(b) {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; } // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { i += 2; continue; }
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return { height: u16be(b, i + 5), width: u16be(b, i + 7) };
    }
    i += 2 + u16be(b, i + 2);
  }
  return null;
}

function gif(b) {
  if (b.length < 10 || ascii(b, 0, 4) !== 'GIF8') return null;
  return { width: u16le(b, 6), height: u16le(b, 8) };
}

/** WebP: lossy (VP8), lossless (VP8L) or extended (VP8X) headers. */
function webp(b) {
  if (b.length < 30 || ascii(b, 0, 4) !== 'RIFF' || ascii(b, 8, 4) !== 'WEBP') return null;
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === 'VP8L') {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ') return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  return null;
}

/** The picture's `{width, height}` from its header (`bytes`, the file's), or null when the format is not one of these. */
export function headerSize(bytes) {
  return png(bytes) ?? jpeg(bytes) ?? gif(bytes) ?? webp(bytes);
}

/**
 * Whether a picture file (`b`, its bytes) is whole, by the rules camtag's decoder applies
 * (crate/src/data/photo.rs `complete`): a browser decodes a file cut short without a word, grey
 * where the data stops, and the page would tag it as if whole. A JPEG needs its end-of-image
 * marker after its first scan begins, a PNG its IEND chunk, a GIF its trailer, a WebP all the
 * bytes its RIFF header counts, a BMP all the bytes its header says. Other formats: true.
 */
export function isWhole(b) {
  const u32le = (i) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
  if (b[0] === 0xff && b[1] === 0xd8) return jpegScanEnds(b);
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG') {
    const iend = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
    for (let i = b.length - 8; i >= Math.max(0, b.length - 72); i--) if (iend.every((v, k) => b[i + k] === v)) return true;
    return false;
  }
  if (b.length >= 6 && ascii(b, 0, 4) === 'GIF8') {
    let last = b.length - 1;
    while (last > 0 && b[last] === 0) last--;
    return b[last] === 0x3b;
  }
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return u32le(4) + 8 <= b.length;
  if (b.length >= 6 && b[0] === 0x42 && b[1] === 0x4d) return u32le(2) <= b.length;
  return true;
}

/** A JPEG's scans end with FF D9 (segments before the first scan skipped by their lengths). */
function jpegScanEnds(b) {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return false;
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; }
    if (marker === 0xda) {
      for (let k = i; k + 1 < b.length; k++) if (b[k] === 0xff && b[k + 1] === 0xd9) return true;
      return false;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { i += 2; continue; }
    i += 2 + u16be(b, i + 2);
  }
  return false;
}
