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
     $set1:ident, $loadu:ident, $fmadd:ident, $max:ident, $min:ident, $storeu:ident) => {
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
        }
    };
}

#[cfg(target_arch = "x86_64")]
x86_vector!(
    /// 8 lanes of AVX2 with fused multiply-adds.
    Avx2Fma(__m256), 8,
    _mm256_set1_ps, _mm256_loadu_ps, _mm256_fmadd_ps, _mm256_max_ps, _mm256_min_ps, _mm256_storeu_ps
);

#[cfg(target_arch = "x86_64")]
x86_vector!(
    /// 16 lanes of AVX-512 (Foundation: fused multiply-adds included).
    Avx512(__m512), 16,
    _mm512_set1_ps, _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_min_ps, _mm512_storeu_ps
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
