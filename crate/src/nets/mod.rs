//! The networks camtag runs, on burn's layers: one file per architecture with its shapes, and
//! the registry below that names them in a bundle's manifest. Every one ends in global average
//! pooling and a linear classifier ([`head`]), so it runs at any input size. On the CPU their
//! layers call [`crate::kernels`]'s seam and fall back to burn's own operations where no kernel
//! applies.
//!
//! Adding an architecture: a file that implements [`Net`] for the network and [`NetConfig`] for
//! its configuration, one line in [`registry!`]'s list, and its CLI names in
//! [`Architecture::NAMED`].

/// `impl NetConfig for Config` where the configuration's own `init`, `summary` and
/// `with_num_classes` and its `num_classes` field say it all; `unbounded: |config| …` where its
/// size needs a bound.
macro_rules! net_config {
    ($config:ty => $net:ty $(, unbounded: $unbounded:expr)? $(, accepts: $accepts:expr)?) => {
        impl $crate::nets::NetConfig for $config {
            type Net = $net;
            fn init(&self, device: &Device) -> $net {
                <$config>::init(self, device)
            }
            fn summary(&self, size: usize) -> $crate::nets::summary::Summary {
                <$config>::summary(self, size)
            }
            fn num_classes(&self) -> usize {
                self.num_classes
            }
            fn with_num_classes(self, classes: usize) -> Self {
                <$config>::with_num_classes(self, classes)
            }
            $(fn unbounded(&self) -> Option<String> {
                let unbounded: fn(&$config) -> Option<String> = $unbounded;
                unbounded(self)
            })?
            $(fn accepts(&self, size: usize) -> std::result::Result<(), String> {
                let accepts: fn(&$config, usize) -> std::result::Result<(), String> = $accepts;
                accepts(self, size)
            })?
        }
    };
}

pub mod bottleneck;
pub mod conv_norm;
pub mod efficientnet_lite;
pub mod fold;
pub mod googlenet;
pub mod head;
pub mod mobilenet_v2;
pub mod probe;
#[cfg(not(target_arch = "wasm32"))]
pub mod pth;
pub mod resnet;
pub mod summary;
pub mod vgg;

pub use head::{classify, global_avg_pool};

use burn::nn::Linear;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{CamtagError, Result};
use crate::parallel;

use efficientnet_lite::{EfficientNetLite, EfficientNetLiteConfig};
use fold::FoldNorms;
use googlenet::{GoogLeNet, GoogLeNetConfig};
use mobilenet_v2::{MobileNetV2, MobileNetV2Config};
use probe::Step;
use resnet::{ResNet, ResNetConfig};
use summary::Summary;
use vgg::{Vgg, VggConfig};

/// What every network here has: a trunk of named steps (the probe points), its last feature map,
/// and a classifier after global average pooling; its batch norms fold ([`FoldNorms`]).
pub trait Net: FoldNorms {
    /// Whether on the CPU every layer is one of camtag's kernels: then the forward pass runs on
    /// the calling thread ([`parallel::on_this_thread`]), else on a rayon worker
    /// ([`parallel::on_rayon`]) for burn's parallel operations.
    const ALL_ON_KERNELS: bool = false;

    /// The trunk's steps in order; their composition is [`features`](Net::features).
    fn steps(&self) -> Vec<Step<'_>>;

    /// The last feature map before pooling: `[batch, 3, h, w]` → `[batch, channels, h', w']`.
    fn features(&self, images: Tensor<4>) -> Tensor<4>;

    /// The last linear layer: after global average pooling, `[batch, channels]` →
    /// `[batch, classes]`; after fully connected layers (VGG as published), `[batch, hidden]` →
    /// `[batch, classes]`.
    fn classifier(&self) -> &Linear;

    /// Whether the head is global average pooling and [`classifier`](Net::classifier) alone (what
    /// class activation maps and teaching a new head need).
    fn pools_globally(&self) -> bool {
        true
    }

    /// The head: last feature map → class scores. Global average pooling and the classifier,
    /// unless the network says otherwise.
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        classify(self.classifier(), global_avg_pool(features))
    }

    /// Class scores (logits): `[batch, 3, h, w]` → `[batch, classes]`. Dropout acts only in
    /// training, so inference leaves it out.
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head(self.features(images))
    }
}

