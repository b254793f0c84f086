//! Convolution → batch norm → optional ReLU6: the building brick of MobileNetV2 (torchvision's
//! `Conv2dNormActivation`). With `groups == channels` it is a depthwise convolution; with a 1x1
//! kernel it mixes channels only (expand or project).

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu6;

/// Configuration of a [`ConvNorm`].
#[derive(Config, Debug)]
pub struct ConvNormConfig {
    /// `[in, out]` channels.
    pub channels: [usize; 2],
    /// Square kernel side (1 or 3 here); padding is `(kernel - 1) / 2`, as torchvision's.
    pub kernel: usize,
    #[config(default = 1)]
    pub stride: usize,
    /// `1` for a full convolution, `channels[0]` for a depthwise one.
    #[config(default = 1)]
    pub groups: usize,
    /// Whether ReLU6 follows the batch norm (not on the linear bottleneck projection).
    #[config(default = true)]
    pub relu6: bool,
    /// Batch-norm epsilon: 1e-5 is PyTorch's default, which torchvision's MobileNetV2 keeps.
    #[config(default = 1e-5)]
    pub bn_epsilon: f64,
}

impl ConvNormConfig {
    pub fn init(&self, device: &Device) -> ConvNorm {
        let pad = (self.kernel - 1) / 2;
        ConvNorm {
            conv: Conv2dConfig::new(self.channels, [self.kernel, self.kernel])
                .with_stride([self.stride, self.stride])
                .with_groups(self.groups)
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .with_bias(false)
                .init(device),
            bn: BatchNormConfig::new(self.channels[1]).with_epsilon(self.bn_epsilon).init(device),
            relu6: self.relu6,
        }
    }
}

/// Conv (no bias) → BatchNorm → ReLU6 (optional).
#[derive(Module, Debug)]
pub struct ConvNorm {
    pub conv: Conv2d,
    pub bn: BatchNorm,
    pub relu6: bool,
}

impl ConvNorm {
    /// `[batch, in, h, w]` → `[batch, out, h / stride, w / stride]` (rounded up).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.bn.forward(self.conv.forward(x));
        if self.relu6 { relu6(x) } else { x }
    }
}
