//! Teaching a network new tags by transfer learning, in plain Rust for the page and the CLI alike:
//! an ImageNet network (MobileNetV2 or EfficientNet-Lite0) stays frozen, each picture is described
//! once by its pooled features (`[1280]`), and only a new `Dropout + Linear` head learns from
//! them. The page calls it through `wasm.rs` (`describe`, `teach`); `camtag train --arch
//! mobilenet-v2-transfer` through `train/`. Nothing here needs autodiff: see [`head`].
//!
//! - [`split`]: the stratified validation split;
//! - [`head`]: the head, its gradient and AdamW;
//! - [`fit`]: the epochs, early stopping and the kept epoch;
//! - [`bundle`]: the head put on its base network, as a bundle.

pub mod bundle;
pub mod fit;
pub mod head;
pub mod split;

use burn::config::Config;

pub use fit::{EpochRecord, Fitted, Fitting, SplitMetrics};

use crate::error::CamtagError;

/// The transfer recipe's settings: the defaults of `camtag train`'s transfer recipe.
#[derive(Config, Debug, PartialEq)]
pub struct TeachConfig {
    /// Most epochs (early stopping may end sooner).
    #[config(default = 30)]
    pub epochs: usize,
    /// Examples per step; `None`: a tenth of the training set, within 8..=32.
    #[config(default = "None")]
    pub batch_size: Option<usize>,
    /// Peak learning rate of AdamW, annealed to zero (cosine).
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    #[config(default = 1e-4)]
    pub weight_decay: f32,
    /// Share of each tag kept aside to measure accuracy.
    #[config(default = 0.2)]
    pub valid_fraction: f64,
    #[config(default = 42)]
    pub seed: u64,
    /// Stop when the validation loss has not improved for this many epochs.
    #[config(default = 5)]
    pub patience: usize,
    /// torchvision's MobileNetV2 classifier: `Dropout(0.2)`.
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl TeachConfig {
    /// Refuses settings no run can use, before any work.
    pub fn check(&self) -> crate::Result<()> {
        let bad = |what: String| Err(CamtagError::Teach(what));
        if self.epochs == 0 || self.epochs > 10_000 {
            return bad(format!("epochs must be within 1..=10000, not {}", self.epochs));
        }
        if self.batch_size == Some(0) {
            return bad("the batch size must be at least 1".into());
        }
        if !(self.valid_fraction > 0.0 && self.valid_fraction < 1.0) {
            return bad(format!("the validation fraction must be between 0 and 1, not {}", self.valid_fraction));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate < 10.0) {
            return bad(format!("the learning rate must be between 0 and 10, not {}", self.learning_rate));
        }
        if !(0.0..1.0).contains(&self.dropout) || !(0.0..1.0).contains(&self.weight_decay) {
            return bad("dropout and weight decay must be within 0..1".into());
        }
        Ok(())
    }
}

/// Described pictures: each one's features (`width` numbers) and tag.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Examples {
    pub width: usize,
    /// `[n, width]`, row-major.
    pub features: Vec<f32>,
    /// `[n]`.
    pub labels: Vec<usize>,
}

impl Examples {
    /// Checks the shapes and that every feature is a number and every label `< classes`.
    pub fn new(width: usize, features: Vec<f32>, labels: Vec<usize>, classes: usize) -> crate::Result<Self> {
        let bad = |what: String| Err(CamtagError::Teach(what));
        if width == 0 || features.len() != labels.len() * width {
            return bad(format!("{} feature values do not make {} pictures of {width}", features.len(), labels.len()));
        }
        if let Some(i) = features.iter().position(|f| !f.is_finite()) {
            return bad(format!("picture {} has a feature that is not a number", i / width + 1));
        }
        if let Some(&l) = labels.iter().find(|&&l| l >= classes) {
            return bad(format!("a picture has tag number {l}, but there are {classes} tags"));
        }
        Ok(Self { width, features, labels })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Example `i`'s features.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.width..(i + 1) * self.width]
    }

    /// The examples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        Self {
            width: self.width,
            features: indices.iter().flat_map(|&i| self.row(i).iter().copied()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// How many examples each of `classes` tags has.
    pub fn counts(&self, classes: usize) -> Vec<usize> {
        let mut counts = vec![0; classes];
        self.labels.iter().for_each(|&l| counts[l] += 1);
        counts
    }
}

/// A tag: its Chinese name (or whatever the user typed) and an optional English one.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub zh: String,
    #[serde(default)]
    pub en: Option<String>,
}

/// Checks a set of tags: at least two, none empty, no two alike (after trimming, ignoring case).
pub fn check_tags(tags: &[Tag]) -> crate::Result<()> {
    let bad = |what: String| Err(CamtagError::Teach(what));
    if tags.len() < 2 {
        return bad(format!("{} tag(s): teaching needs at least 2 tags to tell apart", tags.len()));
    }
    let mut seen = std::collections::HashSet::new();
    for tag in tags {
        let name = tag.zh.trim();
        if name.is_empty() {
            return bad("a tag has no name".into());
        }
        if name.chars().count() > 64 {
            return bad(format!("the tag name {name:?} is longer than 64 characters"));
        }
        if !seen.insert(name.to_lowercase()) {
            return bad(format!("two tags are both called {name:?}; give each tag its own name"));
        }
    }
    Ok(())
}

