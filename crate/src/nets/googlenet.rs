//! GoogLeNet (Szegedy et al. 2014, "Going deeper with convolutions", table 1), with batch norm
//! after every convolution as torchvision's `googlenet` has it, and without the auxiliary
//! classifiers (a training aid the lesson does not need).
//!
//! An Inception module runs four branches side by side on the same input and concatenates their
//! channels: a 1x1 convolution; a 1x1 *reduction* then a 3x3; a 1x1 reduction then a 5x5; a 3x3
//! max pool then a 1x1 projection. The 1x1 reductions are what keep the 3x3 and 5x5 branches
//! affordable: they shrink the channels before the expensive spatial filters.
//!
//! Shapes at 224x224, as in the lesson's table:
//! ```text
//! input                       [b,    3, 224, 224]
//! conv 7x7 /2                 [b,   64, 112, 112]
//! max pool 3x3 /2             [b,   64,  56,  56]
//! conv 1x1 (reduce)           [b,   64,  56,  56]
//! conv 3x3                    [b,  192,  56,  56]
//! max pool 3x3 /2             [b,  192,  28,  28]
//! inception 3a, 3b            [b,  256 → 480, 28, 28]
//! max pool 3x3 /2             [b,  480,  14,  14]
//! inception 4a … 4e           [b,  512, 512, 512, 528, 832, 14, 14]
//! max pool 3x3 /2             [b,  832,   7,   7]
//! inception 5a, 5b            [b,  832 → 1024, 7, 7]
//! global average pool, linear [b, 1000]
//! ```

use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use crate::nets::conv_norm::{Activation, ConvNorm, ConvNormConfig};
use crate::nets::probe::Step;
use crate::nets::summary::{LayerKind, Summary, SummaryBuilder};
use crate::nets::Net;
use crate::nets::fold::fold_fields;

/// Branch widths of one Inception module: `[1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj]`.
pub type InceptionWidths = [usize; 6];

/// The paper's table 1, modules 3a … 5b.
pub const INCEPTION: [(&str, InceptionWidths); 9] = [
    ("3a", [64, 96, 128, 16, 32, 32]),
    ("3b", [128, 128, 192, 32, 96, 64]),
    ("4a", [192, 96, 208, 16, 48, 64]),
    ("4b", [160, 112, 224, 24, 64, 64]),
    ("4c", [128, 128, 256, 24, 64, 64]),
    ("4d", [112, 144, 288, 32, 64, 64]),
    ("4e", [256, 160, 320, 32, 128, 128]),
    ("5a", [256, 160, 320, 32, 128, 128]),
    ("5b", [384, 192, 384, 48, 128, 128]),
];

/// Batch-norm epsilon of torchvision's `BasicConv2d`.
const BN_EPSILON: f64 = 1e-3;

fn conv(channels: [usize; 2], kernel: usize, stride: usize, device: &Device) -> ConvNorm {
    ConvNormConfig::new(channels, kernel)
        .with_stride(stride)
        .with_activation(Activation::Relu)
        .with_bn_epsilon(BN_EPSILON)
        .init(device)
}

/// Output channels of an Inception module: the four branches concatenated.
pub const fn inception_out([a, _, b, _, c, d]: InceptionWidths) -> usize {
    a + b + c + d
}

/// One Inception module.
#[derive(Module, Debug)]
pub struct Inception {
    pub branch1: ConvNorm,
    pub branch3_reduce: ConvNorm,
    pub branch3: ConvNorm,
    pub branch5_reduce: ConvNorm,
    pub branch5: ConvNorm,
    pub pool: MaxPool2d,
    pub pool_proj: ConvNorm,
}

impl Inception {
    pub fn new(input: usize, [w1, r3, w3, r5, w5, wp]: InceptionWidths, device: &Device) -> Self {
        Self {
            branch1: conv([input, w1], 1, 1, device),
            branch3_reduce: conv([input, r3], 1, 1, device),
            branch3: conv([r3, w3], 3, 1, device),
            branch5_reduce: conv([input, r5], 1, 1, device),
            branch5: conv([r5, w5], 5, 1, device),
            pool: MaxPool2dConfig::new([3, 3]).with_strides([1, 1]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(),
            pool_proj: conv([input, wp], 1, 1, device),
        }
    }

    /// `[b, in, h, w]` → `[b, w1 + w3 + w5 + wp, h, w]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let a = self.branch1.forward(x.clone());
        let b = self.branch3.forward(self.branch3_reduce.forward(x.clone()));
        let c = self.branch5.forward(self.branch5_reduce.forward(x.clone()));
        let d = self.pool_proj.forward(self.pool.forward(x));
        Tensor::cat(vec![a, b, c, d], 1)
    }
}

