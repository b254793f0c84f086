//! The 1000 ImageNet-1k class names in English (torchvision's list, standard index order) and
//! camtag's reviewed Simplified Chinese list. Sources and the review: `assets/labels/REVIEW.md`.

use serde::{Deserialize, Serialize};

use crate::error::{CamtagError, Result};

const IMAGENET_EN: &str = include_str!("../assets/labels/imagenet_en.txt");
const IMAGENET_ZH: &str = include_str!("../assets/labels/imagenet_zh.txt");

/// Class names of a model's outputs, one per class, in both languages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Labels {
    pub en: Vec<String>,
    pub zh: Vec<String>,
}

impl Labels {
    /// The ImageNet-1k classes.
    pub fn imagenet() -> Self {
        let lines = |s: &str| s.lines().map(str::to_owned).collect();
        Self { en: lines(IMAGENET_EN), zh: lines(IMAGENET_ZH) }
    }

    pub fn len(&self) -> usize {
        self.en.len()
    }

    pub fn is_empty(&self) -> bool {
        self.en.is_empty()
    }

    /// Both languages name the same number of classes, none of them empty.
    pub fn validate(&self) -> Result<()> {
        if self.en.len() != self.zh.len() {
            return Err(CamtagError::Manifest(format!(
                "{} English labels but {} Chinese labels",
                self.en.len(),
                self.zh.len()
            )));
        }
        if self.en.is_empty() {
            return Err(CamtagError::Manifest("the model has no labels".into()));
        }
        if let Some(i) = self.en.iter().chain(&self.zh).position(|l| l.trim().is_empty()) {
            return Err(CamtagError::Manifest(format!("label {} is empty", i % self.en.len())));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn imagenet_has_1000_classes_in_both_languages() {
        let labels = Labels::imagenet();
        assert_eq!(labels.en.len(), 1000);
        assert_eq!(labels.zh.len(), 1000);
        labels.validate().unwrap();
    }

    #[test]
    fn chinese_labels_are_unique_and_trimmed() {
        let labels = Labels::imagenet();
        let mut seen = HashSet::new();
        for (i, zh) in labels.zh.iter().enumerate() {
            assert_eq!(zh.trim(), zh, "label {i} has surrounding spaces");
            assert!(seen.insert(zh.as_str()), "label {i} ({zh}, {}) is a duplicate", labels.en[i]);
        }
    }

    #[test]
    fn standard_order() {
        let labels = Labels::imagenet();
        assert_eq!(labels.en[0], "tench");
        assert_eq!(labels.en[281], "tabby");
        assert_eq!(labels.zh[281], "虎斑猫");
        assert_eq!(labels.en[967], "espresso");
        assert_eq!(labels.en[999], "toilet tissue");
    }
}
