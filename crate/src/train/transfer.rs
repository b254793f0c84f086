//! Transfer learning: an ImageNet backbone (MobileNetV2 or EfficientNet-Lite0) stays frozen, and
//! only a new classifier is trained on its pooled 1280-number description of each picture. Those embeddings are computed
//! once per picture and view and cached on disk, so the epochs themselves take milliseconds; the
//! bundle then holds the backbone with the new head, and the page runs it like any other.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use burn::prelude::*;

use super::batcher::PictureBatcher;
use crate::data::image_folder::Sample;
use crate::nets::global_avg_pool;
use super::backbone::Backbone;
use crate::preprocess::rng::SplitMix64;

/// Pictures per forward pass of the backbone while embedding.
const EMBED_BATCH: usize = 16;

/// One picture (one view of it) as the backbone describes it.
#[derive(Clone, Debug)]
pub struct Embedding {
    /// `[features]`, the globally pooled last feature map.
    pub features: Arc<[f32]>,
    pub label: usize,
}

/// Pooled features of `inputs` (`[n, 3, s, s]` floats, concatenated): `[n, 1280]`.
fn forward_features(backbone: &Backbone, inputs: Vec<f32>, n: usize, size: usize, device: &Device) -> Vec<f32> {
    let x = Tensor::<4>::from_data(TensorData::new(inputs, [n, 3, size, size]), device);
    let pooled = global_avg_pool(backbone.features(x)); // [n, 1280]
    pooled.into_data().try_to_vec::<f32>().expect("the backbone computes in f32")
}

/// Embeds `views` versions of every sample: view 0 is the exact inference crop, the others random
/// augmentations (`augmenting`), so the head learns from varied crops without the backbone running
/// every epoch. `progress(done, total)` is called after each batch.
pub fn embed(
    backbone: &Backbone,
    samples: &[Sample],
    views: usize,
    centre: &PictureBatcher,
    augmenting: &PictureBatcher,
    size: usize,
    seed: u64,
    device: &Device,
    mut progress: impl FnMut(usize, usize),
) -> Vec<Embedding> {
    let jobs: Vec<(usize, usize)> = (0..samples.len()).flat_map(|s| (0..views).map(move |v| (s, v))).collect();
    let mut out = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(EMBED_BATCH) {
        let mut inputs = Vec::with_capacity(chunk.len() * 3 * size * size);
        for &(s, v) in chunk {
            let sample = &samples[s];
            let batcher = if v == 0 { centre } else { augmenting };
            let mut rng = SplitMix64::stream(seed, ((sample.file as u64) << 8) | v as u64);
            inputs.extend(centre.normalize(&batcher.crop(sample, &mut rng)));
        }
        let features = forward_features(backbone, inputs, chunk.len(), size, device);
        let dim = features.len() / chunk.len();
        for (i, &(s, _)) in chunk.iter().enumerate() {
            out.push(Embedding { features: features[i * dim..(i + 1) * dim].into(), label: samples[s].label });
        }
        progress(out.len(), jobs.len());
    }
    out
}

const CACHE_MAGIC: &[u8; 8] = b"CTEMBED1";

/// Saves embeddings: magic, count and dimension (u32 LE), then per embedding its label (u32)
/// and features (f32 LE).
pub fn save_cache(path: &Path, embeddings: &[Embedding]) -> crate::Result<()> {
    let dim = embeddings.first().map_or(0, |e| e.features.len());
    let mut bytes = Vec::with_capacity(16 + embeddings.len() * (4 + 4 * dim));
    bytes.extend_from_slice(CACHE_MAGIC);
    bytes.extend_from_slice(&(embeddings.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&(dim as u32).to_le_bytes());
    for e in embeddings {
        bytes.extend_from_slice(&(e.label as u32).to_le_bytes());
        for f in e.features.iter() {
            bytes.extend_from_slice(&f.to_le_bytes());
        }
    }
    crate::import::write_atomically(path, &bytes)
}

/// Reads a cache written by [`save_cache`]; `None` when absent, unreadable or not `expected`
/// embeddings long (a stale or torn file is recomputed, never trusted).
pub fn load_cache(path: &Path, expected: usize) -> Option<Vec<Embedding>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.read_to_end(&mut bytes).ok()?;
    let header = bytes.get(..16)?;
    if &header[..8] != CACHE_MAGIC {
        return None;
    }
    let count = u32::from_le_bytes(header[8..12].try_into().ok()?) as usize;
    let dim = u32::from_le_bytes(header[12..16].try_into().ok()?) as usize;
    if count != expected || bytes.len() != 16 + count * (4 + 4 * dim) {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for record in bytes[16..].chunks_exact(4 + 4 * dim) {
        let label = u32::from_le_bytes(record[..4].try_into().ok()?) as usize;
        let features: Vec<f32> = record[4..].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        if features.iter().any(|f| !f.is_finite()) {
            return None;
        }
        out.push(Embedding { features: features.into(), label });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_round_trips_and_refuses_a_torn_file() {
        let dir = std::env::temp_dir().join(format!("camtag-embed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("e.bin");
        let e = vec![
            Embedding { features: vec![1.0, 2.5, -3.0].into(), label: 1 },
            Embedding { features: vec![0.0, 0.5, 9.0].into(), label: 0 },
        ];
        save_cache(&path, &e).unwrap();
        let back = load_cache(&path, 2).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(&*back[0].features, &[1.0, 2.5, -3.0]);
        assert_eq!(back[1].label, 0);
        assert!(load_cache(&path, 3).is_none(), "another dataset size: recompute");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(load_cache(&path, 2).is_none(), "torn file: recompute");
        assert!(load_cache(&dir.join("absent"), 2).is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
