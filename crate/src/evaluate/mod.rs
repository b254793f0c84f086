//! `camtag eval`: how well a bundle tags a folder of labelled photos (the ImageFolder layout
//! `camtag train` reads): top-1 and top-k accuracy, per-tag precision and recall, the confusion
//! matrix and the pictures it got wrong. The numbers are plain counts over [`Outcome`]s, kept
//! apart from running the network so they can be checked by hand.

pub mod confusion;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::Classifier;
use crate::labels::Labels;
use crate::data::image_folder::ImageFolder;

/// What the network said about one picture.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Relative to the dataset folder.
    pub file: PathBuf,
    /// Index (into [`Evaluation::tags`]) of the folder it lies in.
    pub truth: usize,
    /// The model's `k` most probable classes (model label indices), most probable first.
    pub top: Vec<usize>,
    /// Probability of `top[0]`.
    pub confidence: f64,
}

/// Outcomes over a dataset whose tags are (some of) the model's labels.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The dataset's tags, as folder names.
    pub tags: Vec<String>,
    /// Each tag's index among the model's labels.
    pub tag_labels: Vec<usize>,
    /// Names of the model's labels (for predictions outside the dataset's tags).
    pub label_names: Vec<String>,
    pub k: usize,
    pub outcomes: Vec<Outcome>,
}

/// Precision and recall of one tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TagScore {
    pub tag: String,
    /// Pictures of this tag.
    pub pictures: usize,
    /// Pictures the model tagged with it.
    pub predicted: usize,
    /// Correctly tagged pictures of this tag.
    pub correct: usize,
    /// correct / predicted, percent (`None` when it never predicted the tag).
    pub precision: Option<f64>,
    /// correct / pictures, percent.
    pub recall: f64,
}

/// Rows: the true tag; columns: the predicted tag, then "other" (any label that is not one of the
/// dataset's tags, e.g. the 990 other ImageNet classes).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfusionMatrix {
    pub tags: Vec<String>,
    pub counts: Vec<Vec<usize>>,
}

