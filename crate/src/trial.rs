//! `--device auto` natively, where a hardware GPU is found: the GPU is kept only if it runs the
//! model faster than the CPU on a first picture, as the page's trial does
//! (`www/js/worker/gpu-trial.js`). An integrated GPU or a weak discrete one can be slower than
//! camtag's CPU kernels on many cores, and launches cost more than arithmetic on a small network.

use std::time::Instant;

use burn::prelude::Device;

use crate::backend::{Backend, BackendKind};
use crate::classifier::Classifier;
use crate::error::Result;
use crate::preprocess::ImageView;

/// Both devices' time for one picture after a warm-up one (the GPU's first compiles its shaders).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    pub gpu_ms: f64,
    pub cpu_ms: f64,
}

impl Trial {
    /// The faster device (the GPU on a tie: it leaves the CPU to the rest of the machine).
    pub fn keeps(&self) -> BackendKind {
        if self.gpu_ms <= self.cpu_ms { BackendKind::Wgpu } else { BackendKind::Cpu }
    }
}

/// Times `bundle` (a bundle's bytes) on `gpu` and on the CPU, a mid-grey picture of the model's
/// own input size through the whole path (preprocessing, network, readback, top-5); returns the
/// classifier on the device it keeps, the backend it is, and the trial.
pub fn choose(bundle: &[u8], gpu: Backend) -> Result<(Classifier, Backend, Trial)> {
    let on_gpu = Classifier::from_bytes(bundle, &gpu.device)?;
    let on_cpu = Classifier::from_bytes(bundle, &Device::flex())?;
    let side = on_cpu.manifest().preprocessing.crop;
    let grey = vec![128u8; (side * side * 3) as usize];
    let picture = ImageView::rgb(&grey, side, side)?;
    let time = |classifier: &Classifier| -> Result<f64> {
        pollster::block_on(classifier.classify(&picture, 5))?; // warm-up: shaders, caches, threads
        let start = Instant::now();
        pollster::block_on(classifier.classify(&picture, 5))?;
        Ok(start.elapsed().as_secs_f64() * 1e3)
    };
    let trial = Trial { gpu_ms: time(&on_gpu)?, cpu_ms: time(&on_cpu)? };
    Ok(match trial.keeps() {
        BackendKind::Wgpu => (on_gpu, gpu, trial),
        BackendKind::Cpu => {
            let reason = format!("the GPU took {:.1} ms a picture, the CPU {:.1} ms", trial.gpu_ms, trial.cpu_ms);
            (on_cpu, Backend { fallback_reason: Some(reason), ..Backend::cpu() }, trial)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_faster_device() {
        assert_eq!(Trial { gpu_ms: 3.0, cpu_ms: 20.0 }.keeps(), BackendKind::Wgpu);
        assert_eq!(Trial { gpu_ms: 30.0, cpu_ms: 20.0 }.keeps(), BackendKind::Cpu);
        assert_eq!(Trial { gpu_ms: 20.0, cpu_ms: 20.0 }.keeps(), BackendKind::Wgpu);
    }
}
