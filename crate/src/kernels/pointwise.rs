//! 1x1 convolutions on the CPU (MobileNetV2's expand and project layers, EfficientNet-Lite's,
//! GoogLeNet's 1x1 branches): a matrix product `out[co, p] = bias[co] + Σ_ci w[co, ci] · x[ci, p]`
//! on NCHW data as it lies — `w` `[out, in]`, `x` `[in, pixels]`, `out` `[out, pixels]`, all
//! row-major — with the bias and the activation applied as each tile is written.
//!
//! These layers are most of MobileNetV2's arithmetic (268 of its 300 M multiply-adds). burn-flex
//! 0.22.1 runs them through the `gemm` crate, then adds the bias and the activation in passes of
//! their own, and its threads split only products of at least 192³ multiply-adds, so most of
//! these layers run on one core there (BENCHMARKS.md: "1x1 convolutions in camtag's own CPU kernel").
//!
//! The kernel is the classic register tile (BLIS's, GotoBLAS's): a few output channels ×
//! [`COLS`] pixels of sums held in vector registers while the input channels stream past — per
//! input channel, one load of `COLS` pixels is multiplied by each row's weight (one broadcast
//! each). With AVX2 6 × 16 (12 accumulators, the shape of BLIS's Haswell kernel); with AVX-512
//! 8 × 48 where a panel is read in place and 48 pixels are left, else 12 × 32 (24 of its 32
//! registers), or 12 × 16 where fewer than 32 pixels are left; in wasm 4 × 8 (8 SIMD128
//! accumulators: V8 has 16 vector registers on x86-64). AVX-512 is taken first where the CPU has
//! it: twice AVX2's lanes (BENCHMARKS.md: "AVX-512 tiles, detected at run time"). The
//! weights are not packed (a tile reads its rows in step); with AVX2 and in wasm each column
//! panel of `x` (`in` × `COLS` values) is copied once into one contiguous run, zero-padded when it
//! is the last and narrower, and every row tile then reads it from the L1 cache (AVX-512 and small
//! pictures read whole panels where they lie: see [`task_loops`]). At most [`DOT_COLS`] pixels left after
//! the last whole panel (a 7x7 picture's 49th) are dot products along the input channels
//! instead (BENCHMARKS.md: "as dot products along the input channels"). The output is not zeroed
//! first: every value is written once. Natively the columns, and for small pictures (14x14, 7x7)
//! the rows instead, are split among the kernels' threads ([`crate::parallel`]); wasm has one.

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::Range;

use burn::nn::conv::Conv2d;
use burn::prelude::*;

use super::Activation;
use super::isa::dispatch;
use super::{Isa, Slot, activation, flex, slot};
use crate::parallel;
use super::vector::{self, Vector};

/// Pixels per panel (the columns tasks are cut at): two vectors of AVX2 or SIMD128, one of
/// AVX-512, whose tiles take two panels at once where they can.
pub const COLS: usize = if cfg!(target_arch = "wasm32") { 8 } else { 16 };
/// Output channels per register tile of the tallest kernel (AVX-512's): tasks are cut at
/// multiples of it, so that every kernel's tiles stay whole.
pub const ROWS: usize = if cfg!(target_arch = "wasm32") { 4 } else { 12 };

/// Output channels per register tile of `V`, whose rows are two vectors of sums each: 12 × 2 of
/// AVX-512's 32 registers, 6 × 2 of AVX2's 16, 4 × 2 of SIMD128's (V8 has 16 on x86-64).
const fn tile_rows<V: Vector>() -> usize {
    match V::LANES {
        16 => 12,
        8 => 6,
        _ => 4,
    }
}
/// Vectors per tile row where `left` pixels remain: two, except that AVX-512 (whose vector is a
/// whole `COLS`) takes one where fewer than two are left, so that a 7x7 picture's last 17 pixels
/// are a 16-wide tile and a dot product, not a 32-wide tile half empty.
///
/// Tiles whose panel is read where `x` lies (`wide`: a small picture's, see [`SMALL`], and every
/// AVX-512 one) take three AVX-512 vectors where at least 48 pixels are left, 8 rows of them
/// ([`WIDE_ROWS`]): 8 broadcasts and 3 loads a step for 24 multiply-adds, where the 32-wide tile's
/// 12 rows take 14 and its 16-wide one 13 for 12.
fn tile_vectors<V: Vector>(left: usize, wide: bool) -> usize {
    if wide && V::LANES == COLS && left >= 3 * V::LANES {
        3
    } else if left < 2 * V::LANES && V::LANES == COLS {
        1
    } else {
        2
    }
}
/// Rows of a three-vector tile: 8 × 3 of AVX-512's 32 registers hold sums.
const WIDE_ROWS: usize = 8;
/// At most this many pixels left after the last whole panel are computed as dot products along
/// the input channels ([`dot_columns`]), not as a zero-padded panel: a 7x7 picture is 49 = 3 × 16
/// + 1 pixels, and its last panel cost as much as a whole one for one column in 16. More than one
/// only over at least [`DOT_MIN_K`] input channels.
pub const DOT_COLS: usize = 4;
/// A dot product's sums are added across their lanes and stored one by one, a cost per output
/// channel and pixel that only a long sum repays; a zero-padded panel's cost grows with the input
/// channels. So 2–4 pixels left take the panel below this many input channels; a 7x7 picture's
/// one pixel left stays a dot product (BENCHMARKS.md: "2–4 pixels left over fewer than 192
/// channels"; `pointwise::DOT_MIN_K` under "Figures from the kernels' comments").
const DOT_MIN_K: usize = 192;
/// Pixels of a small picture, whose products the tasks split by output channels only and whose
/// tiles read `x` unpacked: at 14x14 and 7x7 `x` is at most 450 KB (576 channels), in the L2
/// cache, and each input channel's panel a run of 64–128 bytes (see [`task_loops`]).
const SMALL: usize = 256;

