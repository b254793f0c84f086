//! Depthwise (and other grouped, few-tap) convolutions on the CPU: MobileNetV2's 3x3 layers and
//! EfficientNet-Lite's 3x3 and 5x5, stride 1 or 2, where each output sums only `k²` inputs of one
//! channel. Called through [`super::direct_conv`] layer by layer and by [`super::fused`] on
//! strips of rows.
//!
//! Each group's input planes are copied once into a scratch buffer split by stride phase (for
//! stride 2 the even and odd rows and columns apart), so that each tap of the kernel reads one
//! contiguous run: tap `(ky, kx)` of output `(oy, ox)` reads row `oy + ⌊(ky − top) / s⌋`, column
//! `ox + ⌊(kx − left) / s⌋` of the plane of phases `((ky − top) mod s, (kx − left) mod s)`. The
//! planes are as wide as the output rows, with zero rows above and below, so the outputs of a
//! whole channel are computed "flat", in the order they are stored, a few vectors at a time, their
//! sums in registers, the bias first and the activation last, straight into the output. A tap left
//! or right of the picture reads the neighbouring row's value in the flat order: those lanes are
//! loaded as zero instead (AVX-512: a masked load; elsewhere an `and`), from each lane's column,
//! which the loop counts along (see [`Masking`]). Where the padding leaves the planes wider than
//! the output rows (a "valid" convolution), each output row is its own run.
//!
//! So no row is copied into padded planes, no sum is stored to a buffer and read back to be
//! copied out row by row, and a group is one call rather than a call a row and a channel
//! (BENCHMARKS.md: "depthwise rewritten").
//!
//! Shapes: a group's input `[in / groups, h, w]`, its weights `[out / groups, in / groups, k, k]`,
//! its output `[out / groups, oh, ow]`.

use std::ops::Range;

use super::Activation;
use super::isa::dispatch;
use super::{Isa, Slot};
use super::geometry::Geometry;
use super::vector::Masking;

/// Vectors of outputs computed together, each its own chain of multiply-adds, so that their
/// latency (4 cycles) overlaps: 4 × 16 outputs with AVX-512.
const UNROLL: usize = 4;

/// The most values a run of `UNROLL` vectors spans (AVX-512's): the planes' slack at the end.
const MAX_RUN: usize = 16 * UNROLL;

/// Where a group's split planes lie in [`Planes`]: `planes` planes (`in / groups × s²`), each
/// `zero_rows` rows of zeros, then the input's rows of that phase, then zeros to `rows`, each row
/// `width` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    width: usize,
    zero_rows: usize,
    rows: usize,
    planes: usize,
    /// Values before the first plane: a tap left of the first column reads there (lanes loaded as
    /// zero).
    lead: usize,
    /// Whether `width` is the output's: one run per channel, not one per output row.
    flat: bool,
}

impl Layout {
    fn plane_len(&self) -> usize {
        self.rows * self.width
    }

    /// The buffer's length: the planes, and the slack the last run reads past them.
    fn len(&self) -> usize {
        self.lead + self.planes * self.plane_len() + MAX_RUN
    }

    /// Where plane `p`'s row `r` (of the input's rows in that phase) starts.
    fn row(&self, p: usize, r: usize) -> usize {
        self.lead + p * self.plane_len() + (self.zero_rows + r) * self.width
    }
}

/// One kernel column's taps: the output columns `ox` for which it reads the picture, `lo ≤ ox <
/// hi` (other lanes read zero), and whether that leaves any out.
#[derive(Clone, Debug)]
struct Column {
    lo: f32,
    hi: f32,
    masked: bool,
    /// Its taps in [`Taps::taps`].
    taps: Range<usize>,
}

