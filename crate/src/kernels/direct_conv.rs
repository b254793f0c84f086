//! A direct convolution on the CPU for the layers burn `flex` runs worst: those where each output
//! sums only a few inputs — a depthwise 3x3 or 5x5 convolution (one input channel: 9 or 25 taps)
//! and the RGB stem (three channels, 3x3: 27 taps). burn-flex 0.22.1 runs a depthwise convolution
//! as one short vector loop per output row and tap (7 to 112 values), then the activation as two
//! more passes (`relu`, `clamp_max`), each into a new buffer (BENCHMARKS.md: "depthwise
//! convolutions and the RGB stem in camtag's own CPU kernel").
//!
//! Here each (picture, group) has its input planes copied once into a scratch buffer split by
//! stride phase — for stride 2 the even and odd rows and columns apart — so that every tap of the
//! kernel reads one contiguous run, and the outputs are computed a few vectors at a time with
//! their sums in registers, bias first and activation last: see [`super::depthwise`] (AVX-512 or
//! AVX2 + FMA natively as the CPU has them, SIMD128 in the wasm SIMD packages). Groups run in
//! parallel natively (the kernels' threads, see [`crate::parallel`]); wasm has one thread.
//!
//! With one group (the RGB stem) every output channel reads the same planes (here padded with
//! zero rows and columns), so they go to the 1x1 kernel's register tiles instead
//! ([`super::pointwise::conv_taps`]: the taps as its input channels, a tap's two vector loads
//! shared by up to 12 output channels), output rows in parallel (BENCHMARKS.md: "the RGB stem on
//! the 1x1 kernel's tiles"). Each task splits only the input rows under its own output rows, into
//! planes its thread keeps: splitting the whole input first into shared planes is a pass over
//! 0.6 MB written and read back, much of it from the other core or beyond the cache
//! (BENCHMARKS.md: "the stem: each task splits only the input rows").
//!
//! [`forward`] takes only inference on plain `flex` f32 tensors, with the batch norm already
//! folded in (the networks fold at load); anything else (autodiff, WebGPU, dilation, more taps) stays on
//! burn's own convolution. Shapes: `x` `[batch, in, h, w]`,
//! weight `[out, in / groups, k, k]`.

use std::mem::MaybeUninit;
use std::ops::Range;

use burn::nn::conv::Conv2d;
use burn::prelude::*;

use super::Activation;
use super::geometry::Geometry;
use super::{Isa, flex};
use crate::parallel;
use super::depthwise;
use super::pointwise;
use super::vector;

/// The most taps (input channels per group × kernel area) an output may sum on this path: the RGB
/// stem's 3 × 3 × 3. Beyond that (ResNet's 7x7 stem: 147) im2col + gemm is the better kernel.
pub const MAX_TAPS: usize = 27;

impl Geometry {
    /// Whether the direct path takes this convolution.
    pub fn is_direct(&self) -> bool {
        let [h, w] = self.size;
        let [top, left, bottom, right] = self.padding;
        self.groups > 0
            && h > 0
            && w > 0
            && self.out_channels > 0
            && self.in_channels % self.groups == 0
            && self.out_channels % self.groups == 0
            && self.kernel > 0
            && (1..=2).contains(&self.stride)
            && self.taps() <= MAX_TAPS
            && h + top + bottom >= self.kernel
            && w + left + right >= self.kernel
    }

    /// Where each tap `(c, kh, kw)` reads in planes of `layout` (see [`split_rows`]): plane
    /// `(c, kh mod s, kw mod s)`, from row `kh / s`, column `kw / s` on.
    fn tap_offsets(&self, layout: ScratchLayout) -> Vec<usize> {
        let (k, s) = (self.kernel, self.stride);
        let mut offsets = Vec::with_capacity(self.taps());
        for c in 0..self.in_per_group() {
            for kh in 0..k {
                for kw in 0..k {
                    let plane = (c * s + kh % s) * s + kw % s;
                    offsets.push(plane * layout.plane_len() + (kh / s) * layout.width + kw / s);
                }
            }
        }
        offsets
    }

    /// The phase-split planes under `rows` output rows of one group: `in_per_group × stride²`
    /// planes of `rows × width` values (see [`split_rows`]).
    fn scratch_layout(&self, rows: usize) -> ScratchLayout {
        let [_, w] = self.size;
        let [_, left, _, right] = self.padding;
        let s = self.stride;
        let width = (w + left + right).div_ceil(s);
        // The output rows, the kernel's reach below them in phase rows, and one slack row: the
        // flat loop's last row runs `width - out_w` values past its real end.
        let rows = rows + (self.kernel - 1) / s + 1;
        ScratchLayout { width, rows, planes: self.in_per_group() * s * s }
    }
}

