//! Class activation maps (Zhou, Khosla, Lapedriza, Oliva & Torralba, "Learning Deep Features for
//! Discriminative Localization", CVPR 2016): where in the picture a class's score comes from.
//!
//! A network that ends in global average pooling and one linear layer scores class `c` as
//! `logit_c = b_c + Σ_k w_kc · mean_xy F_k(x, y)`. Moving the mean outside gives
//! `logit_c = b_c + mean_xy M_c(x, y)` with `M_c(x, y) = Σ_k w_kc F_k(x, y)`: the map `M_c`
//! (7 x 7 at 224 px) says exactly how much each place adds to the score. It costs one small
//! product on the last feature maps the frame already computed, no second forward pass.

use burn::nn::Linear;
use burn::prelude::*;
use serde::Serialize;

/// The class activation map of one class for one picture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActivationMap {
    /// The class's index in the model's output.
    pub index: usize,
    pub en: String,
    pub zh: String,
    /// `[height, width]` of the last feature map (the crop's side / 32 for every network here).
    pub shape: [usize; 2],
    /// `[height, width]`, row-major: each place's contribution to the class's score.
    pub values: Vec<f32>,
    /// The class's score, `bias + mean(values)`.
    pub logit: f32,
    pub bias: f32,
}

/// `M_c = Σ_k w_kc F_k` for the last feature maps `features` (`[1, channels, h, w]`) and the
/// classifier (weight `[channels, classes]`): `[1, h·w]`.
pub fn map(features: Tensor<4>, classifier: &Linear, class: usize) -> Tensor<2> {
    let [_, channels, h, w] = features.dims();
    let column = classifier.weight.val().narrow(1, class, 1); // [channels, 1]
    column.transpose().matmul(features.reshape([channels, h * w])) // [1, h·w]
}

/// The bias of `class` (zero without one).
pub fn bias(classifier: &Linear, class: usize) -> Tensor<1> {
    match &classifier.bias {
        Some(b) => b.val().narrow(0, class, 1),
        None => Tensor::zeros([1], &classifier.weight.device()),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use burn::prelude::*;

    use crate::Classifier;

    /// For every architecture, random weights and a random picture: bias + mean(map) = logit, for
    /// the top class and another.
    #[test]
    fn the_map_adds_up_to_the_logit_on_every_architecture() {
        let device = Device::flex();
        for name in ["mobilenet-v2", "efficientnet-lite0", "resnet18", "googlenet", "vgg11-gap"] {
            let classifier = Classifier::untrained(name, &device).unwrap();
            let input = Tensor::<4>::random([1, 3, 96, 96], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
            for class in [None, Some(7)] {
                let (top, map) = pollster::block_on(classifier.classify_with_map(input.clone(), 3, class)).unwrap();
                assert_eq!(map.index, class.unwrap_or(top[0].index), "{name}");
                assert_eq!(map.shape, [3, 3], "{name}: 96 px / 32");
                let mean = map.values.iter().map(|&v| v as f64).sum::<f64>() / map.values.len() as f64;
                let logit = map.logit as f64;
                assert!((map.bias as f64 + mean - logit).abs() < 1e-3 * logit.abs().max(1.0), "{name}: {} + {mean} vs {logit}", map.bias);
            }
        }
    }

    /// VGG as published flattens its map into fully connected layers: no exact map, said so.
    #[test]
    fn a_fully_connected_head_has_no_map_and_says_why() {
        let device = Device::flex();
        let classifier = Classifier::untrained("vgg11", &device).unwrap();
        let input = Tensor::<4>::zeros([1, 3, 224, 224], &device);
        let err = pollster::block_on(classifier.classify_with_map(input, 3, None)).unwrap_err().to_string();
        assert!(err.contains("fully connected") && err.contains("global average pooling"), "{err}");
    }
}
