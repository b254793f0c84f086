//! The one preprocessing path, shared by the CLI, the tests, training and the browser: raw 8-bit
//! pixels in, a normalized `[3, crop, crop]` float tensor out.
//!
//! It reproduces torchvision's ImageNet evaluation transform on a PIL image
//! (`Resize(256)`, `CenterCrop(224)`, `ToTensor()`, `Normalize(mean, std)`; source:
//! torchvision `transforms/transforms.py` and `transforms/functional.py`), so that weights trained
//! with torchvision see exactly the input they were trained for.

mod augment;
mod image;
mod resample;
pub mod rng;

pub use augment::Augmentation;
pub use image::{ImageView, MAX_PIXELS, PixelLayout};
pub use resample::{Resampler, Window, resize, resize_window};

use serde::{Deserialize, Serialize};

use crate::error::{CamtagError, Result};

/// How a model wants its input: stored in every bundle's manifest (camelCase keys, as all of
/// camtag's JSON; bundles written before that used snake_case, still read).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preprocessing {
    /// The shorter side is resized to this many pixels (bilinear, aspect ratio kept).
    #[serde(alias = "resize_shorter")]
    pub resize_shorter: u32,
    /// Then a centred square of this side is cut out.
    pub crop: u32,
    /// Per-channel mean (RGB), subtracted after scaling pixels to 0..1.
    pub mean: [f32; 3],
    /// Per-channel standard deviation (RGB), divided by after the mean.
    pub std: [f32; 3],
}

impl Preprocessing {
    /// torchvision's ImageNet evaluation transform. Mean and std: torchvision
    /// `models/_api.py` / `transforms._presets.ImageClassification` defaults.
    pub fn imagenet() -> Self {
        Self { resize_shorter: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }
    }

    /// The same transform scaled to a `crop` x `crop` input, keeping ImageNet's 256 : 224 ratio
    /// of resize to crop (e.g. 64 → resize 73, crop 64), for networks trained at other sizes.
    pub fn for_size(crop: u32) -> Self {
        let resize_shorter = (f64::from(crop) * 256.0 / 224.0).round() as u32;
        Self { resize_shorter, crop, ..Self::imagenet() }
    }

    /// Checks the numbers make sense (a manifest is user input).
    pub fn validate(&self) -> Result<()> {
        let bad = |why: String| Err(CamtagError::Manifest(format!("preprocessing: {why}")));
        if self.crop == 0 || self.crop > 4096 {
            return bad(format!("crop {} must be within 1..=4096", self.crop));
        }
        if self.resize_shorter < self.crop || self.resize_shorter > 8192 {
            return bad(format!("resize_shorter {} must be within crop..=8192", self.resize_shorter));
        }
        if self.std.iter().any(|s| !s.is_finite() || *s <= 0.0) || self.mean.iter().any(|m| !m.is_finite()) {
            return bad("mean must be finite and std finite and positive".into());
        }
        Ok(())
    }

    /// Size of the picture after the resize step: torchvision's `_compute_resized_output_size`
    /// (the shorter side becomes `resize_shorter`, the longer one `int(size * long / short)`).
    pub fn resized_size(&self, width: usize, height: usize) -> (usize, usize) {
        let size = self.resize_shorter as usize;
        let (short, long) = if width <= height { (width, height) } else { (height, width) };
        let new_long = (size as f64 * long as f64 / short as f64) as usize;
        if width <= height { (size, new_long) } else { (new_long, size) }
    }

    /// The centred crop within the resized picture: torchvision's `center_crop`, which rounds
    /// `(side - crop) / 2` half to even (Python's `round`).
    pub fn crop_window(&self, resized_w: usize, resized_h: usize) -> Window {
        let crop = self.crop as usize;
        let offset = |side: usize| ((side - crop) as f64 / 2.0).round_ties_even() as usize;
        Window { left: offset(resized_w), top: offset(resized_h), width: crop, height: crop }
    }

