//! camtag's own CPU kernels: the fast path for inference on plain burn `flex` f32 tensors.
//!
//! The networks call only the seam below. Each entry takes a layer and its input and returns
//! `Ok(output)` where a kernel applies, or `Err(input)`, untouched, where none does (training
//! under autodiff, the GPU, a batch norm not yet folded, a shape no kernel takes): the caller then
//! runs burn's own operation. The kernels import no network; the networks import this module.
//!
//! Rooms: [`pointwise`] (1x1 convolutions as register-tiled products), [`direct_conv`] (few-tap
//! convolutions: depthwise and the RGB stem, over [`depthwise`]'s loops), [`fused`] (an inverted
//! residual block in one pass), [`linear`], [`pool`]; the instruction sets in [`isa`] and
//! [`vector`] (one file each); [`flex`] bridges burn tensors and slices. Threads come from
//! [`crate::parallel`]. Measurements behind the constants: BENCHMARKS.md.

pub(crate) mod activation;
pub mod check;
pub mod depthwise;
pub mod direct_conv;
pub mod flex;
pub mod fused;
pub mod geometry;
pub mod isa;
pub mod linear;
pub mod pointwise;
pub mod pool;
mod slot;
#[cfg(test)]
pub(crate) mod testing;
pub mod vector;

use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

pub use activation::Activation;
pub use fused::{Block, Layer};
pub use isa::Isa;
pub use slot::Slot;

/// `activation(conv(x))`, with `[top, left, bottom, right]` zeros around `x` beyond the
/// convolution's own padding (TensorFlow's "SAME" padding): the register-tiled product for 1x1
/// convolutions (tried first: a 1x1 over at most 27 channels would also fit the direct kernel,
/// which is slower at it), the direct kernel for other convolutions of few taps. `x` `[batch, in,
/// h, w]` → `[batch, out, oh, ow]`; the convolution's batch norm folded in already.
pub fn conv2d(conv: &Conv2d, x: Tensor<4>, activation: Activation, padding: [usize; 4]) -> Result<Tensor<4>, Tensor<4>> {
    if padding == [0; 4] { pointwise::forward(conv, x, activation) } else { Err(x) }
        .or_else(|x| direct_conv::forward(conv, x, activation, padding))
}

/// An inverted residual block (expand → depthwise → project → + input) in one pass: `[batch, in,
/// h, w]` → `[batch, out, oh, ow]`.
pub fn block(block: &Block, x: Tensor<4>) -> Result<Tensor<4>, Tensor<4>> {
    fused::forward(block, x)
}

/// `activation(x)` in one pass over `x`'s own memory, where nothing else holds it (as a fresh
/// output of burn's convolution).
pub fn activate<const D: usize>(x: Tensor<D>, activation: Activation) -> Result<Tensor<D>, Tensor<D>> {
    flex::activate_in_place(x, activation)
}

/// Global average pooling: `[batch, channels, h, w]` → `[batch, channels]`.
pub fn global_avg_pool(x: Tensor<4>) -> Result<Tensor<2>, Tensor<4>> {
    pool::global_avg_pool(x)
}

/// The classifier's `x · W + b` for a picture or a few: `[batch, in]` → `[batch, out]`.
pub fn linear(layer: &Linear, x: Tensor<2>) -> Result<Tensor<2>, Tensor<2>> {
    linear::forward(layer, x)
}
