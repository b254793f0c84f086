//! The few vector operations camtag's CPU kernels need ([`super::pointwise`]'s tiles and dot
//! products), one implementation per instruction set: AVX-512, or AVX2 with FMA, natively,
//! SIMD128 in the wasm SIMD packages, plain arrays elsewhere (the compiler vectorizes what it
//! can). The kernels are written once, generic over [`Vector`].
//!
//! They build their arrays of vectors with plain loops, not `array::map` or `array::from_fn`: a
//! closure handed to std's generic functions is compiled without the kernel's target features
//! wherever the compiler declines to inline it, and every intrinsic inside it becomes a call.
//! An unrelated change elsewhere can move that choice (BENCHMARKS.md: "build their arrays of
//! vectors with plain loops").

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes;
#[cfg(target_arch = "x86_64")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub use lanes::Lanes;
#[cfg(target_arch = "x86_64")]
pub use avx2::Avx2Fma;
#[cfg(target_arch = "x86_64")]
pub use avx512::Avx512;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use simd128::Simd128;

use super::{Activation, Slot};

/// `LANES` f32 values in a register.
///
/// # Safety
/// Every operation runs the type's instructions: call them only where the CPU has that
/// instruction set (for [`Avx2Fma`], in functions compiled with AVX2 and FMA, reached only
/// after detecting both; for [`Avx512`] likewise with AVX-512 Foundation).
pub trait Vector: Copy {
    const LANES: usize;
    unsafe fn splat(v: f32) -> Self;
    /// # Safety
    /// As every operation; and `src` must point at `LANES` readable values.
    unsafe fn load(src: *const f32) -> Self;
    /// `a · b + c`.
    unsafe fn madd(a: Self, b: Self, c: Self) -> Self;
    /// `activation` of each lane, NaN kept (as `activation::activate_slice`).
    unsafe fn activate(self, activation: Activation) -> Self;
    /// Into `dst[..LANES]`: plain values, or memory not written yet.
    ///
    /// # Panics
    /// If `dst` holds fewer than `LANES` values.
    unsafe fn store<T: Slot>(self, dst: &mut [T]);
    /// The sum of the lanes.
    #[inline(always)]
    unsafe fn sum(self) -> f32 {
        let mut lanes = [0.0f32; 16];
        // SAFETY: the caller's promise; 16 values hold every implementation's lanes.
        unsafe { self.store(&mut lanes[..]) };
        lanes[..Self::LANES].iter().sum()
    }
}

/// What the portable kernel uses on this target: SIMD128 in the wasm SIMD packages, arrays
/// elsewhere.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub type Portable = Simd128;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub type Portable = Lanes<{ if cfg!(target_arch = "wasm32") { 4 } else { 8 } }>;

/// What [`super::depthwise`]'s loops need besides [`Vector`]: lanes that are column numbers
/// (small integers, exact as `f32`), counted on and wrapped at a row's width, and loads that read
/// zero where a lane's column is off the picture.
///
/// # Safety
/// As [`Vector`].
pub trait Masking: Vector {
    /// Which lanes a load keeps.
    type Mask: Copy;
    unsafe fn add(a: Self, b: Self) -> Self;
    /// Lanes at `period` or above less `period`.
    unsafe fn wrap(self, period: Self) -> Self;
    /// The lanes with `lo ≤ self < hi`.
    unsafe fn between(self, lo: Self, hi: Self) -> Self::Mask;
    /// `LANES` values from `src`, zero where `mask` is unset (even a NaN).
    ///
    /// # Safety
    /// As [`Vector::load`]: all `LANES` values readable.
    unsafe fn load_where(src: *const f32, mask: Self::Mask) -> Self;

    /// Rows of `w` values (`channel`, `[rows, w]`) apart by column parity, a stride-2
    /// convolution's column phases: row `r`'s values at even columns go to `dst[at(r) ..]`, those
    /// at odd columns to `dst[at(r) + odd ..]`. Plain code here, which the compiler vectorizes for
    /// long rows; AVX-512 has its own.
    ///
    /// # Panics
    /// If a row's values would land past `dst`'s end.
    #[inline(always)]
    unsafe fn deinterleave_rows(channel: &[f32], w: usize, dst: &mut [f32], at: impl Fn(usize) -> usize, odd: usize) {
        deinterleave_plain(channel, w, dst, at, odd);
    }
}

/// [`Masking::deinterleave_rows`] in plain code.
#[inline(always)]
pub(super) fn deinterleave_plain(channel: &[f32], w: usize, dst: &mut [f32], at: impl Fn(usize) -> usize, odd: usize) {
    for (r, row) in channel.chunks_exact(w).enumerate() {
        let at = at(r);
        let (lo, hi) = dst.split_at_mut(at + odd);
        deinterleave(row, &mut lo[at..], hi);
    }
}

/// `row`'s values at even positions into `even`, those at odd positions into `odd`: `even[i] =
/// row[2i]`, `odd[i] = row[2i + 1]` (a stride-2 convolution's column phases), in plain code that
/// the compiler vectorizes for long rows.
///
/// # Panics
/// If `even` holds fewer than `row.len().div_ceil(2)` values or `odd` fewer than half.
#[inline(always)]
pub(crate) fn deinterleave(row: &[f32], even: &mut [f32], odd: &mut [f32]) {
    let half = row.len() / 2;
    let (even, odd) = (&mut even[..row.len().div_ceil(2)], &mut odd[..half]);
    if row.len() % 2 == 1 {
        even[half] = row[row.len() - 1];
    }
    for ((e, o), pair) in even.iter_mut().zip(odd.iter_mut()).zip(row.chunks_exact(2)) {
        *e = pair[0];
        *o = pair[1];
    }
}

/// Asks the cache for the line holding `p` ahead of its use (natively on x86-64; elsewhere
/// nothing). Any address: a prefetch never faults.
#[inline(always)]
pub fn prefetch(p: *const f32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
