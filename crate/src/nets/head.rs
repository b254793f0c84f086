//! The head every network here ends in: global average pooling, then one linear layer. Pooling
//! is why any input size works (the classifier sees one value per channel whatever the picture's
//! size), and why the class activation map exists: the classifier's weights for a class, applied
//! to the last feature map before pooling, say how much each place adds to that class's score.

use burn::nn::Linear;
use burn::prelude::*;

use crate::kernels;

/// `[batch, channels, h, w]` → `[batch, channels]`: the mean of each channel over the picture
/// (camtag's kernel on the CPU, burn's `mean_dim` elsewhere and under autodiff).
pub fn global_avg_pool(x: Tensor<4>) -> Tensor<2> {
    kernels::global_avg_pool(x).unwrap_or_else(|x| x.mean_dim(3).mean_dim(2).flatten::<2>(1, 3))
}

/// `classifier(x)`: `[batch, channels]` → `[batch, classes]` (camtag's kernel on the CPU for a
/// picture or a few, burn's `Linear` elsewhere).
pub fn classify(classifier: &Linear, x: Tensor<2>) -> Tensor<2> {
    kernels::linear(classifier, x).unwrap_or_else(|x| classifier.forward(x))
}

#[cfg(test)]
mod tests {
    use burn::nn::LinearConfig;
    use burn::tensor::Distribution;

    use super::*;

    #[test]
    fn autodiff_keeps_burns_path_and_its_gradient() {
        let device = Device::flex().autodiff();
        let x = Tensor::<4>::random([2, 3, 4, 4], Distribution::Normal(0.0, 1.0), &device).require_grad();
        let y = global_avg_pool(x.clone());
        let grads = y.sum().backward();
        let grad = x.grad(&grads).expect("a gradient reaches the input");
        // d mean / d x = 1 / 16 everywhere.
        let diff: f32 = grad.sub_scalar(1.0 / 16.0).abs().max().into_scalar();
        assert!(diff < 1e-7, "gradient off by {diff}");
    }

    #[test]
    fn the_kernels_and_burns_paths_agree() {
        // A plain tensor takes the kernels; the same values under autodiff take burn's.
        let (plain, autodiff) = (Device::flex(), Device::flex().autodiff());
        let x = Tensor::<4>::random([2, 6, 5, 3], Distribution::Normal(0.0, 1.0), &plain);
        let layer = LinearConfig::new(6, 4).init(&plain);
        let on_kernels = classify(&layer, global_avg_pool(x.clone())).into_data().try_to_vec::<f32>().unwrap();
        let layer = LinearConfig::new(6, 4).init(&autodiff).load_record(layer.into_record());
        let x = Tensor::<4>::from_data(x.into_data(), &autodiff);
        let on_burn = classify(&layer, global_avg_pool(x)).into_data().try_to_vec::<f32>().unwrap();
        for (k, b) in on_kernels.iter().zip(&on_burn) {
            assert!((k - b).abs() < 1e-5, "{k} vs burn's {b}");
        }
    }
}