/// A 1x1 convolution's shape: `x` `[batch, in, pixels]` → `[batch, out, pixels]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    /// Height × width.
    pub pixels: usize,
}

/// `activation(w · x + bias)` for each picture: `x` `[batch, in, pixels]`, `weight` `[out, in]`,
/// `bias` `[out]` → `[batch, out, pixels]`, row-major.
///
/// # Panics
/// If a slice's length does not match `shape`, or `shape` has no input channels.
pub fn conv1x1(x: &[f32], weight: &[f32], bias: &[f32], shape: Shape, activation: Activation) -> Vec<f32> {
    conv1x1_with(Isa::detect(), x, weight, bias, shape, activation)
}

fn conv1x1_with(isa: Isa, x: &[f32], weight: &[f32], bias: &[f32], shape: Shape, activation: Activation) -> Vec<f32> {
    let Shape { batch, in_channels: k, out_channels: m, pixels: n } = shape;
    assert_eq!(x.len(), batch * k * n, "input length for {shape:?}");
    assert_eq!(weight.len(), m * k, "weight length for {shape:?}");
    assert_eq!(bias.len(), m, "bias length for {shape:?}");
    assert!(k > 0, "a 1x1 convolution of no input channels: {shape:?}");
    let len = batch * m * n;
    // Not zeroed first: every value is written once below (BENCHMARKS.md: "no zeroing of the output").
    let mut out: Vec<f32> = Vec::with_capacity(len);
    if len == 0 {
        return out;
    }
    let operands = Operands { weight, bias, k, weight_stride: k, stride: n, activation };
    let tasks = split(m, n, tasks_for(m, n, k));
    for (x, out) in x.chunks_exact(k * n).zip(out.spare_capacity_mut()[..len].chunks_exact_mut(m * n)) {
        let out = Output::new(out, m, n);
        // SAFETY: the tasks of `split` do not overlap.
        parallel::for_each(&tasks, |task| unsafe { run_task(isa, task, &out, x, &operands) });
    }
    // SAFETY: the tasks of each picture cover its output exactly once (`split`, tested by
    // `tasks_cover_the_output_once`), and a task writes every value of its rows × columns (its
    // row tiles cover its rows, its panels its columns, each tile all of its own).
    unsafe { out.set_len(len) };
    out
}

/// One thread's product over a window of columns, for a fused block (see [`super::fused`]): for
/// every output channel `co` and column `c` in `cols`,
/// `out[co, c] = activation(bias[co] + Σ_ci w[co, ci] · x[ci · x_stride + x_at + (c - cols.start)])`.
/// `x` is `in` rows of `x_stride` values (a window of pixel rows of a larger picture, or a
/// buffer), `weight` `[out, in]`, `bias` `[out]`, `out` `[out, n]`.
///
/// # Safety
/// No other slice of `out` overlapping its columns `cols` may be alive, on any thread.
///
/// # Panics
/// If the lengths do not fit these shapes.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn conv1x1_columns(
    isa: Isa,
    x: &[f32],
    [x_stride, x_at]: [usize; 2],
    weight: &[f32],
    bias: &[f32],
    activation: Activation,
    out: &Output,
    cols: Range<usize>,
) {
    let m = out.m;
    let k = weight.len() / m.max(1);
    assert!(m > 0 && k > 0 && weight.len() == m * k && bias.len() == m, "weight {} and bias {} for {m} outputs", weight.len(), bias.len());
    assert!(cols.start <= cols.end && cols.end <= out.n, "columns {cols:?} of {}", out.n);
    if cols.is_empty() {
        return;
    }
    assert!(x_stride >= cols.len() && x.len() >= (k - 1) * x_stride + x_at + cols.len(), "x of {} values for {k} rows of {x_stride} from {x_at}", x.len());
    let operands = Operands { weight, bias, k, weight_stride: k, stride: x_stride, activation };
    // SAFETY: the caller's promise for `out`.
    unsafe { run_task(isa, &Task { rows: 0..m, cols, x_at }, out, x, &operands) };
}

/// One thread's share of a product's input channels, for a small fused block (see
/// [`super::fused`]): `out[co, c] = Σ_{ci < k} w[co · weight_stride + ci] · x[ci · x_stride + c]`
/// for every output channel and column `c < n` (`out`'s rows may be longer: padded): no bias, no
/// activation (the shares' sums get them). `weight` starts at the share's first input channel of
/// the first row.
///
/// # Safety
/// No other slice of `out` may be alive, on any thread.
///
/// # Panics
/// If the lengths do not fit these shapes.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn partial_columns(isa: Isa, x: &[f32], x_stride: usize, (weight, weight_stride): (&[f32], usize), k: usize, out: &Output, n: usize) {
    let m = out.m;
    assert!(n <= out.n, "{n} columns of rows of {}", out.n);
    assert!(m > 0 && k > 0 && weight_stride >= k && weight.len() >= (m - 1) * weight_stride + k, "weight {} for {m} rows of {k}, {weight_stride} apart", weight.len());
    assert!(x_stride >= n && x.len() >= (k - 1) * x_stride + n, "x of {} values for {k} rows of {x_stride}", x.len());
    let bias = vec![0.0; m];
    let operands = Operands { weight, bias: &bias, k, weight_stride, stride: x_stride, activation: Activation::None };
    // SAFETY: the caller's promise for `out`.
    unsafe { run_task(isa, &Task { rows: 0..m, cols: 0..n, x_at: 0 }, out, x, &operands) };
}