/// What every network's configuration has.
pub trait NetConfig {
    type Net: Net;
    /// A network with freshly initialized weights on `device`.
    fn init(&self, device: &Device) -> Self::Net;
    /// The layer table at a `size` x `size` input.
    fn summary(&self, size: usize) -> Summary;
    fn num_classes(&self) -> usize;
    /// The same network with `classes` outputs.
    fn with_num_classes(self, classes: usize) -> Self;
    /// Why this configuration's size has no bound, if it has none (see [`Architecture::validate`]).
    fn unbounded(&self) -> Option<String> {
        None
    }
    /// Why a `size` x `size` input cannot go through the network, if it cannot (a head of fully
    /// connected layers fixes the size; global average pooling takes any).
    fn accepts(&self, _size: usize) -> std::result::Result<(), String> {
        Ok(())
    }
}

/// Defines [`Architecture`] (a configuration) and [`Network`] (a network) over the listed
/// architectures, and their dispatch to [`NetConfig`] and [`Net`].
macro_rules! registry {
    ($($(#[$doc:meta])* $variant:ident($config:ty => $net:ty),)+) => {
        /// Which network a bundle holds, with its configuration (serialized as
        /// `{"kind": "mobilenet_v2", "config": {...}}`).
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", content = "config", rename_all = "snake_case")]
        pub enum Architecture {
            $($(#[$doc])* $variant($config),)+
        }

        /// A network of any supported architecture.
        #[derive(Module, Debug)]
        pub enum Network {
            $($variant($net),)+
        }

        impl Architecture {
            /// Number of output classes.
            pub fn num_classes(&self) -> usize {
                match self { $(Self::$variant(c) => NetConfig::num_classes(c),)+ }
            }

            /// The same network with `classes` outputs.
            pub fn with_num_classes(self, classes: usize) -> Self {
                match self { $(Self::$variant(c) => Self::$variant(NetConfig::with_num_classes(c, classes)),)+ }
            }

            /// The layer table at a `size` x `size` input.
            pub fn summary(&self, size: usize) -> Summary {
                match self { $(Self::$variant(c) => NetConfig::summary(c, size),)+ }
            }

            /// A network of this architecture with freshly initialized weights on `device`.
            pub fn init(&self, device: &Device) -> Network {
                match self { $(Self::$variant(c) => Network::$variant(NetConfig::init(c, device)),)+ }
            }

            fn unbounded(&self) -> Option<String> {
                match self { $(Self::$variant(c) => NetConfig::unbounded(c),)+ }
            }

            /// Refuses an input size the network cannot take, saying why (before any tensor
            /// work: a wrong size would reach a fully connected layer of the wrong width).
            pub fn accepts(&self, size: usize) -> Result<()> {
                match self { $(Self::$variant(c) => NetConfig::accepts(c, size),)+ }.map_err(CamtagError::InputSize)
            }
        }

        impl Network {
            /// Class scores: `[batch, 3, h, w]` → `[batch, classes]`, on the calling thread or a
            /// rayon worker (see [`Net::ALL_ON_KERNELS`]).
            pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
                match self {
                    $(Self::$variant(net) => if <$net as Net>::ALL_ON_KERNELS {
                        parallel::on_this_thread(|| net.forward(images))
                    } else {
                        parallel::on_rayon(|| net.forward(images))
                    },)+
                }
            }

            /// The pooled features the classifier reads: `[batch, 3, h, w]` → `[batch, channels]`
            /// (what teaching a new head starts from), on the same thread as [`Self::forward`].
            pub fn pooled(&self, images: Tensor<4>) -> Tensor<2> {
                match self {
                    $(Self::$variant(net) => if <$net as Net>::ALL_ON_KERNELS {
                        parallel::on_this_thread(|| global_avg_pool(net.features(images)))
                    } else {
                        parallel::on_rayon(|| global_avg_pool(net.features(images)))
                    },)+
                }
            }

            /// The last feature maps and the class scores of one pass: `[batch, 3, h, w]` →
            /// (`[batch, channels, h / 32, w / 32]`, `[batch, classes]`), for class activation
            /// maps (`crate::cam`).
            pub fn forward_with_features(&self, images: Tensor<4>) -> (Tensor<4>, Tensor<2>) {
                match self {
                    $(Self::$variant(net) => {
                        let run = || {
                            let features = net.features(images);
                            let logits = net.head(features.clone());
                            (features, logits)
                        };
                        if <$net as Net>::ALL_ON_KERNELS { parallel::on_this_thread(run) } else { parallel::on_rayon(run) }
                    },)+
                }
            }

            /// The trunk's steps in order (see [`probe`]).
            pub fn steps(&self) -> Vec<Step<'_>> {
                match self { $(Self::$variant(net) => net.steps(),)+ }
            }

            /// The last linear layer (see [`Net::classifier`]).
            pub fn classifier(&self) -> &Linear {
                match self { $(Self::$variant(net) => net.classifier(),)+ }
            }

            /// Whether the head is global average pooling and one linear layer (see
            /// [`Net::pools_globally`]).
            pub fn pools_globally(&self) -> bool {
                match self { $(Self::$variant(net) => net.pools_globally(),)+ }
            }
        }

        impl FoldNorms for Network {
            fn fold_norms(self) -> Self {
                match self { $(Self::$variant(net) => Self::$variant(net.fold_norms()),)+ }
            }
        }
    };
}

registry! {
    MobilenetV2(MobileNetV2Config => MobileNetV2),
    /// EfficientNet-Lite0 (serialized as `"efficientnet_lite"`).
    EfficientnetLite(EfficientNetLiteConfig => EfficientNetLite),
    Vgg(VggConfig => Vgg),
    Googlenet(GoogLeNetConfig => GoogLeNet),
    Resnet(ResNetConfig => ResNet),
}

impl Architecture {
    /// The architectures by the names the CLI uses, with 1000 classes (ImageNet's).
    pub const NAMED: [(&str, fn() -> Self); 12] = [
        ("mobilenet-v2", || Self::MobilenetV2(MobileNetV2Config::imagenet())),
        ("efficientnet-lite0", || Self::EfficientnetLite(EfficientNetLiteConfig::lite0())),
        ("vgg11", || Self::Vgg(VggConfig::vgg11(1000))),
        ("vgg16", || Self::Vgg(VggConfig::vgg16(1000))),
        ("vgg11-bn", || Self::Vgg(VggConfig::vgg11(1000).bn())),
        ("vgg16-bn", || Self::Vgg(VggConfig::vgg16(1000).bn())),
        ("vgg11-gap", || Self::Vgg(VggConfig::vgg11(1000).gap())),
        ("vgg16-gap", || Self::Vgg(VggConfig::vgg16(1000).gap())),
        ("vgg-small", || Self::Vgg(VggConfig::small(1000))),
        ("googlenet", || Self::Googlenet(GoogLeNetConfig::new())),
        ("resnet18", || Self::Resnet(ResNetConfig::resnet18(1000))),
        ("resnet-small", || Self::Resnet(ResNetConfig::small(1000))),
    ];

    /// The names [`Architecture::named`] knows.
    pub const NAMES: [&str; 12] = {
        let mut names = [""; 12];
        let mut i = 0;
        while i < names.len() {
            names[i] = Self::NAMED[i].0;
            i += 1;
        }
        names
    };

    /// The architecture the CLI calls `name`.
    pub fn named(name: &str) -> Option<Self> {
        Self::NAMED.iter().find(|(known, _)| *known == name).map(|(_, make)| make())
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
        match self.unbounded() {
            Some(why) => bad(why),
            None => Ok(()),
        }
    }

    /// Number of trainable parameters plus batch-norm statistics: the values a weights file
    /// must hold for this architecture.
    pub fn stored_values(&self) -> u64 {
        let summary = self.summary(224);
        summary.params() + summary.running_stats()
    }
}

/// Why stages of `depths` layers, `widths` channels wide, have no bound, if they have none: VGG's
/// and ResNet's (see [`Architecture::validate`]).
pub(crate) fn unbounded_stages(depths: &[usize], widths: &[usize], what: &str) -> Option<String> {
    if depths.is_empty() || depths.len() > 6 || depths.len() != widths.len() {
        return Some(format!("{} {what} stages with {} widths (must be 1 to 6, one width each)", depths.len(), widths.len()));
    }
    if let Some(d) = depths.iter().find(|d| !(1..=64).contains(*d)) {
        return Some(format!("a stage of {d} {what} layers (must be 1 to 64)"));
    }
    widths.iter().find(|w| !(1..=4096).contains(*w)).map(|w| format!("a stage {w} channels wide (must be 1 to 4096)"))
}