#[derive(Clone, Copy, Debug)]
struct ScratchLayout {
    width: usize,
    rows: usize,
    planes: usize,
}

impl ScratchLayout {
    fn plane_len(&self) -> usize {
        self.rows * self.width
    }

    /// The planes, and a tile's width (at most 48: AVX-512's three vectors) of slack:
    /// `pointwise::conv_taps` reads up to that far past the last row's end.
    fn len(&self) -> usize {
        self.planes * self.plane_len() + 48
    }
}

/// `conv(x) + bias`, then `activation`: `x` `[batch, in, h, w]` → `[batch, out, oh, ow]`,
/// row-major. `weight` is `[out, in / groups, k, k]`, `bias` `[out]`.
///
/// # Panics
/// If the geometry is not [direct](Geometry::is_direct) or a slice's length does not match it.
pub fn conv2d(x: &[f32], weight: &[f32], bias: &[f32], g: &Geometry, activation: Activation) -> Vec<f32> {
    conv2d_with(Isa::detect(), x, weight, bias, g, activation)
}

fn conv2d_with(isa: Isa, x: &[f32], weight: &[f32], bias: &[f32], g: &Geometry, activation: Activation) -> Vec<f32> {
    assert!(g.is_direct(), "not a direct convolution: {g:?}");
    let [h, w] = g.size;
    let [oh, ow] = g.out_size();
    assert_eq!(x.len(), g.batch * g.in_channels * h * w, "input length for {g:?}");
    assert_eq!(weight.len(), g.out_channels * g.taps(), "weight length for {g:?}");
    assert_eq!(bias.len(), g.out_channels, "bias length for {g:?}");

    let in_group = g.in_per_group() * h * w; // values of one group's input planes
    let out_plane = oh * ow;
    let len = g.batch * g.out_channels * out_plane;
    // Not zeroed first: every value is written once below.
    let mut values: Vec<f32> = Vec::with_capacity(len);
    let out = &mut values.spare_capacity_mut()[..len];
    if g.groups == 1 {
        // One group (the stem): each task takes a band of output rows, splits the input rows
        // under them by stride phase into planes of its own (kept by its thread), then runs the
        // 1x1 kernel's tiles over them with the taps as input channels (`pointwise::conv_taps`).
        // No shared planes of the whole input: see the module.
        let parts = if parallel::threads() == 1 { 1 } else { (4 * parallel::threads()).min(oh) };
        let tasks: Vec<Range<usize>> = (0..parts).map(|i| i * oh / parts..(i + 1) * oh / parts).collect();
        // Every task's planes laid out for the largest band (a shorter one leaves its last rows
        // unread), so that the taps' offsets are found once.
        let layout = g.scratch_layout(oh.div_ceil(parts));
        let offsets = g.tap_offsets(layout);
        for (b, out) in out.chunks_mut(g.out_channels * out_plane).enumerate() {
            let x = &x[b * in_group..(b + 1) * in_group];
            let out = pointwise::Output::new(out, g.out_channels, out_plane);
            parallel::for_each(&tasks, |rows| {
                parallel::with_buffers([layout.len()], |[planes]| {
                    split_rows(planes, x, g, layout, rows.start);
                    // SAFETY: the tasks' rows do not overlap.
                    unsafe { pointwise::conv_taps(isa, (planes, rows.start), &offsets, (weight, bias, activation), [ow, layout.width], rows.clone(), &out) }
                });
            });
        }
    } else {
        // Many groups (depthwise): each (picture, group) on its own, in parallel.
        let taps = depthwise::Taps::new(g);
        let operands = (weight, bias, activation);
        par_chunks(out, g.out_per_group() * out_plane, |first, out, planes| {
            let x = &x[first * in_group..];
            depthwise::groups(isa, (x, in_group), &taps, operands, first % g.groups, (out, g.out_per_group() * out_plane), planes);
        });
    }
    // SAFETY: the chunks above cover `out` (lengths divide it), and each is written whole: the
    // stem's tasks cover its rows, `depthwise::group` writes each of its channels' values.
    unsafe { values.set_len(len) };
    values
}