/// Rows `rows` of a one-group direct convolution (the RGB stem: see [`super::direct_conv`]) on
/// this kernel's tiles: for every output channel `co`, output row `r` in `rows` and column
/// `c < ow`, `out[co, r · ow + c] = activation(bias[co] + Σ_t w[co, t] · planes[offsets[t] + (r −
/// first_row) · width + c])`. `planes` is the input split by stride phase from output row
/// `first_row` on (a task's own band of rows), `width` values a row, so that each
/// tap reads one contiguous run along an output row: the tap is the tile's input channel, and its
/// two vector loads serve all of the tile's output channels (the direct kernel loaded them again
/// for each). `weight` `[out, taps]`, `bias` `[out]`, `out` `[out, oh · ow]`.
///
/// # Safety
/// No other slice of `out` overlapping rows `rows` (columns `r · ow ..` of every output channel)
/// may be alive, on any thread.
///
/// # Panics
/// If the lengths do not fit these shapes, or `planes` ends less than a tile's width past the
/// last row's last tap (the split planes' slack, see `direct_conv::ScratchLayout::len`).
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn conv_taps(
    isa: Isa,
    (planes, first_row): (&[f32], usize),
    offsets: &[usize],
    (weight, bias, activation): (&[f32], &[f32], Activation),
    [ow, width]: [usize; 2],
    rows: Range<usize>,
    out: &Output,
) {
    let taps = offsets.len();
    assert!(taps > 0 && weight.len() == out.m * taps && bias.len() == out.m && ow <= width, "{taps} taps, weight {}, bias {}", weight.len(), bias.len());
    assert!(first_row <= rows.start, "planes from row {first_row}, rows {rows:?}");
    let taps = Taps { planes, first_row, offsets: Offsets::new(offsets), weight, bias, activation, ow, width };
    // SAFETY: the caller's promise for `out`.
    unsafe { run_taps(isa, &taps, rows, out) }
}

dispatch! {
    /// [`conv_taps`]'s loops in `isa`'s build.
    unsafe fn run_taps(taps: &Taps, rows: Range<usize>, out: &Output) => taps_loops
}

/// [`conv_taps`]'s operands.
struct Taps<'a> {
    planes: &'a [f32],
    /// The output row whose taps start at the planes' row 0.
    first_row: usize,
    offsets: Offsets<'a>,
    weight: &'a [f32],
    bias: &'a [f32],
    activation: Activation,
    ow: usize,
    width: usize,
}

/// Output rows outer, runs of a tile's width along each next, output channels inner: a run's
/// taps (3 input rows of each phase plane) and all the weights stay in L1.
///
/// # Safety
/// As [`task_loops`], for `rows`.
#[inline(always)]
unsafe fn taps_loops<V: Vector>(t: &Taps, rows: Range<usize>, out: &Output) {
    for r in rows {
        let mut c = 0;
        while c < t.ow {
            let left = t.ow - c;
            let vectors = tile_vectors::<V>(left, V::LANES == 16);
            let width = (vectors * V::LANES).min(left);
            let panel = &t.planes[(r - t.first_row) * t.width + c..];
            let tile_rows = if vectors == 3 { WIDE_ROWS } else { tile_rows::<V>() };
            for co in (0..out.m).step_by(tile_rows) {
                let count = tile_rows.min(out.m - co);
                // SAFETY: row r's own columns of every channel; the caller's promise.
                let at = unsafe { out.tile(co..co + count, r * t.ow + c..r * t.ow + c + width) };
                let k = t.offsets.offsets.len();
                let tile = Tile { weight: &t.weight[co * k..], weight_stride: k, bias: &t.bias[co..], k, panel, at: t.offsets, prefetch: false };
                let dst = Dst { at, stride: out.n, rows: count, width, activation: t.activation };
                // SAFETY: the caller's promise for `V`; `dst` is `count` rows of `width` values.
                unsafe { tile.run_rows::<V>(vectors, count, dst) };
            }
            c += width;
        }
    }
}

dispatch! {
    /// One task's tiles, in `isa`'s build of the loops.
    ///
    /// # Safety
    /// No other task overlapping `task` may write to `out` while it runs.
    unsafe fn run_task(task: &Task, out: &Output, x: &[f32], o: &Operands) => task_loops
}

/// What every tile reads besides its panel of `x`.
struct Operands<'a> {
    /// `[out, in]`.
    weight: &'a [f32],
    /// `[out]`.
    bias: &'a [f32],
    /// Input channels.
    k: usize,
    /// From one output channel's weights to the next's (`k`, or more: see [`partial_columns`]).
    weight_stride: usize,
    /// From one input channel's values in `x` to the next's: the picture's pixels, or more when
    /// `x` is a window of rows of a larger picture (see [`conv1x1_columns`]).
    stride: usize,
    activation: Activation,
}

/// One thread's share of a picture's output: rows `rows` (output channels) × columns `cols`
/// (pixels), reading `x` from its column `x_at` on (`cols.start`, except in
/// [`conv1x1_columns`]).
#[derive(Clone, Debug)]
struct Task {
    rows: Range<usize>,
    cols: Range<usize>,
    x_at: usize,
}

/// A picture's output `[m, n]`, shared by its tasks, which write disjoint rectangles of it: each
/// takes slices of its own rows × columns only, with no per-task list of row slices to build
/// (BENCHMARKS.md: "a task is a rectangle of a shared output view"). Only ever written with
/// values: a view of memory written already ([`Output::of_values`]) stays initialized.
pub(crate) struct Output<'a> {
    values: *mut MaybeUninit<f32>,
    m: usize,
    n: usize,
    _borrow: PhantomData<&'a mut [MaybeUninit<f32>]>,
}

// SAFETY: the tasks on other threads write through it only disjoint parts (the contracts of
// `row`, `tile` and `add`).
unsafe impl Send for Output<'_> {}
unsafe impl Sync for Output<'_> {}

impl<'a> Output<'a> {
    pub(crate) fn new(out: &'a mut [MaybeUninit<f32>], m: usize, n: usize) -> Self {
        assert_eq!(out.len(), m * n, "output length");
        Self { values: out.as_mut_ptr(), m, n, _borrow: PhantomData }
    }

