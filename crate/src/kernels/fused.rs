//! MobileNetV2's inverted residual block and EfficientNet-Lite's MBConv in one pass on the CPU:
//! expand (1x1) → depthwise → project (1x1) → + input, a strip of output rows at a time. The
//! expanded activation is the block's largest — `[96, 112, 112]`, 4.8 MB, for MobileNetV2's
//! second block at 224 px — and layer by layer it is written to memory whole, then read back by
//! the depthwise convolution, whose output is written and read back again by the projection.
//! Here a strip's expanded rows, its depthwise output and the projection's inputs stay in the
//! core's own cache; only the block's input and output pass through memory.
//!
//! A strip needs the expanded rows under its depthwise kernel's reach, `(rows - 1) · stride +
//! kernel` of them. The `kernel - stride` rows it shares with the next strip are kept (moved to
//! the front of the buffer), not expanded again. Natively the output rows are cut into one band
//! per thread, run in parallel, each band's strips in order; only a band's first strip expands
//! rows that another band expands too. The kernels are the layers' own ([`super::pointwise`],
//! [`super::direct_conv`]), on windows of rows: the same sums as layer by layer, in the same
//! order, except where a strip's last few pixels fall to the 1x1 kernel's dot products (see
//! `pointwise::DOT_COLS`) and the whole picture's to a panel, or the reverse: rounding only.
//! In wasm (one band) this gains nothing: V8's time there is in the kernels' arithmetic
//! (BENCHMARKS.md: "MobileNetV2's and EfficientNet-Lite's blocks fused").
//!
//! Blocks whose expanded activation fits in the cache anyway ([`MIN_HIDDEN_BYTES`]) are not cut
//! into strips: on several threads each expands, filters and projects its own share of the
//! hidden channels ([`Plan::shares`]), so that no layer reads what another core wrote; on one
//! they run layer by layer. Inference only, as the kernels: folded layers (the networks fold at load)
//! on plain `flex` f32 tensors; anything else runs layer by layer. Shapes: `x` `[batch, in, h, w]` → `[batch,
//! out, oh, ow]`; the expanded activation is `[batch, hidden, h, w]`.

use std::borrow::Cow;
use std::ops::Range;

use burn::prelude::*;

use burn::nn::conv::Conv2d;

use super::depthwise::{self, Planes, Taps};
use super::geometry::Geometry;
use super::flex::{self, ConvOperands, Flex};
use super::pointwise::{self, Output};
use super::{Activation, Isa, activation};
use crate::parallel;

/// Blocks whose expanded activation (one picture) is smaller are not cut into strips of rows:
/// on one thread they run layer by layer, on more their hidden channels are shared among the
/// threads ([`Plan::shares`]). MobileNetV2 at 224 px cuts its blocks at 112, 56 and 28 px
/// (4.8 MB down to 0.6 MB expanded), not those at 14 and 7 px (0.45 MB and less): their strips
/// would be the whole picture, nothing gained and the hand-over per strip paid (BENCHMARKS.md:
/// "the 14x14 and 7x7 blocks fused too", "the 28 px blocks on shares"; `fused::MIN_HIDDEN_BYTES`
/// under "Figures from the kernels' comments").
pub const MIN_HIDDEN_BYTES: usize = 512 * 1024;

/// About how many bytes of expanded rows a strip holds: with its depthwise output and the
/// projection's inputs, under a core's L2 cache (1 MB on the build machine). Small strips lose on
/// the kernels' cost per call (the depthwise kernel's, per channel), large ones on the cache;
/// this size is the smallest of the fastest (BENCHMARKS.md: "strips of 64 KB";
/// `fused::STRIP_BYTES` under "Figures from the kernels' comments").
const STRIP_BYTES: usize = 384 * 1024;

/// How a picture is cut, and which instruction set the kernels run: the defaults above, or a
/// test's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuning {
    pub(crate) min_hidden_bytes: usize,
    pub(crate) strip_bytes: usize,
    /// Bands per picture: one per thread (more gained nothing: `fused::Tuning::bands` under
    /// BENCHMARKS.md's "Figures from the kernels' comments").
    pub(crate) bands: usize,
    pub(crate) isa: Isa,
}

