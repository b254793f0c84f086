//! What AVX2's and AVX-512's vectors share: one macro over a register type and its intrinsics,
//! and the 8-lane sum AVX2 lacks an intrinsic for.

/// An x86-64 vector type over one register type and its intrinsics: AVX2's and AVX-512's
/// implementations differ in nothing else.
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
#[inline(always)]
pub(super) unsafe fn reduce_add_256(v: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::{_mm_add_ps, _mm_add_ss, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps, _mm256_castps256_ps128, _mm256_extractf128_ps};
    // SAFETY: the caller's promise.
    unsafe {
        let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps::<1>(pair, pair)))
    }
}

pub(super) use x86_vector;
