//! MobileNetV2's inverted residual block (Sandler et al. 2018, "MobileNetV2: Inverted Residuals
//! and Linear Bottlenecks", fig. 3b / table 1): a 1x1 convolution expands the channels `t` times,
//! a 3x3 depthwise convolution filters each channel on its own, and a 1x1 convolution without
//! activation (the linear bottleneck) projects back down. When the block keeps both the size and
//! the channel count, its input is added to its output (the residual).

use burn::prelude::*;

use crate::nets::conv_norm::{Activation, ConvNorm, ConvNormConfig};
use crate::nets::bottleneck::Bottleneck;
use crate::nets::fold::fold_fields;

/// Configuration of an [`InvertedResidual`].
#[derive(Config, Debug)]
pub struct InvertedResidualConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    /// 1 or 2.
    pub stride: usize,
    /// The expansion factor `t`.
    pub expand_ratio: usize,
}

impl InvertedResidualConfig {
    pub fn init(&self, device: &Device) -> InvertedResidual {
        let hidden = self.in_channels * self.expand_ratio;
        InvertedResidual {
            expand: (self.expand_ratio != 1)
                .then(|| ConvNormConfig::new([self.in_channels, hidden], 1).init(device)),
            depthwise: ConvNormConfig::new([hidden, hidden], 3)
                .with_stride(self.stride)
                .with_groups(hidden)
                .init(device),
            project: ConvNormConfig::new([hidden, self.out_channels], 1).with_activation(Activation::None).init(device),
            residual: self.stride == 1 && self.in_channels == self.out_channels,
        }
    }
}

/// Expand (1x1) → depthwise (3x3) → project (1x1, linear), plus the input when shapes allow.
#[derive(Module, Debug)]
pub struct InvertedResidual {
    /// Absent when `t = 1` (the first block), as in the paper.
    pub expand: Option<ConvNorm>,
    pub depthwise: ConvNorm,
    pub project: ConvNorm,
    pub residual: bool,
}

impl InvertedResidual {
    /// `[batch, in, h, w]` → `[batch, out, h / stride, w / stride]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        Bottleneck {
            expand: self.expand.as_ref(),
            depthwise: &self.depthwise,
            extra: [0; 4],
            project: &self.project,
            residual: self.residual,
        }
        .forward(input)
    }
}

fold_fields! { InvertedResidual { expand, depthwise, project } }