impl Tuning {
    pub(crate) fn detect() -> Self {
        Self { min_hidden_bytes: MIN_HIDDEN_BYTES, strip_bytes: STRIP_BYTES, bands: parallel::threads(), isa: Isa::detect() }
    }
}

/// A folded convolution (its batch norm, if it had one, already in its weights and bias) and the
/// activation after it: a layer as the fused path takes it.
#[derive(Clone, Copy)]
pub struct Layer<'a> {
    pub conv: &'a Conv2d,
    pub activation: Activation,
}

/// A block's layers, as the fused path takes them.
#[derive(Clone, Copy)]
pub struct Block<'a> {
    /// 1x1, `[in] → [hidden]`; absent when the block does not expand (`t = 1`).
    pub expand: Option<Layer<'a>>,
    /// `hidden` groups of one channel, 3x3 or 5x5, stride 1 or 2.
    pub depthwise: Layer<'a>,
    /// `[top, left, bottom, right]` zeros around the depthwise convolution's input beyond its own
    /// padding (EfficientNet-Lite's TensorFlow "SAME" padding).
    pub extra: [usize; 4],
    /// 1x1, `[hidden] → [out]`.
    pub project: Layer<'a>,
    /// Whether the block's input is added to its output.
    pub residual: bool,
}

/// The block's output when the fused path takes it; otherwise `Err(x)`, untouched.
pub fn forward(block: &Block, x: Tensor<4>) -> Result<Tensor<4>, Tensor<4>> {
    fused(block, x, Tuning::detect())
}

/// [`forward`] cut and run as `tuning` says.
pub(crate) fn fused(block: &Block, x: Tensor<4>, tuning: Tuning) -> Result<Tensor<4>, Tensor<4>> {
    let [batch, in_channels, h, w] = x.dims();
    let Some(plan) = Plan::new(block, [in_channels, h, w], tuning) else { return Err(x) };
    let x = Flex::of(x)?;
    let Some(layers) = Layers::of(block) else { return Err(x.into_tensor()) };
    let [oh, ow] = plan.depthwise.out_size();
    let out_channels = block.project.conv.weight.dims()[0];
    let isa = tuning.isa;
    let x = x.values();
    let len = batch * out_channels * oh * ow;
    if plan.small {
        let mut pictures = x.chunks_exact(in_channels * h * w).map(|x| plan.shares(isa, &layers, x, out_channels));
        // One picture (a camera's frame): its output as it is, not copied once more.
        let mut values = pictures.next().unwrap_or_default();
        pictures.for_each(|y| values.extend(y));
        return Ok(flex::flex_tensor(values, [batch, out_channels, oh, ow]));
    }
    // Not zeroed first: the strips write every value once.
    let mut values: Vec<f32> = Vec::with_capacity(len);
    for (x, out) in x.chunks_exact(in_channels * h * w).zip(values.spare_capacity_mut()[..len].chunks_exact_mut(out_channels * oh * ow)) {
        let y = Output::new(out, out_channels, oh * ow);
        parallel::for_each(&plan.bands(), |rows| plan.band(isa, &layers, x, rows, &y));
    }
    // SAFETY: each picture's bands cover its output rows, each band's strips its rows, and each
    // strip's projection writes all of its rows' columns for every output channel.
    unsafe { values.set_len(len) };
    Ok(flex::flex_tensor(values, [batch, out_channels, oh, ow]))
}

/// The layers' weights and biases as plain values, and their activations.
struct Layers {
    /// `[hidden, in]`, `[hidden]`.
    expand: Option<(ConvOperands, Activation)>,
    /// `[hidden, k, k]`, `[hidden]`.
    depthwise: (ConvOperands, Activation),
    /// `[out, hidden]`, `[out]`.
    project: (ConvOperands, Activation),
}

impl Layers {
    fn of(block: &Block) -> Option<Self> {
        let operands = |layer: Layer| ConvOperands::of(layer.conv).map(|operands| (operands, layer.activation));
        let expand = match block.expand {
            Some(layer) => Some(operands(layer)?),
            None => None,
        };
        Some(Self { expand, depthwise: operands(block.depthwise)?, project: operands(block.project)? })
    }
}

