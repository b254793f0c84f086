//! An ImageFolder tree (one sub-folder per tag, the folder's name is the tag, Chinese welcome:
//! `多云/`, `晴天/`, `夜景/`), read into memory once, and its stratified train/validation split.
//!
//! Every problem a person can make with a folder of photos is reported by name: a missing folder
//! or fewer than two tags is an error; a file that is not a picture, a corrupt one or one too small
//! to learn from is skipped and counted; a tag left with no usable picture is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use crate::data::photo;
use crate::preprocess::{ImageView, Preprocessing};

/// Pictures whose shorter side is below this many pixels are skipped: a 16-pixel thumbnail
/// scaled up to the network's input carries no detail to learn from.
pub const MIN_SIDE: u32 = 16;

/// What is wrong with a dataset folder.
#[derive(Debug, Error)]
pub enum DatasetError {
    #[error("{0}: no such folder (give --data a folder with one sub-folder per tag)")]
    Missing(PathBuf),
    #[error("{0}: not a folder (give --data a folder with one sub-folder per tag)")]
    NotAFolder(PathBuf),
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: the folder name is not valid Unicode; rename it (it becomes the tag)")]
    BadName { path: PathBuf },
    #[error("{root}: found {found} tag folder(s) {tags:?}; {needed} needed (one sub-folder per tag, e.g. 多云/ and 晴天/)")]
    TooFewTags { root: PathBuf, found: usize, needed: usize, tags: Vec<String> },
    #[error("tag {tag:?} ({path}) has no usable picture ({skipped} file(s) skipped); add photos or remove the folder")]
    EmptyTag { tag: String, path: PathBuf, skipped: usize },
    #[error("tag {tag:?} has only {count} usable picture(s); it needs at least 2 (one to learn from, one to check)")]
    TooFewPictures { tag: String, count: usize },
}

/// A file left out, and why.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// One picture, decoded and resized once (the resize step of the model's preprocessing), shared
/// between data-loader threads without copying.
#[derive(Clone, Debug)]
pub struct Sample {
    pub rgb: Arc<[u8]>,
    pub width: usize,
    pub height: usize,
    /// Index into [`ImageFolder::tags`].
    pub label: usize,
    /// Index into [`ImageFolder::files`].
    pub file: usize,
}

impl Sample {
    pub fn view(&self) -> ImageView<'_> {
        ImageView::rgb(&self.rgb, self.width as u32, self.height as u32).expect("checked when loaded")
    }
}

/// The tags, the usable pictures and what was skipped.
#[derive(Debug)]
pub struct ImageFolder {
    pub root: PathBuf,
    /// Tag names in sorted order (a label's index is its position here).
    pub tags: Vec<String>,
    /// Every usable picture's path, relative to `root`.
    pub files: Vec<PathBuf>,
    pub samples: Vec<Sample>,
    pub skipped: Vec<Skipped>,
    /// Files lying directly in `root`, outside any tag folder (ignored).
    pub loose: Vec<PathBuf>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
    move |source| DatasetError::Io { path: path.to_path_buf(), source }
}

