//! Choosing where the network runs: a GPU through wgpu (WebGPU in a browser, Vulkan/Metal/DX12
//! natively), or burn's pure-Rust CPU backend (`flex`). The choice is made here, in Rust, and
//! always passed explicitly: `Device::default()` would pick wgpu even where there is no GPU.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use burn::prelude::Device;
use serde::Serialize;

use crate::error::{CamtagError, Result};

/// What the caller asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// The GPU when there is one, else the CPU.
    #[default]
    Auto,
    /// The GPU, or an error.
    Gpu,
    /// The CPU.
    Cpu,
}

impl FromStr for BackendChoice {
    type Err = CamtagError;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(Self::Auto),
            "gpu" | "wgpu" | "webgpu" => Ok(Self::Gpu),
            "cpu" => Ok(Self::Cpu),
            other => Err(CamtagError::Device(format!("unknown backend {other:?}: use auto, webgpu (or wgpu) or cpu"))),
        }
    }
}

/// What actually runs the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn's wgpu backend: WebGPU in a browser.
    Wgpu,
    /// burn's `flex` CPU backend.
    Cpu,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self, cfg!(target_arch = "wasm32")) {
            (Self::Wgpu, true) => "WebGPU",
            (Self::Wgpu, false) => "wgpu",
            (Self::Cpu, _) => "CPU",
        })
    }
}

/// A device ready for tensors, and why it was chosen when that is not what was asked for.
#[derive(Clone, Debug)]
pub struct Backend {
    pub device: Device,
    pub kind: BackendKind,
    /// Set when `Auto` fell back to the CPU: the reason the GPU was not usable.
    pub fallback_reason: Option<String>,
}

impl Backend {
    pub fn cpu() -> Self {
        Self { device: Device::flex(), kind: BackendKind::Cpu, fallback_reason: None }
    }

    /// Resolves a choice to a device. The GPU is initialized once per process (a wgpu runtime
    /// cannot be initialized twice) and the outcome, success or failure, is remembered.
    pub async fn acquire(choice: BackendChoice) -> Result<Self> {
        match choice {
            BackendChoice::Cpu => Ok(Self::cpu()),
            BackendChoice::Gpu => Ok(Self { device: gpu().await?, kind: BackendKind::Wgpu, fallback_reason: None }),
            BackendChoice::Auto => match gpu().await {
                Ok(device) => match software_adapter() {
                    // A GPU emulated on the CPU (Mesa's lavapipe, SwiftShader) is far slower than
                    // camtag's own CPU kernels: 1,278 ms a photo on lavapipe here against 26 ms.
                    Some(name) => Ok(Self { fallback_reason: Some(format!("the only GPU is {name}, a software one: the CPU is faster")), ..Self::cpu() }),
                    None => Ok(Self { device, kind: BackendKind::Wgpu, fallback_reason: None }),
                },
                Err(e) => Ok(Self { fallback_reason: Some(e.to_string()), ..Self::cpu() }),
            },
        }
    }
}

static GPU: OnceLock<std::result::Result<Device, String>> = OnceLock::new();
/// The adapter's name where wgpu reports it as a CPU (a software rasterizer), natively.
static SOFTWARE: OnceLock<Option<String>> = OnceLock::new();

fn software_adapter() -> Option<String> {
    SOFTWARE.get().cloned().flatten()
}

async fn gpu() -> Result<Device> {
    if GPU.get().is_none() {
        let outcome = init_gpu().await;
        let _ = GPU.set(outcome);
    }
    GPU.get().expect("set above").clone().map_err(CamtagError::Device)
}

// Native builds always have wgpu; a wasm build only with the `webgpu` feature (build.sh's
// default package: its CPU-only packages leave the WebGPU stack out).
#[cfg(not(target_arch = "wasm32"))]
async fn init_gpu() -> std::result::Result<Device, String> {
    use burn::tensor::wgpu::wgpu;
    let (device, setup) = Device::wgpu_options().init_with_setup_async().await.map_err(|e| format!("no usable GPU: {e}"))?;
    let info = setup.adapter.get_info();
    let _ = SOFTWARE.set((info.device_type == wgpu::DeviceType::Cpu).then_some(info.name));
    Ok(device)
}

// In a browser, only WebGPU (wgpu's WebGL path cannot run compute shaders); whether the GPU is
// worth it is the page's trial's call (www/js/worker/gpu-trial.js).
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
async fn init_gpu() -> std::result::Result<Device, String> {
    let options = Device::wgpu_options().graphics_api(burn::tensor::wgpu::WgpuBackend::WebGpu);
    options.init_async().await.map_err(|e| format!("no usable GPU: {e}"))
}

/// The CPU-only wasm package, which the page loads where the browser offers no WebGPU adapter or
/// the CPU was asked for (www/js/shared/wasm-packages.js).
#[cfg(all(target_arch = "wasm32", not(feature = "webgpu")))]
async fn init_gpu() -> std::result::Result<Device, String> {
    Err("no usable GPU: camtag's CPU-only package is running (the browser offers no WebGPU adapter, or no wasm SIMD)".to_string())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// `auto` keeps a hardware GPU and leaves a software one (lavapipe, as tests/run.sh installs
    /// it here) for the CPU, saying why; `wgpu` asked for by name is still given.
    #[test]
    fn auto_never_picks_a_software_gpu() {
        let Ok(asked) = pollster::block_on(Backend::acquire(BackendChoice::Gpu)) else {
            let auto = pollster::block_on(Backend::acquire(BackendChoice::Auto)).unwrap();
            assert_eq!(auto.kind, BackendKind::Cpu, "no GPU at all: the CPU");
            return;
        };
        assert_eq!(asked.kind, BackendKind::Wgpu);
        let auto = pollster::block_on(Backend::acquire(BackendChoice::Auto)).unwrap();
        match software_adapter() {
            Some(name) => {
                assert_eq!(auto.kind, BackendKind::Cpu, "{name} is a software GPU");
                let reason = auto.fallback_reason.unwrap();
                assert!(reason.contains(&name) && reason.contains("software"), "{reason}");
            }
            None => assert_eq!(auto.kind, BackendKind::Wgpu),
        }
    }
}
