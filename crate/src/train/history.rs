//! Per-epoch metrics: collected from burn's metric events, printed as one line per epoch, kept in
//! `history.json` in the training folder (so curves and `--resume` see every finished epoch), and
//! passed on to burn's own file logger (which early stopping and checkpoint selection read).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use burn::train::logger::{FileMetricLogger, MetricLogger};
use burn::train::metric::store::{EpochSummary, MetricsUpdate, Split};
use burn::train::metric::{MetricDefinition, MetricId, NumericEntry};
use serde::{Deserialize, Serialize};

pub use crate::teach::{EpochRecord, SplitMetrics};

/// Every finished epoch of a training run, in order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct History {
    pub epochs: Vec<EpochRecord>,
}

impl History {
    pub fn load(path: &Path) -> std::io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    pub fn save(&self, path: &Path) -> crate::Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("plain numbers serialize");
        crate::import::write_atomically(path, &json)
    }

    /// Forgets epochs after `epoch` (they are redone when training resumes from it).
    pub fn truncate(&mut self, epoch: usize) {
        self.epochs.retain(|e| e.epoch <= epoch);
    }

    /// The epoch with the lowest validation loss (the model camtag keeps).
    pub fn best(&self) -> Option<&EpochRecord> {
        self.epochs.iter().min_by(|a, b| a.valid.loss.total_cmp(&b.valid.loss))
    }
}

/// A [`MetricLogger`] that records epoch summaries into a [`History`] and prints them, and
/// forwards everything to burn's [`FileMetricLogger`].
pub struct EpochLogger {
    inner: FileMetricLogger,
    names: HashMap<MetricId, String>,
    /// The latest epoch-level value of each metric of the split in progress.
    current: HashMap<String, f64>,
    train: Option<SplitMetrics>,
    history: Arc<Mutex<History>>,
    path: PathBuf,
    total_epochs: usize,
    k: usize,
}

impl EpochLogger {
    pub fn new(directory: &Path, history: Arc<Mutex<History>>, total_epochs: usize, k: usize) -> Self {
        Self {
            inner: FileMetricLogger::new(directory),
            names: HashMap::new(),
            current: HashMap::new(),
            train: None,
            history,
            path: directory.join("history.json"),
            total_epochs,
            k,
        }
    }

    fn take_split(&mut self) -> SplitMetrics {
        let mut m = SplitMetrics::default();
        for (name, value) in self.current.drain() {
            match name.as_str() {
                "Loss" => m.loss = value,
                "Accuracy" => m.top1 = value,
                n if n.starts_with("Top-K Accuracy") => m.topk = value,
                _ => {}
            }
        }
        m
    }
}

fn value(entry: &NumericEntry) -> f64 {
    match entry {
        NumericEntry::Value(v) | NumericEntry::Final(v) => *v,
        NumericEntry::Aggregated { aggregated_value, .. } => *aggregated_value,
    }
}

impl MetricLogger for EpochLogger {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        for numeric in &update.entries_numeric {
            let Some(name) = self.names.get(&numeric.entry.metric_id) else { continue };
            // The epoch's final value when burn sends it, else the running (epoch) average.
            let entry = match &numeric.numeric_entry {
                Some(final_value @ NumericEntry::Final(_)) => Some(final_value),
                _ => numeric.running_entry.as_ref(),
            };
            if let Some(entry) = entry {
                self.current.insert(name.clone(), value(entry));
            }
        }
        self.inner.log(update, epoch, split);
    }

    fn read_numeric(&mut self, name: &str, epoch: usize, split: &Split) -> Result<Vec<NumericEntry>, String> {
        self.inner.read_numeric(name, epoch, split)
    }

    fn log_metric_definition(&mut self, definition: MetricDefinition) {
        self.names.insert(definition.metric_id.clone(), definition.name.to_string());
        self.inner.log_metric_definition(definition);
    }

    fn log_epoch_summary(&mut self, summary: EpochSummary) {
        match summary.split {
            Split::Train => self.train = Some(self.take_split()),
            Split::Valid => {
                let record = EpochRecord { epoch: summary.epoch_number, train: self.train.take().unwrap_or_default(), valid: self.take_split() };
                eprintln!("{}", format_epoch(&record, self.total_epochs, self.k));
                let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
                history.truncate(record.epoch - 1);
                history.epochs.push(record);
                if let Err(e) = history.save(&self.path) {
                    eprintln!("camtag: warning: cannot save the training history: {e}");
                }
            }
            Split::Test(_) => {}
        }
        self.inner.log_epoch_summary(summary);
    }
}

/// `epoch  3/20  train loss 0.912 top-1  62.5% top-3 100.0%  valid loss 0.801 top-1  70.0% …`
pub fn format_epoch(r: &EpochRecord, total: usize, k: usize) -> String {
    let split = |m: &SplitMetrics| format!("loss {:.3} top-1 {:5.1}% top-{k} {:5.1}%", m.loss, m.top1, m.topk);
    format!("epoch {:>2}/{total}  train {}  valid {}", r.epoch, split(&r.train), split(&r.valid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, valid_loss: f64) -> EpochRecord {
        let m = SplitMetrics { loss: valid_loss, top1: 50.0, topk: 100.0 };
        EpochRecord { epoch, train: m, valid: m }
    }

    #[test]
    fn best_is_the_lowest_validation_loss_and_truncate_drops_later_epochs() {
        let mut h = History { epochs: vec![record(1, 0.9), record(2, 0.4), record(3, 0.6)] };
        assert_eq!(h.best().unwrap().epoch, 2);
        h.truncate(1);
        assert_eq!(h.epochs.len(), 1);
        assert!(History::default().best().is_none());
    }

    #[test]
    fn history_round_trips_through_its_file() {
        let dir = std::env::temp_dir().join(format!("camtag-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("history.json");
        assert!(History::load(&path).unwrap().epochs.is_empty(), "no file yet: empty history");
        let h = History { epochs: vec![record(1, 0.5), record(2, 0.25)] };
        h.save(&path).unwrap();
        assert_eq!(History::load(&path).unwrap().epochs, h.epochs);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
