//! Plain arrays of `N` values: the kernels' vectors where no instruction set is known to them
//! (wasm without SIMD128, x86-64 without AVX2 and FMA). The compiler vectorizes what it can.

use super::{Masking, Vector};
use crate::kernels::{Activation, Slot};

/// Plain arrays, for builds without vector instructions the kernel knows (wasm without
/// SIMD128, x86-64 without AVX2 and FMA): the compiler vectorizes what it can.
#[derive(Clone, Copy)]
pub struct Lanes<const N: usize>([f32; N]);

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
        crate::kernels::activation::activate_slice(&mut self.0, activation);
        self
    }
    #[inline(always)]
    unsafe fn store<T: Slot>(self, dst: &mut [T]) {
        for (d, v) in dst[..N].iter_mut().zip(self.0) {
            d.set(v);
        }
    }
}

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