    /// A view of values written already (a reused buffer).
    pub(crate) fn of_values(out: &'a mut [f32], m: usize, n: usize) -> Self {
        assert_eq!(out.len(), m * n, "output length");
        // SAFETY: the view only ever stores values into it.
        Self::new(unsafe { slot::slots(out) }, m, n)
    }

    /// `out[row, cols] += skip[row · skip_stride + cols]` on every row: a residual connection,
    /// once the product has written those columns.
    ///
    /// # Safety
    /// Columns `cols` of every row are written already, and no other slice of `self` overlapping
    /// them is alive, on any thread.
    pub(crate) unsafe fn add(&self, cols: &Range<usize>, skip: &[f32], skip_stride: usize) {
        for row in 0..self.m {
            // SAFETY: the caller's promise.
            let out = unsafe { self.row(row, cols) };
            for (o, &s) in out.iter_mut().zip(&skip[row * skip_stride + cols.start..row * skip_stride + cols.end]) {
                // SAFETY: written already (the caller's promise).
                o.write(unsafe { o.assume_init() } + s);
            }
        }
    }

    /// Where rows `rows` × columns `cols` start, once checked to lie inside.
    ///
    /// # Safety
    /// No other slice of `self` alive at the same time, on any thread, may overlap it, and the
    /// caller writes only inside it.
    unsafe fn tile(&self, rows: Range<usize>, cols: Range<usize>) -> *mut MaybeUninit<f32> {
        assert!(rows.start <= rows.end && rows.end <= self.m && cols.start <= cols.end && cols.end <= self.n, "rows {rows:?}, columns {cols:?} outside {}x{}", self.m, self.n);
        // SAFETY: in bounds (the assert, and `new`'s length).
        unsafe { self.values.add(rows.start * self.n + cols.start) }
    }

    /// Columns `cols` of row `row`.
    ///
    /// # Safety
    /// No other slice of `self` alive at the same time, on any thread, may overlap it.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, row: usize, cols: &Range<usize>) -> &mut [MaybeUninit<f32>] {
        assert!(row < self.m && cols.start <= cols.end && cols.end <= self.n, "row {row}, columns {cols:?} outside {}x{}", self.m, self.n);
        // SAFETY: in bounds (the assert, and `new`'s length); unaliased by the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.values.add(row * self.n + cols.start), cols.len()) }
    }
}

/// About how many tasks to cut a product into: one when it is small or there is one thread;
/// otherwise several per thread (the threads take them in turn, evening out a busy core), each of
/// at least 256K multiply-adds, about ten times what handing a task over costs.
fn tasks_for(m: usize, n: usize, k: usize) -> usize {
    match parallel::threads() {
        1 => 1,
        threads => (m * n * k / (256 * 1024)).clamp(1, 4 * threads),
    }
}

/// Cuts an output of `m` rows of `n` into about `tasks` rectangles: by column panels first (each
/// task's panels of `x` are then packed once), and by row tiles as well where there are fewer
/// panels than tasks. A small picture (14x14, 7x7: see [`SMALL`]) by row tiles only: its rows
/// are a few cache lines, which tasks on two cores writing side by side would pass back and
/// forth, and its tiles read `x` where it lies, so row tasks share it without packing it each
/// (BENCHMARKS.md: "split among the threads by output channels only").
fn split(m: usize, n: usize, tasks: usize) -> Vec<Task> {
    // The last few columns (dot products, see `DOT_COLS`) go with the last whole panel.
    let panels = if n > COLS && n % COLS <= DOT_COLS { n / COLS } else { n.div_ceil(COLS) };
    let col_tasks = if n <= SMALL { 1 } else { tasks.min(panels).max(1) };
    let row_tasks = (tasks / col_tasks).clamp(1, m.div_ceil(ROWS));
    // Even shares of whole panels / whole row tiles; the last share runs to the end.
    let cut = |parts: usize, units: usize, unit: usize, end: usize, i: usize| if i == parts { end } else { (i * units / parts * unit).min(end) };
    let col_bounds: Vec<usize> = (0..=col_tasks).map(|i| cut(col_tasks, panels, COLS, n, i)).collect();
    let row_bounds: Vec<usize> = (0..=row_tasks).map(|i| cut(row_tasks, m.div_ceil(ROWS), ROWS, m, i)).collect();
    row_bounds
        .windows(2)
        .flat_map(|rows| col_bounds.windows(2).map(move |cols| Task { rows: rows[0]..rows[1], cols: cols[0]..cols[1], x_at: cols[0] }))
        .filter(|task| !task.rows.is_empty() && !task.cols.is_empty())
        .collect()
}

