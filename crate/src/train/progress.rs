//! The live progress line while an epoch runs (`epoch 3/20  train 240/320 pictures`), redrawn in
//! place on a terminal and left out of logs; the per-epoch metrics are printed by
//! [`super::history::EpochLogger`].

use std::io::{IsTerminal, Write};

use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::MetricDefinition;
use burn::train::renderer::{EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation, MetricsRendererTraining};
use burn::train::LearnerSummary;

/// A [`MetricsRenderer`] for a plain terminal (burn's full-screen one would hide the per-epoch
/// lines that stay in the scroll-back).
pub struct ProgressLine {
    live: bool,
    epoch: usize,
    total_epochs: usize,
    split: String,
    total_items: usize,
    last_drawn: usize,
}

impl ProgressLine {
    pub fn new() -> Self {
        Self { live: std::io::stderr().is_terminal(), epoch: 0, total_epochs: 0, split: String::new(), total_items: 0, last_drawn: 0 }
    }

    fn clear(&self) {
        if self.live {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

impl Default for ProgressLine {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsRendererTraining for ProgressLine {
    fn update_train(&mut self, _state: MetricState) {}

    fn update_valid(&mut self, _state: MetricState) {}

    fn on_train_end(&mut self, _summary: Option<LearnerSummary>) -> Result<(), Box<dyn core::error::Error>> {
        self.clear();
        Ok(())
    }
}

impl TrainingProgressLogger for ProgressLine {
    fn start(&mut self, total_epochs: usize, starting_epoch: usize, _total_items: Option<usize>, _label: Option<&str>) {
        self.total_epochs = total_epochs;
        self.epoch = starting_epoch;
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.epoch = epoch;
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        self.split = split.to_owned();
        self.total_items = total_items;
        self.last_drawn = 0;
    }

    fn update_split(&mut self, items_processed: usize) {
        if self.live && items_processed != self.last_drawn {
            self.last_drawn = items_processed;
            eprint!("\r\x1b[2Kepoch {}/{}  {} {}/{} pictures", self.epoch, self.total_epochs, self.split, items_processed, self.total_items);
            let _ = std::io::stderr().flush();
        }
    }

    fn end_split(&mut self) {
        self.clear();
    }

    fn end(&mut self) {
        self.clear();
    }

    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for ProgressLine {
    fn start_global_progress(&mut self, _total_tests: usize) {}
    fn start_test(&mut self, _name: &str, _total_items: usize) {}
    fn update_test_progress(&mut self, _items_processed: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRendererEvaluation for ProgressLine {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl MetricsRenderer for ProgressLine {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, _definition: MetricDefinition) {}
}
