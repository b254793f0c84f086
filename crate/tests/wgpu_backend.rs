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
