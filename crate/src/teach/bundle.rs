//! A taught head put on its base network: the base bundle's network with the new classifier in
//! place of ImageNet's, the tags as labels, the validation metrics in the manifest. The page and
//! the CLI both write their bundles through [`replace_classifier`].

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;

use super::head::LinearHead;
use super::{Fitted, Tag};
use crate::bundle::{Accuracy, Bundle, Manifest, Source, TrainingSummary, weights};
use crate::error::{CamtagError, Result};
use crate::labels::Labels;
use crate::nets::{Architecture, Network};

/// The transfer recipe of a base architecture, by `camtag train --arch`'s name; `None` for a
/// network a head cannot be taught on (only the ImageNet backbones with a single linear head).
pub fn recipe_of(architecture: &Architecture) -> Option<&'static str> {
    match architecture {
        Architecture::MobilenetV2(_) => Some("mobilenet-v2-transfer"),
        Architecture::EfficientnetLite(_) => Some("efficientnet-lite0-transfer"),
        _ => None,
    }
}

/// The head as burn's `Linear` (`[features, classes]` weight and a bias).
pub fn linear(head: &LinearHead, device: &Device) -> Linear {
    Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(head.weight.clone(), [head.features, head.classes]), device)),
        bias: Some(Param::from_tensor(Tensor::from_data(TensorData::new(head.bias.clone(), [head.classes]), device))),
    }
}

/// `network` (of `architecture`) with `classifier` (`[features → classes]`) in place of its own.
pub fn replace_classifier(network: Network, architecture: Architecture, classifier: Linear) -> Result<(Network, Architecture)> {
    let [features, classes] = classifier.weight.dims();
    let width = network.classifier().weight.dims()[0];
    if features != width {
        return Err(CamtagError::Teach(format!("the head reads {features} features, the network gives {width}")));
    }
    let architecture = architecture.with_num_classes(classes);
    match network {
        Network::MobilenetV2(net) => Ok((Network::MobilenetV2(crate::nets::mobilenet_v2::MobileNetV2 { classifier, ..net }), architecture)),
        Network::EfficientnetLite(net) => {
            Ok((Network::EfficientnetLite(crate::nets::efficientnet_lite::EfficientNetLite { classifier, ..net }), architecture))
        }
        _ => Err(CamtagError::Teach("only MobileNetV2 and EfficientNet-Lite0 can be given new tags".into())),
    }
}

/// The network a head is taught on, decoded from its bundle (on the CPU: it is only re-encoded).
pub struct Base {
    manifest: Manifest,
    network: Network,
    recipe: &'static str,
}

impl Base {
    /// Decodes a verified bundle; refuses a network a head cannot be taught on.
    pub fn new(bundle: Bundle) -> Result<Self> {
        let Bundle { manifest, weights: bytes } = bundle;
        let recipe = recipe_of(&manifest.architecture)
            .ok_or_else(|| CamtagError::Teach(format!("{} is not a MobileNetV2 or EfficientNet-Lite0 model", manifest.name)))?;
        let network = weights::decode(&manifest.architecture, bytes, &Device::flex())?;
        Ok(Self { manifest, network, recipe })
    }

    /// How many features its pooled output has (the head's input).
    pub fn width(&self) -> usize {
        self.network.classifier().weight.dims()[0]
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

/// What the page knows about a lesson besides the head: its name and when it was taught.
pub struct Taught<'a> {
    pub name: &'a str,
    pub tags: &'a [Tag],
    pub fitted: &'a Fitted,
    /// Each tag's `(train, valid)` pictures.
    pub counts: &'a [(usize, usize)],
    /// A fingerprint of the described pictures (their features and tags).
    pub dataset_sha256: String,
}

/// The base network with the taught head, as a bundle in the base's weight precision.
pub fn taught_bundle(base: Base, lesson: &Taught<'_>) -> Result<Bundle> {
    let Base { manifest: base_manifest, network, recipe } = base;
    let (network, architecture) = replace_classifier(network, base_manifest.architecture.clone(), linear(&lesson.fitted.head, &Device::flex()))?;
    let labels = Labels {
        zh: lesson.tags.iter().map(|t| t.zh.trim().to_owned()).collect(),
        en: lesson.tags.iter().map(|t| t.en.as_deref().map(str::trim).filter(|e| !e.is_empty()).unwrap_or(t.zh.trim()).to_owned()).collect(),
    };
    let kept = lesson.fitted.kept;
    let (train, valid): (usize, usize) = lesson.counts.iter().fold((0, 0), |(t, v), (a, b)| (t + a, v + b));
    let k = lesson.fitted.k;
    let manifest = Manifest {
        name: lesson.name.trim().to_owned(),
        architecture,
        preprocessing: base_manifest.preprocessing.clone(),
        labels,
        source: Source {
            description: format!(
                "taught in the page by camtag {} ({recipe} on {}) from {} pictures of {} tags",
                env!("CARGO_PKG_VERSION"),
                base_manifest.name,
                train + valid,
                lesson.tags.len()
            ),
            file: String::new(),
            sha256: lesson.dataset_sha256.clone(),
            distribution: "your own pictures".into(),
            licence: "yours (the pictures' licence)".into(),
        },
        accuracy: Some(Accuracy {
            top1: kept.valid.top1,
            top5: kept.valid.topk,
            measured_on: format!("camtag's validation split ({valid} pictures); top-5 column is top-{k}"),
        }),
        training: Some(TrainingSummary {
            recipe: recipe.into(),
            input_size: base_manifest.preprocessing.crop as usize,
            epochs: lesson.fitted.history.len(),
            best_epoch: kept.epoch,
            train_pictures: train,
            valid_pictures: valid,
            valid_loss: kept.valid.loss,
            valid_top1: kept.valid.top1,
            valid_topk: kept.valid.topk,
            k,
            dataset_sha256: lesson.dataset_sha256.clone(),
        }),
        weights: base_manifest.weights.clone(),
        written_by: format!("camtag {}", env!("CARGO_PKG_VERSION")),
    };
    manifest.validate()?;
    Ok(Bundle::new(manifest, weights::encode(&network, base_manifest.weights.dtype)?))
}

/// A fingerprint of described pictures: SHA-256 of their labels and features, little-endian.
pub fn fingerprint(examples: &super::Examples) -> String {
    let mut bytes = Vec::with_capacity(examples.labels.len() * (4 + 4 * examples.width));
    for (i, &label) in examples.labels.iter().enumerate() {
        bytes.extend_from_slice(&(label as u32).to_le_bytes());
        examples.row(i).iter().for_each(|f| bytes.extend_from_slice(&f.to_le_bytes()));
    }
    crate::bundle::sha256_hex(&bytes)
}
