//! What one training step and one validation step compute, for burn's `Learner`: the forward
//! pass, cross-entropy against the tags, and (in training) the gradients.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};

use super::batcher::PictureBatch;
use super::transfer::EmbeddingBatch;
use crate::nets::Network;

fn classification(logits: Tensor<2>, targets: Tensor<1, Int>) -> ClassificationOutput {
    let loss = CrossEntropyLossConfig::new().init(&logits.device()).forward(logits.clone(), targets.clone());
    ClassificationOutput::new(loss, logits, targets)
}

impl TrainStep for Network {
    type Input = PictureBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: PictureBatch) -> TrainOutput<ClassificationOutput> {
        let item = classification(self.forward(batch.images), batch.targets);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl InferenceStep for Network {
    type Input = PictureBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: PictureBatch) -> ClassificationOutput {
        classification(self.forward(batch.images), batch.targets)
    }
}

/// The new classifier trained on a frozen backbone's pooled features: dropout then a linear layer,
/// like torchvision's MobileNetV2 classifier (`Dropout(0.2)`, `Linear(1280, classes)`).
#[derive(Module, Debug)]
pub struct Head {
    pub dropout: Dropout,
    pub linear: Linear,
}

/// Configuration of [`Head`].
#[derive(Config, Debug)]
pub struct HeadConfig {
    pub features: usize,
    pub classes: usize,
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl HeadConfig {
    pub fn init(&self, device: &Device) -> Head {
        Head { dropout: DropoutConfig::new(self.dropout).init(), linear: LinearConfig::new(self.features, self.classes).init(device) }
    }
}

impl Head {
    /// `[batch, features]` → `[batch, classes]`. Dropout only acts while training.
    pub fn forward(&self, features: Tensor<2>) -> Tensor<2> {
        self.linear.forward(self.dropout.forward(features))
    }
}

impl TrainStep for Head {
    type Input = EmbeddingBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: EmbeddingBatch) -> TrainOutput<ClassificationOutput> {
        let item = classification(self.forward(batch.features), batch.targets);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl InferenceStep for Head {
    type Input = EmbeddingBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: EmbeddingBatch) -> ClassificationOutput {
        classification(self.forward(batch.features), batch.targets)
    }
}