/// Configuration of [`GoogLeNet`].
#[derive(Config, Debug, PartialEq)]
pub struct GoogLeNetConfig {
    #[config(default = 1000)]
    pub num_classes: usize,
}

fn max_pool() -> MaxPool2d {
    // torchvision pools with ceil_mode = True: 112 → 56 → 28 → 14 → 7.
    MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).with_ceil_mode(true).init()
}

impl GoogLeNetConfig {
    pub fn init(&self, device: &Device) -> GoogLeNet {
        let mut input = 192;
        let inception = INCEPTION
            .iter()
            .map(|(_, widths)| {
                let module = Inception::new(input, *widths, device);
                input = inception_out(*widths);
                module
            })
            .collect();
        GoogLeNet {
            conv1: conv([3, 64], 7, 2, device),
            pool1: max_pool(),
            conv2: conv([64, 64], 1, 1, device),
            conv3: conv([64, 192], 3, 1, device),
            pool2: max_pool(),
            inception,
            pool3: max_pool(),
            pool4: max_pool(),
            classifier: LinearConfig::new(input, self.num_classes).init(device),
        }
    }

    /// The layer table at `size` x `size` (each Inception branch is a row).
    pub fn summary(&self, size: usize) -> Summary {
        let mut s = SummaryBuilder::new([3, size, size]);
        let conv = |s: &mut SummaryBuilder, name: &str, kind, out, k, stride| s.conv(name.into(), kind, out, k, stride, 1, false, true);
        conv(&mut s, "conv1", LayerKind::Conv, 64, 7, 2);
        s.max_pool("pool1".into(), 3, 2, 0, true);
        conv(&mut s, "conv2", LayerKind::Reduce1x1, 64, 1, 1);
        conv(&mut s, "conv3", LayerKind::Conv, 192, 3, 1);
        s.max_pool("pool2".into(), 3, 2, 0, true);
        for (name, widths) in INCEPTION {
            match name {
                "4a" => s.max_pool("pool3".into(), 3, 2, 0, true),
                "5a" => s.max_pool("pool4".into(), 3, 2, 0, true),
                _ => {}
            }
            let [w1, r3, w3, r5, w5, wp] = widths;
            let input = s.shape();
            let branch = |s: &mut SummaryBuilder, steps: &[(&str, LayerKind, usize, usize)]| {
                s.set_shape(input);
                for &(part, kind, out, k) in steps {
                    if kind == LayerKind::MaxPool {
                        s.max_pool(format!("inception{name}.{part}"), 3, 1, 1, false);
                    } else {
                        s.conv(format!("inception{name}.{part}"), kind, out, k, 1, 1, false, true);
                    }
                }
            };
            branch(&mut s, &[("branch1", LayerKind::Conv, w1, 1)]);
            branch(&mut s, &[("branch3_reduce", LayerKind::Reduce1x1, r3, 1), ("branch3", LayerKind::Conv, w3, 3)]);
            branch(&mut s, &[("branch5_reduce", LayerKind::Reduce1x1, r5, 1), ("branch5", LayerKind::Conv, w5, 5)]);
            branch(&mut s, &[("pool", LayerKind::MaxPool, 0, 3), ("pool_proj", LayerKind::Reduce1x1, wp, 1)]);
            let [_, h, w] = input;
            s.set_shape([inception_out(widths), h, w]);
        }
        s.global_avg_pool("pool".into());
        s.linear("classifier".into(), self.num_classes);
        s.finish()
    }
}

/// GoogLeNet: stem, nine Inception modules, global average pooling, a linear classifier.
#[derive(Module, Debug)]
pub struct GoogLeNet {
    pub conv1: ConvNorm,
    pub pool1: MaxPool2d,
    pub conv2: ConvNorm,
    pub conv3: ConvNorm,
    pub pool2: MaxPool2d,
    /// 3a, 3b, 4a … 4e, 5a, 5b.
    pub inception: Vec<Inception>,
    /// Between 3b and 4a.
    pub pool3: MaxPool2d,
    /// Between 4e and 5a.
    pub pool4: MaxPool2d,
    pub classifier: Linear,
}

net_config!(GoogLeNetConfig => GoogLeNet);

fold_fields! {
    GoogLeNet { conv1, conv2, conv3, inception }
    Inception { branch1, branch3_reduce, branch3, branch5_reduce, branch5, pool_proj }
}

impl GoogLeNet {
    /// The stem: `[b, 3, 224, 224]` → `[b, 192, 28, 28]`.
    pub fn stem(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv1.forward(x); // [b, 64, 112, 112]
        let x = self.pool1.forward(x); // [b, 64, 56, 56]
        let x = self.conv2.forward(x); // [b, 64, 56, 56]
        let x = self.conv3.forward(x); // [b, 192, 56, 56]
        self.pool2.forward(x) // [b, 192, 28, 28]
    }

}

