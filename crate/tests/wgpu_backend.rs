//! The GPU path natively: burn's wgpu backend (Mesa lavapipe on a machine without a GPU) gives
//! the same logits as the CPU backend.

mod common;

use burn::prelude::Device;
use camtag::bundle::WeightsDtype;
use camtag::preprocess::ImageView;
use camtag::{Backend, BackendChoice, BackendKind, Classifier};
use common::*;

#[test]
fn wgpu_logits_equal_cpu_logits() {
    let gpu = pollster::block_on(Backend::acquire(BackendChoice::Gpu))
        .expect("a wgpu adapter (install mesa-vulkan-drivers for lavapipe)");
    assert_eq!(gpu.kind, BackendKind::Wgpu);
    let bundle = bundle(WeightsDtype::F32);
    let on_gpu = Classifier::new(bundle.clone(), &gpu.device).unwrap();
    let on_cpu = Classifier::new(bundle.clone(), &Device::flex()).unwrap();
    for name in ["chelsea", "coffee"] {
        let (rgb, w, h) = photo_rgb(name);
        let view = ImageView::rgb(&rgb, w, h).unwrap();
        let a = pollster::block_on(on_gpu.logits(&view)).unwrap();
        let b = pollster::block_on(on_cpu.logits(&view)).unwrap();
        let max = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        eprintln!("{name}: max |wgpu - cpu| logit difference {max:e}");
        assert!(max < 1e-4, "{name}: wgpu and CPU logits differ by {max}");
    }
    // Auto leaves lavapipe (a GPU emulated on the CPU, slower than the CPU path) for the CPU and
    // says why; a hardware GPU it keeps (src/backend.rs tests both cases).
    let auto = pollster::block_on(Backend::acquire(BackendChoice::Auto)).unwrap();
    match auto.kind {
        BackendKind::Cpu => assert!(auto.fallback_reason.as_deref().is_some_and(|r| r.contains("software")), "{:?}", auto.fallback_reason),
        BackendKind::Wgpu => assert_eq!(auto.fallback_reason, None),
    }
}

/// `auto`'s trial where a GPU is found: both devices timed on a picture after a warm-up one, the
/// faster kept. lavapipe (a GPU emulated on the CPU) stands in for a GPU here: it must lose to
/// the CPU, and the model comes back on the CPU with the times as the reason.
#[test]
fn auto_trial_keeps_the_faster_device() {
    let gpu = pollster::block_on(Backend::acquire(BackendChoice::Gpu)).expect("a wgpu adapter (lavapipe)");
    let bytes = std::fs::read(model_file()).unwrap();
    let (classifier, backend, trial) = camtag::trial::choose(&bytes, gpu).unwrap();
    assert!(trial.gpu_ms > 0.0 && trial.cpu_ms > 0.0, "{trial:?}");
    assert!(trial.cpu_ms < trial.gpu_ms, "lavapipe beat camtag's CPU kernels: {trial:?}");
    assert_eq!(backend.kind, BackendKind::Cpu);
    assert!(backend.fallback_reason.as_deref().is_some_and(|r| r.contains("ms a picture")), "{:?}", backend.fallback_reason);
    let (rgb, w, h) = photo_rgb("chelsea");
    let top = pollster::block_on(classifier.classify(&ImageView::rgb(&rgb, w, h).unwrap(), 1)).unwrap();
    assert_eq!(top[0].index, 285, "the kept classifier works");
}
