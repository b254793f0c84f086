//! Folding every batch norm into the convolution before it, for inference (see
//! [`ConvNorm::fold_norm`]): the same outputs, without the batch norms' passes over the activations.
//! A classifier folds its network once, after loading; training never does.

use super::conv_norm::ConvNorm;
use super::efficientnet_lite::{EfficientNetLite, MbConv};
use super::googlenet::{GoogLeNet, Inception};
use super::mobilenet_v2::{InvertedResidual, MobileNetV2};
use super::resnet::{BasicBlock, ResNet};
use super::vgg::{Vgg, VggStage};
use super::Network;

/// A module whose batch norms can be folded into its convolutions.
pub trait FoldNorms: Sized {
    /// The same module, every `ConvNorm` in it folded.
    fn fold_norms(self) -> Self;
}

impl FoldNorms for ConvNorm {
    fn fold_norms(self) -> Self {
        self.fold_norm()
    }
}

impl<T: FoldNorms> FoldNorms for Option<T> {
    fn fold_norms(self) -> Self {
        self.map(T::fold_norms)
    }
}

impl<T: FoldNorms> FoldNorms for Vec<T> {
    fn fold_norms(self) -> Self {
        self.into_iter().map(T::fold_norms).collect()
    }
}

impl FoldNorms for Network {
    fn fold_norms(self) -> Self {
        match self {
            Self::MobilenetV2(n) => Self::MobilenetV2(n.fold_norms()),
            Self::EfficientnetLite(n) => Self::EfficientnetLite(n.fold_norms()),
            Self::Vgg(n) => Self::Vgg(n.fold_norms()),
            Self::Googlenet(n) => Self::Googlenet(n.fold_norms()),
            Self::Resnet(n) => Self::Resnet(n.fold_norms()),
        }
    }
}

impl FoldNorms for MobileNetV2 {
    fn fold_norms(self) -> Self {
        Self { stem: self.stem.fold_norms(), blocks: self.blocks.fold_norms(), head: self.head.fold_norms(), ..self }
    }
}

impl FoldNorms for InvertedResidual {
    fn fold_norms(self) -> Self {
        Self { expand: self.expand.fold_norms(), depthwise: self.depthwise.fold_norms(), project: self.project.fold_norms(), ..self }
    }
}

impl FoldNorms for EfficientNetLite {
    fn fold_norms(self) -> Self {
        Self { stem: self.stem.fold_norms(), blocks: self.blocks.fold_norms(), head: self.head.fold_norms(), ..self }
    }
}

impl FoldNorms for MbConv {
    fn fold_norms(self) -> Self {
        Self { expand: self.expand.fold_norms(), depthwise: self.depthwise.fold_norms(), project: self.project.fold_norms(), ..self }
    }
}

impl FoldNorms for ResNet {
    fn fold_norms(self) -> Self {
        Self { stem: self.stem.fold_norms(), blocks: self.blocks.fold_norms(), ..self }
    }
}

impl FoldNorms for BasicBlock {
    fn fold_norms(self) -> Self {
        Self { conv1: self.conv1.fold_norms(), conv2: self.conv2.fold_norms(), downsample: self.downsample.fold_norms() }
    }
}

impl FoldNorms for Vgg {
    fn fold_norms(self) -> Self {
        Self { stages: self.stages.fold_norms(), ..self }
    }
}

impl FoldNorms for VggStage {
    fn fold_norms(self) -> Self {
        Self { convs: self.convs.fold_norms(), ..self }
    }
}

impl FoldNorms for GoogLeNet {
    fn fold_norms(self) -> Self {
        Self {
            conv1: self.conv1.fold_norms(),
            conv2: self.conv2.fold_norms(),
            conv3: self.conv3.fold_norms(),
            inception: self.inception.fold_norms(),
            ..self
        }
    }
}

impl FoldNorms for Inception {
    fn fold_norms(self) -> Self {
        Self {
            branch1: self.branch1.fold_norms(),
            branch3_reduce: self.branch3_reduce.fold_norms(),
            branch3: self.branch3.fold_norms(),
            branch5_reduce: self.branch5_reduce.fold_norms(),
            branch5: self.branch5.fold_norms(),
            pool_proj: self.pool_proj.fold_norms(),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::module::{Param, RunningState};
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use super::*;
    use crate::model::Architecture;
    use crate::model::conv_norm::{Activation, ConvNormConfig};

    /// Gives every batch norm of `layer` non-trivial statistics and affine terms, as a trained
    /// network has (fresh ones are the identity, which any fold would keep).
    fn trained_like(mut layer: ConvNorm, device: &Device) -> ConvNorm {
        let bn = layer.bn.as_mut().unwrap();
        let [c] = bn.gamma.dims();
        let random = |low, high| Tensor::<1>::random([c], Distribution::Uniform(low, high), device);
        bn.gamma = Param::from_tensor(random(0.5, 2.0));
        bn.beta = Param::from_tensor(random(-1.0, 1.0));
        bn.running_mean = RunningState::new(random(-0.5, 0.5));
        bn.running_var = RunningState::new(random(0.1, 3.0));
        layer
    }

    fn max_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        a.sub(b).abs().max().into_scalar()
    }

    #[test]
    fn folded_conv_norm_computes_the_same() {
        let device = Device::flex();
        for (groups, kernel, stride, bias) in [(1, 3, 2, false), (8, 3, 1, false), (1, 1, 1, true), (8, 5, 2, false)] {
            let mut layer = trained_like(
                ConvNormConfig::new([8, 8], kernel).with_stride(stride).with_groups(groups).with_activation(Activation::None).init(&device),
                &device,
            );
            if bias {
                layer.conv.bias = Some(Param::from_tensor(Tensor::random([8], Distribution::Uniform(-1.0, 1.0), &device)));
            }
            let x = Tensor::<4>::random([2, 8, 9, 9], Distribution::Normal(0.0, 1.0), &device);
            let expected = layer.forward(x.clone());
            let folded = layer.fold_norm();
            assert!(folded.bn.is_none());
            let diff = max_diff(expected, folded.forward(x));
            assert!(diff < 1e-4, "groups {groups}, kernel {kernel}, bias {bias}: differs by {diff}");
        }
    }

    /// What a folded network would store holds no batch-norm statistics: every one was folded.
    #[test]
    fn every_architecture_folds_every_norm() {
        let device = Device::flex();
        for name in Architecture::NAMES {
            let stored_names = |network: &Network| {
                let stored = crate::bundle::weights::encode(network, crate::bundle::WeightsDtype::F32).unwrap();
                String::from_utf8_lossy(&stored).into_owned()
            };
            let network = Architecture::named(name).unwrap().init(&device);
            assert!(stored_names(&network).contains("bn.running_var"), "{name}: no batch norm to fold");
            assert!(!stored_names(&network.fold_norms()).contains("running_var"), "{name}: a batch norm was left unfolded");
        }
    }
}
