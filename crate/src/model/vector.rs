//! The few vector operations camtag's CPU kernels need ([`super::pointwise`]'s tiles and dot
//! products), one implementation per instruction set: AVX-512, or AVX2 with FMA, natively,
//! SIMD128 in the wasm SIMD packages, plain arrays elsewhere (the compiler vectorizes what it
//! can). The kernels are written once, generic over [`Vector`].
//!
//! They build their arrays of vectors with plain loops, not `array::map` or `array::from_fn`: a
//! closure handed to std's generic functions is compiled without the kernel's target features
//! wherever the compiler declines to inline it, and every intrinsic inside it becomes a call.
//! An unrelated change in `fused.rs` once moved that choice and MobileNetV2's forward pass went
//! from 3.4 to 5.6 ms on two threads (`_mm512_add_ps` and `_mm512_cmp_ps_mask` out of line in
//! the depthwise loops).

use super::conv_norm::Activation;
use crate::model::cpu::Slot;

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
    /// `activation` of each lane, NaN kept (as `cpu::activate_slice`).
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

/// Plain arrays, for builds without vector instructions the kernel knows (wasm without
/// SIMD128, x86-64 without AVX2 and FMA): the compiler vectorizes what it can.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
pub struct Lanes<const N: usize>([f32; N]);

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl<const N: usize> Vector for Lanes<N> {
    const LANES: usize = N;
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        Self([v; N])
    }
    #[inline(always)]
    unsafe fn load(src: *const f32) -> Self {
        // SAFETY: the caller's promise.
        Self(unsafe { src.cast::<[f32; N]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn madd(a: Self, b: Self, c: Self) -> Self {
        Self(std::array::from_fn(|i| c.0[i] + a.0[i] * b.0[i]))
    }
    #[inline(always)]
    unsafe fn activate(mut self, activation: Activation) -> Self {
        crate::model::cpu::activate_slice(&mut self.0, activation);
        self
    }
    #[inline(always)]
    unsafe fn store<T: Slot>(self, dst: &mut [T]) {
        for (d, v) in dst[..N].iter_mut().zip(self.0) {
            d.set(v);
        }
    }
}

/// An x86-64 vector type over one register type and its intrinsics: AVX2's and AVX-512's
/// implementations differ in nothing else.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_vector {
    ($(#[$doc:meta])* $name:ident($register:ident), $lanes:literal,
     $set1:ident, $loadu:ident, $fmadd:ident, $max:ident, $min:ident, $storeu:ident, $reduce:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name(std::arch::x86_64::$register);

        // SAFETY (all methods): the caller's promise that the CPU has the type's instruction set.
        impl Vector for $name {
            const LANES: usize = $lanes;
            #[inline(always)]
            unsafe fn splat(v: f32) -> Self {
                Self(unsafe { std::arch::x86_64::$set1(v) })
            }
            #[inline(always)]
            unsafe fn load(src: *const f32) -> Self {
                Self(unsafe { std::arch::x86_64::$loadu(src) })
            }
            #[inline(always)]
            unsafe fn madd(a: Self, b: Self, c: Self) -> Self {
                Self(unsafe { std::arch::x86_64::$fmadd(a.0, b.0, c.0) })
            }
            #[inline(always)]
            unsafe fn activate(self, activation: Activation) -> Self {
                use std::arch::x86_64::{$max, $min, $set1};
                // `max_ps(a, b)` is `a > b ? a : b`, `min_ps(a, b)` `a < b ? a : b` (`vmaxps`
                // and `vminps` return the second operand when either is NaN): with the bound
                // first, a NaN lane compares false and comes back as itself.
                unsafe {
                    match activation {
                        Activation::None => self,
                        Activation::Relu => Self($max($set1(0.0), self.0)),
                        Activation::Relu6 => Self($min($set1(6.0), $max($set1(0.0), self.0))),
                    }
                }
            }
            #[inline(always)]
            unsafe fn store<T: Slot>(self, dst: &mut [T]) {
                assert!(dst.len() >= $lanes);
                // `LANES` values in bounds, of f32's layout (`Slot`).
                unsafe { std::arch::x86_64::$storeu(dst.as_mut_ptr().cast(), self.0) }
            }
            /// In registers (halves added in turn), not through memory and a scalar loop.
            #[inline(always)]
            unsafe fn sum(self) -> f32 {
                unsafe { $reduce(self.0) }
            }
        }
    };
}

/// The sum of AVX's 8 lanes: halves added in turn.
///
/// # Safety
/// Only where the CPU has AVX.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn reduce_add_256(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::{_mm_add_ps, _mm_add_ss, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps, _mm256_castps256_ps128, _mm256_extractf128_ps};
    // SAFETY: the caller's promise.
    unsafe {
        let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps::<1>(pair, pair)))
    }
}

#[cfg(target_arch = "x86_64")]
x86_vector!(
    /// 8 lanes of AVX2 with fused multiply-adds.
    Avx2Fma(__m256), 8,
    _mm256_set1_ps, _mm256_loadu_ps, _mm256_fmadd_ps, _mm256_max_ps, _mm256_min_ps, _mm256_storeu_ps, reduce_add_256
);

