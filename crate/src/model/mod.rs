//! The networks camtag runs (one file per architecture, shapes documented in each), and the one
//! enum that names them in a bundle's manifest. Every one ends in global average pooling, so it
//! runs at any input size.

pub mod conv_norm;
pub mod cpu;
mod depthwise;
pub mod direct_conv;
pub mod fold;
pub mod fused;
pub mod efficientnet_lite;
pub mod googlenet;
pub mod linear;
pub mod pool;
pub mod mobilenet_v2;
pub mod pointwise;
pub mod probe;
#[cfg(not(target_arch = "wasm32"))]
pub mod pth;
pub mod resnet;
pub mod summary;
pub(crate) mod vector;
pub mod vgg;
#[cfg(not(target_arch = "wasm32"))]
mod workers;

pub use pool::global_avg_pool;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CamtagError, Result};

use efficientnet_lite::{EfficientNetLite, EfficientNetLiteConfig};
use googlenet::{GoogLeNet, GoogLeNetConfig};
use mobilenet_v2::{MobileNetV2, MobileNetV2Config};
use resnet::{ResNet, ResNetConfig};
use vgg::{Vgg, VggConfig};

/// Which network a bundle holds, with its configuration (serialized as
/// `{"kind": "mobilenet_v2", "config": {...}}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "config", rename_all = "snake_case")]
pub enum Architecture {
    MobilenetV2(MobileNetV2Config),
    /// EfficientNet-Lite0 (serialized as `"efficientnet_lite"`).
    EfficientnetLite(EfficientNetLiteConfig),
    Vgg(VggConfig),
    Googlenet(GoogLeNetConfig),
    Resnet(ResNetConfig),
}

