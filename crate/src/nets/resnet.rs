//! ResNet with basic blocks (He et al. 2015, "Deep Residual Learning for Image Recognition",
//! table 1): two 3x3 convolutions whose output is added to the block's input, so each block
//! learns a correction (a residual) to the identity. When a block halves the size or changes the
//! width, a 1x1 convolution with stride 2 brings the input to the output's shape.
//!
//! Shapes of ResNet-18 at 224x224:
//! ```text
//! conv 7x7 /2, max pool 3x3 /2   [b,  64, 56, 56]
//! stage 1 (2 blocks)             [b,  64, 56, 56]
//! stage 2 (2 blocks, /2)         [b, 128, 28, 28]
//! stage 3 (2 blocks, /2)         [b, 256, 14, 14]
//! stage 4 (2 blocks, /2)         [b, 512,  7,  7]
//! global average pool, linear    [b, classes]
//! ```
//! The small variant for 64–96 px pictures starts with a 3x3 convolution and no pooling, so a
//! small picture is not shrunk to nothing before the blocks see it.

use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use crate::nets::conv_norm::{Activation, ConvNorm, ConvNormConfig};
use crate::nets::probe::Step;
use crate::nets::summary::{LayerKind, Summary, SummaryBuilder};
use crate::nets::Net;
use crate::nets::fold::fold_fields;

/// Configuration of [`ResNet`].
#[derive(Config, Debug, PartialEq)]
pub struct ResNetConfig {
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Blocks per stage.
    #[config(default = "vec![2, 2, 2, 2]")]
    pub blocks: Vec<usize>,
    /// Channels per stage.
    #[config(default = "vec![64, 128, 256, 512]")]
    pub widths: Vec<usize>,
    /// `true`: a 3x3 stride-1 stem without pooling, for 64–96 px inputs.
    #[config(default = false)]
    pub small_input: bool,
}

impl ResNetConfig {
    /// ResNet-18 (11.7 M parameters with 1000 classes).
    pub fn resnet18(num_classes: usize) -> Self {
        Self::new().with_num_classes(num_classes)
    }

    /// A small ResNet for 64–96 px pictures: 3x3 stem, four stages of one block, 32 … 256 wide.
    pub fn small(num_classes: usize) -> Self {
        Self::new().with_num_classes(num_classes).with_blocks(vec![1, 1, 1, 1]).with_widths(vec![32, 64, 128, 256]).with_small_input(true)
    }

    /// `(in, out, stride)` of every block, in order.
    fn block_plan(&self) -> Vec<(usize, usize, usize)> {
        let mut plan = Vec::new();
        let mut input = self.widths[0];
        for (stage, (&n, &width)) in self.blocks.iter().zip(&self.widths).enumerate() {
            for i in 0..n {
                let stride = if stage > 0 && i == 0 { 2 } else { 1 };
                plan.push((input, width, stride));
                input = width;
            }
        }
        plan
    }

    pub fn init(&self, device: &Device) -> ResNet {
        let stem_kernel = if self.small_input { 3 } else { 7 };
        let stem_stride = if self.small_input { 1 } else { 2 };
        ResNet {
            stem: ConvNormConfig::new([3, self.widths[0]], stem_kernel)
                .with_stride(stem_stride)
                .with_activation(Activation::Relu)
                .init(device),
            pool: (!self.small_input).then(|| {
                MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init()
            }),
            blocks: self.block_plan().into_iter().map(|(i, o, s)| BasicBlock::new(i, o, s, device)).collect(),
            classifier: LinearConfig::new(*self.widths.last().expect("at least one stage"), self.num_classes).init(device),
        }
    }

    /// The layer table at `size` x `size`.
    pub fn summary(&self, size: usize) -> Summary {
        let mut s = SummaryBuilder::new([3, size, size]);
        if self.small_input {
            s.conv("stem".into(), LayerKind::Conv, self.widths[0], 3, 1, 1, false, true);
        } else {
            s.conv("stem".into(), LayerKind::Conv, self.widths[0], 7, 2, 1, false, true);
            s.max_pool("pool".into(), 3, 2, 1, false);
        }
        for (i, (input, out, stride)) in self.block_plan().into_iter().enumerate() {
            let before = s.shape();
            s.conv(format!("blocks.{i}.conv1"), LayerKind::Conv, out, 3, stride, 1, false, true);
            s.conv(format!("blocks.{i}.conv2"), LayerKind::Conv, out, 3, 1, 1, false, true);
            if stride != 1 || input != out {
                let after = s.shape();
                s.set_shape(before);
                s.conv(format!("blocks.{i}.downsample"), LayerKind::Reduce1x1, out, 1, stride, 1, false, true);
                s.set_shape(after);
            }
            s.residual(format!("blocks.{i}.residual"));
        }
        s.global_avg_pool("avgpool".into());
        s.linear("classifier".into(), self.num_classes);
        s.finish()
    }
}

