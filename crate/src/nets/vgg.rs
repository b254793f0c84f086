//! VGG (Simonyan & Zisserman 2014, "Very Deep Convolutional Networks", table 1): stacks of 3x3
//! convolutions, each stack followed by a 2x2 max pool that halves the size, the width doubling
//! from stage to stage. Two stacked 3x3 convolutions see a 5x5 window with fewer weights than one
//! 5x5.
//!
//! Two heads:
//! - **as published** (`fc: Some(4096)`): the last feature map flattened, then
//!   `Linear(512·7·7, 4096) → ReLU → Dropout → Linear(4096, 4096) → ReLU → Dropout →
//!   Linear(4096, classes)`. These three layers hold 123.6 M of VGG-16's 138.4 M parameters, and
//!   the first one fixes the input at 224 x 224 (at 320 px it would get 512·10·10 inputs).
//!   With or without batch norm (torchvision's `vgg16_bn` / `vgg16`).
//! - **global average pooling** (`fc: None`, `vgg16-gap`): the map averaged per channel, one linear
//!   layer: any input size, 15.2 M parameters; what camtag trains at small sizes.
//!
//! VGG-11 at 224x224: `[b, 64, 112, 112]` → `[b, 128, 56, 56]` → `[b, 256, 28, 28]` →
//! `[b, 512, 14, 14]` → `[b, 512, 7, 7]` → `[b, classes]`.

use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use crate::nets::conv_norm::{Activation, ConvNorm, ConvNormConfig};
use crate::nets::probe::Step;
use crate::nets::summary::{LayerKind, Summary, SummaryBuilder};
use crate::nets::{Net, classify};
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
    /// Batch norm after each convolution (torchvision's `vgg*_bn`); without it the convolutions
    /// have biases, as published.
    #[config(default = true)]
    pub batch_norm: bool,
    /// The published head's hidden width (4096): two fully connected layers of it before the
    /// classifier, on the flattened 7 x 7 map. `None`: global average pooling and the classifier.
    #[config(default = "None")]
    pub fc: Option<usize>,
}

/// The side of the last feature map the published head is built for: 224 px after five 2x2 pools.
pub const FC_SIDE: usize = 7;

impl VggConfig {
    /// VGG-11 as published: no batch norm, the fully connected head (torchvision `vgg11`).
    pub fn vgg11(num_classes: usize) -> Self {
        Self::new().with_num_classes(num_classes).with_batch_norm(false).with_fc(Some(4096))
    }

    /// VGG-16 as published (torchvision `vgg16`).
    pub fn vgg16(num_classes: usize) -> Self {
        Self::vgg11(num_classes).with_depths(vec![2, 2, 3, 3, 3])
    }

    /// With batch norm (torchvision `vgg11_bn`, `vgg16_bn`).
    pub fn bn(self) -> Self {
        self.with_batch_norm(true)
    }

