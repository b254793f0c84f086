//! 16 lanes of AVX-512 Foundation (x86-64, found at run time).

use super::x86::x86_vector;
use super::{Masking, Vector, deinterleave_plain};
use crate::kernels::{Activation, Slot};

x86_vector!(
    /// 16 lanes of AVX-512 (Foundation: fused multiply-adds included).
    Avx512(__m512), 16,
    _mm512_set1_ps, _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_max_ps, _mm512_min_ps, _mm512_storeu_ps, std::arch::x86_64::_mm512_reduce_add_ps
);

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
    /// which the compiler vectorizes, and which is the faster there (BENCHMARKS.md: "a stride-2
    /// row of at most 32 values").
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
