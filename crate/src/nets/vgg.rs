//! VGG-style networks (Simonyan & Zisserman 2014, "Very Deep Convolutional Networks", table 1):
//! stacks of 3x3 convolutions, each stack followed by a 2x2 max pool that halves the size, the
//! width doubling from stage to stage. Two stacked 3x3 convolutions see a 5x5 window with fewer
//! weights than one 5x5. Here each convolution has batch norm, and the network ends with global
//! average pooling and one linear layer instead of VGG's three large fully connected layers, so
//! it runs at any input size.
//!
//! VGG-11 at 224x224: `[b, 64, 112, 112]` → `[b, 128, 56, 56]` → `[b, 256, 28, 28]` →
//! `[b, 512, 14, 14]` → `[b, 512, 7, 7]` → `[b, classes]`.

use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use crate::nets::conv_norm::{Activation, ConvNorm, ConvNormConfig};
use crate::nets::probe::Step;
use crate::nets::summary::{LayerKind, Summary, SummaryBuilder};
use crate::nets::Net;
use crate::nets::fold::fold_fields;

/// Configuration of [`Vgg`].
#[derive(Config, Debug, PartialEq)]
pub struct VggConfig {
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Convolutions per stage (VGG-11: 1, 1, 2, 2, 2; VGG-16: 2, 2, 3, 3, 3).
    #[config(default = "vec![1, 1, 2, 2, 2]")]
    pub depths: Vec<usize>,
    /// Channels per stage.
    #[config(default = "vec![64, 128, 256, 512, 512]")]
    pub widths: Vec<usize>,
}

impl VggConfig {
    pub fn vgg11(num_classes: usize) -> Self {
        Self::new().with_num_classes(num_classes)
    }

    pub fn vgg16(num_classes: usize) -> Self {
        Self::new().with_num_classes(num_classes).with_depths(vec![2, 2, 3, 3, 3])
    }

    /// A narrow VGG for 64–96 px pictures: four stages, 32 … 256 wide.
    pub fn small(num_classes: usize) -> Self {
        Self::new().with_num_classes(num_classes).with_depths(vec![1, 1, 2, 2]).with_widths(vec![32, 64, 128, 256])
    }

    pub fn init(&self, device: &Device) -> Vgg {
        let mut input = 3;
        let stages = self
            .depths
            .iter()
            .zip(&self.widths)
            .map(|(&depth, &width)| {
                let convs = (0..depth)
                    .map(|_| {
                        let conv = ConvNormConfig::new([input, width], 3).with_activation(Activation::Relu).init(device);
                        input = width;
                        conv
                    })
                    .collect();
                VggStage { convs, pool: MaxPool2dConfig::new([2, 2]).init() }
            })
            .collect();
        Vgg { stages, classifier: LinearConfig::new(input, self.num_classes).init(device) }
    }

    /// The layer table at `size` x `size`.
    pub fn summary(&self, size: usize) -> Summary {
        let mut s = SummaryBuilder::new([3, size, size]);
        for (i, (&depth, &width)) in self.depths.iter().zip(&self.widths).enumerate() {
            for j in 0..depth {
                s.conv(format!("stages.{i}.convs.{j}"), LayerKind::Conv, width, 3, 1, 1, false, true);
            }
            s.max_pool(format!("stages.{i}.pool"), 2, 2, 0, false);
        }
        s.global_avg_pool("avgpool".into());
        s.linear("classifier".into(), self.num_classes);
        s.finish()
    }
}

/// 3x3 convolutions at one width, then a 2x2 max pool.
#[derive(Module, Debug)]
pub struct VggStage {
    pub convs: Vec<ConvNorm>,
    pub pool: MaxPool2d,
}

/// VGG: stages of 3x3 convolutions, global average pooling, a linear classifier.
#[derive(Module, Debug)]
pub struct Vgg {
    pub stages: Vec<VggStage>,
    pub classifier: Linear,
}

net_config!(VggConfig => Vgg, unbounded: |c| super::unbounded_stages(&c.depths, &c.widths, "VGG"));

fold_fields! {
    Vgg { stages }
    VggStage { convs }
}

impl Net for Vgg {
    /// The trunk as named steps (see [`crate::nets::probe`]): each stage, pooling included.
    fn steps(&self) -> Vec<Step<'_>> {
        self.stages
            .iter()
            .enumerate()
            .map(|(i, stage)| -> Step<'_> {
                (format!("stages.{i}"), Box::new(move |x| stage.pool.forward(stage.convs.iter().fold(x, |x, conv| conv.forward(x)))))
            })
            .collect()
    }

    /// `[b, 3, h, w]` → `[b, channels, h / 32, w / 32]`.
    fn features(&self, images: Tensor<4>) -> Tensor<4> {
        self.stages.iter().fold(images, |x, stage| {
            let x = stage.convs.iter().fold(x, |x, conv| conv.forward(x));
            stage.pool.forward(x) // halves height and width
        })
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
    fn vgg11_stage_shapes() {
        let summary = VggConfig::vgg11(1000).summary(224);
        let pools: Vec<[usize; 3]> = summary.layers.iter().filter(|l| l.kind == LayerKind::MaxPool).map(|l| l.output).collect();
        assert_eq!(pools, [[64, 112, 112], [128, 56, 56], [256, 28, 28], [512, 14, 14], [512, 7, 7]]);
        // VGG-11's convolutions cost 7.49 G multiply-adds at 224; its original fully connected
        // layers (25088→4096→4096→1000, 0.12 G) make the published 7.61 G.
        let gmacs = summary.macs() as f64 / 1e9;
        assert!((7.48..7.50).contains(&gmacs), "{gmacs}");
    }

    #[test]
    fn forward_and_parameters_agree_with_the_summary() {
        let device = Device::flex();
        let config = VggConfig::small(4);
        let net = config.init(&device);
        assert_eq!(net.forward(Tensor::<4>::zeros([1, 3, 64, 64], &device)).dims(), [1, 4]);
        let summary = config.summary(64);
        assert_eq!(summary.params() + summary.running_stats(), net.num_params() as u64);
    }
}
