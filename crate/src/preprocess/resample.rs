//! Bilinear resampling that reproduces Pillow's `Image.resize(size, Image.BILINEAR)` bit for bit
//! on 8-bit RGB, which is what torchvision's `Resize` runs on a PIL image.
//!
//! Source: Pillow `src/libImaging/Resample.c` (`precompute_coeffs`, `normalize_coeffs_8bpc`,
//! `ImagingResampleHorizontal_8bpc`, `ImagingResampleVertical_8bpc`): a separable convolution
//! whose triangle filter widens by the scale factor when shrinking (so downscaling is
//! antialiased), with coefficients in 22-bit fixed point and a rounding to 8 bits between the
//! two passes. Which pass comes first changes that rounding, so it follows Pillow's choice (see
//! [`vertical_first`]). Only the output window that is asked for is computed, which gives the
//! same pixels as resizing the whole picture and cropping afterwards.

use super::image::ImageView;

/// Fixed-point precision of the 8-bit coefficients: `32 - 8 - 2` in Pillow.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's bilinear (triangle) filter, support 1.
fn triangle(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 { 1.0 - x } else { 0.0 }
}

/// For each output sample: the first input sample it reads, how many, and their weights.
struct Coefficients {
    ksize: usize,
    /// `(first input index, number of inputs)` per output sample.
    bounds: Vec<(usize, usize)>,
    /// `ksize` fixed-point weights per output sample.
    weights: Vec<i32>,
}

impl Coefficients {
    /// `precompute_coeffs` + `normalize_coeffs_8bpc` for the whole input range.
    fn new(in_size: usize, out_size: usize) -> Self {
        let scale = in_size as f64 / out_size as f64;
        let filterscale = scale.max(1.0);
        let support = 1.0 * filterscale;
        let ksize = support.ceil() as usize * 2 + 1;
        let mut bounds = Vec::with_capacity(out_size);
        let mut weights = vec![0i32; out_size * ksize];
        let mut k = vec![0f64; ksize];
        for xx in 0..out_size {
            let center = (xx as f64 + 0.5) * scale;
            let ss = 1.0 / filterscale;
            // C's `(int)` truncates toward zero, as `as i64` does.
            let xmin = ((center - support + 0.5) as i64).max(0);
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) - xmin;
            let (xmin, len) = (xmin as usize, xmax.max(0) as usize);
            let mut ww = 0.0;
            for (x, w) in k.iter_mut().enumerate().take(len) {
                *w = triangle(((x + xmin) as f64 - center + 0.5) * ss);
                ww += *w;
            }
            let fixed = &mut weights[xx * ksize..(xx + 1) * ksize];
            for (x, w) in k.iter().enumerate().take(len) {
                let w = if ww != 0.0 { w / ww } else { *w };
                let one = f64::from(1u32 << PRECISION_BITS);
                fixed[x] = if w < 0.0 { (-0.5 + w * one) as i32 } else { (0.5 + w * one) as i32 };
            }
            bounds.push((xmin, len));
        }
        Self { ksize, bounds, weights }
    }

    fn of(&self, out: usize) -> (usize, &[i32]) {
        let (start, len) = self.bounds[out];
        (start, &self.weights[out * self.ksize..out * self.ksize + len])
    }

    /// The input samples that the output samples `outs` (not empty) read.
    fn reach(&self, outs: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let (last_start, last_len) = self.bounds[outs.end - 1];
        self.bounds[outs.start].0..last_start + last_len
    }
}

/// Rounding: a half in fixed point, where every sum starts.
const HALF: i32 = 1 << (PRECISION_BITS - 1);

/// Pillow's `clip8`: drop the fraction (arithmetic shift) and clamp to 0..=255.
#[inline]
fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// A rectangle of the resized picture, in its own pixel coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub left: usize,
    pub top: usize,
    pub width: usize,
    pub height: usize,
}

