//! Writes the seed corpus for the `bundle` fuzz target (crate/fuzz): small valid bundles of every
//! architecture family, f32 and f16, so the fuzzer starts from files that load and mutates the
//! parts that matter (header, manifest, burnpack) at thousands of runs a second, rather than
//! from a 14 MB ImageNet bundle.
//!
//! `cargo run --release --example fuzz_seeds -- DIR`

use std::path::PathBuf;

use burn::prelude::Device;
use camtag::bundle::{Manifest, Source, WeightsDtype, WeightsInfo, weights};
use camtag::labels::Labels;
use camtag::nets::Architecture;
use camtag::nets::resnet::ResNetConfig;
use camtag::nets::vgg::VggConfig;
use camtag::preprocess::Preprocessing;
use camtag::Bundle;

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or_else(|| anyhow::anyhow!("usage: fuzz_seeds DIR"))?);
    std::fs::create_dir_all(&dir)?;
    let device = Device::flex();
    let labels = Labels { en: vec!["cloudy".into(), "sunny".into()], zh: vec!["多云".into(), "晴天".into()] };
    let networks = [
        ("vgg", Architecture::Vgg(VggConfig { num_classes: 2, depths: vec![1, 1], widths: vec![4, 8], batch_norm: true, fc: None })),
        ("resnet", Architecture::Resnet(ResNetConfig { num_classes: 2, blocks: vec![1, 1], widths: vec![4, 8], small_input: true })),
    ];
    for (name, architecture) in networks {
        let network = architecture.init(&device);
        for dtype in [WeightsDtype::F32, WeightsDtype::F16] {
            let manifest = Manifest {
                name: format!("seed {name}"),
                architecture: architecture.clone(),
                preprocessing: Preprocessing::for_size(32),
                labels: labels.clone(),
                source: Source {
                    description: "fuzzing seed: random weights".into(),
                    file: String::new(),
                    sha256: String::new(),
                    distribution: String::new(),
                    licence: "MIT OR Apache-2.0".into(),
                },
                accuracy: None,
                training: None,
                weights: WeightsInfo { format: "burnpack".into(), dtype, bytes: 0, sha256: String::new() },
                written_by: format!("camtag {}", env!("CARGO_PKG_VERSION")),
            };
            let bundle = Bundle::new(manifest, weights::encode(&network, dtype)?);
            let path = dir.join(format!("{name}-{dtype:?}.camtag").to_lowercase());
            std::fs::write(&path, bundle.to_bytes()?)?;
            println!("{} ({} bytes)", path.display(), std::fs::metadata(&path)?.len());
        }
    }
    Ok(())
}