    /// Where the crop the network sees lies in a `width` x `height` picture, in the picture's own
    /// pixels: `[left, top, width, height]` (the crop window mapped back through the resize). What
    /// the page draws a class activation map over.
    pub fn crop_in_picture(&self, width: usize, height: usize) -> [f64; 4] {
        let (rw, rh) = self.resized_size(width, height);
        let window = self.crop_window(rw, rh);
        let (sx, sy) = (width as f64 / rw as f64, height as f64 / rh as f64);
        [window.left as f64 * sx, window.top as f64 * sy, window.width as f64 * sx, window.height as f64 * sy]
    }

    /// The 8-bit RGB crop the network sees, row-major `[crop, crop, 3]`.
    pub fn crop_rgb(&self, image: &ImageView) -> Vec<u8> {
        let (w, h) = self.resized_size(image.width(), image.height());
        resize_window(image, w, h, self.crop_window(w, h))
    }

    /// The network input, channel-major `[3, crop, crop]`: `(pixel / 255 - mean) / std` in f32,
    /// the same operations in the same precision as `ToTensor` then `Normalize`.
    ///
    /// Natively the crop's rows are cut into bands that the kernels' threads resize and normalize
    /// in parallel ([`crate::parallel::map`]); each band resizes its own window of the picture,
    /// which gives the same pixels as the whole crop (integer arithmetic, see [`resize_window`]).
    /// It also has the threads up and spinning when the forward pass that follows starts, not
    /// asleep since the last picture (BENCHMARKS.md: "preprocessing natively on the kernels'
    /// threads").
    pub fn to_chw(&self, image: &ImageView) -> Vec<f32> {
        let (w, h) = self.resized_size(image.width(), image.height());
        let window = self.crop_window(w, h);
        let plane = window.width * window.height;
        let mut out = vec![0f32; 3 * plane];
        // Two bands a thread, so that a thread that starts late takes fewer of the rows; one
        // where there is one thread (wasm).
        let threads = crate::parallel::threads();
        let count = if threads > 1 { 2 * threads } else { 1 }.min(window.height).max(1);
        let cut = |i: usize| i * window.height / count;
        let (red, rest) = out.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        // Each band's rows of the three planes.
        let mut bands: Vec<(usize, [&mut [f32]; 3])> = Vec::with_capacity(count);
        let mut left = [red, green, blue];
        for i in 0..count {
            let len = (cut(i + 1) - cut(i)) * window.width;
            let [r, g, b] = left.map(|plane| plane.split_at_mut(len));
            bands.push((i, [r.0, g.0, b.0]));
            left = [r.1, g.1, b.1];
        }
        let resampler = Resampler::new([image.width(), image.height()], [w, h]);
        crate::parallel::map(bands, |(i, planes)| {
            let band = Window { top: window.top + cut(i), height: cut(i + 1) - cut(i), ..window };
            self.normalize_into(&resampler.window(image, band), planes);
        });
        out
    }

    /// The picture after the resize step only (what training keeps in memory: every crop,
    /// centred or random, is cut from it), row-major RGB, with its width and height.
    pub fn resized_rgb(&self, image: &ImageView) -> (Vec<u8>, usize, usize) {
        let (w, h) = self.resized_size(image.width(), image.height());
        (resize(image, w, h), w, h)
    }

    /// 8-bit RGB, row-major `[h, w, 3]`, to the network's channel-major `[3, h, w]` floats.
    pub fn normalize(&self, rgb: &[u8]) -> Vec<f32> {
        let plane = rgb.len() / 3;
        let mut out = vec![0f32; rgb.len()];
        let (red, rest) = out.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        self.normalize_into(rgb, [red, green, blue]);
        out
    }