/// Two 3x3 convolutions plus the (possibly projected) input.
#[derive(Module, Debug)]
pub struct BasicBlock {
    pub conv1: ConvNorm,
    pub conv2: ConvNorm,
    /// A 1x1 stride-2 projection when the block changes size or width.
    pub downsample: Option<ConvNorm>,
}

impl BasicBlock {
    pub fn new(input: usize, out: usize, stride: usize, device: &Device) -> Self {
        let conv = |channels, kernel, stride, activation| {
            ConvNormConfig::new(channels, kernel).with_stride(stride).with_activation(activation).init(device)
        };
        Self {
            conv1: conv([input, out], 3, stride, Activation::Relu),
            conv2: conv([out, out], 3, 1, Activation::None),
            downsample: (stride != 1 || input != out).then(|| conv([input, out], 1, stride, Activation::None)),
        }
    }

    /// `[b, in, h, w]` → `[b, out, h / stride, w / stride]`: `relu(F(x) + shortcut(x))`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let shortcut = match &self.downsample {
            Some(project) => project.forward(x.clone()),
            None => x.clone(),
        };
        let y = self.conv2.forward(self.conv1.forward(x));
        burn::tensor::activation::relu(y + shortcut)
    }
}

/// ResNet: stem, residual blocks, global average pooling, a linear classifier.
#[derive(Module, Debug)]
pub struct ResNet {
    pub stem: ConvNorm,
    pub pool: Option<MaxPool2d>,
    pub blocks: Vec<BasicBlock>,
    pub classifier: Linear,
}

net_config!(ResNetConfig => ResNet, unbounded: |c| super::unbounded_stages(&c.blocks, &c.widths, "ResNet"));

fold_fields! {
    ResNet { stem, blocks }
    BasicBlock { conv1, conv2, downsample }
}

impl Net for ResNet {
    /// The trunk as named steps (see [`crate::nets::probe`]): stem (with its pooling), each block.
    fn steps(&self) -> Vec<Step<'_>> {
        let mut steps: Vec<Step<'_>> = vec![(
            "stem".into(),
            Box::new(|x| {
                let x = self.stem.forward(x);
                match &self.pool {
                    Some(pool) => pool.forward(x),
                    None => x,
                }
            }),
        )];
        for (i, block) in self.blocks.iter().enumerate() {
            steps.push((format!("blocks.{i}"), Box::new(move |x| block.forward(x))));
        }
        steps
    }

    /// `[b, 3, h, w]` → `[b, channels, h', w']`.
    fn features(&self, images: Tensor<4>) -> Tensor<4> {
        let mut x = self.stem.forward(images);
        if let Some(pool) = &self.pool {
            x = pool.forward(x);
        }
        self.blocks.iter().fold(x, |x, block| block.forward(x))
    }

    fn classifier(&self) -> &Linear {
        &self.classifier
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;

    use super::*;

    #[test]
    fn resnet18_matches_the_published_size() {
        let config = ResNetConfig::resnet18(1000);
        let summary = config.summary(224);
        // torchvision's resnet18: 11,689,512 parameters, 1.81 G multiply-adds.
        assert_eq!(summary.params(), 11_689_512);
        let gmacs = summary.macs() as f64 / 1e9;
        assert!((1.80..1.83).contains(&gmacs), "{gmacs} G MACs");
        let block = |i: usize| summary.layers.iter().find(|l| l.name == format!("blocks.{i}.residual")).unwrap().output;
        assert_eq!([block(1), block(3), block(5), block(7)], [[64, 56, 56], [128, 28, 28], [256, 14, 14], [512, 7, 7]]);
    }

    #[test]
    fn forward_shapes_and_parameter_count_agree_with_the_summary() {
        let device = Device::flex();
        for (config, size) in [(ResNetConfig::small(5), 64), (ResNetConfig::resnet18(7), 96)] {
            let net = config.init(&device);
            assert_eq!(net.forward(Tensor::<4>::zeros([2, 3, size, size], &device)).dims(), [2, config.num_classes]);
            let summary = config.summary(size);
            assert_eq!(summary.params() + summary.running_stats(), net.num_params() as u64);
        }
    }

    #[test]
    fn small_variant_keeps_detail_at_64px() {
        let summary = ResNetConfig::small(10).summary(64);
        assert_eq!(summary.layers.iter().rev().find(|l| l.kind == LayerKind::ResidualAdd).unwrap().output, [256, 8, 8]);
    }
}