/// Validates a whole lesson and splits it: the [`Fitting`] ready to run, and each tag's
/// `(train, valid)` counts.
pub fn prepare(tags: &[Tag], examples: &Examples, config: TeachConfig) -> crate::Result<(Fitting, Vec<(usize, usize)>)> {
    config.check()?;
    check_tags(tags)?;
    let (train, valid) = split::stratified(&examples.labels, tags.len(), config.valid_fraction, config.seed).map_err(|few| {
        CamtagError::Teach(format!(
            "tag {:?} has {} picture(s); it needs at least 2 (one to learn from, one to check with)",
            tags[few.tag].zh.trim(),
            few.count
        ))
    })?;
    let (train, valid) = (examples.select(&train), examples.select(&valid));
    let counts = train.counts(tags.len()).into_iter().zip(valid.counts(tags.len())).collect();
    Ok((Fitting::new(train, valid, tags.len(), config), counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::rng::SplitMix64;

    fn tag(name: &str) -> Tag {
        Tag { zh: name.into(), en: None }
    }

    /// Three tags whose features are noisy copies of three random centres in 64 dimensions.
    fn clusters(per_tag: usize, noise: f64, seed: u64) -> Examples {
        let mut rng = SplitMix64::new(seed);
        let centres: Vec<Vec<f64>> = (0..3).map(|_| (0..64).map(|_| rng.uniform(0.0, 2.0)).collect()).collect();
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        for i in 0..3 * per_tag {
            let label = i % 3;
            features.extend(centres[label].iter().map(|c| (c + rng.uniform(-noise, noise)).max(0.0) as f32));
            labels.push(label);
        }
        Examples::new(64, features, labels, 3).unwrap()
    }

    fn run(examples: &Examples, config: TeachConfig) -> Fitted {
        let (mut fitting, _) = prepare(&[tag("多云"), tag("晴天"), tag("夜景")], examples, config).unwrap();
        while !fitting.done() {
            fitting.epoch();
        }
        fitting.finish()
    }

    #[test]
    fn learns_separable_tags_and_keeps_the_lowest_validation_loss() {
        let fitted = run(&clusters(30, 0.8, 1), TeachConfig::new());
        assert_eq!(fitted.kept.valid.top1, 100.0, "{:?}", fitted.kept);
        let lowest = fitted.history.iter().map(|e| e.valid.loss).fold(f64::INFINITY, f64::min);
        assert_eq!(fitted.kept.valid.loss, lowest);
        assert!(fitted.history.last().unwrap().train.loss < fitted.history[0].train.loss / 2.0, "the loss falls");
    }

    #[test]
    fn a_seed_gives_the_same_run_and_another_seed_another() {
        let examples = clusters(12, 1.5, 2);
        let a = run(&examples, TeachConfig::new().with_epochs(6));
        let b = run(&examples, TeachConfig::new().with_epochs(6));
        assert_eq!(a.head, b.head);
        assert_eq!(a.history, b.history);
        assert_ne!(a.head, run(&examples, TeachConfig::new().with_epochs(6).with_seed(7)).head);
    }

    #[test]
    fn stops_after_patience_epochs_without_a_lower_validation_loss() {
        // Labels that do not follow the features: validation cannot improve for long.
        let mut examples = clusters(20, 1.0, 3);
        let mut rng = SplitMix64::new(9);
        rng.shuffle(&mut examples.labels);
        let fitted = run(&examples, TeachConfig::new().with_epochs(200).with_patience(3).with_learning_rate(0.05));
        assert!(fitted.stopped_early);
        assert_eq!(fitted.history.len(), fitted.kept.epoch + 3);
    }

    #[test]
    fn bad_lessons_are_refused_with_the_reason() {
        let examples = clusters(4, 1.0, 4);
        let err = |tags: &[Tag], e: &Examples, c: TeachConfig| prepare(tags, e, c).err().expect("refused").to_string();
        let three = [tag("多云"), tag("晴天"), tag("夜景")];
        assert!(err(&three[..1], &Examples::new(64, vec![0.0; 64], vec![0], 1).unwrap(), TeachConfig::new()).contains("at least 2 tags"));
        assert!(err(&[tag("多云"), tag(" 多云 "), tag("夜景")], &examples, TeachConfig::new()).contains("both called \"多云\""));
        assert!(err(&[tag("Sky"), tag("sky"), tag("夜景")], &examples, TeachConfig::new()).contains("both called"));
        assert!(err(&[tag("多云"), tag(""), tag("夜景")], &examples, TeachConfig::new()).contains("no name"));
        let one_night = examples.select(&[0, 1, 3, 4, 6, 7, 9, 10, 5]); // tag 2 keeps only sample 5
        let message = err(&three, &one_night, TeachConfig::new());
        assert!(message.contains("\"夜景\" has 1 picture"), "{message}");
        assert!(err(&three, &examples, TeachConfig::new().with_valid_fraction(1.0)).contains("validation fraction"));
        assert!(err(&three, &examples, TeachConfig::new().with_epochs(0)).contains("epochs"));
        assert!(Examples::new(64, vec![0.0; 100], vec![0, 1], 3).unwrap_err().to_string().contains("100 feature values"));
        assert!(Examples::new(2, vec![0.0, f32::NAN], vec![0], 3).unwrap_err().to_string().contains("not a number"));
        assert!(Examples::new(2, vec![0.0, 1.0], vec![3], 3).unwrap_err().to_string().contains("tag number 3"));
    }
}
