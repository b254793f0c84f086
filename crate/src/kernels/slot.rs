//! Where a kernel writes: plain values, or memory not written yet (a fresh output is not zeroed
//! first, since every value is written once).

use std::mem::MaybeUninit;

/// An `f32`'s place in memory: written already, or not yet (a kernel's fresh output, which is
/// not zeroed first since every value is written once). Both have an `f32`'s layout, so a vector
/// store may write a run of them.
///
/// # Safety
/// Only for types with `f32`'s size and alignment.
pub unsafe trait Slot {
    fn set(&mut self, v: f32);
}

// SAFETY: `f32` itself.
unsafe impl Slot for f32 {
    #[inline(always)]
    fn set(&mut self, v: f32) {
        *self = v;
    }
}

// SAFETY: `MaybeUninit<f32>` has `f32`'s layout.
unsafe impl Slot for MaybeUninit<f32> {
    #[inline(always)]
    fn set(&mut self, v: f32) {
        self.write(v);
    }
}

/// Values seen as places to write, for a kernel that stores into uninitialized outputs to reuse
/// a buffer written already.
///
/// # Safety
/// Only values may be stored through the result, never `MaybeUninit::uninit()`.
pub unsafe fn slots(values: &mut [f32]) -> &mut [MaybeUninit<f32>] {
    // SAFETY: `MaybeUninit<f32>` has `f32`'s layout; the caller stores only values.
    unsafe { &mut *(values as *mut [f32] as *mut [MaybeUninit<f32>]) }
}