    /// [`Self::normalize`] into the three planes given (as long as `rgb` has pixels).
    fn normalize_into(&self, rgb: &[u8], [red, green, blue]: [&mut [f32]; 3]) {
        // The 256 values a byte can become, per channel: the same arithmetic, done once.
        let table: [[f32; 256]; 3] =
            std::array::from_fn(|c| std::array::from_fn(|v| (f32::from(v as u8) / 255.0 - self.mean[c]) / self.std[c]));
        for (i, px) in rgb.chunks_exact(3).enumerate() {
            red[i] = table[0][usize::from(px[0])];
            green[i] = table[1][usize::from(px[1])];
            blue[i] = table[2][usize::from(px[2])];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resized_size_follows_torchvision() {
        let p = Preprocessing::imagenet();
        assert_eq!(p.resized_size(451, 300), (384, 256)); // chelsea.png: int(256 * 451 / 300) = 384
        assert_eq!(p.resized_size(640, 480), (341, 256));
        assert_eq!(p.resized_size(300, 451), (256, 384));
        assert_eq!(p.resized_size(1, 1), (256, 256));
    }

    #[test]
    fn the_crop_maps_back_into_the_picture() {
        let p = Preprocessing::imagenet();
        // 640 x 480 → 341 x 256, crop at (58, 16): x 58 · 640/341, side 224 · 480/256 = 420.
        let [x, y, w, h] = p.crop_in_picture(640, 480);
        assert!((x - 58.0 * 640.0 / 341.0).abs() < 1e-9 && (y - 16.0 * 480.0 / 256.0).abs() < 1e-9, "{x} {y}");
        assert!((h - 420.0).abs() < 1e-9 && (w - 224.0 * 640.0 / 341.0).abs() < 1e-9, "{w} {h}");
        // 73 x 73 is already resized (64 px: resize 73); (73 - 64) / 2 = 4.5 rounds to 4.
        assert_eq!(Preprocessing::for_size(64).crop_in_picture(73, 73), [4.0, 4.0, 64.0, 64.0]);
    }

    #[test]
    fn crop_rounds_half_to_even() {
        let p = Preprocessing::imagenet();
        // (341 - 224) / 2 = 58.5 -> 58 in Python, not 59.
        assert_eq!(p.crop_window(341, 256), Window { left: 58, top: 16, width: 224, height: 224 });
        assert_eq!(p.crop_window(343, 256).left, 60); // 59.5 -> 60
    }

    #[test]
    fn output_is_normalized_chw() {
        let p = Preprocessing::imagenet();
        let px: Vec<u8> = [255u8, 0, 128].repeat(300 * 200);
        let img = ImageView::rgb(&px, 300, 200).unwrap();
        let x = p.to_chw(&img);
        assert_eq!(x.len(), 3 * 224 * 224);
        let plane = 224 * 224;
        assert!((x[0] - (1.0 - 0.485) / 0.229).abs() < 1e-6);
        assert!((x[plane] - (0.0 - 0.456) / 0.224).abs() < 1e-6);
        assert!((x[2 * plane + 5] - (128.0 / 255.0 - 0.406) / 0.225).abs() < 1e-6);
    }

    /// The bands resized and normalized apart give the whole crop's values, bit for bit, also
    /// where a band is a row or there are fewer rows than bands.
    #[test]
    fn bands_give_the_whole_crops_values() {
        let px: Vec<u8> = (0..97 * 61 * 3).map(|i| (i * 37 % 251) as u8).collect();
        let img = ImageView::rgb(&px, 97, 61).unwrap();
        for crop in [1, 2, 3, 5, 8, 13, 40] {
            let p = Preprocessing::for_size(crop);
            let whole = p.normalize(&p.crop_rgb(&img));
            assert_eq!(p.to_chw(&img), whole, "crop {crop}");
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(ImageView::rgba(&[], 0, 0).is_err());
        assert!(ImageView::rgba(&[0; 12], 2, 2).is_err());
        assert!(ImageView::rgba(&[0; 16], 2, 2).is_ok());
        let huge = ImageView::rgba(&[], 20_000, 20_000).unwrap_err().to_string();
        assert!(huge.contains("too large"), "{huge}");
    }
}