/// A task's tiles: column panels outer, row tiles inner. Each panel of `x` (`k` rows of a tile's
/// width of pixels, `n` apart) is first copied into one contiguous run, zero-padded where the
/// last panel is narrower: every row tile then reads it as one stream from the cache (a small
/// picture's whole panels, and with AVX-512 every picture's, are read where they lie instead:
/// see [`SMALL`]). A tile row is two vectors of pixels (AVX-512: 32, two of the task's `COLS`
/// panels); where fewer are left, one vector if it holds a whole `COLS` (AVX-512's last 16);
/// three AVX-512 vectors where a panel is read in place and 48 pixels are left.
///
/// # Safety
/// Only where the CPU has `V`'s instruction set (see [`Vector`]), and while no other task
/// overlapping `task` writes to `out`.
#[inline(always)]
unsafe fn task_loops<V: Vector>(task: &Task, out: &Output, x: &[f32], o: &Operands) {
    let cols = task.cols.clone();
    // Sized where first needed: a small picture's tasks read most panels unpacked.
    let mut panel: Vec<f32> = Vec::new();
    let mut col = cols.start;
    while col < cols.end {
        let left = cols.end - col;
        if left <= DOT_COLS && cols.len() > left && (left == 1 || o.k >= DOT_MIN_K) {
            panel.resize(panel.len().max(left * o.k), 0.0);
            // SAFETY: the caller's promises.
            unsafe { dot_columns::<V>(task, out, col..cols.end, x, o, &mut panel) };
            break;
        }
        // A small picture's whole panels are read where they lie (`SMALL`), and with AVX-512
        // every picture's: packing them cost more than it saved there. AVX2 and wasm keep the
        // packed panels they were measured with. The last, narrower panel is packed (zero-padded)
        // everywhere. Panels read in place take three-vector tiles, which gain only there
        // (BENCHMARKS.md: "panels of `x` read where they lie", "8 × 48 tiles at every picture size").
        let in_place = o.stride <= SMALL || V::LANES == 16;
        let vectors = tile_vectors::<V>(left, in_place);
        let span = vectors * V::LANES;
        let width = span.min(left);
        let x_col = task.x_at + (col - cols.start);
        let direct = width == span && in_place;
        if !direct {
            panel.resize(panel.len().max(o.k * span), 0.0);
            for (dst, src) in panel[..o.k * span].chunks_exact_mut(span).zip(x[x_col..].chunks(o.stride)) {
                match width {
                    // Fixed sizes: vector moves, not a call.
                    16 if span == 16 => dst.copy_from_slice(&src[..16]),
                    32 if span == 32 => dst.copy_from_slice(&src[..32]),
                    _ => {
                        dst[..width].copy_from_slice(&src[..width]);
                        dst[width..].fill(0.0);
                    }
                }
            }
        }
        let tile_rows = if vectors == 3 { WIDE_ROWS } else { tile_rows::<V>() };
        for row in task.rows.clone().step_by(tile_rows) {
            let count = tile_rows.min(task.rows.end - row);
            // SAFETY: the task's own rows × columns; no other task overlaps them (the caller's
            // promise), and nothing else of this task's is alive while the tile writes them.
            let at = unsafe { out.tile(row..row + count, col..col + width) };
            let (panel, stride) = if direct { (&x[x_col..], o.stride) } else { (&panel[..], span) };
            let prefetch = direct && (row == task.rows.start || o.k >= PREFETCH_MIN_K);
            let tile = Tile { weight: &o.weight[row * o.weight_stride..], weight_stride: o.weight_stride, bias: &o.bias[row..], k: o.k, panel, at: Strided(stride), prefetch };
            let dst = Dst { at, stride: out.n, rows: count, width, activation: o.activation };
            // SAFETY: the caller's promise for `V`; `dst` is `count` rows of `width` values.
            unsafe { tile.run_rows::<V>(vectors, count, dst) };
        }
        col += width;
    }
}

/// The task's outputs at `pixels` (at most [`DOT_COLS`]) as dot products along the input
/// channels, a few output channels at a time: `out[co, p] = activation(bias[co] + Σ_ci w[co, ci]
/// · x[ci, p])`. The weights are read as they lie (a row of `w` is contiguous), once for all the
/// pixels, against each pixel's `k` inputs gathered once into `columns`: each step loads a vector
/// of `k` from every row and every pixel and multiplies each pair, 24 sums in registers (6 rows ×
/// 4 pixels, 8 × 3, …), whose lanes are added at the end.
///
/// Every pixel shares each weight load, and the lanes are added in registers, not a pixel at a
/// time through memory (BENCHMARKS.md: "their lanes added in registers").
///
/// # Safety
/// As [`task_loops`].
#[inline(always)]
unsafe fn dot_columns<V: Vector>(task: &Task, out: &Output, pixels: Range<usize>, x: &[f32], o: &Operands, columns: &mut [f32]) {
    let (k, count) = (o.k, pixels.len());
    let columns = &mut columns[..count * k];
    for (p, column) in columns.chunks_exact_mut(k).enumerate() {
        let x_col = task.x_at + (pixels.start + p - task.cols.start);
        for (c, v) in column.iter_mut().enumerate() {
            *v = x[c * o.stride + x_col];
        }
    }
    // SAFETY (all): the caller's promises.
    unsafe {
        match count {
            1 => dot_rows::<V, 8, 1>(task, out, pixels, o, columns),
            2 => dot_rows::<V, 8, 2>(task, out, pixels, o, columns),
            3 => dot_rows::<V, 8, 3>(task, out, pixels, o, columns),
            4 => dot_rows::<V, 6, 4>(task, out, pixels, o, columns),
            _ => unreachable!("{count} pixels left for dot products"),
        }
    }
}

/// [`dot_columns`] for `P` pixels, `R` output channels at a time (the last few one at a time).
///
/// # Safety
/// As [`task_loops`]; `columns` holds the `P` pixels' `k` inputs each.
#[inline(always)]
unsafe fn dot_rows<V: Vector, const R: usize, const P: usize>(task: &Task, out: &Output, pixels: Range<usize>, o: &Operands, columns: &[f32]) {
    let (k, ws) = (o.k, o.weight_stride);
    let whole = k - k % V::LANES;
    let mut first = task.rows.start;
    while first < task.rows.end {
        let rows = if task.rows.end - first >= R { R } else { 1 };
        let weight = &o.weight[first * ws..(first + rows - 1) * ws + k];
        // SAFETY: the caller's promise for `V`.
        let sums: [[f32; P]; R] = unsafe {
            if rows == R {
                dot_tile::<V, R, P>(weight, ws, columns, whole)
            } else {
                let mut sums = [[0.0; P]; R];
                sums[0] = dot_tile::<V, 1, P>(weight, ws, columns, whole)[0];
                sums
            }
        };
        for (i, sums) in sums.iter().enumerate().take(rows) {
            let co = first + i;
            for (p, &sum) in sums.iter().enumerate() {
                let tail: f32 = weight[i * ws + whole..i * ws + k].iter().zip(&columns[p * k + whole..(p + 1) * k]).map(|(w, x)| w * x).sum();
                let pixel = pixels.start + p;
                // SAFETY: one value of the task's own (the caller's promise), gone at once.
                let value = unsafe { out.row(co, &(pixel..pixel + 1)) };
                activation::copy_activated(value, &[o.bias[co] + sum + tail], o.activation);
            }
        }
        first += rows;
    }
}