/// A layer's weights and biases as plain values, and its activation.
fn values((operands, activation): &(ConvOperands, Activation)) -> (Cow<'_, [f32]>, Cow<'_, [f32]>, Activation) {
    (operands.weight.values(), operands.bias(), *activation)
}

/// A small block's buffers keep each channel's values this many apart: a multiple of 16 (64
/// bytes), so that every channel starts on a cache line and the 1x1 tiles' loads and stores of 16
/// values never straddle two lines, as they do 3 times in 4 at 14x14 (196 values, 784 bytes a
/// channel). Not where one value is left over a multiple of 16 (7x7: 49): padded, the single
/// dot-product column would be gathered 256 bytes apart (BENCHMARKS.md: "keep each channel
/// 64-byte aligned", "7x7 channels padded to 64 values too").
fn padded(values: usize) -> usize {
    if values % 16 > 1 { values.next_multiple_of(16) } else { values }
}

/// How a picture is cut: the depthwise convolution's geometry on the whole picture, and the
/// output rows per strip.
struct Plan {
    /// One picture; `hidden` channels in `hidden` groups.
    depthwise: Geometry,
    rows: usize,
    bands: usize,
    residual: bool,
    /// Whether the expanded activation fits the cache whole (see [`MIN_HIDDEN_BYTES`]): then
    /// the threads share the hidden channels, not the rows (see [`Plan::shares`]).
    small: bool,
}

impl Plan {
    /// `None` when the fused path does not take the block.
    fn new(block: &Block, [in_channels, h, w]: [usize; 3], tuning: Tuning) -> Option<Self> {
        let conv = block.depthwise.conv;
        let [hidden, per_group, k, kw] = conv.weight.dims();
        let expanded = match block.expand {
            Some(expand) => pointwise::takes(expand.conv) && expand.conv.weight.dims()[..2] == [hidden, in_channels],
            None => hidden == in_channels,
        };
        let [projected, project_in, ..] = block.project.conv.weight.dims();
        let own = flex::explicit_padding(conv)?;
        let padding: [usize; 4] = std::array::from_fn(|i| own[i] + block.extra[i]);
        let depthwise = Geometry {
            batch: 1,
            in_channels: hidden,
            out_channels: hidden,
            groups: hidden,
            size: [h, w],
            kernel: k,
            stride: conv.stride[0],
            padding,
        };
        // One channel is a dense convolution to the depthwise loops (they take two groups or
        // more); found by the random-shape check (kernels/check.rs).
        let depthwise_ok = conv.groups == hidden
            && hidden > 1
            && per_group == 1
            && k == kw
            && conv.stride[0] == conv.stride[1]
            && conv.dilation == [1, 1]
            && depthwise.is_direct()
            // Every strip then reads at least one input row (see `band`).
            && padding[0] < k
            && padding[2] < k;
        let [oh, ow] = if depthwise_ok { depthwise.out_size() } else { return None };
        let residual_ok = !block.residual || (projected == in_channels && [oh, ow] == [h, w]);
        let small = hidden * h * w * size_of::<f32>() < tuning.min_hidden_bytes;
        if small && tuning.bands < 2 {
            return None; // one thread: the shares would be the layers, and a pass more
        }
        if !(expanded && depthwise_ok && pointwise::takes(block.project.conv) && project_in == hidden && residual_ok) {
            return None;
        }
        let s = depthwise.stride;
        let rows_in = (tuning.strip_bytes / (hidden * w * size_of::<f32>())).max(k);
        let rows = ((rows_in - k) / s + 1).min(oh);
        Some(Self { depthwise, rows, bands: tuning.bands, residual: block.residual, small })
    }

    /// The output rows cut into bands, at most one per strip.
    fn bands(&self) -> Vec<Range<usize>> {
        let [oh, _] = self.depthwise.out_size();
        let count = self.bands.clamp(1, oh.div_ceil(self.rows));
        (0..count).map(|i| i * oh / count..(i + 1) * oh / count).collect()
    }

