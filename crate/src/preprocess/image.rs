//! A borrowed view of raw 8-bit pixels, validated once: what the browser hands over (RGBA from a
//! canvas) and what the native decoder produces (RGB).

use crate::error::{CamtagError, Result};

/// The largest picture camtag accepts, in pixels (a 50-megapixel photo). Anything larger is
/// almost certainly a mistake and would need gigabytes just to hold.
pub const MAX_PIXELS: u64 = 50_000_000;

/// How the bytes of one pixel are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelLayout {
    /// 3 bytes per pixel: red, green, blue.
    Rgb,
    /// 4 bytes per pixel: red, green, blue, alpha (alpha is ignored, as PIL's `convert("RGB")`).
    Rgba,
}

impl PixelLayout {
    /// Bytes per pixel.
    pub const fn channels(self) -> usize {
        match self {
            Self::Rgb => 3,
            Self::Rgba => 4,
        }
    }
}

/// Row-major 8-bit pixels with their size, checked to be consistent.
#[derive(Clone, Copy, Debug)]
pub struct ImageView<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    layout: PixelLayout,
}

impl<'a> ImageView<'a> {
    /// Checks that `data` holds exactly `width * height` pixels of `layout`.
    pub fn new(data: &'a [u8], width: u32, height: u32, layout: PixelLayout) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(CamtagError::Image(format!("the picture is empty ({width}x{height} pixels)")));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > MAX_PIXELS {
            return Err(CamtagError::Image(format!(
                "the picture is too large ({width}x{height} = {pixels} pixels; at most {MAX_PIXELS})"
            )));
        }
        let expected = pixels as usize * layout.channels();
        if data.len() != expected {
            return Err(CamtagError::Image(format!(
                "{width}x{height} {layout:?} needs {expected} bytes, got {}",
                data.len()
            )));
        }
        Ok(Self { data, width: width as usize, height: height as usize, layout })
    }

    /// RGBA bytes, as a canvas' `getImageData` gives them.
    pub fn rgba(data: &'a [u8], width: u32, height: u32) -> Result<Self> {
        Self::new(data, width, height, PixelLayout::Rgba)
    }

    /// RGB bytes, as a decoder gives them.
    pub fn rgb(data: &'a [u8], width: u32, height: u32) -> Result<Self> {
        Self::new(data, width, height, PixelLayout::Rgb)
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// Bytes per pixel (3 or 4).
    pub fn channels(&self) -> usize {
        self.layout.channels()
    }

    /// Row `y`'s pixels, `[width, channels]`.
    pub fn row(&self, y: usize) -> &'a [u8] {
        let len = self.width * self.layout.channels();
        &self.data[y * len..(y + 1) * len]
    }

    /// The value of channel `c` (0 = red, 1 = green, 2 = blue) at (`x`, `y`).
    #[inline]
    pub fn at(&self, x: usize, y: usize, c: usize) -> u8 {
        self.data[(y * self.width + x) * self.layout.channels() + c]
    }
}
