//! The training folder across runs: a fresh run refuses to overwrite an unfinished one, `--resume`
//! continues the same run (same options, same pictures) from its last complete checkpoint, and a
//! finished run drops its checkpoints.

use std::path::Path;

use anyhow::{Context, Result, bail};
use burn::optim::OptimizerRecord;
use burn::optim::lr_scheduler::LrSchedulerRecord;
use burn::store::ModuleRecord;

/// The last epoch whose model, optimizer and scheduler checkpoints all read back whole (a kill
/// while burn writes them leaves a torn file; the epoch before it is used instead).
pub fn last_complete(checkpoints: &Path) -> Option<usize> {
    let mut epochs: Vec<usize> = std::fs::read_dir(checkpoints)
        .ok()?
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_prefix("model-")?.strip_suffix(".bpk")?.parse().ok()
        })
        .collect();
    epochs.sort_unstable();
    epochs.into_iter().rev().find(|e| {
        let file = |kind: &str| checkpoints.join(format!("{kind}-{e}.bpk"));
        ModuleRecord::load(file("model")).is_ok()
            && OptimizerRecord::load(file("optim")).is_ok()
            && LrSchedulerRecord::load(file("scheduler")).is_ok()
    })
}

fn has_checkpoints(checkpoints: &Path) -> bool {
    std::fs::read_dir(checkpoints).is_ok_and(|mut d| d.next().is_some())
}

/// The differences between two `run.json` values, as `key: was → now` lines.
fn differences(saved: &serde_json::Value, now: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match (saved, now) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            for (key, value) in b {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                match a.get(key) {
                    Some(old) => differences(old, value, &path, out),
                    None => out.push(format!("{path}: (none) → {value}")),
                }
            }
        }
        (a, b) if a != b => out.push(format!("{prefix}: {a} → {b}")),
        _ => {}
    }
}

/// Gets `workdir` ready. Returns the epoch to resume after, or `None` for a fresh run.
pub fn prepare(workdir: &Path, resume: bool, run: &serde_json::Value) -> Result<Option<usize>> {
    let run_path = workdir.join("run.json");
    let checkpoints = workdir.join("checkpoint");
    if resume {
        let saved = std::fs::read(&run_path)
            .with_context(|| format!("nothing to resume in {}: no run.json (start without --resume)", workdir.display()))?;
        let saved: serde_json::Value = serde_json::from_slice(&saved).with_context(|| run_path.display().to_string())?;
        let mut diff = Vec::new();
        differences(&saved, run, "", &mut diff);
        if !diff.is_empty() {
            bail!(
                "--resume must continue the same run, but these changed since it started:\n  {}\n(use the same options and pictures, or start over without --resume)",
                diff.join("\n  ")
            );
        }
        return match last_complete(&checkpoints) {
            Some(epoch) => Ok(Some(epoch)),
            None => bail!("nothing to resume in {}: no complete checkpoint yet (start without --resume)", workdir.display()),
        };
    }
    if has_checkpoints(&checkpoints) {
        let last = last_complete(&checkpoints).map_or("none complete".into(), |e| format!("the last complete one is epoch {e}"));
        bail!(
            "{} holds the checkpoints of an unfinished run ({last}): add --resume to continue it, or delete the folder to start over",
            workdir.display()
        );
    }
    std::fs::create_dir_all(workdir).with_context(|| format!("cannot create {}", workdir.display()))?;
    // A fresh run: nothing from an earlier one may leak in (cached embeddings, logs, history).
    for entry in std::fs::read_dir(workdir)?.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() && (name == "train" || name == "valid") {
            std::fs::remove_dir_all(&path)?;
        } else if name == "history.json" || name.starts_with("embeddings-") {
            std::fs::remove_file(&path)?;
        }
    }
    crate::import::write_atomically(&run_path, &serde_json::to_vec_pretty(run)?)?;
    Ok(None)
}

/// After the bundle is written: the checkpoints are no longer needed (history, logs and
/// `run.json` stay for reference).
pub fn finish(workdir: &Path) {
    let _ = std::fs::remove_dir_all(workdir.join("checkpoint"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_name_each_changed_option() {
        let mut out = Vec::new();
        differences(&json!({"config": {"size": 64, "arch": "vgg"}, "tags": ["a", "b"]}), &json!({"config": {"size": 96, "arch": "vgg"}, "tags": ["a", "c"]}), "", &mut out);
        assert_eq!(out, vec!["config.size: 64 → 96".to_string(), "tags: [\"a\",\"b\"] → [\"a\",\"c\"]".to_string()]);
    }

    #[test]
    fn fresh_run_refuses_unfinished_checkpoints_and_resume_needs_a_run() {
        let dir = std::env::temp_dir().join(format!("camtag-resume-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let run = json!({"config": {"size": 64}});
        let e = prepare(&dir, true, &run).unwrap_err().to_string();
        assert!(e.contains("nothing to resume"), "{e}");
        assert_eq!(prepare(&dir, false, &run).unwrap(), None);
        let e = prepare(&dir, true, &run).unwrap_err().to_string();
        assert!(e.contains("no complete checkpoint"), "{e}");
        std::fs::create_dir_all(dir.join("checkpoint")).unwrap();
        std::fs::write(dir.join("checkpoint/model-1.bpk"), b"torn").unwrap();
        let e = prepare(&dir, false, &run).unwrap_err().to_string();
        assert!(e.contains("--resume") && e.contains("none complete"), "{e}");
        assert_eq!(last_complete(&dir.join("checkpoint")), None, "a torn file is not a checkpoint");
        let e = prepare(&dir, true, &json!({"config": {"size": 96}})).unwrap_err().to_string();
        assert!(e.contains("config.size: 64 → 96"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
