//! Training-time augmentation: random resized crop, horizontal flip and colour jitter, on 8-bit
//! RGB, ending in the same normalization as inference ([`Preprocessing::normalize`]). The crop
//! follows torchvision's `RandomResizedCrop.get_params` (`transforms/transforms.py`); the resize
//! is the one Pillow-exact bilinear resampler every other path uses.

use serde::{Deserialize, Serialize};

use super::rng::SplitMix64;
use super::{ImageView, Window, resize_window};

/// How much to vary each training picture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Augmentation {
    /// Range of the crop's area, as a fraction of the picture's (torchvision: 0.08..1; camtag uses
    /// 0.25..1 because small pictures of a few tags lose the subject below a quarter).
    pub scale: (f64, f64),
    /// Range of the crop's aspect ratio, width / height (torchvision: 3/4..4/3).
    pub ratio: (f64, f64),
    /// Mirror left-right with probability 1/2.
    pub flip: bool,
    /// Brightness, contrast and saturation factors are drawn from `1 ± jitter`
    /// (torchvision `ColorJitter(0.3, 0.3, 0.3)` style).
    pub jitter: f64,
}

impl Default for Augmentation {
    fn default() -> Self {
        Self { scale: (0.25, 1.0), ratio: (3.0 / 4.0, 4.0 / 3.0), flip: true, jitter: 0.3 }
    }
}

/// ITU-R 601-2 luma, as Pillow's `convert("L")` (and so torchvision's `rgb_to_grayscale`) uses.
fn luma(px: [f64; 3]) -> f64 {
    0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]
}

impl Augmentation {
    /// torchvision's `RandomResizedCrop.get_params`: ten tries at a random area and aspect ratio,
    /// else the centred crop at the nearest allowed ratio.
    pub fn crop_window(&self, width: usize, height: usize, rng: &mut SplitMix64) -> Window {
        let area = (width * height) as f64;
        let (log_lo, log_hi) = (self.ratio.0.ln(), self.ratio.1.ln());
        for _ in 0..10 {
            let target = area * rng.uniform(self.scale.0, self.scale.1);
            let aspect = rng.uniform(log_lo, log_hi).exp();
            let w = (target * aspect).sqrt().round() as usize;
            let h = (target / aspect).sqrt().round() as usize;
            if 0 < w && w <= width && 0 < h && h <= height {
                let top = rng.below_or_equal(height - h);
                let left = rng.below_or_equal(width - w);
                return Window { left, top, width: w, height: h };
            }
        }
        let in_ratio = width as f64 / height as f64;
        let (w, h) = if in_ratio < self.ratio.0 {
            (width, ((width as f64 / self.ratio.0).round() as usize).clamp(1, height))
        } else if in_ratio > self.ratio.1 {
            (((height as f64 * self.ratio.1).round() as usize).clamp(1, width), height)
        } else {
            (width, height)
        };
        Window { left: (width - w) / 2, top: (height - h) / 2, width: w, height: h }
    }

    /// A random `size` x `size` RGB view of `image` (row-major `[size, size, 3]`).
    pub fn apply(&self, image: &ImageView, size: usize, rng: &mut SplitMix64) -> Vec<u8> {
        let crop = self.crop_window(image.width(), image.height(), rng);
        // Cut the crop out, then resize it: Pillow's resize of a cropped picture.
        let mut cut = Vec::with_capacity(crop.width * crop.height * 3);
        for y in crop.top..crop.top + crop.height {
            for x in crop.left..crop.left + crop.width {
                cut.extend_from_slice(&[image.at(x, y, 0), image.at(x, y, 1), image.at(x, y, 2)]);
            }
        }
        let view = ImageView::rgb(&cut, crop.width as u32, crop.height as u32)
            .expect("a crop within a valid picture is a valid picture");
        let mut rgb = resize_window(&view, size, size, Window { left: 0, top: 0, width: size, height: size });
        if self.flip && rng.next_f64() < 0.5 {
            for row in rgb.chunks_exact_mut(size * 3) {
                for x in 0..size / 2 {
                    for c in 0..3 {
                        row.swap(x * 3 + c, (size - 1 - x) * 3 + c);
                    }
                }
            }
        }
        if self.jitter > 0.0 {
            let mut factor = || rng.uniform(1.0 - self.jitter, 1.0 + self.jitter);
            let (brightness, contrast, saturation) = (factor(), factor(), factor());
            self.colour(&mut rgb, brightness, contrast, saturation);
        }
        rgb
    }