impl Net for GoogLeNet {
    /// The trunk as named steps (see [`crate::nets::probe`]): the stem's layers, the pools and
    /// each Inception module (3a … 5b).
    fn steps(&self) -> Vec<Step<'_>> {
        let mut steps: Vec<Step<'_>> = vec![
            ("conv1".into(), Box::new(|x| self.conv1.forward(x))),
            ("pool1".into(), Box::new(|x| self.pool1.forward(x))),
            ("conv2".into(), Box::new(|x| self.conv2.forward(x))),
            ("conv3".into(), Box::new(|x| self.conv3.forward(x))),
            ("pool2".into(), Box::new(|x| self.pool2.forward(x))),
        ];
        for (i, (module, (name, _))) in self.inception.iter().zip(INCEPTION).enumerate() {
            if i == 2 {
                steps.push(("pool3".into(), Box::new(|x| self.pool3.forward(x))));
            } else if i == 7 {
                steps.push(("pool4".into(), Box::new(|x| self.pool4.forward(x))));
            }
            steps.push((format!("inception.{name}"), Box::new(move |x| module.forward(x))));
        }
        steps
    }

    /// `[b, 3, h, w]` → `[b, 1024, h / 32, w / 32]`.
    fn features(&self, images: Tensor<4>) -> Tensor<4> {
        let mut x = self.stem(images);
        for (i, module) in self.inception.iter().enumerate() {
            if i == 2 {
                x = self.pool3.forward(x); // [b, 480, 14, 14]
            } else if i == 7 {
                x = self.pool4.forward(x); // [b, 832, 7, 7]
            }
            x = module.forward(x);
        }
        x
    }

    fn classifier(&self) -> &Linear {
        &self.classifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stem_reproduces_the_lessons_table() {
        let device = Device::flex();
        let net = GoogLeNetConfig::new().init(&device);
        let x = Tensor::<4>::zeros([1, 3, 224, 224], &device);
        let x = net.conv1.forward(x);
        assert_eq!(x.dims(), [1, 64, 112, 112]);
        let x = net.pool1.forward(x);
        assert_eq!(x.dims(), [1, 64, 56, 56]);
        let x = net.conv2.forward(x);
        assert_eq!(x.dims(), [1, 64, 56, 56]);
        let x = net.conv3.forward(x);
        assert_eq!(x.dims(), [1, 192, 56, 56]);
        let x = net.pool2.forward(x);
        assert_eq!(x.dims(), [1, 192, 28, 28]);
        let x = net.inception[0].forward(x);
        assert_eq!(x.dims(), [1, 256, 28, 28]);
        assert_eq!(net.inception[1].forward(x).dims(), [1, 480, 28, 28]);
    }

    /// The paper's GoogLeNet counts torchvision's 6,624,904 (without the auxiliary heads) plus the
    /// difference of its "5x5" branches, which torchvision builds 3x3 (torchvision issue #906).
    #[test]
    fn parameters_are_torchvisions_with_the_papers_5x5() {
        let five_by_five: u64 = [(16, 32), (32, 96), (16, 48), (24, 64), (24, 64), (32, 64), (32, 128), (32, 128), (48, 128)]
            .iter()
            .map(|(i, o)| (25 - 9) * i * o)
            .sum();
        assert_eq!(five_by_five, 380_928);
        assert_eq!(GoogLeNetConfig::new().summary(224).params(), 6_624_904 + five_by_five);
    }

    #[test]
    fn summary_agrees_with_the_network() {
        let config = GoogLeNetConfig::new();
        let summary = config.summary(224);
        let at = |name: &str| summary.layers.iter().find(|l| l.name == name).unwrap().output;
        assert_eq!(at("conv1"), [64, 112, 112]);
        assert_eq!(at("pool1"), [64, 56, 56]);
        assert_eq!(at("conv3"), [192, 56, 56]);
        assert_eq!(at("pool2"), [192, 28, 28]);
        assert_eq!(at("pool4"), [832, 7, 7]);
        assert_eq!(at("classifier"), [1000, 1, 1]);
        // About 1.5 G multiply-adds (the paper: "1.5 billion multiply-adds at inference").
        let gmacs = summary.macs() as f64 / 1e9;
        assert!((1.4..1.7).contains(&gmacs), "{gmacs} G MACs");
        let burn_count = burn::module::Module::num_params(&config.init(&Device::flex())) as u64;
        assert_eq!(summary.params() + summary.running_stats(), burn_count);
    }

    #[test]
    fn runs_at_small_sizes_thanks_to_global_pooling() {
        let device = Device::flex();
        let net = GoogLeNetConfig::new().with_num_classes(3).init(&device);
        assert_eq!(net.forward(Tensor::<4>::zeros([2, 3, 64, 64], &device)).dims(), [2, 3]);
    }
}
