//! Opening the model every model-running command uses: the device `--device` asks for, the bundle
//! (`--model`, else the default one), and for `auto` with a hardware GPU, the trial that keeps the
//! GPU only where it is faster (camtag::trial). What was chosen and why goes to stderr.

use std::path::PathBuf;

use anyhow::{Context, Result};
use camtag::{Backend, BackendChoice, BackendKind, Classifier};

use super::DeviceArg;

pub fn open(device: DeviceArg, model: Option<PathBuf>) -> Result<(Backend, Classifier)> {
    let choice: BackendChoice = device.into();
    let backend = pollster::block_on(Backend::acquire(choice))?;
    let model = model.unwrap_or_else(super::default_model);
    let bytes = std::fs::read(&model).with_context(|| {
        format!("{}: cannot read the model bundle (build it with ./build.sh, or pass --model)", model.display())
    })?;
    let named = || model.display().to_string();
    let (classifier, backend) = if choice == BackendChoice::Auto && backend.kind == BackendKind::Wgpu {
        let (classifier, backend, trial) = camtag::trial::choose(&bytes, backend).with_context(named)?;
        if backend.kind == BackendKind::Wgpu {
            eprintln!("camtag: running on the GPU ({:.1} ms a picture, the CPU {:.1} ms)", trial.gpu_ms, trial.cpu_ms);
        }
        (classifier, backend)
    } else {
        (Classifier::from_bytes(&bytes, &backend.device).with_context(named)?, backend)
    };
    if let Some(reason) = &backend.fallback_reason {
        eprintln!("camtag: running on the CPU ({reason})");
    }
    Ok((backend, classifier))
}
