//! The frozen ImageNet networks transfer learning starts from: MobileNetV2 or EfficientNet-Lite0,
//! read from their bundles. Only their pooled features are used; the new classifier replaces
//! theirs in the bundle `camtag train` writes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::nn::Linear;
use burn::prelude::*;

use crate::bundle::{Bundle, weights};
use crate::nets::efficientnet_lite::{EfficientNetLite, EfficientNetLiteConfig};
use crate::nets::mobilenet_v2::{MobileNetV2, MobileNetV2Config};
use crate::nets::fold::FoldNorms;
use crate::nets::{Architecture, Net as _, Network};
use crate::preprocess::Preprocessing;

/// Which ImageNet network a transfer recipe uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferFrom {
    MobileNetV2,
    EfficientNetLite0,
}

impl TransferFrom {
    /// The recipe's `--arch` name.
    pub fn recipe(self) -> &'static str {
        match self {
            Self::MobileNetV2 => "mobilenet-v2-transfer",
            Self::EfficientNetLite0 => "efficientnet-lite0-transfer",
        }
    }

    pub fn from_recipe(name: &str) -> Option<Self> {
        [Self::MobileNetV2, Self::EfficientNetLite0].into_iter().find(|t| t.recipe() == name)
    }

    /// Where `build.sh` writes the ImageNet bundle, relative to the repository root.
    pub fn default_bundle(self) -> PathBuf {
        PathBuf::from(match self {
            Self::MobileNetV2 => "www/models/mobilenet_v2.camtag",
            Self::EfficientNetLite0 => "www/models/efficientnet_lite0.camtag",
        })
    }
}

enum Net {
    MobileNetV2(MobileNetV2, MobileNetV2Config),
    EfficientNetLite(EfficientNetLite, EfficientNetLiteConfig),
}

impl Net {
    /// The same network with its batch norms folded into the convolutions (forward only).
    fn folded(&self) -> Self {
        match self {
            Self::MobileNetV2(net, c) => Self::MobileNetV2(net.clone().fold_norms(), c.clone()),
            Self::EfficientNetLite(net, c) => Self::EfficientNetLite(net.clone().fold_norms(), c.clone()),
        }
    }
}

/// A frozen ImageNet network and the preprocessing it was trained with.
pub struct Backbone {
    /// As read: what the trained bundle keeps (batch norms and all).
    net: Net,
    /// Batch norms folded: what [`features`](Self::features) runs, a third faster.
    folded: Net,
    preprocessing: Preprocessing,
}

impl Backbone {
    /// Reads `path`, which must hold the network `from` names.
    pub fn load(from: TransferFrom, path: &Path, device: &Device) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| {
            format!("{}: cannot read the ImageNet bundle transfer learning starts from (build it with ./build.sh, or pass --backbone)", path.display())
        })?;
        let bundle = Bundle::from_bytes(&bytes).with_context(|| path.display().to_string())?;
        let preprocessing = bundle.manifest.preprocessing.clone();
        let architecture = bundle.manifest.architecture.clone();
        let net = match (from, weights::decode(&architecture, bundle.weights, device)?, architecture) {
            (TransferFrom::MobileNetV2, Network::MobilenetV2(net), Architecture::MobilenetV2(c)) => Net::MobileNetV2(net, c),
            (TransferFrom::EfficientNetLite0, Network::EfficientnetLite(net), Architecture::EfficientnetLite(c)) => Net::EfficientNetLite(net, c),
            _ => bail!("{}: {} needs a {from:?} bundle", path.display(), from.recipe()),
        };
        Ok(Self { folded: net.folded(), net, preprocessing })
    }

    /// The backbone's own normalization, at a `size` x `size` input (resize : crop kept at
    /// 256 : 224).
    pub fn preprocessing(&self, size: u32) -> Preprocessing {
        Preprocessing { mean: self.preprocessing.mean, std: self.preprocessing.std, ..Preprocessing::for_size(size) }
    }

    /// The last feature map: `[batch, 3, h, w]` → `[batch, 1280, h / 32, w / 32]`.
    pub fn features(&self, images: Tensor<4>) -> Tensor<4> {
        match &self.folded {
            Net::MobileNetV2(net, _) => net.features(images),
            Net::EfficientNetLite(net, _) => net.features(images),
        }
    }

    /// Channels of the pooled features (the new classifier's input).
    pub fn width(&self) -> usize {
        match &self.net {
            Net::MobileNetV2(net, _) => net.classifier.weight.dims()[0],
            Net::EfficientNetLite(net, _) => net.classifier.weight.dims()[0],
        }
    }

    /// The whole network with `classifier` (`[width → classes]`) in place of ImageNet's.
    pub fn with_classifier(self, classifier: Linear) -> crate::Result<(Network, Architecture)> {
        let (network, architecture) = match self.net {
            Net::MobileNetV2(net, config) => (Network::MobilenetV2(net), Architecture::MobilenetV2(config)),
            Net::EfficientNetLite(net, config) => (Network::EfficientnetLite(net), Architecture::EfficientnetLite(config)),
        };
        crate::teach::bundle::replace_classifier(network, architecture, classifier)
    }
}