#[cfg(target_arch = "x86_64")]
x86_vector!(
    /// 16 lanes of AVX-512 (Foundation: fused multiply-adds included).
    Avx512(__m512), 16,
    _mm512_set1_ps, _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_min_ps, _mm512_storeu_ps, std::arch::x86_64::_mm512_reduce_add_ps
);

/// 4 lanes of wasm SIMD128 (no fused multiply-add without relaxed SIMD). The build enables
/// SIMD128 for the whole package, and the page loads that package only where it validates.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy)]
pub struct Simd128(std::arch::wasm32::v128);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Vector for Simd128 {
    const LANES: usize = 4;
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self {
        Self(std::arch::wasm32::f32x4_splat(v))
    }
    #[inline(always)]
    unsafe fn load(src: *const f32) -> Self {
        // SAFETY: the caller's promise.
        Self(unsafe { std::arch::wasm32::v128_load(src.cast()) })
    }
    #[inline(always)]
    unsafe fn madd(a: Self, b: Self, c: Self) -> Self {
        use std::arch::wasm32::{f32x4_add, f32x4_mul};
        Self(f32x4_add(c.0, f32x4_mul(a.0, b.0)))
    }
    #[inline(always)]
    unsafe fn activate(self, activation: Activation) -> Self {
        use std::arch::wasm32::{f32x4_pmax, f32x4_pmin, f32x4_splat};
        // `pmax(a, b)` is `a < b ? b : a`, `pmin(a, b)` `b < a ? b : a`: a NaN lane compares
        // false and stays.
        match activation {
            Activation::None => self,
            Activation::Relu => Self(f32x4_pmax(self.0, f32x4_splat(0.0))),
            Activation::Relu6 => Self(f32x4_pmin(f32x4_pmax(self.0, f32x4_splat(0.0)), f32x4_splat(6.0))),
        }
    }
    #[inline(always)]
    unsafe fn store<T: Slot>(self, dst: &mut [T]) {
        assert!(dst.len() >= 4);
        // SAFETY: 4 values in bounds, of f32's layout (`Slot`).
        unsafe { std::arch::wasm32::v128_store(dst.as_mut_ptr().cast(), self.0) }
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
fn deinterleave_plain(channel: &[f32], w: usize, dst: &mut [f32], at: impl Fn(usize) -> usize, odd: usize) {
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

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl<const N: usize> Masking for Lanes<N> {
    type Mask = [bool; N];
    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        Self(std::array::from_fn(|i| a.0[i] + b.0[i]))
    }
    #[inline(always)]
    unsafe fn wrap(self, period: Self) -> Self {
        Self(std::array::from_fn(|i| if self.0[i] >= period.0[i] { self.0[i] - period.0[i] } else { self.0[i] }))
    }
    #[inline(always)]
    unsafe fn between(self, lo: Self, hi: Self) -> [bool; N] {
        std::array::from_fn(|i| lo.0[i] <= self.0[i] && self.0[i] < hi.0[i])
    }
    #[inline(always)]
    unsafe fn load_where(src: *const f32, mask: [bool; N]) -> Self {
        // SAFETY: the caller's promise.
        let values = unsafe { Self::load(src) };
        Self(std::array::from_fn(|i| if mask[i] { values.0[i] } else { 0.0 }))
    }
}

#[cfg(target_arch = "x86_64")]
impl Masking for Avx2Fma {
    type Mask = std::arch::x86_64::__m256;
    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        Self(unsafe { std::arch::x86_64::_mm256_add_ps(a.0, b.0) })
    }
    #[inline(always)]
    unsafe fn wrap(self, period: Self) -> Self {
        use std::arch::x86_64::{_CMP_GE_OQ, _mm256_and_ps, _mm256_cmp_ps, _mm256_sub_ps};
        unsafe { Self(_mm256_sub_ps(self.0, _mm256_and_ps(_mm256_cmp_ps::<_CMP_GE_OQ>(self.0, period.0), period.0))) }
    }
    #[inline(always)]
    unsafe fn between(self, lo: Self, hi: Self) -> Self::Mask {
        use std::arch::x86_64::{_CMP_GE_OQ, _CMP_LT_OQ, _mm256_and_ps, _mm256_cmp_ps};
        unsafe { _mm256_and_ps(_mm256_cmp_ps::<_CMP_GE_OQ>(self.0, lo.0), _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, hi.0)) }
    }
    #[inline(always)]
    unsafe fn load_where(src: *const f32, mask: Self::Mask) -> Self {
        // Bitwise: an unset lane's NaN becomes +0 too.
        unsafe { Self(std::arch::x86_64::_mm256_and_ps(mask, std::arch::x86_64::_mm256_loadu_ps(src))) }
    }
}