/// Where a layer's taps read, the same for every group.
#[derive(Clone, Debug)]
pub(crate) struct Taps {
    layout: Layout,
    geometry: Geometry,
    columns: Vec<Column>,
    /// Each tap's `(offset, weight index)`, column by column: output `i` of a run reads
    /// `planes[start + i + offset]` for it; the weight index is `(c · k + ky) · k + kx`.
    taps: Vec<(usize, usize)>,
    /// Lane `i`'s output column at a run's start, `i mod ow`: once per layer (per channel, its
    /// 64 divisions cost as much as a 7x7 channel's arithmetic).
    first_columns: [f32; MAX_RUN],
    /// A 3x3 kernel over one input channel a group (MobileNetV2's and most of EfficientNet-Lite's
    /// depthwise layers): tap `(ky, kx)`'s offset, for [`sums3`].
    three: Option<[[usize; 3]; 3]>,
}

impl Taps {
    /// The geometry they were made for.
    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Where a producer can lay a channel out as the split planes itself, for
    /// [`depthwise_laid_out`]: with stride 1 and planes as wide as the input's rows (one plane a
    /// channel, rows back to back), `(offset of the input's first row, values a channel's planes
    /// take)`: zeros before the offset, the channel's `h · w` values, zeros to the end.
    pub(crate) fn laid_out(&self) -> Option<(usize, usize)> {
        let [_, w] = self.geometry.size;
        let layout = &self.layout;
        (self.geometry.stride == 1 && layout.width == w && layout.planes == 1).then(|| (layout.row(0, 0), layout.len()))
    }

    /// # Panics
    /// If `g` is not a [direct](Geometry::is_direct) convolution with more than one group.
    pub(crate) fn new(g: &Geometry) -> Self {
        assert!(g.is_direct() && g.groups > 1, "not a grouped direct convolution: {g:?}");
        let (k, s) = (g.kernel, g.stride);
        let [h, w] = g.size;
        let [top, left, _, _] = g.padding;
        let [oh, ow] = g.out_size();
        // Isa row `ky` reads input row `s · oy + ky − top`: phase `(ky − top) mod s`, that
        // phase's row `oy + ⌊(ky − top) / s⌋`. Likewise for columns.
        let phase = |i: usize, pad: usize| {
            let d = i as isize - pad as isize;
            (d.rem_euclid(s as isize) as usize, d.div_euclid(s as isize))
        };
        let (first_row, last_row) = (phase(0, top).1, phase(k - 1, top).1);
        let zero_rows = (-first_row).max(0) as usize;
        let lead = (-phase(0, left).1).max(0) as usize;
        let width = ow.max(w.div_ceil(s));
        let rows = zero_rows + h.div_ceil(s).max((oh as isize + last_row).max(0) as usize);
        let layout = Layout { width, zero_rows, rows, planes: g.taps() / (k * k) * s * s, lead, flat: width == ow };
        let mut columns = Vec::with_capacity(k);
        let mut taps = Vec::with_capacity(g.taps());
        for kx in 0..k {
            let (b, dx) = phase(kx, left);
            let cols = (w.saturating_sub(b)).div_ceil(s) as isize; // phase `b`'s columns
            let (lo, hi) = (-dx, cols - dx);
            let start = taps.len();
            for c in 0..layout.planes / (s * s) {
                for ky in 0..k {
                    let (a, dy) = phase(ky, top);
                    let p = (c * s + a) * s + b;
                    let offset = layout.row(p, 0) as isize + dy * width as isize + dx;
                    taps.push((usize::try_from(offset).expect("the lead and zero rows hold every tap"), (c * k + ky) * k + kx));
                }
            }
            columns.push(Column { lo: lo as f32, hi: hi as f32, masked: lo > 0 || hi < ow as isize, taps: start..taps.len() });
        }
        let first_columns = std::array::from_fn(|i| (i % ow) as f32);
        // Taps are column by column (`kx`), then row by row (`ky`), weight index `ky · 3 + kx`.
        let three = (k == 3 && taps.len() == 9).then(|| std::array::from_fn(|ky| std::array::from_fn(|kx| taps[kx * 3 + ky].0)));
        Self { layout, geometry: *g, columns, taps, first_columns, three }
    }
}

