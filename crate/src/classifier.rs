//! A loaded model ready to tag pictures: bundle → network on a device → top-k classes.

use burn::prelude::*;
use serde::Serialize;

use crate::cam::{self, ActivationMap};
use crate::bundle::{Bundle, Manifest, Source, WeightsDtype, WeightsInfo, weights};
use crate::error::{CamtagError, Result};
use crate::labels::Labels;
use crate::nets::fold::FoldNorms;
use crate::nets::{Architecture, Network};
use crate::preprocess::{ImageView, Preprocessing};
use crate::topk::{Prediction, top_k};

/// The most values (parameters and batch-norm statistics) a network may have to be loaded in a
/// page: 100 M, 400 MB in f32. Every model the page offers is far below (EfficientNet-Lite0 4.7 M,
/// VGG-16's convolutions 15.2 M); VGG-16 as published (138.4 M, 553 MB, its first fully connected
/// weight alone 411 MB, past WebGPU's default 256 MB buffer limit) is above, and a phone's tab
/// would not survive the copies a load makes.
pub const PAGE_MAX_VALUES: u64 = 100_000_000;

/// The input sides in pixels any network here takes (`--size`, the page's picker, the
/// classroom's comparison): below 32 px MobileNetV2's five halvings leave nothing to pool.
pub const INPUT_SIZES: std::ops::RangeInclusive<u32> = 32..=1024;

/// Refuses, before anything is allocated, a network too large for a page, saying why.
pub fn fits_a_page(manifest: &Manifest) -> Result<()> {
    let values = manifest.architecture.stored_values();
    if values <= PAGE_MAX_VALUES {
        return Ok(());
    }
    Err(CamtagError::Weights(format!(
        "{} has {:.1} M weights ({:.0} MB in f32): more than a page can hold (up to {} M); use it with the camtag command instead",
        manifest.name,
        values as f64 / 1e6,
        values as f64 * 4.0 / 1e6,
        PAGE_MAX_VALUES / 1_000_000
    )))
}

/// A network with its manifest, on one device.
#[derive(Debug)]
pub struct Classifier {
    network: Network,
    manifest: Manifest,
    device: Device,
}

impl Classifier {
    /// Loads a verified bundle onto `device`, its batch norms folded into the convolutions (a
    /// classifier only infers).
    pub fn new(bundle: Bundle, device: &Device) -> Result<Self> {
        let network = weights::decode(&bundle.manifest.architecture, bundle.weights, device)?.fold_norms();
        Ok(Self { network, manifest: bundle.manifest, device: device.clone() })
    }

    /// Parses, verifies and loads bundle bytes.
    pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Self> {
        Self::new(Bundle::from_bytes(bytes)?, device)
    }

    /// `architecture` with freshly initialized (random) weights, 1000 ImageNet outputs and the
    /// standard 224 px preprocessing. Its tags mean nothing; the classroom times it, to compare
    /// the speed of the lesson's networks (VGG, GoogLeNet, ResNet) that ship without weights.
    /// `name` is one of [`Architecture::NAMES`].
    pub fn untrained(name: &str, device: &Device) -> Result<Self> {
        let labels = Labels::imagenet();
        let architecture = Architecture::named(name)
            .ok_or_else(|| CamtagError::Manifest(format!("unknown architecture {name:?} (known: {})", Architecture::NAMES.join(", "))))?
            .with_num_classes(labels.len());
        let manifest = Manifest {
            name: format!("{name} (untrained)"),
            architecture: architecture.clone(),
            preprocessing: Preprocessing::imagenet(),
            labels,
            source: Source {
                description: "untrained: random initial weights, for timing only".into(),
                file: String::new(),
                sha256: String::new(),
                distribution: String::new(),
                licence: String::new(),
            },
            accuracy: None,
            training: None,
            weights: WeightsInfo { format: "burnpack".into(), dtype: WeightsDtype::F32, bytes: 0, sha256: String::new() },
            written_by: format!("camtag {}", env!("CARGO_PKG_VERSION")),
        };
        manifest.validate()?;
        Ok(Self { network: architecture.init(device).fold_norms(), manifest, device: device.clone() })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The preprocessed picture as the network's input, `[1, 3, crop, crop]`, on the device.
    pub fn input(&self, image: &ImageView) -> Tensor<4> {
        self.input_with(image, &self.manifest.preprocessing)
    }

    /// The model's preprocessing at another input size: a `size` x `size` centre crop, the resize
    /// keeping the 256 : 224 ratio, the model's own normalization. Global average pooling lets
    /// every network here take it; what changes is how much detail reaches the network.
    pub fn preprocessing_at(&self, size: u32) -> Result<Preprocessing> {
        if !INPUT_SIZES.contains(&size) {
            return Err(CamtagError::Image(format!("input size {size} is outside 32..=1024 pixels")));
        }
        self.manifest.architecture.accepts(size as usize)?;
        let own = &self.manifest.preprocessing;
        if size == own.crop {
            return Ok(own.clone());
        }
        Ok(Preprocessing { mean: own.mean, std: own.std, ..Preprocessing::for_size(size) })
    }

    /// The picture preprocessed by `spec`, `[1, 3, crop, crop]`, on the device.
    pub fn input_with(&self, image: &ImageView, spec: &Preprocessing) -> Tensor<4> {
        let side = spec.crop as usize;
        let chw = spec.to_chw(image);
        Tensor::<1>::from_floats(chw.as_slice(), &self.device).reshape([1, 3, side, side])
    }

    /// The network's class scores for a prepared input: `[1, 3, h, w]` → `[1, classes]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        self.network.forward(input)
    }