/// `R` rows of `weight` (`ws` apart) dotted with `P` columns (`columns`, `k` values each), over
/// their first `whole` values (a multiple of `LANES`).
///
/// # Safety
/// Only where the CPU has `V`'s instruction set (see [`Vector`]).
#[inline(always)]
unsafe fn dot_tile<V: Vector, const R: usize, const P: usize>(weight: &[f32], ws: usize, columns: &[f32], whole: usize) -> [[f32; P]; R] {
    let k = columns.len() / P;
    assert!(whole <= k && whole % V::LANES == 0 && ws >= k && weight.len() >= (R - 1) * ws + whole, "dot tile");
    // SAFETY: the caller's promise for `V`; the assert keeps row i's reads `weight[i·ws ..][..whole]`
    // and pixel p's `columns[p·k ..][..whole]` in bounds.
    unsafe {
        let mut acc = [[V::splat(0.0); P]; R];
        for c in (0..whole).step_by(V::LANES) {
            let mut xs = [V::splat(0.0); P];
            for (p, xv) in xs.iter_mut().enumerate() {
                *xv = V::load(columns.as_ptr().add(p * k + c));
            }
            for (i, sums) in acc.iter_mut().enumerate() {
                let wv = V::load(weight.as_ptr().add(i * ws + c));
                for (sum, &xv) in sums.iter_mut().zip(&xs) {
                    *sum = V::madd(wv, xv, *sum);
                }
            }
        }
        let mut sums = [[0.0; P]; R];
        for (row, vectors) in sums.iter_mut().zip(&acc) {
            for (sum, v) in row.iter_mut().zip(vectors) {
                *sum = v.sum();
            }
        }
        sums
    }
}

/// One register tile's inputs: weights and biases from its first row on, and its panel: `k` runs
/// of the tile's width, input channel `c`'s from `panel[at.of(c)]` on.
struct Tile<'a, P: PanelRuns> {
    weight: &'a [f32],
    /// From one row's weights to the next's: `k`, or more for a share of a wider product's
    /// input channels (see [`partial_columns`]).
    weight_stride: usize,
    bias: &'a [f32],
    k: usize,
    panel: &'a [f32],
    at: P,
    /// Whether the three-vector tile asks for its panel's runs [`PREFETCH`] input channels ahead
    /// (see there).
    prefetch: bool,
}

/// A three-vector tile reading its panel where it lies asks the cache for each input channel's
/// run `PREFETCH` channels ahead: the first row tile of each panel (the panel comes from L2, L3
/// or the other core: the last layer's output), and every row tile over at least
/// `PREFETCH_MIN_K` channels, whose panel (48 pixels × k: 37 KB at k = 192) outgrows the L1 cache
/// so that each row tile streams it from L2 again. The runs are 3–4 lines a channel, 784 bytes
/// apart at 14 px, which the hardware prefetchers do not fetch in time. The later row tiles of a
/// panel that stays in L1 (an expansion's: few channels, many rows) prefetch nothing: there it
/// only costs time (BENCHMARKS.md: "prefetch each channel's run 8 channels ahead").
const PREFETCH: usize = 8;
const PREFETCH_MIN_K: usize = 192;

/// Where a tile's input channel `c` starts in its panel.
trait PanelRuns: Copy {
    fn of(self, c: usize) -> usize;
    /// The last channel's start: the largest, for the bounds check.
    fn last(self, k: usize) -> usize;
    /// How far the run `channels` channels on lies past a channel's, where that is one distance
    /// for every channel; else 0 (nothing to prefetch by it, see [`PREFETCH`]).
    fn ahead(self, channels: usize) -> usize;
}

/// `c · stride`: a packed panel (`stride` its width), or `x` as it lies.
#[derive(Clone, Copy)]
struct Strided(usize);

impl PanelRuns for Strided {
    #[inline(always)]
    fn of(self, c: usize) -> usize {
        c * self.0
    }
    fn last(self, k: usize) -> usize {
        (k - 1) * self.0
    }
    fn ahead(self, channels: usize) -> usize {
        channels * self.0
    }
}

/// The taps' offsets in a convolution's phase-split planes (see [`conv_taps`]), and the
/// largest, found once per call rather than once per tile.
#[derive(Clone, Copy)]
struct Offsets<'a> {
    offsets: &'a [usize],
    last: usize,
}

impl<'a> Offsets<'a> {
    fn new(offsets: &'a [usize]) -> Self {
        Self { offsets, last: offsets.iter().copied().max().unwrap_or(0) }
    }
}

impl PanelRuns for Offsets<'_> {
    #[inline(always)]
    fn of(self, c: usize) -> usize {
        self.offsets[c]
    }
    fn last(self, k: usize) -> usize {
        assert!(k <= self.offsets.len(), "{k} taps of {}", self.offsets.len());
        self.last
    }
    fn ahead(self, _: usize) -> usize {
        0 // each tap's own offset
    }
}

/// Where a tile's sums go: `rows` rows of `width` values, the first at `at`, `stride` apart (a
/// rectangle checked by [`Output::tile`]; per row, a slice of its own cost a bounds check and
/// more per tile, against 16 · 12 multiply-adds for a 16-channel expansion).
struct Dst {
    at: *mut MaybeUninit<f32>,
    stride: usize,
    rows: usize,
    width: usize,
    activation: Activation,
}