/// A thread's split planes, reused from group to group and call to call.
#[derive(Default)]
///
/// Two sets, filled in turn: the next group's input is copied into one while the loops read the
/// other. Read right after they were written, a channel's planes would still be in the core's
/// store buffer, and every vector load that spans several stores would wait for them to reach
/// the cache (BENCHMARKS.md: "two sets of split planes").
pub(crate) struct Planes {
    values: [Vec<f32>; 2],
    /// The geometry `values` were laid out for: their zeros are in place already, and every fill
    /// for the same geometry writes the same positions, so only a new geometry clears them.
    laid_out: Option<Geometry>,
}

impl Planes {
    /// Lays both sets out for `taps`' geometry (zeros), unless they are already.
    fn prepare(&mut self, taps: &Taps) {
        if self.laid_out != Some(taps.geometry) {
            for values in &mut self.values {
                values.clear();
                values.resize(taps.layout.len(), 0.0);
            }
            self.laid_out = Some(taps.geometry);
        }
    }

    /// Copies a group's input `[in / groups, h, w]` into set `set` of the split planes (laid out
    /// by [`Planes::prepare`]).
    ///
    /// # Safety
    /// Only where the CPU has `V`'s instruction set.
    #[inline(always)]
    unsafe fn fill<V: Masking>(&mut self, set: usize, x: &[f32], taps: &Taps) {
        let (g, layout) = (&taps.geometry, taps.layout);
        let [h, w] = g.size;
        let s = g.stride;
        debug_assert_eq!(self.laid_out, Some(*g));
        let values = &mut self.values[set];
        for (c, channel) in x.chunks_exact(h * w).enumerate() {
            match s {
                1 if layout.width == w => {
                    let at = layout.row(c, 0);
                    values[at..at + h * w].copy_from_slice(channel);
                }
                1 => {
                    for (r, row) in channel.chunks_exact(w).enumerate() {
                        let at = layout.row(c, r);
                        values[at..at + w].copy_from_slice(row);
                    }
                }
                _ => {
                    debug_assert_eq!(s, 2, "stride 1 or 2 (`Geometry::is_direct`)");
                    // Row `r` into the even- and odd-column planes of its row phase `r mod 2`,
                    // row `r / 2` (shifts: a division a row cost more than splitting a 14-value
                    // row).
                    let at = |r: usize| layout.row(c * 4 + 2 * (r & 1), r >> 1);
                    // SAFETY: the caller's promise for `V`.
                    unsafe { V::deinterleave_rows(channel, w, values, at, layout.plane_len()) };
                }
            }
        }
    }
}

/// Runs `f` with this thread's [`Planes`], kept from call to call (a nested call gets new ones).
pub(crate) fn with_planes<R>(f: impl FnOnce(&mut Planes) -> R) -> R {
    use std::cell::RefCell;
    thread_local! {
        static PLANES: RefCell<Planes> = RefCell::default();
    }
    PLANES.with(|cell| match cell.try_borrow_mut() {
        Ok(mut planes) => f(&mut planes),
        Err(_) => f(&mut Planes::default()),
    })
}

/// Groups of a layer, one after the other: the `j`th's input `[in / groups, h, w]` is
/// `x[j · x_stride ..]` and its output `[out / groups, oh, ow]` goes to `out[j · out_stride ..]`,
/// for as many groups as `out` holds. The first is the layer's group `first` (`weight` and `bias`
/// are the whole layer's, `[out, taps]` and `[out]`; the count wraps at the layer's groups, for a
/// batch of pictures).
///
/// # Panics
/// If a slice is shorter than `taps`' geometry asks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn groups<T: Slot>(
    isa: Isa,
    (x, x_stride): (&[f32], usize),
    taps: &Taps,
    (weight, bias, activation): (&[f32], &[f32], Activation),
    first: usize,
    (out, out_stride): (&mut [T], usize),
    planes: &mut Planes,
) {
    let g = &taps.geometry;
    let [oh, ow] = g.out_size();
    let count = out.len().div_ceil(out_stride.max(1));
    let input = g.taps() / (g.kernel * g.kernel) * g.size[0] * g.size[1];
    assert!(count == 0 || (x_stride >= input && x.len() >= (count - 1) * x_stride + input), "input length for {g:?}");
    assert!(out_stride >= g.out_channels / g.groups * oh * ow, "output stride for {g:?}");
    assert!(weight.len() == g.out_channels * g.taps() && bias.len() == g.out_channels, "weight or bias length for {g:?}");
    let operands = Operands { x, x_stride, weight, bias, activation, first, out_stride, laid_out: false };
    // SAFETY: the lengths checked above and in `channel`.
    unsafe { run_groups(isa, taps, &operands, out, planes) };
}

