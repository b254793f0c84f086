//! 4 lanes of wasm SIMD128, in the wasm SIMD packages.

use super::{Masking, Vector};
use crate::kernels::{Activation, Slot};

/// 4 lanes of wasm SIMD128 (no fused multiply-add without relaxed SIMD). The build enables
/// SIMD128 for the whole package, and the page loads that package only where it validates.
#[derive(Clone, Copy)]
pub struct Simd128(std::arch::wasm32::v128);

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