    /// Brightness (scale), contrast (blend with the mean grey) and saturation (blend with each
    /// pixel's grey), in that order, each clamped to 0..=255 as torchvision's `_blend` does.
    fn colour(&self, rgb: &mut [u8], brightness: f64, contrast: f64, saturation: f64) {
        let mut px: Vec<[f64; 3]> =
            rgb.chunks_exact(3).map(|p| [0, 1, 2].map(|c| (f64::from(p[c]) * brightness).clamp(0.0, 255.0))).collect();
        let mean = px.iter().map(|&p| luma(p)).sum::<f64>() / px.len().max(1) as f64;
        for p in &mut px {
            *p = p.map(|v| (contrast * v + (1.0 - contrast) * mean).clamp(0.0, 255.0));
            let grey = luma(*p);
            *p = p.map(|v| (saturation * v + (1.0 - saturation) * grey).clamp(0.0, 255.0));
        }
        for (dst, p) in rgb.chunks_exact_mut(3).zip(px) {
            for c in 0..3 {
                dst[c] = p[c].round() as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(w: usize, h: usize) -> Vec<u8> {
        (0..w * h).flat_map(|i| [(i % w * 255 / w) as u8, (i / w * 255 / h) as u8, 90]).collect()
    }

    #[test]
    fn crops_stay_inside_and_respect_the_ranges() {
        let aug = Augmentation::default();
        let mut rng = SplitMix64::new(3);
        for (w, h) in [(341, 256), (64, 300), (1, 1), (5, 2)] {
            for _ in 0..200 {
                let c = aug.crop_window(w, h, &mut rng);
                assert!(c.width > 0 && c.height > 0);
                assert!(c.left + c.width <= w && c.top + c.height <= h, "{c:?} in {w}x{h}");
            }
        }
        // On a roomy picture the ten tries succeed: area and ratio within the ranges (± rounding).
        for _ in 0..200 {
            let c = aug.crop_window(400, 400, &mut rng);
            let area = (c.width * c.height) as f64 / 160_000.0;
            let ratio = c.width as f64 / c.height as f64;
            assert!((0.24..=1.0).contains(&area), "area {area}");
            assert!((0.74..=1.35).contains(&ratio), "ratio {ratio}");
        }
    }

    #[test]
    fn output_has_the_size_asked_and_varies_with_the_seed() {
        let px = picture(120, 80);
        let view = ImageView::rgb(&px, 120, 80).unwrap();
        let aug = Augmentation::default();
        let a = aug.apply(&view, 32, &mut SplitMix64::new(1));
        let b = aug.apply(&view, 32, &mut SplitMix64::new(1));
        let c = aug.apply(&view, 32, &mut SplitMix64::new(2));
        assert_eq!(a.len(), 32 * 32 * 3);
        assert_eq!(a, b, "same seed, same picture");
        assert_ne!(a, c, "another seed, another picture");
    }

    #[test]
    fn without_randomness_it_is_a_plain_resize() {
        let px = picture(40, 40);
        let view = ImageView::rgb(&px, 40, 40).unwrap();
        let aug = Augmentation { scale: (1.0, 1.0), ratio: (1.0, 1.0), flip: false, jitter: 0.0 };
        assert_eq!(aug.apply(&view, 20, &mut SplitMix64::new(9)), super::super::resize(&view, 20, 20));
    }

    #[test]
    fn flip_mirrors_and_jitter_keeps_grey_grey() {
        let px = picture(16, 16);
        let view = ImageView::rgb(&px, 16, 16).unwrap();
        let plain = Augmentation { scale: (1.0, 1.0), ratio: (1.0, 1.0), flip: false, jitter: 0.0 };
        let flip = Augmentation { flip: true, ..plain.clone() };
        let original = plain.apply(&view, 16, &mut SplitMix64::new(0));
        // Some seed flips; its picture is the mirror image.
        let mirrored = (0..20).map(|s| flip.apply(&view, 16, &mut SplitMix64::new(s))).find(|o| *o != original).unwrap();
        for y in 0..16 {
            for x in 0..16 {
                assert_eq!(mirrored[(y * 16 + x) * 3], original[(y * 16 + 15 - x) * 3]);
            }
        }
        let grey = vec![128u8; 8 * 8 * 3];
        let view = ImageView::rgb(&grey, 8, 8).unwrap();
        let jitter = Augmentation { jitter: 0.5, ..plain };
        let out = jitter.apply(&view, 8, &mut SplitMix64::new(4));
        assert!(out.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]), "a grey picture stays grey");
    }
}