dispatch! {
    /// [`run`] in `isa`'s build.
    ///
    /// # Safety
    /// `o`'s slices hold what its geometry and its count of groups ask (checked by the callers).
    unsafe fn run_groups<T: Slot>(taps: &Taps, o: &Operands, out: &mut [T], planes: &mut Planes) => run
}

/// What [`groups`] was handed, for the loops.
struct Operands<'a> {
    x: &'a [f32],
    x_stride: usize,
    weight: &'a [f32],
    bias: &'a [f32],
    activation: Activation,
    first: usize,
    out_stride: usize,
    /// Whether each group's input is its planes already, laid out by its producer (see
    /// [`depthwise_laid_out`]), rather than `h × w` values to copy into them.
    laid_out: bool,
}

/// Each group: its input split into `planes`, then each of its output channels. All in one
/// function compiled for `V`: at 7x7 a channel's arithmetic is 36 vector multiply-adds, and a
/// call, a dispatch and the layer's constants per channel cost as much.
///
/// # Safety
/// Only where the CPU has `V`'s instruction set.
#[inline(always)]
unsafe fn run<V: Masking, T: Slot>(taps: &Taps, o: &Operands, out: &mut [T], planes: &mut Planes) {
    let g = &taps.geometry;
    let [oh, ow] = g.out_size();
    let (per_group, n) = (g.out_channels / g.groups, g.taps());
    // A group's input: its planes where its producer laid them out, else its values.
    let input = if o.laid_out { taps.layout.len() } else { n / (g.kernel * g.kernel) * g.size[0] * g.size[1] };
    // SAFETY (vector operations): the caller's promise.
    let lanes = unsafe { Lanes::<V>::new(taps) };
    let count = out.len().div_ceil(o.out_stride.max(1));
    let x = |j: usize| &o.x[j * o.x_stride..j * o.x_stride + input];
    if !o.laid_out {
        planes.prepare(taps);
        if count > 0 {
            // SAFETY: the caller's promise for `V`.
            unsafe { planes.fill::<V>(0, x(0), taps) };
        }
    }
    for (j, out) in out.chunks_mut(o.out_stride).enumerate() {
        // The next group's copy first, into the other set (see `Planes`).
        if !o.laid_out && j + 1 < count {
            // SAFETY: the caller's promise for `V`.
            unsafe { planes.fill::<V>((j + 1) % 2, x(j + 1), taps) };
        }
        let group_planes = if o.laid_out { x(j) } else { &planes.values[j % 2] };
        let group = (o.first + j) % g.groups;
        for (c, out) in out.chunks_exact_mut(oh * ow).take(per_group).enumerate() {
            let co = group * per_group + c;
            // SAFETY: the caller's promise.
            unsafe { channel::<V, T>(group_planes, taps, &lanes, (&o.weight[co * n..(co + 1) * n], o.bias[co], o.activation), out) };
        }
    }
}

/// A layer's constant vectors: each lane's output column at a run's start, and how far a
/// column moves per `UNROLL` vectors, wrapped at the row's width.
struct Lanes<V> {
    first: [V; UNROLL],
    step: V,
    period: V,
}