    /// A small block's picture `x` `[in, h, w]` → `[out, oh, ow]`, its hidden channels shared
    /// among the threads: each expands its share (every pixel), filters it with the depthwise
    /// kernel and projects it — the projection's sums over its share's channels only — and the
    /// shares' sums are then added up with the bias (and the residual). Each thread reads back only
    /// what it wrote, but the block's input and the shares' sums.
    ///
    /// Sharing the channels, not each layer's output, keeps each thread on what it wrote: cut layer
    /// by layer, the depthwise layer and the projection would read half of their input from the
    /// other core's cache (BENCHMARKS.md: "small blocks (14 and 7 px) on several threads").
    fn shares(&self, isa: Isa, layers: &Layers, x: &[f32], out_channels: usize) -> Vec<f32> {
        let g = &self.depthwise;
        let ([h, w], [oh, ow], hidden) = (g.size, g.out_size(), g.out_channels);
        let (hw, ohw) = (h * w, oh * ow);
        // Shares of whole 16s of channels (a vector's worth of the depthwise kernel's rows).
        let blocks = hidden.div_ceil(16);
        let count = self.bands.clamp(1, blocks);
        let mut bounds: Vec<Range<usize>> = (0..count).map(|i| (i * blocks / count * 16).min(hidden)..((i + 1) * blocks / count * 16).min(hidden)).collect();
        // A last share of one channel (17, 33, … hidden channels) joins the one before: the
        // depthwise loops take two groups or more (found by kernels/check.rs).
        if bounds.len() > 1 && bounds[bounds.len() - 1].len() == 1 {
            let last = bounds.pop().expect("two shares or more");
            bounds.last_mut().expect("one share left").end = last.end;
        }
        let sums = parallel::map(bounds, |channels| self.share(isa, layers, x, channels, out_channels));
        let ohw_pad = padded(ohw);
        let len = out_channels * ohw;
        // Not zeroed first: each row starts as the first share's sums.
        let mut y: Vec<f32> = Vec::with_capacity(len);
        let (project_bias, project_activation) = (layers.project.0.bias(), layers.project.1);
        let per_task = out_channels.div_ceil(count);
        let (first, others) = sums.split_first().expect("at least one share");
        parallel::map(y.spare_capacity_mut()[..len].chunks_mut(ohw * per_task).enumerate().collect(), |(i, rows)| {
            for (r, row) in rows.chunks_exact_mut(ohw).enumerate() {
                let co = i * per_task + r;
                for (y, p) in row.iter_mut().zip(&first[co * ohw_pad..][..ohw]) {
                    y.write(project_bias[co] + p);
                }
                // SAFETY: every value of `row` was written just above.
                let row = unsafe { &mut *(row as *mut [std::mem::MaybeUninit<f32>] as *mut [f32]) };
                for partial in others {
                    row.iter_mut().zip(&partial[co * ohw_pad..][..ohw]).for_each(|(y, p)| *y += p);
                }
                if self.residual {
                    row.iter_mut().zip(&x[co * hw..(co + 1) * hw]).for_each(|(y, x)| *y += x);
                }
                activation::activate_slice(row, project_activation);
            }
        });
        // SAFETY: the tasks' rows cover `y`'s `len` values, and each wrote all of its own.
        unsafe { y.set_len(len) };
        y
    }

