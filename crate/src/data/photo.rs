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
    if probe.format().is_none() {
        bail!("not a picture camtag can read (PNG, JPEG, WebP, BMP, GIF)");
    }
    // The header's dimensions first: a small file can declare billions of pixels.
    let (width, height) = probe.into_dimensions().context("not a valid picture")?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        bail!("the picture is too large ({width}x{height}; at most {MAX_PIXELS} pixels)");
    }
    let mut decoder = reader()?.into_decoder().context("not a valid picture")?;
    // An unreadable EXIF block leaves the picture as stored, as browsers do.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).context("not a valid picture")?;
    image.apply_orientation(orientation);
    let rgb = image.to_rgb8();
    Ok(Decoded { width: rgb.width(), height: rgb.height(), rgb: rgb.into_raw() })
}