/// Resizes `image` to `out_w` x `out_h` as Pillow does and returns the RGB bytes (row-major,
/// `[window.height, window.width, 3]`) of `window` within the resized picture.
///
/// # Panics
/// If the window does not lie within the resized picture (a caller bug, not an input error).
pub fn resize_window(image: &ImageView, out_w: usize, out_h: usize, window: Window) -> Vec<u8> {
    Resampler::new([image.width(), image.height()], [out_w, out_h]).window(image, window)
}

/// One resize, `[in_w, in_h]` → `[out_w, out_h]`, its coefficients computed once for the windows
/// cut from it (the bands [`super::Preprocessing::to_chw`] resizes on several threads), not again
/// for each: they are most of a narrow window's work (`preprocess::resample::Resampler` under
/// BENCHMARKS.md's "Figures from the kernels' comments").
pub struct Resampler {
    horizontal: Coefficients,
    vertical: Coefficients,
    size: [usize; 2],
    out: [usize; 2],
}

impl Resampler {
    pub fn new(size: [usize; 2], out: [usize; 2]) -> Self {
        Self { horizontal: Coefficients::new(size[0], out[0]), vertical: Coefficients::new(size[1], out[1]), size, out }
    }

    /// [`resize_window`] of `image`, which has the size this resize was made for.
    ///
    /// # Panics
    /// If `image` is not that size, or the window does not lie within the resized picture (a
    /// caller bug, not an input error).
    pub fn window(&self, image: &ImageView, window: Window) -> Vec<u8> {
        let [out_w, out_h] = self.out;
        assert_eq!([image.width(), image.height()], self.size, "the picture this resize was made for");
        assert!(window.left + window.width <= out_w && window.top + window.height <= out_h);
        if vertical_first(self.size, self.out) { self.vertical_then_horizontal(image, window) } else { self.horizontal_then_vertical(image, window) }
    }

    /// Pillow's usual order: each input row under the window resized across, rounded to 8 bits,
    /// then the columns down.
    fn horizontal_then_vertical(&self, image: &ImageView, window: Window) -> Vec<u8> {
        let (horizontal, vertical) = (&self.horizontal, &self.vertical);
        // Input rows that the window's output rows read.
        let rows = vertical.reach(window.top..window.top + window.height);

        // Horizontal pass, rounded to 8 bits: [rows.len(), window.width, 3].
        let columns = window.left..window.left + window.width;
        let stride = window.width * 3;
        let mut temp = vec![0u8; rows.len() * stride];
        for (y, row) in rows.clone().zip(temp.chunks_exact_mut(stride)) {
            match image.channels() {
                3 => horizontal_row::<3>(image.row(y), 0, horizontal, columns.clone(), row),
                _ => horizontal_row::<4>(image.row(y), 0, horizontal, columns.clone(), row),
            }
        }

        // Vertical pass: [window.height, window.width, 3].
        let mut out = vec![0u8; window.height * stride];
        let mut acc = vec![0i32; stride];
        for (yy, dst) in (window.top..window.top + window.height).zip(out.chunks_exact_mut(stride)) {
            let (start, k) = vertical.of(yy);
            vertical_row(k.iter().enumerate().map(|(j, &w)| (&temp[(start + j - rows.start) * stride..][..stride], w)), 3, &mut acc, dst);
        }
        out
    }

