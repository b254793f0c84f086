//! The activations a convolution ends in, and the slice loops that apply them.

use serde::{Deserialize, Serialize};

use super::Slot;

/// What follows a convolution (after its batch norm, folded or not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// Nothing: a linear layer (MobileNetV2's bottleneck projection, ResNet's last conv of a block).
    None,
    Relu,
    /// `min(max(x, 0), 6)`: MobileNetV2 and EfficientNet-Lite.
    Relu6,
}

/// `dst[i] = activation(src[i])` for the first `dst.len()` values of `src`. The match stays
/// outside the loops so that each is a plain compare-and-select the compiler vectorizes (inside,
/// a branch per value mispredicts on half the values: `activation::copy_activated` under
/// BENCHMARKS.md's "Figures from the kernels' comments").
#[inline(always)]
pub fn copy_activated<T: Slot>(dst: &mut [T], src: &[f32], activation: Activation) {
    let src = &src[..dst.len()];
    match activation {
        Activation::None => dst.iter_mut().zip(src).for_each(|(d, &v)| d.set(v)),
        Activation::Relu => dst.iter_mut().zip(src).for_each(|(d, &v)| d.set(relu(v))),
        Activation::Relu6 => dst.iter_mut().zip(src).for_each(|(d, &v)| d.set(relu6(v))),
    }
}

/// `values[i] = activation(values[i])`, the same way.
#[inline(always)]
pub fn activate_slice(values: &mut [f32], activation: Activation) {
    match activation {
        Activation::None => {}
        Activation::Relu => values.iter_mut().for_each(|v| *v = relu(*v)),
        Activation::Relu6 => values.iter_mut().for_each(|v| *v = relu6(*v)),
    }
}

// `max`/`min` would turn NaN into a number; these comparisons keep it, as PyTorch does.
#[inline(always)]
fn relu(v: f32) -> f32 {
    if v < 0.0 { 0.0 } else { v }
}

#[inline(always)]
fn relu6(v: f32) -> f32 {
    let v = relu(v);
    if v > 6.0 { 6.0 } else { v }
}
