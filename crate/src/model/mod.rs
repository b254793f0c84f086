//! The networks camtag runs, and the one enum that names them in a bundle's manifest.

pub mod conv_norm;
pub mod mobilenet_v2;
pub mod summary;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use mobilenet_v2::{MobileNetV2, MobileNetV2Config};

/// Which network a bundle holds, with its configuration (serialized as
/// `{"kind": "mobilenet_v2", "config": {...}}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "config", rename_all = "snake_case")]
pub enum Architecture {
    MobilenetV2(MobileNetV2Config),
}

impl Architecture {
    /// Number of output classes.
    pub fn num_classes(&self) -> usize {
        match self {
            Self::MobilenetV2(c) => c.num_classes,
        }
    }

    /// The layer table at a `size` x `size` input.
    pub fn summary(&self, size: usize) -> summary::Summary {
        match self {
            Self::MobilenetV2(c) => c.summary(size),
        }
    }

    /// A network of this architecture with freshly initialized weights on `device`.
    pub fn init(&self, device: &Device) -> Network {
        match self {
            Self::MobilenetV2(c) => Network::MobilenetV2(c.init(device)),
        }
    }
}

/// A network of any supported architecture.
#[derive(Module, Debug)]
pub enum Network {
    MobilenetV2(MobileNetV2),
}

impl Network {
    /// Class scores: `[batch, 3, h, w]` → `[batch, classes]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        match self {
            Self::MobilenetV2(net) => net.forward(images),
        }
    }
}
