//! `camtag train --data samples.zip`: the page's exported zip (or any zip of an ImageFolder tree)
//! read without the user unzipping it. Its pictures are unpacked, checked, into the training
//! folder, and read from there like any folder: one way of reading pictures, not two.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The most a zip may unpack to: far above a classroom's pictures, far below a zip bomb's.
const MAX_UNPACKED: u64 = 8 << 30;

/// Whether `path` names a zip file (by its first bytes, not its name).
pub fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    path.is_file() && std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"PK\x03\x04"
}

/// Unpacks `zip` into `into` (emptied first) and returns the ImageFolder root in it: `into`
/// itself, or the one folder the zip wraps everything in (`photos/多云/…` zipped as a whole).
/// Entries with unsafe names (absolute, `..`) are refused; macOS's `__MACOSX/` and hidden files
/// are left out.
pub fn unpack(zip: &Path, into: &Path) -> Result<PathBuf> {
    let file = std::fs::File::open(zip).with_context(|| format!("{}: cannot open", zip.display()))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).with_context(|| format!("{}: not a readable zip", zip.display()))?;
    if into.exists() {
        std::fs::remove_dir_all(into).with_context(|| format!("cannot empty {}", into.display()))?;
    }
    std::fs::create_dir_all(into).with_context(|| format!("cannot create {}", into.display()))?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).with_context(|| format!("{}: entry {i} is damaged", zip.display()))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("entry {i}"));
        let Some(relative) = entry.enclosed_name() else {
            bail!("{}: the entry {name:?} points outside the zip's folder; refusing to unpack it", zip.display());
        };
        let hidden = relative.components().any(|c| matches!(c, Component::Normal(n) if n.to_string_lossy().starts_with('.') || n == "__MACOSX"));
        if entry.is_dir() || hidden {
            continue;
        }
        total += entry.size();
        if total > MAX_UNPACKED {
            bail!("{}: unpacks to more than {} GiB; unzip it yourself and pass the folder", zip.display(), MAX_UNPACKED >> 30);
        }
        let path = into.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut out = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        std::io::copy(&mut entry, &mut out).with_context(|| format!("{}: cannot unpack {name:?}", zip.display()))?;
    }
    // One folder holding everything (and no loose file): the tags are inside it.
    let top: Vec<PathBuf> = std::fs::read_dir(into)?.flatten().map(|e| e.path()).collect();
    match top.as_slice() {
        [only] if only.is_dir() && std::fs::read_dir(only)?.flatten().all(|e| e.path().is_dir()) => Ok(only.clone()),
        _ => Ok(into.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_zip(path: &Path, entries: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, bytes) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn unpacks_tags_and_unwraps_one_outer_folder_and_refuses_escapes() {
        let dir = std::env::temp_dir().join(format!("camtag-zip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let flat = dir.join("flat.zip");
        write_zip(&flat, &[("多云/0001.png", b"a"), ("晴天/0001.png", b"b"), ("__MACOSX/多云/._0001.png", b"x"), (".DS_Store", b"x")]);
        assert!(is_zip(&flat) && !is_zip(&dir));
        let root = unpack(&flat, &dir.join("out")).unwrap();
        assert_eq!(root, dir.join("out"));
        assert_eq!(std::fs::read(root.join("多云/0001.png")).unwrap(), b"a");
        assert!(!root.join("__MACOSX").exists() && !root.join(".DS_Store").exists());

        let wrapped = dir.join("wrapped.zip");
        write_zip(&wrapped, &[("photos/多云/1.png", b"a"), ("photos/晴天/1.png", b"b")]);
        assert_eq!(unpack(&wrapped, &dir.join("out")).unwrap(), dir.join("out/photos"));
        assert!(!dir.join("out/多云").exists(), "emptied before unpacking");

        let evil = dir.join("evil.zip");
        write_zip(&evil, &[("../escape.png", b"a")]);
        let err = unpack(&evil, &dir.join("out")).unwrap_err().to_string();
        assert!(err.contains("outside"), "{err}");
        assert!(!dir.join("escape.png").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
