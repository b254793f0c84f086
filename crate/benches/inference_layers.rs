//! Where MobileNetV2's forward pass spends its time on the CPU (burn `flex`), layer by layer:
//! each convolution of the folded network (batch norms folded in, as a classifier runs it) through
//! camtag's path (`ConvNorm::forward`: its direct kernel for the depthwise layers and the stem,
//! its register-tiled product for the 1x1 layers, bias and ReLU6 fused in both) beside burn's own
//! convolution then ReLU6 as `relu` and `clamp_max` (burn's two fastest passes: camtag's path
//! before its own kernels) on the same input.
//! Random weights: the time does not depend on their values. BENCHMARKS.md quotes it.
//!
//! Run: `cargo bench -p camtag --bench inference_layers` (env `RUNS`, default 30; `SIZE`, default
//! 224; `RAYON_NUM_THREADS=1` for one thread, as in the browser). Prints one JSON object per
//! layer, then the sums by kind and the whole forward pass; times are medians in ms.

use std::collections::BTreeMap;
use std::time::Instant;

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::relu;
use camtag::nets::conv_norm::ConvNorm;
use camtag::parallel::on_rayon;
use camtag::nets::Net;
use camtag::nets::fold::FoldNorms;
use camtag::nets::mobilenet_v2::MobileNetV2Config;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Median ms of `runs` calls, each waited for (one value read back), on a rayon worker as
/// `Network::forward` runs (`parallel::on_rayon`): from outside the pool every layer would also pay
/// two thread wake-ups.
fn median_ms(runs: usize, f: impl Fn() -> Tensor<4> + Sync) -> f64 {
    let mut times: Vec<f64> = on_rayon(|| {
        let _ = f().slice([0..1, 0..1, 0..1, 0..1]).into_data(); // warm-up
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                let _ = f().slice([0..1, 0..1, 0..1, 0..1]).into_data();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    });
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() {
    let runs = env("RUNS", 30).max(1);
    let size = env("SIZE", 224);
    let device = Device::flex();
    let net = MobileNetV2Config::imagenet().init(&device).fold_norms();
    let mut sums: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut layer = |name: String, kind: &'static str, l: &ConvNorm, x: Tensor<4>, relu6: bool| -> Tensor<4> {
        let camtag = median_ms(runs, || l.forward(x.clone()));
        let burn = median_ms(runs, || {
            let y = l.conv.forward(x.clone());
            if relu6 { relu(y).clamp_max(6.0) } else { y }
        });
        let y = l.forward(x.clone());
        println!(
            "{{\"layer\":\"{name}\",\"kind\":\"{kind}\",\"in\":{:?},\"out\":{:?},\"camtag_ms\":{camtag:.3},\"burn_ms\":{burn:.3}}}",
            x.dims(),
            y.dims()
        );
        let sum = sums.entry(kind).or_default();
        sum.0 += camtag;
        sum.1 += burn;
        y
    };
    let mut x = Tensor::<4>::random([1, 3, size, size], Distribution::Normal(0.0, 1.0), &device);
    let input = x.clone();
    x = layer("stem".into(), "stem", &net.stem, x, true);
    for (i, block) in net.blocks.iter().enumerate() {
        let skip = x.clone();
        if let Some(expand) = &block.expand {
            x = layer(format!("blocks.{i}.expand"), "1x1", expand, x, true);
        }
        x = layer(format!("blocks.{i}.depthwise"), "depthwise", &block.depthwise, x, true);
        x = layer(format!("blocks.{i}.project"), "1x1", &block.project, x, false);
        if block.residual {
            x = x + skip;
        }
    }
    layer("head".into(), "1x1", &net.head, x, true);
    for (kind, (camtag, burn)) in &sums {
        println!("{{\"kind\":\"{kind}\",\"camtag_ms\":{camtag:.2},\"burn_ms\":{burn:.2}}}");
    }
    let forward = median_ms(runs, || net.features(input.clone()));
    println!("{{\"forward_features_ms\":{forward:.2},\"threads\":{}}}", rayon_threads());
}

fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