    /// One share of [`Plan::shares`], hidden channels `channels`: expanded (every pixel), filtered,
    /// and projected into the sums over those channels only, `[out, oh, ow]` (each channel's
    /// values [`padded`] apart), without the bias.
    fn share(&self, isa: Isa, layers: &Layers, x: &[f32], channels: Range<usize>, out_channels: usize) -> Vec<f32> {
        let g = &self.depthwise;
        let ([h, w], [oh, ow], hidden, k2) = (g.size, g.out_size(), g.out_channels, g.taps());
        let (hw, ohw, n) = (h * w, oh * ow, channels.len());
        let (hw_pad, ohw_pad) = (padded(hw), padded(ohw));
        let in_channels = x.len() / hw;
        let expand = layers.expand.as_ref().map(values);
        let (depthwise, depthwise_bias, depthwise_activation) = values(&layers.depthwise);
        let project = layers.project.0.weight.values();
        let expanded_len = if expand.is_some() { n * hw_pad } else { 0 };
        // [n, h, w], [n, oh, ow], channels padded apart
        parallel::with_buffers([expanded_len, n * ohw_pad], |[expanded, filtered]| {
            let (input, stride) = match &expand {
                Some((weight, bias, activation)) => {
                    let out = Output::of_values(expanded, n, hw_pad);
                    let weight = &weight[channels.start * in_channels..channels.end * in_channels];
                    // SAFETY: `out` is this share's own buffer, and nothing else views it.
                    unsafe { pointwise::conv1x1_columns(isa, x, [hw, 0], weight, &bias[channels.clone()], *activation, &out, 0..hw) };
                    (&expanded[..], hw_pad)
                }
                None => (&x[channels.start * hw..channels.end * hw], hw),
            };
            let taps = Taps::new(&Geometry { in_channels: n, out_channels: n, groups: n, ..*g });
            let operands = (&depthwise[channels.start * k2..channels.end * k2], &depthwise_bias[channels.clone()], depthwise_activation);
            depthwise::with_planes(|planes| depthwise::depthwise_into(isa, (input, stride), operands, &taps, (&mut *filtered, ohw_pad), planes));
            let len = out_channels * ohw_pad;
            let mut partial = Vec::with_capacity(len); // [out, oh, ow], channels padded apart
            let slots = &mut partial.spare_capacity_mut()[..len];
            for row in slots.chunks_exact_mut(ohw_pad) {
                row[ohw..].fill(std::mem::MaybeUninit::new(0.0));
            }
            let out = Output::new(slots, out_channels, ohw_pad);
            // SAFETY: `out` is this share's own buffer, and nothing else views it; the product
            // writes every row's first `ohw` columns, and the rest were zeroed above.
            unsafe {
                pointwise::partial_columns(isa, filtered, ohw_pad, (&project[channels.start..], hidden), n, &out, ohw);
                partial.set_len(len);
            }
            partial
        })
    }

    /// One band of output rows of a picture: `x` `[in, h, w]`, into `y` `[out, oh · ow]`.
    fn band(&self, isa: Isa, layers: &Layers, x: &[f32], rows: &Range<usize>, y: &Output) {
        let g = &self.depthwise;
        let ([_, ow], hidden) = (g.out_size(), g.out_channels);
        let layout = self.expanded_layout(layers.expand.is_some());
        let depthwise_stride = self.rows * ow;
        let expanded_len = if layers.expand.is_some() { hidden * layout.0 } else { 0 };
        parallel::with_buffers([expanded_len, hidden * depthwise_stride], |[expanded, filtered]| {
            depthwise::with_planes(|planes| self.strips(isa, layers, x, rows, y, (expanded, layout, filtered), planes))
        });
    }

    /// How a strip's expanded rows (if the block expands) lie in their buffer: each channel's
    /// `stride` apart and, where the depthwise convolution can read them as its planes
    /// ([`Taps::laid_out`]: stride 1), laid out so (`true`): zeros around each channel's rows,
    /// where the taps off the strip read. Otherwise `rows_in × w` values a channel, which the
    /// depthwise kernel copies into its planes. The stride holds the largest strip's planes: the
    /// picture's top and bottom zero rows both, about a strip of input rows. Once per band.
    ///
    /// Read in place, the expanded rows skip a copy into the planes, from L2 into L1, for every
    /// strip (BENCHMARKS.md: "fused strips, stride 1").
    fn expanded_layout(&self, expands: bool) -> (usize, bool) {
        let g = &self.depthwise;
        let [_, w] = g.size;
        let rows_in = (self.rows - 1) * g.stride + g.kernel;
        let most = Geometry { size: [rows_in, w], ..*g };
        match (expands, Taps::new(&most).laid_out()) {
            (true, Some((_, len))) => (len, true),
            _ => (rows_in * w, false),
        }
    }

