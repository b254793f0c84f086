//! 8 lanes of AVX2 with FMA (x86-64, found at run time).

use super::x86::{reduce_add_256, x86_vector};
use super::{Masking, Vector};
use crate::kernels::{Activation, Slot};

x86_vector!(
    /// 8 lanes of AVX2 with fused multiply-adds.
    Avx2Fma(__m256), 8,
    _mm256_set1_ps, _mm256_loadu_ps, _mm256_fmadd_ps, _mm256_max_ps, _mm256_min_ps, _mm256_storeu_ps, reduce_add_256
);

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
