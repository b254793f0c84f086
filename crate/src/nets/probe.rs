//! Looking inside a network: its trunk (everything before global average pooling) as a list of
//! named steps, so the classroom can show the feature map after any of them — what the 64 channels
//! after GoogLeNet's first convolution, or a MobileNetV2 block's 24, respond to in the picture.

use burn::prelude::*;

use super::Network;
use crate::error::{CamtagError, Result};

/// One step of a trunk: its name (as in the layer table) and what it does to a feature map.
pub type Step<'a> = (String, Box<dyn Fn(Tensor<4>) -> Tensor<4> + 'a>);

impl Network {
    /// The names of the points whose feature maps can be looked at.
    pub fn probe_points(&self) -> Vec<String> {
        self.steps().into_iter().map(|(name, _)| name).collect()
    }

    /// The feature map after step `point`: `[batch, 3, h, w]` → `[batch, channels, h', w']`.
    pub fn probe(&self, images: Tensor<4>, point: usize) -> Result<Tensor<4>> {
        let steps = self.steps();
        if point >= steps.len() {
            return Err(CamtagError::Image(format!("layer {point} does not exist (the network has {} points to look at)", steps.len())));
        }
        Ok(steps.iter().take(point + 1).fold(images, |x, (_, step)| step(x)))
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::*;
    use crate::nets::Architecture;

    #[test]
    fn the_last_point_is_the_trunk_and_shapes_follow_the_layer_table() {
        let device = Device::flex();
        let x = Tensor::<4>::random([1, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device);
        for name in ["mobilenet-v2", "efficientnet-lite0", "vgg-small", "resnet-small", "googlenet"] {
            let arch = Architecture::named(name).unwrap().with_num_classes(4);
            let net = arch.init(&device);
            let points = net.probe_points();
            assert!(points.len() >= 4, "{name}: {points:?}");
            let last = net.probe(x.clone(), points.len() - 1).unwrap();
            let pooled = crate::nets::global_avg_pool(last);
            let logits = net.forward(x.clone());
            // The classifier on the pooled last point is the network's own output.
            let classifier_out = crate::nets::classify(net.classifier(), pooled);
            classifier_out.into_data().assert_approx_eq::<f32>(&logits.into_data(), burn::tensor::Tolerance::absolute(1e-5));
            assert!(net.probe(x.clone(), points.len()).is_err());
        }
        let mobilenet = Architecture::named("mobilenet-v2").unwrap().init(&device);
        assert_eq!(mobilenet.probe_points()[0], "stem");
        assert_eq!(mobilenet.probe(x.clone(), 0).unwrap().dims(), [1, 32, 32, 32]);
        assert_eq!(mobilenet.probe(x, 3).unwrap().dims(), [1, 24, 16, 16]); // blocks.2
    }
}
