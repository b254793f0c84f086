//! Samples to tensors for burn's data loader: augmented random crops for training, the exact
//! inference crop for validation, both through the crate's one preprocessing path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use burn::data::dataloader::batcher::Batcher;
use burn::prelude::*;

use crate::data::image_folder::Sample;
use crate::preprocess::rng::SplitMix64;
use crate::preprocess::{Augmentation, Preprocessing, Window};

/// A batch of pictures and their tags.
#[derive(Clone, Debug)]
pub struct PictureBatch {
    /// `[batch, 3, crop, crop]`, normalized.
    pub images: Tensor<4>,
    /// `[batch]`, tag indices.
    pub targets: Tensor<1, Int>,
}

/// Turns [`Sample`]s into a [`PictureBatch`].
#[derive(Clone)]
pub struct PictureBatcher {
    preprocessing: Preprocessing,
    /// `None` for validation: the centred crop inference uses.
    augmentation: Option<Augmentation>,
    seed: u64,
    /// Counts batches so every one draws fresh augmentations, whatever thread builds it.
    batches: Arc<AtomicU64>,
}

impl PictureBatcher {
    pub fn training(preprocessing: Preprocessing, augmentation: Augmentation, seed: u64) -> Self {
        Self { preprocessing, augmentation: Some(augmentation), seed, batches: Arc::default() }
    }

    pub fn validation(preprocessing: Preprocessing) -> Self {
        Self { preprocessing, augmentation: None, seed: 0, batches: Arc::default() }
    }

    /// The 8-bit RGB crop of one sample the network sees, row-major `[crop, crop, 3]`.
    pub fn crop(&self, sample: &Sample, rng: &mut SplitMix64) -> Vec<u8> {
        let crop = self.preprocessing.crop as usize;
        match &self.augmentation {
            Some(augmentation) => augmentation.apply(&sample.view(), crop, rng),
            None => centre_crop(sample, self.preprocessing.crop_window(sample.width, sample.height)),
        }
    }

    /// 8-bit RGB `[h, w, 3]` to normalized `[3, h, w]` floats.
    pub fn normalize(&self, rgb: &[u8]) -> Vec<f32> {
        self.preprocessing.normalize(rgb)
    }

    /// `[3, crop, crop]` floats for each sample, concatenated.
    pub fn inputs(&self, samples: &[Sample]) -> Vec<f32> {
        let batch = self.batches.fetch_add(1, Ordering::Relaxed);
        let mut out = Vec::new();
        for (i, sample) in samples.iter().enumerate() {
            let mut rng = SplitMix64::stream(self.seed, (batch << 16) | i as u64);
            out.extend(self.preprocessing.normalize(&self.crop(sample, &mut rng)));
        }
        out
    }
}

/// Copies `window` out of a picture already at its resized size: the inference path's crop, as
/// [`Preprocessing::crop_rgb`] cuts it (the resize to the same size is the identity).
fn centre_crop(sample: &Sample, window: Window) -> Vec<u8> {
    let mut out = Vec::with_capacity(window.width * window.height * 3);
    for y in window.top..window.top + window.height {
        let row = (y * sample.width + window.left) * 3;
        out.extend_from_slice(&sample.rgb[row..row + window.width * 3]);
    }
    out
}

impl Batcher<Sample, PictureBatch> for PictureBatcher {
    fn batch(&self, items: Vec<Sample>, device: &Device) -> PictureBatch {
        let crop = self.preprocessing.crop as usize;
        let data = TensorData::new(self.inputs(&items), [items.len(), 3, crop, crop]);
        let targets: Vec<i64> = items.iter().map(|s| s.label as i64).collect();
        PictureBatch {
            images: Tensor::from_data(data, device), // [batch, 3, crop, crop]
            targets: Tensor::from_data(TensorData::new(targets, [items.len()]), device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::ImageView;

    fn sample(w: usize, h: usize) -> (Vec<u8>, Sample) {
        let px: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let p = Preprocessing::for_size(32);
        let (rgb, rw, rh) = p.resized_rgb(&ImageView::rgb(&px, w as u32, h as u32).unwrap());
        (px, Sample { rgb: rgb.into(), width: rw, height: rh, label: 1, file: 0 })
    }

    #[test]
    fn validation_crop_equals_the_inference_path() {
        let (px, s) = sample(90, 61);
        let p = Preprocessing::for_size(32);
        let batcher = PictureBatcher::validation(p.clone());
        let inference = p.to_chw(&ImageView::rgb(&px, 90, 61).unwrap());
        assert_eq!(batcher.inputs(std::slice::from_ref(&s)), inference);
    }

    #[test]
    fn training_batches_are_augmented_and_differ_between_batches() {
        let (_, s) = sample(90, 61);
        let batcher = PictureBatcher::training(Preprocessing::for_size(32), Augmentation::default(), 5);
        let a = batcher.inputs(std::slice::from_ref(&s));
        let b = batcher.inputs(std::slice::from_ref(&s));
        assert_eq!(a.len(), 3 * 32 * 32);
        assert_ne!(a, b);
        let batch = batcher.batch(vec![s.clone(), s], &Device::flex());
        assert_eq!(batch.images.dims(), [2, 3, 32, 32]);
        assert_eq!(batch.targets.into_data().convert::<i64>().try_to_vec::<i64>().unwrap(), vec![1i64, 1]);
    }
}
