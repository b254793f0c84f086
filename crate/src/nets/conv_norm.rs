//! Convolution → batch norm → activation: the building brick of every network here (torchvision's
//! `Conv2dNormActivation`). With `groups == channels` it is a depthwise convolution; with a 1x1
//! kernel it mixes channels only (expand, reduce or project).

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::module::Param;
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{relu, relu6};
use burn::tensor::Device;

use crate::kernels;
pub use crate::kernels::Activation;

/// `activation(x)`: in place in one pass where it can (a fresh `flex` tensor: see
/// [`kernels::activate`]), else burn's operations.
fn activate<const D: usize>(x: Tensor<D>, activation: Activation) -> Tensor<D> {
    kernels::activate(x, activation).unwrap_or_else(|x| match activation {
        Activation::None => x,
        Activation::Relu => relu(x),
        Activation::Relu6 => relu6_for(x),
    })
}

/// An [`Activation`] as a module field's plain value (a module field must be a module or a
/// primitive).
const fn code(activation: Activation) -> u8 {
    activation as u8
}

const fn from_code(code: u8) -> Activation {
    match code {
        1 => Activation::Relu,
        2 => Activation::Relu6,
        _ => Activation::None,
    }
}

/// `min(max(x, 0), 6)` where it cannot be done in place (a shared `flex` tensor, autodiff, the
/// GPU), written the way the tensor's backend runs fastest. burn-flex 0.22.1's
/// `clamp` is a scalar loop that checks its bounds for NaN at every element; its `relu` and
/// `clamp_max` vectorize (BENCHMARKS.md: "ReLU6 on the CPU as `relu` then `clamp_max`"). On the
/// GPU backends `clamp` is one kernel, where two would cost a second dispatch. Both give the same
/// values (NaN stays NaN).
fn relu6_for<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if x.device() == Device::flex() {
        relu(x).clamp_max(6.0)
    } else {
        relu6(x)
    }
}

/// Configuration of a [`ConvNorm`].
#[derive(Config, Debug)]
pub struct ConvNormConfig {
    /// `[in, out]` channels.
    pub channels: [usize; 2],
    /// Square kernel side (1, 3 or 5 here); padding is `(kernel - 1) / 2`, as torchvision's,
    /// unless [`pad`](Self::pad) is off.
    pub kernel: usize,
    #[config(default = 1)]
    pub stride: usize,
    /// `1` for a full convolution, `channels[0]` for a depthwise one.
    #[config(default = 1)]
    pub groups: usize,
    /// What follows the batch norm.
    #[config(default = "Activation::Relu6")]
    pub activation: Activation,
    /// Batch-norm epsilon: 1e-5 is PyTorch's default, which torchvision's MobileNetV2 keeps.
    #[config(default = 1e-5)]
    pub bn_epsilon: f64,
    /// `true`: the convolution pads `(kernel - 1) / 2` on every side. `false`: it pads nothing
    /// and the caller pads the input (EfficientNet-Lite's TensorFlow "SAME" padding, which is
    /// asymmetric for stride 2 on even sizes).
    #[config(default = true)]
    pub pad: bool,
    /// `false`: no batch norm (VGG as published, before batch norm existed).
    #[config(default = true)]
    pub batch_norm: bool,
    /// The convolution's own bias: always without batch norm; with it only where the published
    /// network has one (torchvision's `vgg*_bn` keeps it, redundant as it is).
    #[config(default = false)]
    pub conv_bias: bool,
}

impl ConvNormConfig {
    pub fn init(&self, device: &Device) -> ConvNorm {
        let pad = if self.pad { (self.kernel - 1) / 2 } else { 0 };
        ConvNorm {
            conv: Conv2dConfig::new(self.channels, [self.kernel, self.kernel])
                .with_stride([self.stride, self.stride])
                .with_groups(self.groups)
                .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
                .with_bias(self.conv_bias || !self.batch_norm)
                .init(device),
            bn: self.batch_norm.then(|| BatchNormConfig::new(self.channels[1]).with_epsilon(self.bn_epsilon).init(device)),
            activation: code(self.activation),
        }
    }
}