    /// Pillow's order for pictures that lose many more rows than columns: the window's output
    /// rows resized down first, over the input columns the window reads, rounded to 8 bits, then
    /// across.
    fn vertical_then_horizontal(&self, image: &ImageView, window: Window) -> Vec<u8> {
        let (horizontal, vertical) = (&self.horizontal, &self.vertical);
        // Input columns that the window's output columns read.
        let columns = horizontal.reach(window.left..window.left + window.width);
        let ch = image.channels();

        // Vertical pass, rounded to 8 bits: [window.height, columns.len(), 3].
        let temp_stride = columns.len() * 3;
        let mut temp = vec![0u8; window.height * temp_stride];
        // Sums for every byte of those columns (alpha too, unread after): the rows read in place.
        let mut acc = vec![0i32; columns.len() * ch];
        for (yy, row) in (window.top..window.top + window.height).zip(temp.chunks_exact_mut(temp_stride)) {
            let (start, k) = vertical.of(yy);
            let taps = k.iter().enumerate().map(|(j, &w)| (&image.row(start + j)[columns.start * ch..columns.end * ch], w));
            vertical_row(taps, ch, &mut acc, row);
        }

        // Horizontal pass: [window.height, window.width, 3].
        let stride = window.width * 3;
        let mut out = vec![0u8; window.height * stride];
        for (src, dst) in temp.chunks_exact(temp_stride).zip(out.chunks_exact_mut(stride)) {
            horizontal_row::<3>(src, columns.start, horizontal, window.left..window.left + window.width, dst);
        }
        out
    }
}

/// Whether Pillow resizes `[in_w, in_h]` → `[out_w, out_h]` down the columns first: since
/// Pillow 13 (python-pillow/Pillow#9549, "If height is scaled down significantly more than
/// width, resize vertically first": a speed-up for tall pictures), when the picture loses rows,
/// more than twice as many as it loses columns. torchvision's `Resize(256)` so takes portrait
/// pictures taller than about 2:1 (a phone's screenshot, 1080x2340) down first. The rule was
/// found by comparing Pillow 13.0.0 with both orders, and holds at the boundary (100x200 → 50x100
/// across first, 100x201 → 50x100 down first), where columns are gained (100x100 → 300x99 down
/// first) and for enlargements (100x60 → 426x256 across first).
fn vertical_first([in_w, in_h]: [usize; 2], [out_w, out_h]: [usize; 2]) -> bool {
    let lost = |from: usize, to: usize| from as i64 - to as i64;
    out_h < in_h && lost(in_h, out_h) > 2 * lost(in_w, out_w)
}

/// One output row of a vertical pass: `Σ src_j · w_j` over the `(row, weight)` taps, each row
/// `acc.len()` bytes of `ch` a pixel, rounded into `dst` (RGB: alpha dropped). Whole rows at a
/// time (the loops over the values vectorize); integer sums, so the order of the taps changes
/// nothing.
fn vertical_row<'a>(taps: impl Iterator<Item = (&'a [u8], i32)>, ch: usize, acc: &mut [i32], dst: &mut [u8]) {
    acc.fill(HALF);
    for (src, w) in taps {
        for (a, &t) in acc.iter_mut().zip(src) {
            *a += i32::from(t) * w;
        }
    }
    if ch == 3 {
        dst.iter_mut().zip(acc.iter()).for_each(|(d, &a)| *d = clip8(a));
    } else {
        for (d, a) in dst.chunks_exact_mut(3).zip(acc.chunks_exact(ch)) {
            d.iter_mut().zip(a).for_each(|(d, &a)| *d = clip8(a));
        }
    }
}

/// The horizontal pass over one row (`CH` bytes per pixel, alpha unread; its first pixel is
/// input column `first`) for the output `columns`, into `dst` (`[columns.len(), 3]`).
fn horizontal_row<const CH: usize>(src: &[u8], first: usize, coefficients: &Coefficients, columns: std::ops::Range<usize>, dst: &mut [u8]) {
    for (px, xx) in dst.chunks_exact_mut(3).zip(columns) {
        let (start, k) = coefficients.of(xx);
        let taps = &src[(start - first) * CH..(start - first + k.len()) * CH];
        let mut acc = [HALF; 3];
        for (p, &w) in taps.chunks_exact(CH).zip(k) {
            for c in 0..3 {
                acc[c] += i32::from(p[c]) * w;
            }
        }
        for c in 0..3 {
            px[c] = clip8(acc[c]);
        }
    }
}