/// Finds which model label a folder name means: its English or Chinese name (English ignoring
/// case).
pub fn label_index(labels: &Labels, tag: &str) -> Option<usize> {
    labels.zh.iter().position(|l| l == tag).or_else(|| labels.en.iter().position(|l| l.eq_ignore_ascii_case(tag)))
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

impl Evaluation {
    fn predicted_tag(&self, o: &Outcome) -> Option<usize> {
        self.tag_labels.iter().position(|&l| Some(&l) == o.top.first())
    }

    fn correct(&self, o: &Outcome) -> bool {
        o.top.first() == Some(&self.tag_labels[o.truth])
    }

    /// Top-1 accuracy, percent.
    pub fn top1(&self) -> f64 {
        percent(self.outcomes.iter().filter(|o| self.correct(o)).count(), self.outcomes.len())
    }

    /// Top-k accuracy, percent: the true label is among the `k` most probable.
    pub fn topk(&self) -> f64 {
        percent(self.outcomes.iter().filter(|o| o.top.contains(&self.tag_labels[o.truth])).count(), self.outcomes.len())
    }

    pub fn confusion(&self) -> ConfusionMatrix {
        let n = self.tags.len();
        let mut counts = vec![vec![0; n + 1]; n];
        for o in &self.outcomes {
            counts[o.truth][self.predicted_tag(o).unwrap_or(n)] += 1;
        }
        ConfusionMatrix { tags: self.tags.clone(), counts }
    }

    pub fn per_tag(&self) -> Vec<TagScore> {
        let m = self.confusion();
        (0..self.tags.len())
            .map(|t| {
                let pictures: usize = m.counts[t].iter().sum();
                let predicted: usize = m.counts.iter().map(|row| row[t]).sum();
                let correct = m.counts[t][t];
                TagScore {
                    tag: self.tags[t].clone(),
                    pictures,
                    predicted,
                    correct,
                    precision: (predicted > 0).then(|| percent(correct, predicted)),
                    recall: percent(correct, pictures),
                }
            })
            .collect()
    }

    /// Pictures whose most probable class is not their tag.
    pub fn misclassified(&self) -> Vec<&Outcome> {
        self.outcomes.iter().filter(|o| !self.correct(o)).collect()
    }

    /// What the model said first for `o`, by name.
    pub fn predicted_name(&self, o: &Outcome) -> &str {
        o.top.first().map_or("?", |&l| &self.label_names[l])
    }
}

/// Runs `classifier` over the ImageFolder at `data`.
pub fn evaluate(classifier: &Classifier, data: &Path, mut progress: impl FnMut(usize, usize)) -> Result<Evaluation> {
    let manifest = classifier.manifest();
    let labels = &manifest.labels;
    let (tags, _, _) = ImageFolder::scan(data, 1)?;
    let mut tag_labels = Vec::new();
    for tag in &tags {
        match label_index(labels, tag) {
            Some(i) => tag_labels.push(i),
            None => {
                let some: Vec<&str> = labels.en.iter().take(5).map(String::as_str).collect();
                bail!(
                    "{}: the folder {tag:?} is not one of the model's {} labels (e.g. {}); name each folder after a label",
                    data.display(),
                    labels.len(),
                    some.join(", ")
                );
            }
        }
    }
    let folder = ImageFolder::load(data, &manifest.preprocessing, 1, |_, _| {})?;
    for s in &folder.skipped {
        eprintln!("camtag: warning: skipped {}", s.reason);
    }
    let k = labels.len().min(5);
    let mut outcomes = Vec::with_capacity(folder.samples.len());
    for (i, sample) in folder.samples.iter().enumerate() {
        let file = folder.files[sample.file].clone();
        let predictions = pollster::block_on(classifier.classify(&sample.view(), k)).with_context(|| file.display().to_string())?;
        outcomes.push(Outcome {
            file,
            truth: sample.label,
            confidence: predictions.first().map_or(0.0, |p| p.prob),
            top: predictions.iter().map(|p| p.index).collect(),
        });
        progress(i + 1, folder.samples.len());
    }
    let label_names =
        labels.en.iter().zip(&labels.zh).map(|(en, zh)| if en == zh { en.clone() } else { format!("{zh} {en}") }).collect();
    Ok(Evaluation { tags: folder.tags, tag_labels, label_names, k, outcomes })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tags, eight pictures, counted by hand:
    ///   cat: cat, cat, dog          dog: dog, cat        sky: sky, sky, other(label 3)
    fn example() -> Evaluation {
        let o = |truth, top: &[usize]| Outcome { file: PathBuf::from("x.png"), truth, top: top.to_vec(), confidence: 0.5 };
        Evaluation {
            tags: vec!["cat".into(), "dog".into(), "sky".into()],
            tag_labels: vec![0, 1, 2],
            label_names: vec!["cat".into(), "dog".into(), "sky".into(), "sea".into()],
            k: 2,
            outcomes: vec![
                o(0, &[0, 1]),
                o(0, &[0, 2]),
                o(0, &[1, 0]),
                o(1, &[1, 0]),
                o(1, &[0, 2]),
                o(2, &[2, 3]),
                o(2, &[2, 0]),
                o(2, &[3, 2]),
            ],
        }
    }

    #[test]
    fn numbers_equal_a_hand_count() {
        let e = example();
        assert_eq!(e.top1(), 100.0 * 5.0 / 8.0); // 2 cats + 1 dog + 2 skies
        assert_eq!(e.topk(), 100.0 * 7.0 / 8.0); // all but the dog read as cat, then sky
        assert_eq!(e.confusion().counts, vec![vec![2, 1, 0, 0], vec![1, 1, 0, 0], vec![0, 0, 2, 1]]);
        let scores = e.per_tag();
        assert_eq!(scores[0], TagScore { tag: "cat".into(), pictures: 3, predicted: 3, correct: 2, precision: Some(200.0 / 3.0), recall: 200.0 / 3.0 });
        assert_eq!((scores[1].precision, scores[1].recall), (Some(50.0), 50.0));
        assert_eq!((scores[2].precision, scores[2].recall), (Some(100.0), 200.0 / 3.0));
        let wrong: Vec<&str> = e.misclassified().iter().map(|o| e.predicted_name(o)).collect();
        assert_eq!(wrong, vec!["dog", "cat", "sea"]);
    }

    #[test]
    fn a_tag_never_predicted_has_no_precision() {
        let mut e = example();
        e.outcomes.retain(|o| o.truth != 1 && o.top[0] != 1);
        assert_eq!(e.per_tag()[1].precision, None);
    }

    #[test]
    fn folder_names_match_labels_in_either_language() {
        let labels = Labels::imagenet();
        assert_eq!(label_index(&labels, "tabby"), Some(281));
        assert_eq!(label_index(&labels, "Tabby"), Some(281));
        assert_eq!(label_index(&labels, "虎斑猫"), Some(281));
        assert_eq!(label_index(&labels, "no such thing"), None);
    }
}