    /// Class scores for a picture, read back asynchronously: `[classes]`.
    pub async fn logits(&self, image: &ImageView<'_>) -> Result<Vec<f32>> {
        self.input_logits(self.input(image)).await
    }

    /// Class scores for an input already preprocessed, read back asynchronously (never a
    /// synchronous readback: it panics on WebGPU in wasm), checked to be finite.
    async fn input_logits(&self, input: Tensor<4>) -> Result<Vec<f32>> {
        check_finite(read_floats(self.forward(input)).await?)
    }

    /// What the network's classifier reads for a picture, read back asynchronously: its pooled
    /// features, `[width]` (see [`Self::feature_width`]), preprocessed as for classification. A
    /// new head is taught on these (`teach`).
    pub async fn describe(&self, image: &ImageView<'_>) -> Result<Vec<f32>> {
        self.describe_input(self.input(image)).await
    }

    /// [`Self::describe`] for an input already preprocessed (`[1, 3, h, w]`).
    pub async fn describe_input(&self, input: Tensor<4>) -> Result<Vec<f32>> {
        check_finite(read_floats(self.network.pooled(input)).await?)
    }

    /// How many features [`Self::describe`] gives.
    pub fn feature_width(&self) -> usize {
        self.network.classifier().weight.dims()[0]
    }

    /// The `k` most probable classes of a picture.
    pub async fn classify(&self, image: &ImageView<'_>, k: usize) -> Result<Vec<Prediction>> {
        self.classify_input(self.input(image), k).await
    }

    /// The `k` most probable classes of a picture seen at `size` x `size` pixels.
    pub async fn classify_at(&self, image: &ImageView<'_>, k: usize, size: u32) -> Result<Vec<Prediction>> {
        let spec = self.preprocessing_at(size)?;
        self.classify_input(self.input_with(image, &spec), k).await
    }

    /// The `k` most probable classes for an input already preprocessed (`[1, 3, h, w]`, as
    /// [`Self::input_with`] makes it): the forward pass, the readback and the top-k.
    pub async fn classify_input(&self, input: Tensor<4>, k: usize) -> Result<Vec<Prediction>> {
        Ok(top_k(&self.input_logits(input).await?, k, &self.manifest.labels))
    }
}

impl Classifier {
    /// The `k` most probable classes of a prepared input and the class activation map of `class`
    /// (`None`: the most probable), from one forward pass.
    pub async fn classify_with_map(&self, input: Tensor<4>, k: usize, class: Option<usize>) -> Result<(Vec<Prediction>, ActivationMap)> {
        if !self.network.pools_globally() {
            return Err(CamtagError::Image(format!(
                "{} ends in fully connected layers, which tie each weight to a place: a class activation map needs global average pooling",
                self.manifest.name
            )));
        }
        let classes = self.manifest.labels.len();
        if let Some(class) = class.filter(|&c| c >= classes) {
            return Err(CamtagError::Image(format!("class {class} does not exist (the model has {classes})")));
        }
        let (features, logits) = self.network.forward_with_features(input);
        let logits = check_finite(read_floats(logits).await?)?;
        let predictions = top_k(&logits, k.max(1), &self.manifest.labels);
        let index = class.unwrap_or(predictions[0].index);
        let [_, _, h, w] = features.dims();
        let classifier = self.network.classifier();
        // The map and the bias in one readback (each readback is a round trip on a GPU).
        let cells = h * w;
        let both = Tensor::cat(vec![cam::map(features, classifier, index).reshape([cells]), cam::bias(classifier, index)], 0);
        let mut values = check_finite(read_floats(both).await?)?;
        let bias = values.pop().expect("cells + 1 values");
        let labels = &self.manifest.labels;
        let map = ActivationMap { index, en: labels.en[index].clone(), zh: labels.zh[index].clone(), shape: [h, w], values, logit: logits[index], bias };
        Ok((predictions, map))
    }
}