/// Resizes the whole picture (the window is all of it).
pub fn resize(image: &ImageView, out_w: usize, out_h: usize) -> Vec<u8> {
    resize_window(image, out_w, out_h, Window { left: 0, top: 0, width: out_w, height: out_h })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> Vec<u8> {
        (0..w * h).flat_map(|i| {
            let (x, y) = (i % w, i / w);
            [(x * 7 + y) as u8, (y * 5) as u8, ((x ^ y) * 3) as u8]
        }).collect()
    }

    /// Pillow 13.0.0's choices, probed with both orders (see `vertical_first`).
    #[test]
    fn pass_order_follows_pillow_13() {
        let cases = [
            ([100, 200], [50, 100], false),
            ([100, 201], [50, 100], true),
            ([300, 451], [256, 384], false),
            ([300, 660], [256, 563], true),
            ([451, 300], [384, 256], false),
            ([100, 100], [99, 97], true),
            ([100, 100], [99, 98], false),
            ([100, 100], [300, 99], true),
            ([30, 100], [60, 40], true),
            ([100, 60], [426, 256], false),
            ([60, 100], [256, 426], false),
        ];
        for (size, out, expected) in cases {
            assert_eq!(vertical_first(size, out), expected, "{size:?} → {out:?}");
        }
    }

    /// Every window of a vertical-first resize equals the crop of the whole, alpha unread.
    #[test]
    fn vertical_first_windows_equal_the_crop_of_the_whole() {
        let px = gradient(23, 71);
        let img = ImageView::rgb(&px, 23, 71).unwrap();
        let (w, h) = (11, 29);
        assert!(vertical_first([23, 71], [w, h]));
        let whole = resize(&img, w, h);
        for window in [Window { left: 0, top: 0, width: w, height: 1 }, Window { left: 3, top: 5, width: 7, height: 17 }, Window { left: 10, top: 28, width: 1, height: 1 }] {
            let part = resize_window(&img, w, h, window);
            for y in 0..window.height {
                let row = &whole[((window.top + y) * w + window.left) * 3..][..window.width * 3];
                assert_eq!(&part[y * window.width * 3..][..window.width * 3], row, "{window:?} row {y}");
            }
        }
        let rgba: Vec<u8> = px.chunks(3).flat_map(|p| [p[0], p[1], p[2], 9]).collect();
        assert_eq!(resize(&ImageView::rgba(&rgba, 23, 71).unwrap(), w, h), whole, "alpha unread");
    }

    #[test]
    fn same_size_is_identity() {
        let px = gradient(13, 9);
        let img = ImageView::rgb(&px, 13, 9).unwrap();
        assert_eq!(resize(&img, 13, 9), px);
    }

    #[test]
    fn window_equals_crop_of_full_resize() {
        let px = gradient(97, 61);
        let img = ImageView::rgb(&px, 97, 61).unwrap();
        let full = resize(&img, 40, 25);
        let win = Window { left: 7, top: 3, width: 20, height: 19 };
        let part = resize_window(&img, 40, 25, win);
        for y in 0..win.height {
            let a = &full[((y + win.top) * 40 + win.left) * 3..][..win.width * 3];
            assert_eq!(&part[y * win.width * 3..][..win.width * 3], a, "row {y}");
        }
    }

    #[test]
    fn constant_picture_stays_constant_up_and_down() {
        let px = vec![200u8; 31 * 17 * 3];
        let img = ImageView::rgb(&px, 31, 17).unwrap();
        assert!(resize(&img, 9, 5).iter().all(|&v| v == 200));
        assert!(resize(&img, 300, 190).iter().all(|&v| v == 200));
    }

    #[test]
    fn one_pixel_upscales() {
        let px = [10u8, 20, 30, 255];
        let img = ImageView::rgba(&px, 1, 1).unwrap();
        let out = resize(&img, 256, 256);
        assert_eq!(out.len(), 256 * 256 * 3);
        assert!(out.chunks(3).all(|p| p == [10, 20, 30]));
    }
}