#[cfg(target_arch = "x86_64")]
impl Masking for Avx512 {
    /// One bit a lane, in a mask register.
    type Mask = std::arch::x86_64::__mmask16;
    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        Self(unsafe { std::arch::x86_64::_mm512_add_ps(a.0, b.0) })
    }
    #[inline(always)]
    unsafe fn wrap(self, period: Self) -> Self {
        use std::arch::x86_64::{_CMP_GE_OQ, _mm512_cmp_ps_mask, _mm512_mask_sub_ps};
        unsafe { Self(_mm512_mask_sub_ps(self.0, _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, period.0), self.0, period.0)) }
    }
    #[inline(always)]
    unsafe fn between(self, lo: Self, hi: Self) -> Self::Mask {
        use std::arch::x86_64::{_CMP_GE_OQ, _CMP_LT_OQ, _mm512_cmp_ps_mask};
        unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, lo.0) & _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, hi.0) }
    }
    #[inline(always)]
    unsafe fn load_where(src: *const f32, mask: Self::Mask) -> Self {
        // A masked load: unset lanes read nothing and come back zero.
        unsafe { Self(std::arch::x86_64::_mm512_maskz_loadu_ps(mask, src)) }
    }

    /// Rows up to 32 values (MobileNetV2's 28, 14 and 7 px stride-2 layers), which the plain
    /// loop is not vectorized for and where it cost a load and a store a value, over half of such
    /// a depthwise layer's time: one step a row, its masks and permutations set up once — two
    /// loads, two permutes (`vpermt2ps`), two masked stores. Longer rows take the plain loop,
    /// which the compiler vectorizes (this step on them was slower: 112 px rows).
    /// MobileNetV2's 28 → 14 px depthwise layer went 0.066 → 0.035 ms on one thread, its 14 → 7
    /// px one 0.067 → 0.043.
    #[inline(always)]
    unsafe fn deinterleave_rows(channel: &[f32], w: usize, dst: &mut [f32], at: impl Fn(usize) -> usize, odd: usize) {
        use std::arch::x86_64::{_mm512_loadu_si512, _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps, _mm512_permutex2var_ps};
        static EVEN: [i32; 16] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30];
        static ODD: [i32; 16] = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31];
        if w > 32 {
            return deinterleave_plain(channel, w, dst, at, odd);
        }
        let mask = |count: usize| if count >= 16 { u16::MAX } else { (1u16 << count) - 1 };
        let (half, rows) = (w / 2, channel.len() / w.max(1));
        let [first, second, evens, odds] = [mask(w), mask(w.saturating_sub(16)), mask(w.div_ceil(2)), mask(half)];
        // SAFETY: the caller's promise for AVX-512. Reads: row `r`'s `w` lanes from
        // `channel[r · w ..]`, within it. Stores: `⌈w / 2⌉` lanes from `dst[at(r) ..]` and `⌊w / 2⌋`
        // from `dst[at(r) + odd ..]`, which the assert keeps within `dst`. Masked-off lanes touch
        // no memory; the pointers to them are formed with `wrapping_add`.
        unsafe {
            let (even_index, odd_index) = (_mm512_loadu_si512(EVEN.as_ptr().cast()), _mm512_loadu_si512(ODD.as_ptr().cast()));
            let (src, out) = (channel.as_ptr(), dst.as_mut_ptr());
            for r in 0..rows {
                let (row, at) = (src.add(r * w), at(r));
                assert!(at + w.div_ceil(2) <= dst.len() && at + odd + half <= dst.len(), "deinterleaved row {r} past the planes");
                let a = _mm512_maskz_loadu_ps(first, row);
                let b = _mm512_maskz_loadu_ps(second, row.wrapping_add(16));
                _mm512_mask_storeu_ps(out.add(at), evens, _mm512_permutex2var_ps(a, even_index, b));
                _mm512_mask_storeu_ps(out.add(at + odd), odds, _mm512_permutex2var_ps(a, odd_index, b));
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Masking for Simd128 {
    type Mask = std::arch::wasm32::v128;
    #[inline(always)]
    unsafe fn add(a: Self, b: Self) -> Self {
        Self(std::arch::wasm32::f32x4_add(a.0, b.0))
    }
    #[inline(always)]
    unsafe fn wrap(self, period: Self) -> Self {
        use std::arch::wasm32::{f32x4_ge, f32x4_sub, v128_and};
        Self(f32x4_sub(self.0, v128_and(f32x4_ge(self.0, period.0), period.0)))
    }
    #[inline(always)]
    unsafe fn between(self, lo: Self, hi: Self) -> Self::Mask {
        use std::arch::wasm32::{f32x4_ge, f32x4_lt, v128_and};
        v128_and(f32x4_ge(self.0, lo.0), f32x4_lt(self.0, hi.0))
    }
    #[inline(always)]
    unsafe fn load_where(src: *const f32, mask: Self::Mask) -> Self {
        // SAFETY: the caller's promise. Bitwise: an unset lane's NaN becomes +0 too.
        Self(std::arch::wasm32::v128_and(mask, unsafe { Self::load(src) }.0))
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