/// Conv (no bias) → BatchNorm → activation; or, once [folded](ConvNorm::fold_norm) for
/// inference, conv (with bias) → activation.
#[derive(Module, Debug)]
pub struct ConvNorm {
    pub conv: Conv2d,
    /// `None` once folded into `conv`. (An `Option` adds nothing to the stored names: `bn.gamma`.)
    pub bn: Option<BatchNorm>,
    /// [`Activation`] as a plain value (a module field must be a module or a primitive).
    pub activation: u8,
}

impl ConvNorm {
    /// What follows the batch norm.
    pub fn activation(&self) -> Activation {
        from_code(self.activation)
    }

    /// The layer as the kernels take it (see [`kernels::Layer`]) once its batch norm is folded
    /// into the convolution; `None` before (training, or a network kept as trained).
    pub fn folded(&self) -> Option<kernels::Layer<'_>> {
        self.bn.is_none().then(|| kernels::Layer { conv: &self.conv, activation: self.activation() })
    }

    /// `[batch, in, h, w]` → `[batch, out, h / stride, w / stride]` (rounded up).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_padded(x, [0; 4])
    }

    /// [`forward`](Self::forward) of `x` with `[top, left, bottom, right]` zeros around it, beyond
    /// the convolution's own padding: TensorFlow's asymmetric "SAME" padding (EfficientNet-Lite).
    pub fn forward_padded(&self, x: Tensor<4>, [top, left, bottom, right]: [usize; 4]) -> Tensor<4> {
        let activation = self.activation();
        // Folded, on the CPU: camtag's own kernels do padding, convolution, bias and activation
        // in one pass.
        let x = match self.bn {
            None => match kernels::conv2d(&self.conv, x, activation, [top, left, bottom, right]) {
                Ok(y) => return y,
                Err(x) => x,
            },
            Some(_) => x,
        };
        let x = if top + left + bottom + right == 0 {
            x
        } else {
            x.pad([(top, bottom), (left, right)], burn::tensor::ops::PadMode::Constant(0.0))
        };
        let x = self.conv.forward(x);
        let x = match &self.bn {
            Some(bn) => bn.forward(x),
            None => x,
        };
        activate(x, activation)
    }

    /// The batch norm folded into the convolution, for inference: with `s = γ / √(var + ε)`
    /// per output channel, `W' = W · s` and `b' = (b - mean) · s + β`, so `conv'(x) = bn(conv(x))`
    /// with the running statistics. Saves the batch norm's four passes over every activation
    /// (burn computes `(x - mean) / √(var + ε) · γ + β` as four element-wise operations;
    /// BENCHMARKS.md: "batch norms folded into the convolutions"). Training needs the batch norm:
    /// never fold a network that will be trained or saved.
    pub fn fold_norm(self) -> Self {
        let Some(bn) = self.bn else { return self };
        let mut conv = self.conv;
        let [out, ..] = conv.weight.dims(); // [out, in / groups, k, k]
        let scale = bn.gamma.val().div(bn.running_var.value().add_scalar(bn.epsilon).sqrt()); // [out]
        let bias = match conv.bias.take() {
            Some(b) => b.val(),
            None => Tensor::zeros([out], &scale.device()),
        };
        let bias = bias.sub(bn.running_mean.value()).mul(scale.clone()).add(bn.beta.val()); // [out]
        conv.weight = Param::from_tensor(conv.weight.val().mul(scale.reshape([out, 1, 1, 1])));
        conv.bias = Some(Param::from_tensor(bias));
        Self { conv, bn: None, activation: self.activation }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu6_on_the_cpu_equals_the_clamp() {
        let device = Device::flex();
        let values = [-f32::INFINITY, -7.0, -1e-30, 0.0, 1e-30, 0.5, 5.999, 6.0, 6.001, 1e9, f32::INFINITY, f32::NAN];
        let x: Tensor<1> = Tensor::from_floats(values, &device);
        let fast = relu6_for(x.clone()).into_data().try_to_vec::<f32>().unwrap();
        let clamp = relu6(x).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(fast.len(), clamp.len());
        for ((f, c), v) in fast.iter().zip(&clamp).zip(values) {
            assert!(f == c || (f.is_nan() && c.is_nan()), "relu6({v}): {f} vs clamp's {c}");
        }
        assert!(fast[11].is_nan(), "NaN propagates, as PyTorch's relu6");
        assert_eq!(&fast[..11], &[0.0, 0.0, 0.0, 0.0, 1e-30, 0.5, 5.999, 6.0, 6.0, 6.0, 6.0]);
    }
}
