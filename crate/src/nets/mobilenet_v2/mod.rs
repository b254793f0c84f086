//! MobileNetV2 (Sandler et al. 2018), laid out as torchvision's `mobilenet_v2` so that its
//! ImageNet weights load unchanged.
//!
//! Shapes at 224x224 (the table in the paper):
//! ```text
//! input                         [b,    3, 224, 224]
//! stem conv3x3 s2               [b,   32, 112, 112]
//! blocks (t, c, n, s):  1,16,1,1 [b,   16, 112, 112]
//!                       6,24,2,2 [b,   24,  56,  56]
//!                       6,32,3,2 [b,   32,  28,  28]
//!                       6,64,4,2 [b,   64,  14,  14]
//!                       6,96,3,1 [b,   96,  14,  14]
//!                      6,160,3,2 [b,  160,   7,   7]
//!                      6,320,1,1 [b,  320,   7,   7]
//! head conv1x1                  [b, 1280,   7,   7]
//! global average pool           [b, 1280]
//! classifier (linear)           [b, 1000]
//! ```
//! Because of the global average pooling, any input size works; 224 is what it was trained at.

mod block;
pub mod pytorch;

pub use block::{InvertedResidual, InvertedResidualConfig};

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use crate::nets::conv_norm::{ConvNorm, ConvNormConfig};
use crate::nets::probe::Step;
use crate::nets::summary::{LayerKind, Summary, SummaryBuilder};
use crate::nets::Net;
use crate::nets::bottleneck::trunk_steps;
use crate::nets::fold::fold_fields;

/// `(t, c, n, s)` per stage: expansion, output channels, repeats, stride of the first repeat.
/// Source: the paper's table 2, and torchvision `models/mobilenetv2.py`.
pub const STAGES: [(usize, usize, usize, usize); 7] =
    [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

/// torchvision's `_make_divisible`: round to the nearest multiple of `divisor`, never dropping
/// more than 10 %.
pub fn make_divisible(value: f64, divisor: usize) -> usize {
    let d = divisor as f64;
    let mut rounded = (((value + d / 2.0) as usize) / divisor * divisor).max(divisor);
    if (rounded as f64) < 0.9 * value {
        rounded += divisor;
    }
    rounded
}

/// Configuration of [`MobileNetV2`].
#[derive(Config, Debug, PartialEq)]
pub struct MobileNetV2Config {
    /// Number of output classes (1000 for ImageNet).
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Width multiplier α: scales every layer's channels (1.0 in torchvision's weights).
    #[config(default = 1.0)]
    pub width_mult: f64,
}

impl MobileNetV2Config {
    /// The ImageNet network whose weights torchvision publishes.
    pub fn imagenet() -> Self {
        Self::new()
    }

    /// The block configurations, in order (17 for α = 1).
    pub fn blocks(&self) -> Vec<InvertedResidualConfig> {
        let mut in_channels = self.stem_channels();
        let mut blocks = Vec::new();
        for (t, c, n, s) in STAGES {
            let out = make_divisible(c as f64 * self.width_mult, 8);
            for i in 0..n {
                blocks.push(InvertedResidualConfig::new(in_channels, out, if i == 0 { s } else { 1 }, t));
                in_channels = out;
            }
        }
        blocks
    }

    pub fn stem_channels(&self) -> usize {
        make_divisible(32.0 * self.width_mult, 8)
    }

    /// The last convolution keeps at least 1280 channels when α < 1, as torchvision does.
    pub fn head_channels(&self) -> usize {
        make_divisible(1280.0 * self.width_mult.max(1.0), 8)
    }

    /// The layer table at `size` x `size` input (see [`Summary`]).
    pub fn summary(&self, size: usize) -> Summary {
        let mut s = SummaryBuilder::new([3, size, size]);
        s.conv("stem".into(), LayerKind::Conv, self.stem_channels(), 3, 2, 1, false, true);
        for (i, block) in self.blocks().iter().enumerate() {
            let hidden = block.in_channels * block.expand_ratio;
            if block.expand_ratio != 1 {
                s.conv(format!("blocks.{i}.expand"), LayerKind::Expand1x1, hidden, 1, 1, 1, false, true);
            }
            s.conv(format!("blocks.{i}.depthwise"), LayerKind::Depthwise, hidden, 3, block.stride, hidden, false, true);
            s.conv(format!("blocks.{i}.project"), LayerKind::Reduce1x1, block.out_channels, 1, 1, 1, false, true);
            if block.stride == 1 && block.in_channels == block.out_channels {
                s.residual(format!("blocks.{i}.residual"));
            }
        }
        s.conv("head".into(), LayerKind::Expand1x1, self.head_channels(), 1, 1, 1, false, true);
        s.global_avg_pool("pool".into());
        s.linear("classifier".into(), self.num_classes);
        s.finish()
    }

    pub fn init(&self, device: &Device) -> MobileNetV2 {
        let blocks = self.blocks();
        let last = blocks.last().map_or(self.stem_channels(), |b| b.out_channels);
        MobileNetV2 {
            stem: ConvNormConfig::new([3, self.stem_channels()], 3).with_stride(2).init(device),
            blocks: blocks.iter().map(|b| b.init(device)).collect(),
            head: ConvNormConfig::new([last, self.head_channels()], 1).init(device),
            classifier: LinearConfig::new(self.head_channels(), self.num_classes).init(device),
        }
    }
}

