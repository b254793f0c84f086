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
                Ok(device) => Ok(Self { device, kind: BackendKind::Wgpu, fallback_reason: None }),
                Err(e) => Ok(Self { fallback_reason: Some(e.to_string()), ..Self::cpu() }),
            },
        }
    }
}

static GPU: OnceLock<std::result::Result<Device, String>> = OnceLock::new();

async fn gpu() -> Result<Device> {
    if GPU.get().is_none() {
        let outcome = init_gpu().await;
        let _ = GPU.set(outcome);
    }
    GPU.get().expect("set above").clone().map_err(CamtagError::Device)
}

// Native builds always have wgpu; a wasm build only with the `webgpu` feature (build.sh's
// default package: its CPU-only packages leave the WebGPU stack out).
#[cfg(any(not(target_arch = "wasm32"), feature = "webgpu"))]
async fn init_gpu() -> std::result::Result<Device, String> {
    let options = Device::wgpu_options();
    // In a browser, only WebGPU: wgpu's WebGL path cannot run compute shaders.
    #[cfg(target_arch = "wasm32")]
    let options = options.graphics_api(burn::tensor::wgpu::WgpuBackend::WebGpu);
    options.init_async().await.map_err(|e| format!("no usable GPU: {e}"))
}

/// The CPU-only wasm package, which the page loads where the browser offers no WebGPU adapter or
/// the CPU was asked for (www/js/shared/wasm-packages.js).
#[cfg(all(target_arch = "wasm32", not(feature = "webgpu")))]
async fn init_gpu() -> std::result::Result<Device, String> {
    Err("no usable GPU: camtag's CPU-only package is running (the browser offers no WebGPU adapter, or no wasm SIMD)".to_string())
}