impl<V: Masking> Lanes<V> {
    /// # Safety
    /// Only where the CPU has `V`'s instruction set.
    #[inline(always)]
    unsafe fn new(taps: &Taps) -> Self {
        let [_, ow] = taps.geometry.out_size();
        // SAFETY: the caller's promise; `first_columns` holds `UNROLL` vectors.
        unsafe {
            let mut first = [V::splat(0.0); UNROLL];
            for (u, lanes) in first.iter_mut().enumerate() {
                *lanes = V::load(taps.first_columns[u * V::LANES..].as_ptr());
            }
            Self { first, step: V::splat(((UNROLL * V::LANES) % ow) as f32), period: V::splat(ow as f32) }
        }
    }
}

/// One output channel `[oh, ow]`: `UNROLL` vectors at a time along each run of outputs (the whole
/// channel where the layout is flat, else each row), then the rest, its last vector stored in
/// part.
///
/// # Safety
/// Only where the CPU has `V`'s instruction set.
#[inline(always)]
unsafe fn channel<V: Masking, T: Slot>(planes: &[f32], taps: &Taps, consts: &Lanes<V>, (weight, bias, activation): (&[f32], f32, Activation), out: &mut [T]) {
    let layout = taps.layout;
    let [oh, ow] = taps.geometry.out_size();
    // Every read is within `planes` (see `Layout::len`: a run's reads end at most a run past the
    // planes), every weight index within `weight`, every store within `out`.
    assert!(planes.len() >= layout.len() && weight.len() >= taps.taps.len() && out.len() >= oh * ow);
    let lanes = V::LANES;
    debug_assert!(UNROLL == 4, "the rest's cases below");
    let (runs, run_len) = if layout.flat { (1, oh * ow) } else { (oh, ow) };
    // SAFETY (all vector operations): the caller's promise.
    unsafe {
        // A 3x3 kernel's weights in registers for the whole channel (see `sums3`). A loop, not
        // `array::from_fn` or `Option::map`: their closures are compiled without the kernel's
        // target features, and the broadcast became a call (`kernels_inline` catches it).
        let mut w = [V::splat(0.0); 9];
        let three = match taps.three {
            Some(offsets) => {
                for (t, w) in w.iter_mut().enumerate() {
                    *w = V::splat(weight[t]);
                }
                Some((offsets, &w))
            }
            None => None,
        };
        let Lanes { first, step, period } = *consts;
        for run in 0..runs {
            let (out, src) = (&mut out[run * run_len..(run + 1) * run_len], planes.as_ptr().add(run * layout.width));
            // Each lane's output column (`(i + lane) mod ow`), for the masks.
            let mut columns = first;
            let mut i = 0;
            while i + UNROLL * lanes <= run_len {
                let sums = any_sums::<V, UNROLL>(src.add(i), taps, (weight, three), bias, columns);
                for (u, sum) in sums.into_iter().enumerate() {
                    sum.activate(activation).store(&mut out[i + u * lanes..]);
                }
                for c in &mut columns {
                    *c = V::add(*c, step).wrap(period);
                }
                i += UNROLL * lanes;
            }
            if i < run_len {
                // The rest, at most `UNROLL` vectors, as one run: their chains overlap (a 7x7
                // channel is all rest).
                let rest = &mut out[i..];
                match (run_len - i).div_ceil(lanes) {
                    1 => store_rest(any_sums::<V, 1>(src.add(i), taps, (weight, three), bias, [columns[0]]), activation, rest),
                    2 => store_rest(any_sums::<V, 2>(src.add(i), taps, (weight, three), bias, [columns[0], columns[1]]), activation, rest),
                    3 => store_rest(any_sums::<V, 3>(src.add(i), taps, (weight, three), bias, [columns[0], columns[1], columns[2]]), activation, rest),
                    _ => store_rest(any_sums::<V, UNROLL>(src.add(i), taps, (weight, three), bias, columns), activation, rest),
                }
            }
        }
    }
}