    /// A band's strips, with this thread's buffers for the expanded rows (`[hidden, rows_in, w]`,
    /// see [`Plan::expanded_layout`]) and the depthwise output (`[hidden, rows, ow]`).
    fn strips(&self, isa: Isa, layers: &Layers, x: &[f32], rows: &Range<usize>, y: &Output, (expanded, (hidden_stride, laid_out), filtered): (&mut [f32], (usize, bool), &mut [f32]), planes: &mut Planes) {
        let g = &self.depthwise;
        let ([h, w], [_, ow], hidden) = (g.size, g.out_size(), g.out_channels);
        let (k, s, top) = (g.kernel, g.stride, g.padding[0]);
        let depthwise_stride = self.rows * ow;
        let mut have = 0..0; // the input rows whose expansion `expanded` holds, from its row 0
        let mut have_at = 0; // where, in each channel's part of `expanded`
        let mut taps: Option<Taps> = None; // the depthwise taps of the last strip's geometry
        let expand = layers.expand.as_ref().map(values);
        let (depthwise, depthwise_bias, depthwise_activation) = values(&layers.depthwise);
        let (project, project_bias, project_activation) = values(&layers.project);
        for r0 in rows.clone().step_by(self.rows) {
            let r1 = (r0 + self.rows).min(rows.end);
            // The padded input rows under the strip's kernels, then those of the input itself.
            let (p0, p1) = (r0 * s, (r1 - 1) * s + k);
            let (i0, i1) = (p0.saturating_sub(top).min(h), p1.saturating_sub(top).min(h));
            let strip = Geometry {
                size: [i1 - i0, w],
                padding: [top.saturating_sub(p0), g.padding[1], p1.saturating_sub(top + h), g.padding[3]],
                ..*g
            };
            debug_assert_eq!(strip.out_size(), [r1 - r0, ow]);
            // The same taps for every strip but a band's first and last.
            if taps.as_ref().map(Taps::geometry) != Some(&strip) {
                taps = Some(Taps::new(&strip));
            }
            let taps = taps.as_ref().expect("made above");
            // Where the strip's first input row goes in each channel's part of `expanded`, and
            // how much of it the depthwise kernel reads as its planes.
            let (at, len) = match taps.laid_out() {
                Some((at, len)) if laid_out && len <= hidden_stride => (at, Some(len)),
                _ => (0, None),
            };
            debug_assert!(len.is_none() || expand.is_some(), "laid out only where the block expands");
            let (input, stride) = match &expand {
                Some((weight, bias, activation)) => {
                    // Rows expanded for the last strip and needed again move to the front.
                    let from = if have.contains(&i0) {
                        for c in 0..hidden {
                            let channel = c * hidden_stride;
                            expanded.copy_within(channel + have_at + (i0 - have.start) * w..channel + have_at + (have.end - have.start) * w, channel + at);
                        }
                        have.end
                    } else {
                        i0
                    };
                    let out = Output::of_values(&mut *expanded, hidden, hidden_stride);
                    // SAFETY: `out` is this band's own buffer, and nothing else views it.
                    unsafe {
                        pointwise::conv1x1_columns(isa, x, [h * w, from * w], weight, bias, *activation, &out, at + (from - i0) * w..at + (i1 - i0) * w);
                    }
                    if let Some(len) = len {
                        // The planes' zeros around the rows (the buffer holds whatever the last
                        // strip, or block, left there).
                        for channel in expanded.chunks_exact_mut(hidden_stride) {
                            channel[..at].fill(0.0);
                            channel[at + (i1 - i0) * w..len].fill(0.0);
                        }
                    }
                    (have, have_at) = (i0..i1, at);
                    (&expanded[..], hidden_stride)
                }
                None => (&x[i0 * w..], h * w),
            };
            let operands = (&depthwise[..], &depthwise_bias[..], depthwise_activation);
            match len {
                Some(_) => depthwise::depthwise_laid_out(isa, (input, stride), operands, taps, (&mut *filtered, depthwise_stride)),
                None => depthwise::depthwise_into(isa, (input, stride), operands, taps, (&mut *filtered, depthwise_stride), planes),
            }
            let cols = r0 * ow..r1 * ow;
            // SAFETY: the strip's columns of `y`, which no other strip or band writes; the residual
            // reads them once the projection has written them.
            unsafe {
                pointwise::conv1x1_columns(isa, &filtered, [depthwise_stride, 0], &project, &project_bias, project_activation, y, cols.clone());
                if self.residual {
                    y.add(&cols, x, h * w);
                }
            }
        }
    }
}
