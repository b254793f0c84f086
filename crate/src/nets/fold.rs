//! Folding every batch norm into the convolution before it, for inference (see
//! [`ConvNorm::fold_norm`]): the same outputs, without the batch norms' passes over the activations.
//! A classifier folds its network once, after loading; training never does.

use super::conv_norm::ConvNorm;

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

/// `Type { fields }`: the type's listed fields hold `ConvNorm`s (or blocks of them) and are
/// folded; its other fields (pools, classifiers, flags) are kept as they are. Each network's file
/// lists its own types.
macro_rules! fold_fields {
    ($($ty:ty { $($field:ident),+ $(,)? })+) => {$(
        impl $crate::nets::fold::FoldNorms for $ty {
            #[allow(clippy::needless_update)] // BasicBlock lists every field
            fn fold_norms(self) -> Self {
                Self { $($field: $crate::nets::fold::FoldNorms::fold_norms(self.$field),)+ ..self }
            }
        }
    )+};
}

pub(crate) use fold_fields;

#[cfg(test)]
mod tests {
    use burn::module::{Param, RunningState};
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use super::*;
    use crate::nets::{Architecture, Network};
    use crate::nets::conv_norm::{Activation, ConvNormConfig};

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
            // burn's own store (what a bundle's weights are written with), not the bundle room:
            // the networks import no room above them.
            let stored_names = |network: &Network| {
                let mut store = burn::store::BurnpackStore::from_bytes(None);
                burn::store::ModuleSnapshot::save_into(network, &mut store).unwrap();
                String::from_utf8_lossy(&store.get_bytes().unwrap()).into_owned()
            };
            let architecture = Architecture::named(name).unwrap();
            if architecture.summary(224).running_stats() == 0 {
                continue; // VGG as published, before batch norm
            }
            let network = architecture.init(&device);
            assert!(stored_names(&network).contains("bn.running_var"), "{name}: no batch norm to fold");
            assert!(!stored_names(&network.fold_norms()).contains("running_var"), "{name}: a batch norm was left unfolded");
        }
    }
}