fn hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// Files under `dir`, recursively, sorted, hidden ones (`.DS_Store`, `._x.jpg`) left out.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DatasetError> {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(io(dir))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io(dir))?;
    entries.sort();
    for path in entries {
        if hidden(&path) {
            continue;
        }
        if path.is_dir() {
            files_under(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

impl ImageFolder {
    /// The tag folders of `root` and their files, without decoding anything.
    pub fn scan(root: &Path, min_tags: usize) -> Result<(Vec<String>, Vec<Vec<PathBuf>>, Vec<PathBuf>), DatasetError> {
        if !root.exists() {
            return Err(DatasetError::Missing(root.to_path_buf()));
        }
        if !root.is_dir() {
            return Err(DatasetError::NotAFolder(root.to_path_buf()));
        }
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(root).map_err(io(root))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io(root))?;
        entries.sort();
        let (mut tags, mut files, mut loose) = (Vec::new(), Vec::new(), Vec::new());
        for path in entries {
            if hidden(&path) {
                continue;
            }
            if !path.is_dir() {
                loose.push(path);
                continue;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                return Err(DatasetError::BadName { path });
            };
            let mut list = Vec::new();
            files_under(&path, &mut list)?;
            tags.push(name.trim().to_owned());
            files.push(list);
        }
        if tags.len() < min_tags.max(1) {
            return Err(DatasetError::TooFewTags { root: root.to_path_buf(), found: tags.len(), needed: min_tags.max(1), tags });
        }
        Ok((tags, files, loose))
    }

    /// Scans `root` (at least `min_tags` tag folders), decodes every picture and keeps it resized by `preprocessing`'s first step.
    /// `progress(done, total)` is called after each file.
    pub fn load(
        root: &Path,
        preprocessing: &Preprocessing,
        min_tags: usize,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Self, DatasetError> {
        let (tags, per_tag, loose) = Self::scan(root, min_tags)?;
        let total = per_tag.iter().map(Vec::len).sum();
        let mut done = 0;
        let mut folder = Self { root: root.to_path_buf(), tags, files: Vec::new(), samples: Vec::new(), skipped: Vec::new(), loose };
        for (label, paths) in per_tag.into_iter().enumerate() {
            let skipped_before = folder.skipped.len();
            let mut usable = 0;
            for path in paths {
                match Self::read(&path, preprocessing) {
                    Ok((rgb, width, height)) => {
                        let file = folder.files.len();
                        folder.files.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
                        folder.samples.push(Sample { rgb: rgb.into(), width, height, label, file });
                        usable += 1;
                    }
                    Err(reason) => folder.skipped.push(Skipped { path, reason }),
                }
                done += 1;
                progress(done, total);
            }
            if usable == 0 {
                return Err(DatasetError::EmptyTag {
                    tag: folder.tags[label].clone(),
                    path: root.join(&folder.tags[label]),
                    skipped: folder.skipped.len() - skipped_before,
                });
            }
        }
        Ok(folder)
    }

    fn read(path: &Path, preprocessing: &Preprocessing) -> Result<(Vec<u8>, usize, usize), String> {
        let picture = photo::decode(path).map_err(|e| format!("{e:#}"))?;
        if picture.width.min(picture.height) < MIN_SIDE {
            return Err(format!(
                "{}: too small ({}x{}; the shorter side needs at least {MIN_SIDE} pixels)",
                path.display(),
                picture.width,
                picture.height
            ));
        }
        let view = ImageView::rgb(&picture.rgb, picture.width, picture.height).map_err(|e| e.to_string())?;
        Ok(preprocessing.resized_rgb(&view))
    }

    /// Usable pictures per tag.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.tags.len()];
        for s in &self.samples {
            counts[s.label] += 1;
        }
        counts
    }

    /// A stratified split: in every tag, `valid_fraction` of its pictures (at least one, and at
    /// least one left to train on) go to validation, chosen by `seed`. Returns sample indices
    /// `(train, valid)`, each sorted.
    pub fn split(&self, valid_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>), DatasetError> {
        let labels: Vec<usize> = self.samples.iter().map(|s| s.label).collect();
        crate::teach::split::stratified(&labels, self.tags.len(), valid_fraction, seed)
            .map_err(|few| DatasetError::TooFewPictures { tag: self.tags[few.tag].clone(), count: few.count })
    }

    /// A fingerprint of the dataset (paths, tags and sizes of the usable files), kept in the
    /// bundle and in the checkpoint folder so `--resume` refuses a folder that changed.
    pub fn fingerprint(&self) -> String {
        let mut listing = String::new();
        for s in &self.samples {
            let size = std::fs::metadata(self.root.join(&self.files[s.file])).map_or(0, |m| m.len());
            listing.push_str(&format!("{}\t{}\t{size}\n", self.tags[s.label], self.files[s.file].display()));
        }
        crate::bundle::sha256_hex(listing.as_bytes())
    }
}
