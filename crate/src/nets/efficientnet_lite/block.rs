//! EfficientNet-Lite's mobile inverted bottleneck (MBConv, Tan & Le 2019, from MobileNetV2): a
//! 1x1 convolution expands the channels `t` times, a 3x3 or 5x5 depthwise convolution filters
//! each channel on its own, and a 1x1 convolution without activation projects back down; the
//! input is added when the block keeps both the size and the channel count. The Lite variant has
//! no squeeze-and-excitation and uses ReLU6 instead of swish: it is MobileNetV2's block with a
//! choice of kernel and TensorFlow's padding.

use burn::prelude::*;

use super::{BN_EPSILON, same_padding};
use crate::nets::conv_norm::{Activation, ConvNorm, ConvNormConfig};
use crate::nets::bottleneck::Bottleneck;
use crate::nets::fold::fold_fields;

/// A conv → BN(ε = 1e-3) → ReLU6 with TensorFlow "SAME" padding: stride 1 pads inside the
/// convolution (`(k - 1) / 2` on every side, which is SAME for an odd kernel); a larger stride
/// pads nothing there, and [`forward_same`] pads the input from its actual size.
pub(super) fn same_conv_norm(channels: [usize; 2], kernel: usize, stride: usize) -> ConvNormConfig {
    assert!(kernel % 2 == 1, "TensorFlow SAME padding is done here for odd kernels only, not {kernel}");
    ConvNormConfig::new(channels, kernel)
        .with_stride(stride)
        .with_bn_epsilon(BN_EPSILON)
        .with_pad(stride == 1)
}

/// Runs a layer built by [`same_conv_norm`]: `[b, in, h, w]` → `[b, out, ⌈h / s⌉, ⌈w / s⌉]`.
pub(super) fn forward_same(layer: &ConvNorm, x: Tensor<4>) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    layer.forward_padded(x, extra_padding(layer, [h, w]))
}

/// The `[top, left, bottom, right]` zeros [`forward_same`] adds around an `[h, w]` input of
/// `layer` beyond its own padding: none at stride 1.
fn extra_padding(layer: &ConvNorm, [h, w]: [usize; 2]) -> [usize; 4] {
    let [kernel, _] = layer.conv.kernel_size;
    let [stride, _] = layer.conv.stride;
    if stride == 1 {
        return [0; 4];
    }
    let (top, bottom) = same_padding(h, kernel, stride);
    let (left, right) = same_padding(w, kernel, stride);
    [top, left, bottom, right]
}

/// Configuration of an [`MbConv`].
#[derive(Config, Debug)]
pub struct MbConvConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    /// Depthwise kernel side: 3 or 5.
    pub kernel: usize,
    /// 1 or 2.
    pub stride: usize,
    /// The expansion factor `t` (1 for the first block, 6 for the others).
    pub expand_ratio: usize,
}

impl MbConvConfig {
    /// Channels inside the block, after the expansion.
    pub fn hidden(&self) -> usize {
        self.in_channels * self.expand_ratio
    }

    /// Whether the block's input is added to its output.
    pub fn residual(&self) -> bool {
        self.stride == 1 && self.in_channels == self.out_channels
    }

    pub fn init(&self, device: &Device) -> MbConv {
        let hidden = self.hidden();
        MbConv {
            expand: (self.expand_ratio != 1)
                .then(|| same_conv_norm([self.in_channels, hidden], 1, 1).init(device)),
            depthwise: same_conv_norm([hidden, hidden], self.kernel, self.stride).with_groups(hidden).init(device),
            project: same_conv_norm([hidden, self.out_channels], 1, 1)
                .with_activation(Activation::None)
                .init(device),
            residual: self.residual(),
        }
    }
}

/// Expand (1x1) → depthwise (k x k, SAME) → project (1x1, linear), plus the input when shapes allow.
#[derive(Module, Debug)]
pub struct MbConv {
    /// Absent when `t = 1` (the first block).
    pub expand: Option<ConvNorm>,
    pub depthwise: ConvNorm,
    pub project: ConvNorm,
    pub residual: bool,
}

impl MbConv {
    /// `[batch, in, h, w]` → `[batch, out, ⌈h / stride⌉, ⌈w / stride⌉]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let [_, _, h, w] = input.dims();
        Bottleneck {
            expand: self.expand.as_ref(),
            depthwise: &self.depthwise,
            extra: extra_padding(&self.depthwise, [h, w]),
            project: &self.project,
            residual: self.residual,
        }
        .forward(input)
    }
}

fold_fields! { MbConv { expand, depthwise, project } }