/// The last vectors of a run, activated, into `out`: whole vectors, then the lanes `out` has
/// room for.
///
/// # Safety
/// Only where the CPU has `V`'s instruction set.
#[inline(always)]
unsafe fn store_rest<V: Masking, T: Slot, const U: usize>(sums: [V; U], activation: Activation, out: &mut [T]) {
    // SAFETY (all): the caller's promise.
    unsafe {
        for (u, sum) in sums.into_iter().enumerate() {
            let (at, sum) = (u * V::LANES, sum.activate(activation));
            if out.len() >= at + V::LANES {
                sum.store(&mut out[at..]);
            } else {
                let mut last = [0.0f32; MAX_RUN];
                sum.store(&mut last[..]);
                let from = at.min(out.len());
                for (o, &v) in out[from..].iter_mut().zip(&last) {
                    o.set(v);
                }
            }
        }
    }
}

/// [`sums3`] where the kernel is 3x3 (its weights given in registers), else [`sums`].
///
/// # Safety
/// As [`sums`].
#[inline(always)]
unsafe fn any_sums<V: Masking, const U: usize>(src: *const f32, taps: &Taps, (weight, three): (&[f32], Option<([[usize; 3]; 3], &[V; 9])>), bias: f32, columns: [V; U]) -> [V; U] {
    // SAFETY (both): the caller's promise.
    match three {
        Some((offsets, w)) => unsafe { sums3::<V, U>(src, &offsets, &taps.columns, w, bias, columns) },
        None => unsafe { sums::<V, U>(src, taps, weight, bias, columns) },
    }
}

/// [`sums`] for a 3x3 kernel: the nine taps unrolled, their weights broadcast once per channel
/// (`w`, `ky · 3 + kx`) and their offsets once per layer, where the general loop reads an offset
/// and a weight index from the tap table and broadcasts the weight again for every tap of every
/// run: 27 scalar loads beside a run's 36 vector ones (BENCHMARKS.md: "the nine taps unrolled").
///
/// # Safety
/// As [`sums`]; `offsets` are the taps' (see [`Taps::three`]).
#[inline(always)]
unsafe fn sums3<V: Masking, const U: usize>(src: *const f32, offsets: &[[usize; 3]; 3], kernel_columns: &[Column], w: &[V; 9], bias: f32, columns: [V; U]) -> [V; U] {
    // SAFETY (all): the caller's promise.
    unsafe {
        let mut sums = [V::splat(bias); U];
        for (kx, column) in kernel_columns.iter().enumerate().take(3) {
            if column.masked {
                let (lo, hi) = (V::splat(column.lo), V::splat(column.hi));
                let mut masks = [columns[0].between(lo, hi); U];
                for u in 1..U {
                    masks[u] = columns[u].between(lo, hi);
                }
                for ky in 0..3 {
                    let p = src.add(offsets[ky][kx]);
                    for u in 0..U {
                        sums[u] = V::madd(w[ky * 3 + kx], V::load_where(p.add(u * V::LANES), masks[u]), sums[u]);
                    }
                }
            } else {
                for ky in 0..3 {
                    let p = src.add(offsets[ky][kx]);
                    for u in 0..U {
                        sums[u] = V::madd(w[ky * 3 + kx], V::load(p.add(u * V::LANES)), sums[u]);
                    }
                }
            }
        }
        sums
    }
}

