//! Training throughput of camtag's networks on burn's CPU backend (flex): images per second of a
//! full step (forward, cross-entropy, backward, AdamW update) on random pictures, per architecture
//! at 64 and 224 px. `bench/torch_train.py` measures PyTorch on the same architectures and batch;
//! `BENCHMARKS.md` holds both and their ratio.
//!
//! Run: `cargo bench -p camtag --bench train_throughput [-- ARCH…] ` (env `BATCH`, default 32;
//! `STEPS`, default 5). Prints one JSON object per line.

use std::time::Instant;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::Distribution;
use camtag::nets::{Architecture, Network};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let batch = env("BATCH", 32);
    let steps = env("STEPS", 5);
    let classes = 10;
    let mut archs: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if archs.is_empty() {
        archs = ["vgg-small", "resnet-small", "googlenet", "mobilenet-v2"].map(String::from).to_vec();
    }
    let device = Device::flex().autodiff();
    for name in &archs {
        let Some(arch) = Architecture::named(name) else {
            eprintln!("unknown architecture {name}");
            std::process::exit(2);
        };
        let arch = arch.with_num_classes(classes);
        for size in [64, 224] {
            let mut model = arch.init(&device);
            let mut optim = AdamWConfig::new().with_weight_decay(1e-4).init();
            let loss_fn = CrossEntropyLossConfig::new().init(&device);
            let images = Tensor::<4>::random([batch, 3, size, size], Distribution::Normal(0.0, 1.0), &device);
            let labels: Vec<i64> = (0..batch as i64).map(|i| i % classes as i64).collect();
            let targets = Tensor::<1, Int>::from_data(TensorData::new(labels, [batch]), &device);
            let mut step = |model: Network| {
                let logits = model.forward(images.clone()); // [batch, classes]
                let loss = loss_fn.forward(logits, targets.clone());
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                let model = optim.step(1e-3, model, grads);
                let _: f32 = loss.into_scalar(); // wait for the step to finish
                model
            };
            for _ in 0..2 {
                model = step(model);
            }
            let start = Instant::now();
            for _ in 0..steps {
                model = step(model);
            }
            let seconds = start.elapsed().as_secs_f64();
            println!(
                "{{\"framework\": \"burn-flex\", \"arch\": \"{name}\", \"size\": {size}, \"batch\": {batch}, \"images_per_s\": {:.2}, \"ms_per_step\": {:.1}}}",
                (batch * steps) as f64 / seconds,
                seconds * 1e3 / steps as f64
            );
        }
    }
}