impl Architecture {
    /// The architectures by the names the CLI uses, with 1000 classes (ImageNet's).
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "mobilenet-v2" => Self::MobilenetV2(MobileNetV2Config::imagenet()),
            "efficientnet-lite0" => Self::EfficientnetLite(EfficientNetLiteConfig::lite0()),
            "vgg11" => Self::Vgg(VggConfig::vgg11(1000)),
            "vgg16" => Self::Vgg(VggConfig::vgg16(1000)),
            "vgg-small" => Self::Vgg(VggConfig::small(1000)),
            "googlenet" => Self::Googlenet(GoogLeNetConfig::new()),
            "resnet18" => Self::Resnet(ResNetConfig::resnet18(1000)),
            "resnet-small" => Self::Resnet(ResNetConfig::small(1000)),
            _ => return None,
        })
    }

    /// The names [`Architecture::named`] knows.
    pub const NAMES: [&str; 8] = ["mobilenet-v2", "efficientnet-lite0", "vgg11", "vgg16", "vgg-small", "googlenet", "resnet18", "resnet-small"];

    /// The same network with `classes` outputs.
    pub fn with_num_classes(self, classes: usize) -> Self {
        match self {
            Self::MobilenetV2(c) => Self::MobilenetV2(c.with_num_classes(classes)),
            Self::EfficientnetLite(c) => Self::EfficientnetLite(c.with_num_classes(classes)),
            Self::Vgg(c) => Self::Vgg(c.with_num_classes(classes)),
            Self::Googlenet(c) => Self::Googlenet(c.with_num_classes(classes)),
            Self::Resnet(c) => Self::Resnet(c.with_num_classes(classes)),
        }
    }

    /// Refuses configurations whose size has no bound (a manifest is user input, and building a
    /// network allocates all of it before any weight is read): at least 1 and at most 100,000
    /// classes; VGG and ResNet with 1 to 6 stages of 1 to 64 layers, 1 to 4096 channels each;
    /// MobileNetV2's width multiplier within (0, 4]. Every network camtag ships or trains is
    /// well inside these.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: String| Err(CamtagError::Manifest(format!("architecture: {why}")));
        let classes = self.num_classes();
        if !(1..=100_000).contains(&classes) {
            return bad(format!("{classes} classes (must be 1 to 100000)"));
        }
        let stages = |depths: &[usize], widths: &[usize], what: &str| {
            if depths.is_empty() || depths.len() > 6 || depths.len() != widths.len() {
                return bad(format!("{} {what} stages with {} widths (must be 1 to 6, one width each)", depths.len(), widths.len()));
            }
            if let Some(d) = depths.iter().find(|d| !(1..=64).contains(*d)) {
                return bad(format!("a stage of {d} {what} layers (must be 1 to 64)"));
            }
            if let Some(w) = widths.iter().find(|w| !(1..=4096).contains(*w)) {
                return bad(format!("a stage {w} channels wide (must be 1 to 4096)"));
            }
            Ok(())
        };
        match self {
            Self::MobilenetV2(c) if !(c.width_mult > 0.0 && c.width_mult <= 4.0) => {
                bad(format!("width multiplier {} (must be within (0, 4])", c.width_mult))
            }
            Self::Vgg(c) => stages(&c.depths, &c.widths, "VGG"),
            Self::Resnet(c) => stages(&c.blocks, &c.widths, "ResNet"),
            _ => Ok(()),
        }
    }

    /// Number of trainable parameters plus batch-norm statistics: the values a weights file
    /// must hold for this architecture.
    pub fn stored_values(&self) -> u64 {
        let summary = self.summary(224);
        summary.params() + summary.running_stats()
    }

    /// Number of output classes.
    pub fn num_classes(&self) -> usize {
        match self {
            Self::MobilenetV2(c) => c.num_classes,
            Self::EfficientnetLite(c) => c.num_classes,
            Self::Vgg(c) => c.num_classes,
            Self::Googlenet(c) => c.num_classes,
            Self::Resnet(c) => c.num_classes,
        }
    }

    /// The layer table at a `size` x `size` input.
    pub fn summary(&self, size: usize) -> summary::Summary {
        match self {
            Self::MobilenetV2(c) => c.summary(size),
            Self::EfficientnetLite(c) => c.summary(size),
            Self::Vgg(c) => c.summary(size),
            Self::Googlenet(c) => c.summary(size),
            Self::Resnet(c) => c.summary(size),
        }
    }

    /// A network of this architecture with freshly initialized weights on `device`.
    pub fn init(&self, device: &Device) -> Network {
        match self {
            Self::MobilenetV2(c) => Network::MobilenetV2(c.init(device)),
            Self::EfficientnetLite(c) => Network::EfficientnetLite(c.init(device)),
            Self::Vgg(c) => Network::Vgg(c.init(device)),
            Self::Googlenet(c) => Network::Googlenet(c.init(device)),
            Self::Resnet(c) => Network::Resnet(c.init(device)),
        }
    }
}

/// A network of any supported architecture.
#[derive(Module, Debug)]
pub enum Network {
    MobilenetV2(MobileNetV2),
    EfficientnetLite(EfficientNetLite),
    Vgg(Vgg),
    Googlenet(GoogLeNet),
    Resnet(ResNet),
}

impl Network {
    /// Class scores: `[batch, 3, h, w]` → `[batch, classes]`.
    ///
    /// MobileNetV2 and EfficientNet-Lite run on this thread ([`cpu::on_kernels`]): on the CPU
    /// every layer of theirs is camtag's own kernel, none of burn's parallel operations, so
    /// [`cpu::on_workers`]'s hand-over to a rayon worker and back would only add two thread
    /// wake-ups. The others keep burn's convolutions somewhere and run on a rayon worker.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Self::MobilenetV2(net) => cpu::on_kernels(|| net.forward(images)),
            Self::EfficientnetLite(net) => cpu::on_kernels(|| net.forward(images)),
            Self::Vgg(net) => cpu::on_workers(|| net.forward(images)),
            Self::Googlenet(net) => cpu::on_workers(|| net.forward(images)),
            Self::Resnet(net) => cpu::on_workers(|| net.forward(images)),
        }
    }
}
