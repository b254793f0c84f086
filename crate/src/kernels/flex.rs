//! The bridge between burn `flex` tensors and the plain `f32` slices the kernels work on: a
//! tensor's values borrowed where it is a plain f32 one outside any autodiff graph, and the
//! kernels' outputs wrapped back as tensors. Inference only: autodiff tensors, the GPU and other
//! dtypes never reach the kernels.

use std::borrow::Cow;

use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::{BackendTensor, DispatchAutodiffContext, DispatchTensor, DispatchTensorKind};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::{Bytes, DType};

use super::Activation;
use super::activation::activate_slice;

/// The convolution's own `[top, left, bottom, right]` padding, or `None` for burn's `Same` (whose
/// sides depend on the input: burn's path handles it).
pub fn explicit_padding(conv: &Conv2d) -> Option<[usize; 4]> {
    match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) => Some([top, left, bottom, right]),
        PaddingConfig2d::Valid => Some([0; 4]),
        PaddingConfig2d::Same => None,
    }
}

/// Runs `kernel(input, weight, bias)` on a convolution's operands as row-major `f32` slices —
/// `x` `[batch, in, h, w]`, weight `[out, in / groups, kh, kw]`, bias `[out]` (zeros when the
/// layer has none) — when all are plain `flex` f32 tensors outside any autodiff graph, and wraps
/// the values it returns as a `flex` tensor of `shape`. Otherwise `Err(x)`, untouched.
pub fn run_on_flex(
    conv: &Conv2d,
    x: Tensor<4>,
    shape: [usize; 4],
    kernel: impl FnOnce(&[f32], &[f32], &[f32]) -> Vec<f32>,
) -> Result<Tensor<4>, Tensor<4>> {
    let x = Flex::of(x)?;
    let Some(operands) = ConvOperands::of(conv) else { return Err(x.into_tensor()) };
    Ok(flex_tensor(kernel(&x.values(), &operands.weight.values(), &operands.bias()), shape))
}

/// A convolution's weight `[out, in / groups, kh, kw]` and bias `[out]`, held to read their
/// values (borrowed, not copied: this runs for every layer of every frame).
pub struct ConvOperands {
    pub weight: Flex,
    bias: Option<Flex>,
    out: usize,
}

impl ConvOperands {
    /// When the weight and the bias (if any) are plain `flex` f32 tensors outside any autodiff
    /// graph.
    pub fn of(conv: &Conv2d) -> Option<Self> {
        let bias = match conv.bias.as_ref().map(|bias| Flex::of(bias.val())) {
            Some(Ok(bias)) => Some(bias),
            Some(Err(_)) => return None,
            None => None,
        };
        Some(Self { weight: Flex::of(conv.weight.val()).ok()?, bias, out: conv.weight.dims()[0] })
    }

    /// `[out]`: zeros when the convolution has none.
    pub fn bias(&self) -> Cow<'_, [f32]> {
        match &self.bias {
            Some(bias) => bias.values(),
            None => Cow::Owned(vec![0.0; self.out]),
        }
    }
}

/// A plain `flex` f32 tensor outside any autodiff graph, held to read its values.
pub struct Flex(DispatchTensor);

impl Flex {
    /// `t`, when it is one; otherwise `Err(t)`, untouched.
    pub fn of<const D: usize>(t: Tensor<D>) -> Result<Self, Tensor<D>> {
        let t = t.into_dispatch();
        match plain_flex_f32(&t) {
            Some(_) => Ok(Self(t)),
            None => Err(Tensor::from_dispatch(t)),
        }
    }

    /// The values in row-major order (a copy only when the layout is not).
    pub fn values(&self) -> Cow<'_, [f32]> {
        contiguous(plain_flex_f32(&self.0).expect("checked by `Flex::of`"))
    }

    /// The tensor again.
    pub fn into_tensor<const D: usize>(self) -> Tensor<D> {
        Tensor::from_dispatch(self.0)
    }
}

/// `values` (row-major) as a plain `flex` f32 tensor of `shape`.
pub fn flex_tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
    let values = FlexTensor::new(Bytes::from_elems(values), Layout::contiguous(shape.into()), DType::F32);
    Tensor::from_dispatch(DispatchTensor {
        kind: DispatchTensorKind::Flex(BackendTensor::Float(values)),
        autodiff: DispatchAutodiffContext::Disabled,
    })
}

/// `activation(x)` in one pass over `x`'s own memory, when `x` is a plain `flex` f32 tensor that
/// nothing else holds (as a convolution's fresh output is); otherwise `Err(x)`, untouched. burn
/// would make two passes for ReLU6, each into a new buffer (the networks then fall back to `relu` and `clamp_max`).
pub fn activate_in_place<const D: usize>(x: Tensor<D>, activation: Activation) -> Result<Tensor<D>, Tensor<D>> {
    if activation == Activation::None {
        return Ok(x);
    }
    let mut x = x.into_dispatch();
    let unique = match (&mut x.kind, x.autodiff) {
        (DispatchTensorKind::Flex(BackendTensor::Float(flex)), DispatchAutodiffContext::Disabled)
            if flex.dtype() == DType::F32 && flex.layout().contiguous_offsets() == Some((0, flex.layout().num_elements())) =>
        {
            flex.try_storage_mut::<f32>()
        }
        _ => None,
    };
    match unique {
        Some(values) => {
            activate_slice(values, activation);
            Ok(Tensor::from_dispatch(x))
        }
        None => Err(Tensor::from_dispatch(x)),
    }
}

/// The `flex` tensor inside `t` when it is a plain f32 one, outside any autodiff graph.
fn plain_flex_f32(t: &DispatchTensor) -> Option<&FlexTensor> {
    match (&t.kind, t.autodiff) {
        (DispatchTensorKind::Flex(BackendTensor::Float(flex)), DispatchAutodiffContext::Disabled) if flex.dtype() == DType::F32 => {
            Some(flex)
        }
        _ => None,
    }
}

/// The tensor's values in row-major order (a copy only when its layout is not).
fn contiguous(t: &FlexTensor) -> Cow<'_, [f32]> {
    match t.layout().contiguous_offsets() {
        Some((start, end)) => Cow::Borrowed(&t.storage::<f32>()[start..end]),
        None => Cow::Owned(t.to_contiguous().storage::<f32>().to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::activate_in_place;
    use crate::kernels::Activation;
    use crate::kernels::testing::reference_activation;
    use burn::prelude::*;

    #[test]
    fn activation_in_place_equals_burns_and_spares_shared_tensors() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 5, 7, 9], Distribution::Normal(0.0, 4.0), &device);
        for activation in [Activation::None, Activation::Relu, Activation::Relu6] {
            let expected = reference_activation(x.clone(), activation);
            let fresh = x.clone().mul_scalar(1.0); // a new buffer that nothing else holds
            let got = activate_in_place(fresh, activation).expect("a fresh tensor is activated in place");
            assert_eq!(got.into_data(), expected.into_data(), "{activation:?}");
        }
        // `x` is shared with `kept`: changing its memory would change `kept` too.
        let kept = x.clone();
        let back = activate_in_place(x, Activation::Relu).expect_err("a shared tensor is left to burn");
        assert_eq!(back.into_data(), kept.into_data());
    }
}
