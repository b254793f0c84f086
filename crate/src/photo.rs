//! Decoding a picture file into RGB bytes, with errors that name the file.

use std::path::Path;

use anyhow::{Context, Result, bail};
use crate::preprocess::MAX_PIXELS;

/// RGB pixels of a decoded picture.
pub struct Decoded {
    pub rgb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Decodes PNG, JPEG, WebP, BMP or GIF (first frame) into 8-bit RGB, dropping alpha the way
/// PIL's `convert("RGB")` does. Refuses pictures over [`MAX_PIXELS`] before decoding them.
pub fn decode(path: &Path) -> Result<Decoded> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
        bail!("{}: the file is empty", path.display());
    }
    let reader = image::ImageReader::open(path)
        .with_context(|| format!("{}: cannot open", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if reader.format().is_none() {
        bail!("{}: not a picture camtag can read (PNG, JPEG, WebP, BMP, GIF)", path.display());
    }
    let (width, height) = reader
        .into_dimensions()
        .with_context(|| format!("{}: not a valid picture", path.display()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        bail!("{}: the picture is too large ({width}x{height}; at most {MAX_PIXELS} pixels)", path.display());
    }
    let image = image::ImageReader::open(path)?
        .with_guessed_format()?
        .decode()
        .with_context(|| format!("{}: not a valid picture", path.display()))?;
    let rgb = image.to_rgb8();
    Ok(Decoded { width: rgb.width(), height: rgb.height(), rgb: rgb.into_raw() })
}
