//! Decoding a picture file into RGB bytes, with errors that name the file.

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, Result, bail};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder};

use crate::preprocess::MAX_PIXELS;

/// RGB pixels of a decoded picture.
pub struct Decoded {
    pub rgb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Decodes a picture file: PNG, JPEG, WebP, BMP or GIF (first frame) into 8-bit RGB, dropping
/// alpha the way PIL's `convert("RGB")` does, turned upright as its EXIF orientation says (a
/// phone's portrait photo is stored sideways with orientation 6), as the page's
/// `createImageBitmap` turns it. Refuses pictures over [`MAX_PIXELS`] before decoding them.
/// Errors name the file.
pub fn decode(path: &Path) -> Result<Decoded> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot open", path.display()))?;
    decode_bytes(&bytes).with_context(|| path.display().to_string())
}

/// [`decode`] for a picture already in memory (errors say what is wrong, not where).
pub fn decode_bytes(bytes: &[u8]) -> Result<Decoded> {
    if bytes.is_empty() {
        bail!("the file is empty");
    }
    let reader = || image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().context("cannot read");
    let probe = reader()?;
    let Some(format) = probe.format() else {
        bail!("not a picture camtag can read (PNG, JPEG, WebP, BMP, GIF)");
    };
    // The header's dimensions first: a small file can declare billions of pixels.
    let (width, height) = probe.into_dimensions().context("not a valid picture")?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        bail!("the picture is too large ({width}x{height}; at most {MAX_PIXELS} pixels)");
    }
    complete(bytes, format)?;
    let mut decoder = reader()?.into_decoder().context("not a valid picture")?;
    // An unreadable EXIF block leaves the picture as stored, as browsers do.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).context("not a valid picture")?;
    image.apply_orientation(orientation);
    let rgb = image.to_rgb8();
    Ok(Decoded { width: rgb.width(), height: rgb.height(), rgb: rgb.into_raw() })
}

/// Refuses a picture file that was cut short (a download stopped, a copy interrupted), as Pillow
/// does, where a decoder would fill what is missing with grey and tag the rest as if whole: a
/// JPEG needs its end-of-image marker after the first scan begins, a PNG its IEND chunk, a GIF its
/// trailer byte, a WebP all the bytes its RIFF header counts, a BMP all its pixel rows.
fn complete(bytes: &[u8], format: image::ImageFormat) -> Result<()> {
    use image::ImageFormat;
    let whole = match format {
        ImageFormat::Jpeg => jpeg_scan_ends(bytes),
        // The last chunk: length 0, "IEND", its CRC (AE 42 60 82).
        ImageFormat::Png => bytes.windows(8).rev().take(64).any(|w| w == b"IEND\xae\x42\x60\x82"),
        // The trailer 0x3B after the last block (zeros after it are padding).
        ImageFormat::Gif => bytes.iter().rev().find(|&&b| b != 0) == Some(&0x3b),
        // "RIFF", then the size of everything after those 8 bytes.
        ImageFormat::WebP => bytes.len() >= 12 && u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize + 8 <= bytes.len(),
        // The pixel rows end where the header's size says (bfSize at 2; rows start at bfOffBits,
        // 10, and take the rest): a file shorter than its header's size lacks rows.
        ImageFormat::Bmp => bytes.len() >= 6 && u32::from_le_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize <= bytes.len(),
        _ => true,
    };
    if !whole {
        bail!("the picture is truncated ({} bytes): the file was cut short", bytes.len());
    }
    Ok(())
}

/// Whether a JPEG's entropy-coded data ends with an end-of-image marker (FF D9). The segments
/// before the first scan are skipped by their lengths (an EXIF thumbnail inside APP1 has an EOI
/// of its own); within the scans, a data byte FF is always followed by 00, so FF D9 there is the
/// marker itself.
fn jpeg_scan_ends(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xff {
            return false;
        }
        let marker = bytes[i + 1];
        if marker == 0xff {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xda {
            return bytes[i..].windows(2).any(|w| w == [0xff, 0xd9]);
        }
        if (0xd0..=0xd7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        i += 2 + usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 96x64 picture with detail in every row (so that a cut anywhere loses some), encoded as
    /// each format the decoder takes.
    fn encoded() -> Vec<(image::ImageFormat, Vec<u8>)> {
        let picture = image::RgbImage::from_fn(96, 64, |x, y| image::Rgb([(x * 7 + y * 3) as u8, (x * y) as u8, (255 - y * 4) as u8]));
        [image::ImageFormat::Png, image::ImageFormat::Jpeg, image::ImageFormat::Gif, image::ImageFormat::WebP, image::ImageFormat::Bmp]
            .into_iter()
            .map(|format| {
                let mut out = Cursor::new(Vec::new());
                DynamicImage::ImageRgb8(picture.clone()).write_to(&mut out, format).unwrap();
                (format, out.into_inner())
            })
            .collect()
    }

    #[test]
    fn whole_pictures_of_every_format_decode() {
        for (format, bytes) in encoded() {
            let decoded = decode_bytes(&bytes).unwrap_or_else(|e| panic!("{format:?}: {e:#}"));
            assert_eq!((decoded.width, decoded.height), (96, 64), "{format:?}");
        }
    }

    /// Cut after any number of bytes, a picture of any format is refused, never tagged.
    #[test]
    fn a_picture_cut_anywhere_is_refused() {
        for (format, bytes) in encoded() {
            let n = bytes.len();
            // Every cut in the first 64 bytes (the headers), then 200 spread over the rest, and
            // the last 16 (a missing trailer).
            let cuts = (1..64.min(n)).chain((0..200).map(|k| 64 + k * (n - 64) / 200)).chain(n.saturating_sub(16)..n);
            for cut in cuts {
                let result = decode_bytes(&bytes[..cut]);
                assert!(result.is_err(), "{format:?} cut at {cut} of {n} bytes was decoded");
            }
        }
    }

    #[test]
    fn a_jpeg_cut_inside_its_scan_says_it_is_truncated() {
        let (_, jpeg) = encoded().into_iter().find(|(f, _)| *f == image::ImageFormat::Jpeg).unwrap();
        let message = format!("{:#}", decode_bytes(&jpeg[..jpeg.len() * 2 / 3]).err().unwrap());
        assert!(message.contains("truncated"), "{message}");
        // Bytes after the end-of-image marker (some cameras append data) are no truncation.
        let mut padded = jpeg.clone();
        padded.extend_from_slice(b"trailing data a camera wrote");
        assert!(decode_bytes(&padded).is_ok());
    }
}