/// The feature map after one point of a network's trunk, for the classroom.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeatureMaps {
    /// The point's name, as in the layer table (e.g. `blocks.3`).
    pub point: String,
    /// `[channels, height, width]` of the whole map.
    pub shape: [usize; 3],
    /// How many channels `data` holds (the first ones).
    pub channels: usize,
    /// `[channels, height, width]` floats, row-major.
    pub data: Vec<f32>,
}

impl Classifier {
    /// The points inside the network whose feature maps can be looked at, in order.
    pub fn probe_points(&self) -> Vec<String> {
        self.network.probe_points()
    }

    /// The feature map after `point` for a picture, preprocessed as for classification; at most
    /// `max_channels` channels are read back.
    pub async fn feature_maps(&self, image: &ImageView<'_>, point: usize, max_channels: usize) -> Result<FeatureMaps> {
        let name = self.probe_points().get(point).cloned().ok_or_else(|| {
            CamtagError::Image(format!("layer {point} does not exist (the network has {} points to look at)", self.probe_points().len()))
        })?;
        let map = self.network.probe(self.input(image), point)?; // [1, c, h, w]
        let [_, c, h, w] = map.dims();
        let channels = c.min(max_channels.max(1));
        // One channel per readback: in the browser, reading back a few hundred thousand floats
        // at once from burn's CPU backend never resolved (measured: 2 x 112 x 112 fine,
        // 16 x 112 x 112 hung), while a channel at a time costs little.
        let mut data = Vec::with_capacity(channels * h * w);
        for channel in 0..channels {
            data.extend(check_finite(read_floats(map.clone().narrow(1, channel, 1)).await?)?);
        }
        Ok(FeatureMaps { point: name, shape: [c, h, w], channels, data })
    }
}

/// Scores that are NaN or infinite mean damaged weights: an error, not a nonsense ranking.
pub fn check_finite(logits: Vec<f32>) -> Result<Vec<f32>> {
    if logits.iter().all(|l| l.is_finite()) {
        Ok(logits)
    } else {
        Err(CamtagError::Weights("the network produced scores that are not numbers (NaN or infinity): its weights are damaged".into()))
    }
}

/// Reads a tensor back to the host without blocking (the only safe way on WebGPU).
pub async fn read_floats<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    let data = tensor.into_data_async().await.map_err(|e| CamtagError::Device(format!("reading results back: {e:?}")))?;
    data.try_into_vec::<f32>().map_err(|e| CamtagError::Device(format!("reading results back: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrained_networks_run_with_imagenet_outputs() {
        let device = Device::flex();
        let classifier = Classifier::untrained("googlenet", &device).unwrap();
        assert_eq!(classifier.manifest().labels.len(), 1000);
        assert!(classifier.manifest().accuracy.is_none());
        let rgb: Vec<u8> = (0..64 * 48 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let top = pollster::block_on(classifier.classify(&ImageView::rgb(&rgb, 64, 48).unwrap(), 5)).unwrap();
        assert_eq!(top.len(), 5);
        assert!(top.windows(2).all(|w| w[0].prob >= w[1].prob));
    }

    #[test]
    fn a_network_too_large_for_a_page_is_refused_before_it_is_built() {
        let manifest = |name: &str| {
            let architecture = Architecture::named(name).unwrap();
            Manifest { name: name.into(), architecture, ..Classifier::untrained("resnet-small", &Device::flex()).unwrap().manifest().clone() }
        };
        let err = fits_a_page(&manifest("vgg16")).unwrap_err().to_string();
        assert!(err.contains("138.4 M weights") && err.contains("553 MB") && err.contains("camtag command"), "{err}");
        for fits in ["vgg16-gap", "googlenet", "resnet18", "efficientnet-lite0"] {
            assert!(fits_a_page(&manifest(fits)).is_ok(), "{fits}");
        }
    }

    #[test]
    fn an_unknown_architecture_is_named_in_the_error() {
        let err = Classifier::untrained("alexnet", &Device::flex()).unwrap_err().to_string();
        assert!(err.contains("\"alexnet\"") && err.contains("resnet18"), "{err}");
    }
}
