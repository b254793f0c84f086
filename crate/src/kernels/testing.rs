//! What the kernels' tests share: burn's own operations as the reference, and inputs that reach
//! the edge cases (clipping activations, NaN and infinity).

use burn::nn::conv::Conv2d;
use burn::prelude::*;

use super::Activation;

/// burn's own activation: the reference the kernels' tests compare with.
pub fn reference_activation(x: Tensor<4>, activation: Activation) -> Tensor<4> {
    use burn::tensor::activation::{relu, relu6};
    match activation {
        Activation::None => x,
        Activation::Relu => relu(x),
        Activation::Relu6 => relu6(x),
    }
}

/// `conv` with its weights times 4, for the kernels' tests: large enough for ReLU6 to clip some
/// outputs at 6 and others at 0.
pub fn clipping(mut conv: Conv2d) -> Conv2d {
    conv.weight = burn::module::Param::from_tensor(conv.weight.val().mul_scalar(4.0));
    conv
}

/// A `[1, 4, 5, 5]` input of 0.5 with one NaN and one infinity, for the kernels' tests: both must
/// reach the outputs that read them as they do in burn.
pub fn non_finite_input(device: &Device) -> Tensor<4> {
    let mut values = vec![0.5f32; 4 * 5 * 5];
    values[7] = f32::NAN;
    values[40] = f32::INFINITY;
    Tensor::<4>::from_data(TensorData::new(values, [1, 4, 5, 5]), device)
}

/// `got` equals burn's `expected` (to 1e-4, NaN where it has NaN), and a NaN reached it.
pub fn assert_non_finite_as_burn(got: Tensor<4>, expected: Tensor<4>) {
    let got = got.into_data().try_to_vec::<f32>().unwrap();
    let expected = expected.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert!(g == e || (g.is_nan() && e.is_nan()) || (g - e).abs() < 1e-4, "value {i}: {g} vs burn's {e}");
    }
    assert!(got.iter().any(|v| v.is_nan()), "a NaN input reaches the outputs that read it");
}