impl<P: PanelRuns> Tile<'_, P> {
    /// [`Tile::run`] with `rows` rows of `vectors` vectors, as constants.
    ///
    /// # Safety
    /// As [`Tile::run`].
    #[inline(always)]
    unsafe fn run_rows<V: Vector>(&self, vectors: usize, rows: usize, dst: Dst) {
        macro_rules! rows {
            ($nv:literal: $($r:literal)*) => {
                match rows {
                    $($r => self.run::<V, $r, $nv>(dst),)*
                    _ => unreachable!("{rows} rows"),
                }
            };
        }
        // SAFETY: the caller's promise.
        unsafe {
            match vectors {
                1 => rows!(1: 1 2 3 4 5 6 7 8 9 10 11 12),
                2 => rows!(2: 1 2 3 4 5 6 7 8 9 10 11 12),
                _ => rows!(3: 1 2 3 4 5 6 7 8),
            }
        }
    }

    /// `R` rows × `NV` vectors of columns (the panel's width): the sums start at the bias and
    /// stay in registers over all `k` input channels; activated as they are stored.
    ///
    /// # Safety
    /// Only where the CPU has `V`'s instruction set (see [`Vector`]), and with `dst` describing
    /// `dst.rows` rows of `dst.width` values, `dst.stride` apart, that only this tile writes while
    /// it runs (as [`Output::tile`] gives them).
    #[inline(always)]
    unsafe fn run<V: Vector, const R: usize, const NV: usize>(&self, dst: Dst) {
        let k = self.k;
        let span = NV * V::LANES;
        let ws = self.weight_stride;
        assert!(R <= dst.rows && dst.width <= span && span <= 48 && ws >= k && self.weight.len() >= (R - 1) * ws + k && self.bias.len() >= R, "tile rows");
        assert!(k > 0 && self.panel.len() >= self.at.last(k) + span, "tile panel");
        // SAFETY: the caller's promise for `V`; and the asserts above keep every read in bounds:
        // row i's weights are `weight[i·ws ..][..k]`, input channel c's panel values
        // `panel[at.of(c) ..][..span]` (`at.last(k)` the largest start). Stores: row i's `width`
        // values from `at + i · stride`, which `dst` holds (`Output::tile` checked them).
        unsafe {
            let mut acc = [[V::splat(0.0); NV]; R];
            let mut weights = [self.weight.as_ptr(); R];
            for i in 0..R {
                acc[i] = [V::splat(self.bias[i]); NV];
                weights[i] = self.weight.as_ptr().add(i * ws);
            }
            let panel_start = self.panel.as_ptr();
            let ahead = if self.prefetch && NV == 3 { self.at.ahead(PREFETCH) } else { 0 };
            for c in 0..k {
                let b = panel_start.add(self.at.of(c));
                if ahead > 0 {
                    for j in 0..4 {
                        vector::prefetch(b.wrapping_add(ahead + j * V::LANES));
                    }
                }
                let mut panel = [V::splat(0.0); NV];
                for (j, p) in panel.iter_mut().enumerate() {
                    *p = V::load(b.add(j * V::LANES));
                }
                for (sums, w) in acc.iter_mut().zip(&weights) {
                    let a = V::splat(*w.add(c));
                    for (sum, &p) in sums.iter_mut().zip(&panel) {
                        *sum = V::madd(a, p, *sum);
                    }
                }
            }
            for (i, sums) in acc.into_iter().enumerate() {
                let row = std::slice::from_raw_parts_mut(dst.at.add(i * dst.stride), dst.width);
                if dst.width == span {
                    for (j, sum) in sums.into_iter().enumerate() {
                        sum.activate(dst.activation).store(&mut row[j * V::LANES..]);
                    }
                } else {
                    let mut values = [0.0f32; 48];
                    for (j, sum) in sums.into_iter().enumerate() {
                        sum.activate(dst.activation).store(&mut values[j * V::LANES..]);
                    }
                    for (out, &v) in row.iter_mut().zip(&values) {
                        out.set(v);
                    }
                }
            }
        }
    }
}

/// Whether this path takes `conv`: a 1x1 convolution, stride 1, no padding, one group, with some
/// input and output channels.
pub(crate) fn takes(conv: &Conv2d) -> bool {
    let [out_channels, per_group, kh, kw] = conv.weight.dims();
    [kh, kw] == [1, 1]
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && flex::explicit_padding(conv) == Some([0; 4])
        && per_group > 0
        && out_channels > 0
}

/// `activation(conv(x))` on this path when it applies: a 1x1 convolution, stride 1, no padding,
/// one group, on plain `flex` f32 tensors (see [`flex::run_on_flex`]). Otherwise `Err(x)`,
/// untouched, for burn's own.
pub fn forward(conv: &Conv2d, x: Tensor<4>, activation: Activation) -> Result<Tensor<4>, Tensor<4>> {
    let [batch, in_channels, h, w] = x.dims();
    let [out_channels, per_group, _, _] = conv.weight.dims();
    if !takes(conv) || per_group != in_channels || h * w == 0 {
        return Err(x);
    }
    let shape = Shape { batch, in_channels, out_channels, pixels: h * w };
    flex::run_on_flex(conv, x, [batch, out_channels, h, w], |x, weight, bias| conv1x1(x, weight, bias, shape, activation))
}

#[cfg(test)]
mod tests {
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::Distribution;

    use super::{Activation, COLS, Isa, ROWS, Shape, conv1x1_with, forward, split};
    use crate::kernels::testing::{assert_non_finite_as_burn, clipping, non_finite_input, reference_activation};
    use burn::prelude::*;

    fn layer(channels: [usize; 2], bias: bool, device: &Device) -> burn::nn::conv::Conv2d {
        clipping(Conv2dConfig::new(channels, [1, 1]).with_bias(bias).init(device))
    }