/// `bias + Σ_t w_t · planes[offset_t + i]` for `U` vectors of outputs from `src`, kernel column
/// by kernel column, each column's lanes off the picture loaded as zero.
///
/// # Safety
/// Only where the CPU has `V`'s instruction set; `src` at a run's output `i` within the planes,
/// every tap's `U` vectors from there readable (see `channel`).
#[inline(always)]
unsafe fn sums<V: Masking, const U: usize>(src: *const f32, taps: &Taps, weight: &[f32], bias: f32, columns: [V; U]) -> [V; U] {
    // SAFETY (all): the caller's promise; `weight` holds every tap's index (checked in `channel`).
    unsafe {
        let mut sums = [V::splat(bias); U];
        for column in &taps.columns {
            let column_taps = taps.taps.get_unchecked(column.taps.clone());
            if column.masked {
                let (lo, hi) = (V::splat(column.lo), V::splat(column.hi));
                let mut masks = [columns[0].between(lo, hi); U];
                for u in 1..U {
                    masks[u] = columns[u].between(lo, hi);
                }
                for &(offset, t) in column_taps {
                    let (w, p) = (V::splat(*weight.get_unchecked(t)), src.add(offset));
                    for u in 0..U {
                        sums[u] = V::madd(w, V::load_where(p.add(u * V::LANES), masks[u]), sums[u]);
                    }
                }
            } else {
                for &(offset, t) in column_taps {
                    let (w, p) = (V::splat(*weight.get_unchecked(t)), src.add(offset));
                    for u in 0..U {
                        sums[u] = V::madd(w, V::load(p.add(u * V::LANES)), sums[u]);
                    }
                }
            }
        }
        sums
    }
}

/// [`depthwise_into`] on an input its producer laid out as the planes already (see
/// [`Taps::laid_out`]): channel `c`'s planes are `x[c · x_stride ..]`, read where they lie, not
/// copied. A fused block's strips expand straight into that layout, which saves a copy into the
/// planes, a pass over the expanded rows from L2 into L1, for every strip.
///
/// # Panics
/// If the taps' planes are not laid out so, or a slice is too short.
pub(crate) fn depthwise_laid_out(
    isa: Isa,
    (x, x_stride): (&[f32], usize),
    (weight, bias, activation): (&[f32], &[f32], Activation),
    taps: &Taps,
    (out, out_stride): (&mut [f32], usize),
) {
    let g = taps.geometry();
    let channels = g.out_channels;
    let (_, len) = taps.laid_out().expect("planes a producer can lay out");
    let [oh, ow] = g.out_size();
    assert!(g.batch == 1 && g.groups == g.in_channels && g.groups == channels, "not a depthwise convolution: {g:?}");
    assert!(x_stride >= len && x.len() >= (channels - 1) * x_stride + len, "input length for {g:?}");
    assert!(out_stride >= oh * ow && out.len() >= (channels - 1) * out_stride + oh * ow, "output length for {g:?}");
    assert!(weight.len() == channels * g.taps() && bias.len() == channels, "weight or bias length for {g:?}");
    let out = &mut out[..(channels - 1) * out_stride + oh * ow];
    let operands = Operands { x, x_stride, weight, bias, activation, first: 0, out_stride, laid_out: true };
    // SAFETY: the lengths checked above and in `channel`; the planes go unused.
    unsafe { run_groups(isa, taps, &operands, out, &mut Planes::default()) };
}

/// One thread's depthwise convolution (`groups == in == out` channels, one picture), for a fused
/// block (see [`super::fused`]): channel `c`'s `h × w` input is `x[c · x_stride ..]`, its
/// `oh × ow` output goes to `out[c · out_stride ..]`. `weight` `[channels, k, k]`, `bias`
/// `[channels]`, then the activation. `taps` are [`Taps::new`]'s for the geometry: the caller
/// keeps them while it does not change (a block's strips but its first and last).
///
/// # Panics
/// If the geometry is not a depthwise one or a slice is too short for it.
pub(crate) fn depthwise_into(
    isa: Isa,
    (x, x_stride): (&[f32], usize),
    operands: (&[f32], &[f32], Activation),
    taps: &Taps,
    (out, out_stride): (&mut [f32], usize),
    planes: &mut Planes,
) {
    let g = taps.geometry();
    let channels = g.out_channels;
    assert!(g.batch == 1 && g.groups == g.in_channels && g.groups == channels, "not a depthwise convolution: {g:?}");
    let [oh, ow] = g.out_size();
    assert!(out.len() >= (channels - 1) * out_stride + oh * ow, "output length for {g:?}");
    let out = &mut out[..(channels - 1) * out_stride + oh * ow];
    groups(isa, (x, x_stride), taps, operands, 0, (out, out_stride), planes);
}