/// The input under output rows `first_row ..` (as many as `layout` holds, one group's:
/// `x` `[in, h, w]`) split by stride phase into `planes`, padded with zeros: plane
/// `(c · s + a) · s + b`'s row `r` holds the padded input's row `(first_row + r) · s + a`, its
/// columns `b, b + s, …`. Every value of the planes is written: the buffer holds whatever an
/// earlier call left.
fn split_rows(planes: &mut [f32], x: &[f32], g: &Geometry, layout: ScratchLayout, first_row: usize) {
    let [h, w] = g.size;
    let [top, left, _, _] = g.padding;
    let s = g.stride;
    let (width, plane_len) = (layout.width, layout.plane_len());
    for (c, channel) in x.chunks_exact(h * w).enumerate().take(g.in_per_group()) {
        for a in 0..s {
            for r in 0..layout.rows {
                let at = |b: usize| ((c * s + a) * s + b) * plane_len + r * width;
                let Some(ih) = ((first_row + r) * s + a).checked_sub(top).filter(|&ih| ih < h) else {
                    for b in 0..s {
                        planes[at(b)..at(b) + width].fill(0.0);
                    }
                    continue;
                };
                let row = &channel[ih * w..(ih + 1) * w];
                if s == 1 {
                    let dst = &mut planes[at(0)..at(0) + width];
                    dst[..left].fill(0.0);
                    dst[left..left + w].copy_from_slice(row);
                    dst[left + w..].fill(0.0);
                    continue;
                }
                // s == 2, both column phases in one pass over the row: input column iw is padded
                // column left + iw, so even iw go to phase left mod 2 from column ⌊left / 2⌋, odd
                // iw to the other phase from column ⌊(left + 1) / 2⌋.
                let (even_at, odd_at) = (at(left % 2), at((left + 1) % 2));
                let (even_from, odd_from) = (left / 2, (left + 1) / 2);
                let (lo, hi) = planes.split_at_mut(even_at.max(odd_at));
                let (even, odd) = if even_at < odd_at {
                    (&mut lo[even_at..even_at + width], &mut hi[..width])
                } else {
                    (&mut hi[..width], &mut lo[odd_at..odd_at + width])
                };
                even[..even_from].fill(0.0);
                even[even_from + w.div_ceil(2)..].fill(0.0);
                odd[..odd_from].fill(0.0);
                odd[odd_from + w / 2..].fill(0.0);
                vector::deinterleave(row, &mut even[even_from..], &mut odd[odd_from..]);
            }
        }
    }
}

/// Runs `f(first, chunk, planes)` over `out` cut in chunks of `len` values (one group each),
/// handed a run of chunks at a time, `first` the run's first chunk: in parallel natively, each
/// thread reusing its own [`depthwise::Planes`]; all at once in wasm.
fn par_chunks<F>(out: &mut [MaybeUninit<f32>], len: usize, f: F)
where
    F: Fn(usize, &mut [MaybeUninit<f32>], &mut depthwise::Planes) + Sync + Send,
{
    #[cfg(not(target_arch = "wasm32"))]
    {
        // Runs of about 8K outputs at least: a 7x7 layer's 960 channels one task each would cost
        // more in scheduling than in arithmetic, and at 16K MobileNetV2's 14 → 7 px layer (576 ×
        // 49 outputs) would be one task (BENCHMARKS.md: "tasks of at least 8K outputs").
        let run = (8 * 1024 / len.max(1)).max(1);
        let runs = out.chunks_mut(run * len.max(1)).enumerate().collect();
        parallel::map(runs, |(i, chunk)| depthwise::with_planes(|planes| f(i * run, chunk, planes)));
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = len; // one thread: one run of every chunk
        depthwise::with_planes(|planes| f(0, out, planes));
    }
}

