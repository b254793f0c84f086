//! What one training step and one validation step compute, for burn's `Learner`: the forward
//! pass, cross-entropy against the tags, and (in training) the gradients.

use burn::nn::loss::CrossEntropyLossConfig;
use burn::prelude::*;
use burn::train::{ClassificationOutput, InferenceStep, TrainOutput, TrainStep};

use super::batcher::PictureBatch;
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