    /// The same trunk with batch norm, global average pooling and one linear layer: any size.
    pub fn gap(self) -> Self {
        self.with_batch_norm(true).with_fc(None)
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
                        let conv = ConvNormConfig::new([input, width], 3)
                            .with_activation(Activation::Relu)
                            .with_batch_norm(self.batch_norm)
                            .with_conv_bias(self.published())
                            .init(device);
                        input = width;
                        conv
                    })
                    .collect();
                VggStage { convs, pool: MaxPool2dConfig::new([2, 2]).init() }
            })
            .collect();
        match self.fc {
            None => Vgg { stages, fc: None, classifier: LinearConfig::new(input, self.num_classes).init(device) },
            Some(hidden) => Vgg {
                stages,
                fc: Some(VggFc {
                    fc1: LinearConfig::new(input * FC_SIDE * FC_SIDE, hidden).init(device),
                    fc2: LinearConfig::new(hidden, hidden).init(device),
                    dropout: DropoutConfig::new(0.5).init(),
                }),
                classifier: LinearConfig::new(hidden, self.num_classes).init(device),
            },
        }
    }

    /// Whether this is VGG as published (the fully connected head): then every convolution has a
    /// bias, batch norm or not, as in torchvision's, whose weights it can then hold.
    fn published(&self) -> bool {
        self.fc.is_some()
    }

    /// The side of the last feature map at a `size` x `size` input (five 2x2 pools, rounding down).
    fn trunk_side(&self, size: usize) -> usize {
        self.depths.iter().fold(size, |side, _| side / 2)
    }

    /// The published head takes the 7 x 7 map of a 224 px picture only.
    fn check_size(&self, size: usize) -> Result<(), String> {
        let (Some(_), Some(&channels)) = (self.fc, self.widths.last()) else { return Ok(()) };
        let side = self.trunk_side(size);
        if side == FC_SIDE {
            return Ok(());
        }
        let name = if self.depths.iter().sum::<usize>() == 13 { "VGG-16" } else { "VGG" };
        Err(format!(
            "{name} with its fully connected head takes 224 x 224 pictures only: its first fully connected layer expects \
             {channels}·{FC_SIDE}·{FC_SIDE} = {} inputs, and at {size} px it would get {channels}·{side}·{side} = {}. \
             Networks that end in global average pooling (GoogLeNet, ResNet, MobileNetV2, vgg16-gap) take any size",
            channels * FC_SIDE * FC_SIDE,
            channels * side * side
        ))
    }

    /// The layer table at `size` x `size`.
    pub fn summary(&self, size: usize) -> Summary {
        let mut s = SummaryBuilder::new([3, size, size]);
        for (i, (&depth, &width)) in self.depths.iter().zip(&self.widths).enumerate() {
            for j in 0..depth {
                s.conv(format!("stages.{i}.convs.{j}"), LayerKind::Conv, width, 3, 1, 1, self.published() || !self.batch_norm, self.batch_norm);
            }
            s.max_pool(format!("stages.{i}.pool"), 2, 2, 0, false);
        }
        match self.fc {
            None => s.global_avg_pool("avgpool".into()),
            Some(hidden) => {
                let [c, h, w] = s.shape();
                s.set_shape([c * h * w, 1, 1]); // flattened
                s.linear("fc.fc1".into(), hidden);
                s.linear("fc.fc2".into(), hidden);
            }
        }
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

/// The published head's two hidden fully connected layers (ReLU, dropout 0.5 in training).
#[derive(Module, Debug)]
pub struct VggFc {
    pub fc1: Linear,
    pub fc2: Linear,
    pub dropout: Dropout,
}

/// VGG: stages of 3x3 convolutions, then global average pooling or the published fully connected
/// layers, and a linear classifier.
#[derive(Module, Debug)]
pub struct Vgg {
    pub stages: Vec<VggStage>,
    pub fc: Option<VggFc>,
    pub classifier: Linear,
}

net_config!(VggConfig => Vgg,
    unbounded: |c| super::unbounded_stages(&c.depths, &c.widths, "VGG")
        .or_else(|| c.fc.filter(|h| !(1..=8192).contains(h)).map(|h| format!("a fully connected layer {h} wide (must be 1 to 8192)"))),
    accepts: |c, size| c.check_size(size));

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

    fn pools_globally(&self) -> bool {
        self.fc.is_none()
    }

    /// Global average pooling, or the published head: `[b, 512, 7, 7]` → flattened `[b, 25088]`
    /// → 4096 → 4096 → classes. The size is checked before (`VggConfig::check_size`).
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        match &self.fc {
            None => classify(&self.classifier, super::global_avg_pool(features)),
            Some(fc) => {
                let x = features.flatten::<2>(1, 3);
                let x = fc.dropout.forward(relu(classify(&fc.fc1, x)));
                let x = fc.dropout.forward(relu(classify(&fc.fc2, x)));
                classify(&self.classifier, x)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;

    use super::*;
    use crate::nets::summary::Summary;

    #[test]
    fn vgg11_stage_shapes() {
        let summary = VggConfig::vgg11(1000).summary(224);
        let pools: Vec<[usize; 3]> = summary.layers.iter().filter(|l| l.kind == LayerKind::MaxPool).map(|l| l.output).collect();
        assert_eq!(pools, [[64, 112, 112], [128, 56, 56], [256, 28, 28], [512, 14, 14], [512, 7, 7]]);
        // VGG-11's convolutions cost 7.49 G multiply-adds at 224 and its fully connected layers
        // (25088→4096→4096→1000) 0.12 G: the published 7.61 G. Without them, 7.49 G.
        let gmacs = |s: &Summary| s.macs() as f64 / 1e9;
        assert!((7.60..7.62).contains(&gmacs(&summary)), "{}", gmacs(&summary));
        assert!((7.48..7.50).contains(&gmacs(&VggConfig::vgg11(1000).gap().summary(224))));
        assert!((15.46..15.48).contains(&gmacs(&VggConfig::vgg16(1000).summary(224))), "VGG-16: 15.5 G");
    }

    /// Parameter counts equal torchvision's (`sum(p.numel() for p in model.parameters())`,
    /// torchvision 0.20: buffers such as batch norm's running statistics are not parameters).
    #[test]
    fn parameters_equal_torchvisions() {
        for (config, torchvision, name) in [
            (VggConfig::vgg11(1000), 132_863_336, "vgg11"),
            (VggConfig::vgg11(1000).bn(), 132_868_840, "vgg11_bn"),
            (VggConfig::vgg16(1000), 138_357_544, "vgg16"),
            (VggConfig::vgg16(1000).bn(), 138_365_992, "vgg16_bn"),
        ] {
            assert_eq!(config.summary(224).params(), torchvision, "{name}");
        }
        // The fully connected layers are most of it: 123.6 M of VGG-16's 138.4 M.
        let fc: u64 = VggConfig::vgg16(1000).summary(224).layers.iter().filter(|l| l.kind == LayerKind::Linear).map(|l| l.params).sum();
        assert_eq!(fc, 123_642_856);
    }

    #[test]
    fn the_published_head_takes_224_only_and_says_why() {
        let vgg16 = VggConfig::vgg16(1000);
        for ok in [224, 240, 255] {
            assert!(vgg16.check_size(ok).is_ok(), "{ok} px pools to 7 x 7");
        }
        let err = vgg16.check_size(320).unwrap_err();
        assert!(err.contains("VGG-16") && err.contains("25088") && err.contains("512·10·10 = 51200"), "{err}");
        assert!(vgg16.check_size(160).is_err());
        assert!(vgg16.gap().check_size(320).is_ok(), "global average pooling takes any size");
    }

    #[test]
    fn forward_and_parameters_agree_with_the_summary() {
        let device = Device::flex();
        let config = VggConfig::small(4);
        let net = config.init(&device);
        assert_eq!(net.forward(Tensor::<4>::zeros([1, 3, 64, 64], &device)).dims(), [1, 4]);
        let summary = config.summary(64);
        assert_eq!(summary.params() + summary.running_stats(), net.num_params() as u64);
        // The published head, without batch norm, at its one size: burn's module holds what the
        // summary counts, and the forward pass runs.
        let config = VggConfig::vgg11(5).with_widths(vec![8, 8, 16, 16, 16]);
        let net = config.init(&device);
        assert_eq!(config.summary(224).params(), net.num_params() as u64);
        assert_eq!(net.forward(Tensor::<4>::zeros([1, 3, 224, 224], &device)).dims(), [1, 5]);
        assert!(!net.pools_globally());
    }
}