/// `activation(conv(x))` on the direct path, when it applies: `x` and the weights plain `flex`
/// f32 tensors (not autodiff), dilation 1, explicit padding, few taps (see
/// [`Geometry::is_direct`]). Otherwise `Err(x)`, untouched, for burn's own convolution. `extra`
/// `[top, left, bottom, right]` zeros are added around `x` beyond the convolution's own padding
/// (TensorFlow's asymmetric "SAME" padding) without copying `x` into a padded tensor first.
pub fn forward(conv: &Conv2d, x: Tensor<4>, activation: Activation, extra: [usize; 4]) -> Result<Tensor<4>, Tensor<4>> {
    let [batch, in_channels, h, w] = x.dims();
    let [out_channels, _, kh, kw] = conv.weight.dims();
    let Some(own) = flex::explicit_padding(conv) else { return Err(x) };
    let [top, left, bottom, right] = std::array::from_fn(|i| own[i] + extra[i]);
    let g = Geometry {
        batch,
        in_channels,
        out_channels,
        groups: conv.groups,
        size: [h, w],
        kernel: kh,
        stride: conv.stride[0],
        padding: [top, left, bottom, right],
    };
    if kh != kw || conv.stride[0] != conv.stride[1] || conv.dilation != [1, 1] || !g.is_direct() {
        return Err(x);
    }
    let [oh, ow] = g.out_size();
    flex::run_on_flex(conv, x, [batch, out_channels, oh, ow], |x, weight, bias| conv2d(x, weight, bias, &g, activation))
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::PaddingConfig2d;
    use burn::tensor::Distribution;

    use super::{Activation, Conv2d, Geometry, Isa, conv2d_with, forward};
    use crate::kernels::testing::{assert_non_finite_as_burn, clipping, non_finite_input, reference_activation};
    use burn::prelude::*;

    /// burn's own convolution and activation, the reference.
    fn reference(conv: &Conv2d, x: Tensor<4>, activation: Activation) -> Tensor<4> {
        reference_activation(conv.forward(x), activation)
    }

    fn conv(channels: [usize; 2], kernel: usize, stride: usize, groups: usize, padding: [usize; 4], device: &Device) -> Conv2d {
        let [top, left, bottom, right] = padding;
        clipping(
            Conv2dConfig::new(channels, [kernel, kernel])
                .with_stride([stride, stride])
                .with_groups(groups)
                .with_padding(PaddingConfig2d::Explicit(top, left, bottom, right))
                .init(device),
        )
    }

    #[test]
    fn equals_burns_convolution_on_every_supported_shape() {
        let device = Device::flex();
        let cases = [
            // (channels, kernel, stride, groups, padding [t, l, b, r], input [h, w])
            ([32, 32], 3, 1, 32, [1, 1, 1, 1], [112, 112]), // MobileNetV2's depthwise
            ([96, 96], 3, 2, 96, [1, 1, 1, 1], [112, 112]), // stride 2, even size
            ([8, 8], 3, 2, 8, [1, 1, 1, 1], [7, 9]),        // stride 2, odd sizes
            ([8, 8], 3, 1, 8, [1, 1, 1, 1], [1, 1]),        // one pixel
            ([8, 8], 5, 1, 8, [2, 2, 2, 2], [14, 14]),      // EfficientNet-Lite's 5x5
            ([8, 8], 5, 2, 8, [0, 0, 0, 0], [31, 31]),      // Lite's stride 2: padded before
            ([8, 8], 3, 2, 8, [0, 1, 1, 2], [10, 11]),      // asymmetric padding
            ([3, 32], 3, 2, 1, [1, 1, 1, 1], [224, 224]),   // MobileNetV2's RGB stem
            ([3, 16], 3, 2, 1, [0, 0, 0, 0], [33, 30]),     // Lite's stem (padded before)
            ([8, 16], 3, 1, 8, [1, 1, 1, 1], [6, 6]),       // grouped, two outputs per group
            ([2, 4], 3, 1, 1, [1, 1, 1, 1], [5, 5]),        // 18 taps
        ];
        for (channels, kernel, stride, groups, padding, [h, w]) in cases {
            let layer = conv(channels, kernel, stride, groups, padding, &device);
            for activation in [Activation::None, Activation::Relu, Activation::Relu6] {
                let x = Tensor::<4>::random([2, channels[0], h, w], Distribution::Normal(0.0, 1.0), &device);
                let expected = reference(&layer, x.clone(), activation);
                let got = forward(&layer, x, activation, [0; 4]).expect("takes the direct path");
                assert_eq!(got.dims(), expected.dims());
                let diff: f32 = got.sub(expected).abs().max().into_scalar();
                let case = format!("{channels:?} k{kernel} s{stride} g{groups} pad {padding:?} {h}x{w} {activation:?}");
                assert!(diff < 1e-4, "{case}: differs from burn's by {diff}");
            }
        }
    }

    /// Every build of the loops this CPU runs agrees with the portable one (wasm's, and natively
    /// on CPUs without AVX2 and FMA): here on x86-64 with AVX2, two builds.
    #[test]
    fn every_kernel_agrees_with_the_portable_loops() {
        // Stride-2 rows of 70 (the plain split, vectorized, and a remainder), and of 1 to 33
        // values: AVX-512 splits rows up to 32 in one masked step (one vector of input up to 16,
        // two beyond), odd and even.
        let mut cases = vec![(16, 16, 16, 3, 1, [15, 13]), (16, 16, 16, 5, 2, [14, 14]), (16, 16, 16, 3, 2, [9, 70]), (3, 8, 1, 3, 2, [31, 30])];
        cases.extend([1, 7, 14, 16, 17, 28, 31, 32, 33].map(|w| (16, 16, 16, 3, 2, [5, w])));
        for (in_channels, out_channels, groups, kernel, stride, size) in cases {
            let g = Geometry { batch: 2, in_channels, out_channels, groups, size, kernel, stride, padding: [kernel / 2; 4] };
            let values = |n: usize, seed: usize| (0..n).map(|i| ((i * 7919 + seed) % 1009) as f32 / 504.5 - 1.0).collect::<Vec<f32>>();
            let x = values(g.batch * in_channels * size[0] * size[1], 1);
            let weight = values(out_channels * g.taps(), 2);
            let bias = values(out_channels, 3);
            let portable = conv2d_with(Isa::Portable, &x, &weight, &bias, &g, Activation::Relu6);
            for isa in Isa::available() {
                let got = conv2d_with(isa, &x, &weight, &bias, &g, Activation::Relu6);
                assert_eq!(got.len(), portable.len());
                for (i, (d, p)) in got.iter().zip(&portable).enumerate() {
                    assert!((d - p).abs() < 1e-5, "{isa:?} {g:?} value {i}: {d} vs {p}");
                }
            }
        }
    }

    #[test]
    fn extra_padding_equals_padding_the_input_first() {
        let device = Device::flex();
        for (channels, kernel, groups, [h, w], extra) in
            [([8, 8], 5, 8, [14, 14], [1, 1, 2, 2]), ([8, 8], 3, 8, [28, 27], [0, 0, 1, 1]), ([3, 16], 3, 1, [32, 32], [0, 0, 1, 1])]
        {
            let layer = conv(channels, kernel, 2, groups, [0; 4], &device);
            let x = Tensor::<4>::random([1, channels[0], h, w], Distribution::Normal(0.0, 1.0), &device);
            let [top, left, bottom, right] = extra;
            let padded = x.clone().pad([(top, bottom), (left, right)], burn::tensor::ops::PadMode::Constant(0.0));
            let expected = reference(&layer, padded, Activation::Relu6);
            let got = forward(&layer, x, Activation::Relu6, extra).expect("takes the direct path");
            assert_eq!(got.dims(), expected.dims());
            let diff: f32 = got.sub(expected).abs().max().into_scalar();
            assert!(diff < 1e-4, "k{kernel} {h}x{w} extra {extra:?}: differs by {diff}");
        }
    }

    #[test]
    fn non_finite_values_propagate_as_in_burn() {
        let device = Device::flex();
        let layer = conv([4, 4], 3, 1, 4, [1, 1, 1, 1], &device);
        let x = non_finite_input(&device);
        let got = forward(&layer, x.clone(), Activation::Relu6, [0; 4]).unwrap();
        assert_non_finite_as_burn(got, reference(&layer, x, Activation::Relu6));
    }

    #[test]
    fn leaves_other_convolutions_to_burn() {
        let device = Device::flex();
        let x = || Tensor::<4>::random([1, 16, 8, 8], Distribution::Normal(0.0, 1.0), &device);
        // A 1x1 convolution mixing 16 channels (16 taps would be allowed, but 3x3 over 16 is not).
        let full = conv([16, 16], 3, 1, 1, [1, 1, 1, 1], &device);
        let back = forward(&full, x(), Activation::Relu, [0; 4]).expect_err("144 taps: gemm's");
        assert_eq!(back.dims(), [1, 16, 8, 8], "the input comes back untouched");
        let dilated = Conv2dConfig::new([16, 16], [3, 3]).with_groups(16).with_dilation([2, 2]).init(&device);
        assert!(forward(&dilated, x(), Activation::None, [0; 4]).is_err());
        let stride3 = conv([16, 16], 3, 3, 16, [1, 1, 1, 1], &device);
        assert!(forward(&stride3, x(), Activation::None, [0; 4]).is_err());
    }

    #[test]
    fn leaves_autodiff_to_burn() {
        let device = Device::flex().autodiff();
        let layer = Conv2dConfig::new([4, 4], [3, 3]).with_groups(4).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(&device);
        let x = Tensor::<4>::random([1, 4, 6, 6], Distribution::Normal(0.0, 1.0), &device);
        assert!(forward(&layer, x, Activation::Relu6, [0; 4]).is_err(), "no backward pass here: training stays on burn's");
    }
}