/// MobileNetV2: stem, 17 inverted residual blocks, 1x1 head, global average pool, classifier.
#[derive(Module, Debug)]
pub struct MobileNetV2 {
    pub stem: ConvNorm,
    pub blocks: Vec<InvertedResidual>,
    pub head: ConvNorm,
    pub classifier: Linear,
}

net_config!(MobileNetV2Config => MobileNetV2, unbounded: |c| {
    let bounded = c.width_mult > 0.0 && c.width_mult <= 4.0;
    (!bounded).then(|| format!("width multiplier {} (must be within (0, 4])", c.width_mult))
});

fold_fields! { MobileNetV2 { stem, blocks, head } }

impl Net for MobileNetV2 {
    /// Every layer of MobileNetV2 is one of camtag's kernels on the CPU.
    const ALL_ON_KERNELS: bool = true;

    /// The last feature map before pooling: `[batch, 3, h, w]` → `[batch, 1280, h / 32, w / 32]`.
    fn features(&self, images: Tensor<4>) -> Tensor<4> {
        let x = self.stem.forward(images); // [b, 32, h/2, w/2]
        let x = self.blocks.iter().fold(x, |x, block| block.forward(x)); // [b, 320, h/32, w/32]
        self.head.forward(x) // [b, 1280, h/32, w/32]
    }

    /// The trunk as named steps (see [`crate::nets::probe`]): stem, each block, head.
    fn steps(&self) -> Vec<Step<'_>> {
        trunk_steps(|x| self.stem.forward(x), &self.blocks, InvertedResidual::forward, &self.head)
    }

    /// `[b, 1280]` → `[b, classes]`. (torchvision's dropout before it, p = 0.2, acts only in
    /// training.)
    fn classifier(&self) -> &Linear {
        &self.classifier
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;

    use super::*;

    #[test]
    fn make_divisible_matches_torchvision() {
        assert_eq!(make_divisible(32.0, 8), 32);
        assert_eq!(make_divisible(32.0 * 0.35, 8), 16); // 11.2 -> 8 is < 90 %, so 16
        assert_eq!(make_divisible(1280.0, 8), 1280);
        assert_eq!(make_divisible(24.0 * 0.75, 8), 24); // 18 -> 16 is < 90 % of 18, so 24
    }

    #[test]
    fn block_table_matches_the_paper() {
        let blocks = MobileNetV2Config::imagenet().blocks();
        assert_eq!(blocks.len(), 17);
        let strides: Vec<usize> = blocks.iter().map(|b| b.stride).collect();
        assert_eq!(strides, [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]);
        assert_eq!(blocks[16].out_channels, 320);
    }

    #[test]
    fn shapes_per_stage() {
        let device = Device::flex();
        let net = MobileNetV2Config::imagenet().init(&device);
        let mut x = Tensor::<4>::zeros([1, 3, 224, 224], &device);
        x = net.stem.forward(x);
        assert_eq!(x.dims(), [1, 32, 112, 112]);
        let expected = [
            [16, 112], [24, 56], [24, 56], [32, 28], [32, 28], [32, 28], [64, 14], [64, 14], [64, 14],
            [64, 14], [96, 14], [96, 14], [96, 14], [160, 7], [160, 7], [160, 7], [320, 7],
        ];
        for (block, [c, s]) in net.blocks.iter().zip(expected) {
            x = block.forward(x);
            assert_eq!(x.dims(), [1, c, s, s]);
        }
        assert_eq!(net.head.forward(x).dims(), [1, 1280, 7, 7]);
    }

    #[test]
    fn summary_matches_the_published_figures_and_the_module() {
        let config = MobileNetV2Config::imagenet();
        let summary = config.summary(224);
        // torchvision's MobileNet_V2_Weights.IMAGENET1K_V1: 3,504,872 parameters.
        assert_eq!(summary.params(), 3_504_872);
        // burn's count includes the batch norms' running mean and variance; PyTorch's does not.
        assert_eq!(summary.params() + summary.running_stats(), config.init(&Device::flex()).num_params() as u64);
        assert_eq!(summary.running_stats(), 2 * 17_056); // 17,056 batch-normalized channels
        // The paper's table 4: 300 M multiply-adds at 224.
        let macs = summary.macs() as f64 / 1e6;
        assert!((295.0..=305.0).contains(&macs), "{macs} M MACs");
        let head = summary.layers.iter().find(|l| l.name == "head").unwrap();
        assert_eq!(head.output, [1280, 7, 7]);
        assert_eq!(config.summary(160).layers.iter().find(|l| l.name == "head").unwrap().output, [1280, 5, 5]);
    }

    #[test]
    fn any_input_size_gives_class_scores() {
        let device = Device::flex();
        let net = MobileNetV2Config::new().with_num_classes(5).init(&device);
        for (h, w) in [(96, 96), (160, 224), (33, 47)] {
            let y = net.forward(Tensor::<4>::zeros([2, 3, h, w], &device));
            assert_eq!(y.dims(), [2, 5]);
        }
    }
}
