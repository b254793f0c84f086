//! Loading a PyTorch `.pth` checkpoint into one of camtag's networks: burn-store's
//! `PytorchStore`, the architecture's key remapping (kept next to each architecture), and a
//! strict check that every parameter was found with the right shape.

use std::path::Path;

use burn::store::{ModuleSnapshot, PytorchStore};

use crate::error::{CamtagError, Result};

/// Loads `path` into `model`, renaming the file's keys by `remapping` (regex → replacement).
pub fn load_into<M: ModuleSnapshot>(path: &Path, remapping: Vec<(String, String)>, mut model: M) -> Result<M> {
    if !path.is_file() {
        return Err(CamtagError::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")));
    }
    let mut store = PytorchStore::from_file(path);
    for (from, to) in remapping {
        store = store.with_key_remapping(from, to);
    }
    let result = model.load_from(&mut store).map_err(|e| CamtagError::Weights(format!("{}: {e}", path.display())))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        return Err(CamtagError::Weights(format!(
            "{}: {} errors, missing {:?}",
            path.display(),
            result.errors.len(),
            result.missing.iter().map(|(p, _)| p).collect::<Vec<_>>()
        )));
    }
    Ok(model)
}