    #[test]
    fn equals_burns_convolution() {
        let device = Device::flex();
        let cases = [
            // (channels [in, out], input [h, w])
            ([32, 16], [112, 112]), // MobileNetV2's first projection
            ([16, 96], [56, 56]),   // an expansion
            ([160, 960], [7, 7]),   // 49 pixels: three panels and one column
            ([320, 1280], [7, 7]),  // the head
            ([5, 7], [3, 5]),       // nothing a multiple of the tile
            ([1, 1], [1, 1]),       // one value
            ([3, 13], [4, 4]),      // exactly one native panel
            ([13, 9], [2, 9]),      // 18 pixels: a panel and a zero-padded one of two columns
            ([200, 9], [2, 9]),     // the same over 200 channels: two dot-product columns
            ([256, 7], [1, 19]),    // three dot-product columns
            ([96, 20], [14, 14]),   // 196 = 12 × 16 + 4: a zero-padded panel of four columns
            ([192, 20], [14, 14]),  // and over 192 channels four dot-product columns
        ];
        for (channels, [h, w]) in cases {
            for bias in [true, false] {
                let conv = layer(channels, bias, &device);
                for activation in [Activation::None, Activation::Relu, Activation::Relu6] {
                    let x = Tensor::<4>::random([2, channels[0], h, w], Distribution::Normal(0.0, 1.0), &device);
                    let expected = reference_activation(conv.forward(x.clone()), activation);
                    let got = forward(&conv, x, activation).expect("takes the pointwise path");
                    assert_eq!(got.dims(), expected.dims());
                    let diff: f32 = got.sub(expected).abs().max().into_scalar();
                    let case = format!("{channels:?} {h}x{w} bias {bias} {activation:?}");
                    assert!(diff < 1e-4 * (channels[0] as f32).sqrt(), "{case}: differs from burn's by {diff}");
                }
            }
        }
    }

    /// Every build of the loops this CPU runs agrees with the portable one (wasm's, and natively
    /// on CPUs without AVX2 and FMA): here on x86-64 with AVX2 and AVX-512, three builds, two
    /// tile shapes.
    #[test]
    fn every_kernel_agrees_with_the_portable_loops() {
        let values = |n: usize, seed: usize| (0..n).map(|i| ((i * 7919 + seed) % 1009) as f32 / 504.5 - 1.0).collect::<Vec<f32>>();
        // Small pictures (three-vector AVX-512 tiles of 8 rows, the rest in fewer rows, then
        // narrower tiles and dot products): 14x14, 7x7, 97 pixels.
        let small = [(576, 160, 49), (40, 29, 196), (192, 29, 196), (16, 5, 97)];
        for (in_channels, out_channels, pixels) in [(24, 144, 3136), (96, 24, 3136 + 5), (13, 17, COLS + 3), (7, ROWS + 5, 2 * COLS)].into_iter().chain(small) {
            let shape = Shape { batch: 2, in_channels, out_channels, pixels };
            let x = values(2 * in_channels * pixels, 1);
            let weight = values(out_channels * in_channels, 2);
            let bias = values(out_channels, 3);
            let portable = conv1x1_with(Isa::Portable, &x, &weight, &bias, shape, Activation::Relu6);
            for isa in Isa::available() {
                let got = conv1x1_with(isa, &x, &weight, &bias, shape, Activation::Relu6);
                assert_eq!(got.len(), portable.len());
                for (i, (g, p)) in got.iter().zip(&portable).enumerate() {
                    assert!((g - p).abs() < 1e-4, "{isa:?} {shape:?} value {i}: {g} vs {p}");
                }
            }
        }
    }

    /// Every output value belongs to exactly one task, whatever the cut.
    #[test]
    fn tasks_cover_the_output_once() {
        for (m, n) in [(16, 12544), (1280, 49), (7, 15), (1, 1), (ROWS + 1, COLS + 1), (960, 49), (384, 196)] {
            for tasks in [1, 2, 3, 8, 64] {
                let mut written = vec![0u32; m * n];
                for task in split(m, n, tasks) {
                    assert!(task.rows.start % ROWS == 0 && task.cols.start % COLS == 0, "tiles stay whole");
                    assert!(task.rows.end <= m && task.cols.end <= n, "{task:?} within {m}x{n}");
                    for row in task.rows.clone() {
                        written[row * n..][task.cols.clone()].iter_mut().for_each(|w| *w += 1);
                    }
                }
                assert!(written.iter().all(|&w| w == 1), "{m}x{n} in {tasks} tasks");
            }
        }
    }

    #[test]
    fn non_finite_values_propagate_as_in_burn() {
        let device = Device::flex();
        let conv = layer([4, 8], true, &device);
        let x = non_finite_input(&device);
        let got = forward(&conv, x.clone(), Activation::Relu6).unwrap();
        assert_non_finite_as_burn(got, reference_activation(conv.forward(x), Activation::Relu6));
    }

    #[test]
    fn leaves_other_convolutions_to_burn() {
        let device = Device::flex();
        let x = || Tensor::<4>::random([1, 8, 6, 6], Distribution::Normal(0.0, 1.0), &device);
        let strided = Conv2dConfig::new([8, 8], [1, 1]).with_stride([2, 2]).init(&device);
        let back = forward(&strided, x(), Activation::None).expect_err("ResNet's strided 1x1: burn's");
        assert_eq!(back.dims(), [1, 8, 6, 6], "the input comes back untouched");
        let grouped = Conv2dConfig::new([8, 8], [1, 1]).with_groups(2).init(&device);
        assert!(forward(&grouped, x(), Activation::None).is_err());
        let padded = Conv2dConfig::new([8, 8], [1, 1]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(&device);
        assert!(forward(&padded, x(), Activation::None).is_err());
        let three = Conv2dConfig::new([8, 8], [3, 3]).init(&device);
        assert!(forward(&three, x(), Activation::None).is_err());
        let autodiff = Device::flex().autodiff();
        let conv = Conv2dConfig::new([8, 8], [1, 1]).init(&autodiff);
        let x = Tensor::<4>::random([1, 8, 6, 6], Distribution::Normal(0.0, 1.0), &autodiff);
        assert!(forward(&conv, x, Activation::Relu6).is_err(), "no backward pass here: training stays on burn's");
    }
}
