//! The inverted bottleneck both MobileNetV2 (its inverted residual block) and EfficientNet-Lite
//! (its MBConv) are made of: expand (1x1) → depthwise → project (1x1, linear) → + input. On the
//! CPU, once folded, the whole block is one of camtag's kernels ([`kernels::block`]); elsewhere,
//! or where the kernel does not take it, its layers run one by one.

use burn::prelude::*;

use super::conv_norm::ConvNorm;
use super::probe::Step;
use crate::kernels;

/// A block's layers. Shapes: `[batch, in, h, w]` → (expand) `[batch, hidden, h, w]` →
/// (depthwise) `[batch, hidden, oh, ow]` → (project) `[batch, out, oh, ow]`.
#[derive(Clone, Copy)]
pub struct Bottleneck<'a> {
    /// 1x1, `[in] → [hidden]`; absent when the block does not expand (`t = 1`).
    pub expand: Option<&'a ConvNorm>,
    /// `hidden` groups of one channel, 3x3 or 5x5, stride 1 or 2.
    pub depthwise: &'a ConvNorm,
    /// `[top, left, bottom, right]` zeros around the depthwise convolution's input beyond its own
    /// padding (EfficientNet-Lite's TensorFlow "SAME" padding).
    pub extra: [usize; 4],
    /// 1x1, `[hidden] → [out]`.
    pub project: &'a ConvNorm,
    /// Whether the block's input is added to its output.
    pub residual: bool,
}

impl<'a> Bottleneck<'a> {
    /// `[batch, in, h, w]` → `[batch, out, oh, ow]`: in one pass where the kernels take the block,
    /// otherwise its layers one by one.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        match self.on_kernels() {
            Some(block) => kernels::block(&block, input).unwrap_or_else(|input| self.layer_by_layer(input)),
            None => self.layer_by_layer(input),
        }
    }

    /// The block as the kernels take it, once every layer is folded.
    fn on_kernels(&self) -> Option<kernels::Block<'a>> {
        let expand = match self.expand {
            Some(expand) => Some(expand.folded()?),
            None => None,
        };
        Some(kernels::Block {
            expand,
            depthwise: self.depthwise.folded()?,
            extra: self.extra,
            project: self.project.folded()?,
            residual: self.residual,
        })
    }

    /// Expand, depthwise (with the extra padding), project, then the residual, each layer on its
    /// own (its own kernel on the CPU, burn's elsewhere).
    fn layer_by_layer(&self, input: Tensor<4>) -> Tensor<4> {
        let x = match self.expand {
            Some(expand) => expand.forward(input.clone()), // [batch, hidden, h, w]
            None => input.clone(),
        };
        let x = self.depthwise.forward_padded(x, self.extra); // [batch, hidden, oh, ow]
        let x = self.project.forward(x); // [batch, out, oh, ow]
        if self.residual { x + input } else { x }
    }
}

/// The trunk of a network of bottlenecks (MobileNetV2, EfficientNet-Lite) as named steps: `stem`,
/// each of `blocks` (`blocks.0` …, run by `block`), `head`.
pub(crate) fn trunk_steps<'a, B>(
    stem: impl Fn(Tensor<4>) -> Tensor<4> + 'a,
    blocks: &'a [B],
    block: fn(&B, Tensor<4>) -> Tensor<4>,
    head: &'a ConvNorm,
) -> Vec<Step<'a>> {
    let mut steps: Vec<Step<'a>> = vec![("stem".into(), Box::new(stem))];
    for (i, b) in blocks.iter().enumerate() {
        steps.push((format!("blocks.{i}"), Box::new(move |x| block(b, x))));
    }
    steps.push(("head".into(), Box::new(|x| head.forward(x))));
    steps
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::Bottleneck;
    use crate::kernels::fused::{Tuning, fused};
    use crate::kernels::testing::{assert_non_finite_as_burn, clipping, non_finite_input};
    use crate::kernels::{Block, Isa};
    use crate::nets::conv_norm::{Activation, ConvNorm, ConvNormConfig};
    use burn::prelude::*;

    /// A block's layers as trained (batch norms unfolded): burn's own convolutions run them.
    #[derive(Clone)]
    struct Layers {
        expand: Option<ConvNorm>,
        depthwise: ConvNorm,
        project: ConvNorm,
        extra: [usize; 4],
        residual: bool,
    }

    /// `(in, hidden, out)` channels, the depthwise kernel and stride, whether it pads itself
    /// (`false`: Lite's stride 2, padded by `extra`).
    fn layers([input, hidden, out]: [usize; 3], [kernel, stride]: [usize; 2], pad: bool, extra: [usize; 4], device: &Device) -> Layers {
        let clip = |mut layer: ConvNorm| {
            layer.conv = clipping(layer.conv);
            layer
        };
        let depthwise = ConvNormConfig::new([hidden, hidden], kernel).with_stride(stride).with_groups(hidden).with_pad(pad);
        Layers {
            expand: (input != hidden).then(|| clip(ConvNormConfig::new([input, hidden], 1).init(device))),
            depthwise: clip(depthwise.init(device)),
            project: ConvNormConfig::new([hidden, out], 1).with_activation(Activation::None).init(device),
            extra,
            residual: stride == 1 && input == out,
        }
    }

    impl Layers {
        fn fold(self) -> Self {
            Self {
                expand: self.expand.map(ConvNorm::fold_norm),
                depthwise: self.depthwise.fold_norm(),
                project: self.project.fold_norm(),
                ..self
            }
        }

        fn block(&self) -> Bottleneck<'_> {
            Bottleneck {
                expand: self.expand.as_ref(),
                depthwise: &self.depthwise,
                extra: self.extra,
                project: &self.project,
                residual: self.residual,
            }
        }

        /// The block as the kernels take it (folded layers only).
        fn kernels(&self) -> Block<'_> {
            self.block().on_kernels().expect("folded layers")
        }
    }

    fn max_difference(got: Tensor<4>, expected: Tensor<4>) -> (f32, f32) {
        assert_eq!(got.dims(), expected.dims());
        let scale: f32 = expected.clone().abs().max().into_scalar();
        (got.sub(expected).abs().max().into_scalar(), scale)
    }

    #[test]
    fn equals_the_layers_one_by_one_on_every_cut() {
        let device = Device::flex();
        let cases = [
            // (in, hidden, out), [kernel, stride], pads itself, extra padding, input [h, w]
            ([8, 48, 8], [3, 1], true, [0; 4], [20, 18]),     // MobileNetV2, residual
            ([8, 48, 12], [3, 2], true, [0; 4], [21, 20]),    // stride 2, odd height
            ([16, 16, 8], [3, 1], true, [0; 4], [12, 13]),    // no expansion (t = 1)
            ([8, 40, 8], [5, 1], true, [0; 4], [14, 14]),     // EfficientNet-Lite's 5x5, residual
            ([8, 40, 16], [5, 2], false, [1, 1, 2, 2], [16, 15]), // Lite's 5x5 stride 2, SAME
            ([8, 48, 12], [3, 2], false, [0, 0, 1, 1], [16, 16]), // Lite's 3x3 stride 2, SAME
            ([4, 24, 4], [3, 1], true, [0; 4], [1, 5]),       // one row
        ];
        for (channels, kernel, pad, extra, [h, w]) in cases {
            let trained = layers(channels, kernel, pad, extra, &device);
            let folded = trained.clone().fold();
            let x = Tensor::<4>::random([2, channels[0], h, w], Distribution::Normal(0.0, 1.0), &device);
            let expected = trained.block().layer_by_layer(x.clone());
            let [k, s] = kernel;
            // Strips of expanded rows: the kernel's reach only (one output row per strip), 2 and
            // 5 rows more (2–6 output rows, the band's last strip often shorter), the whole band.
            let row_bytes = channels[1] * w * size_of::<f32>();
            let cuts = [(0, 3), (row_bytes * (k + 2), 1), (row_bytes * (k + 2), 2), (row_bytes * (k + 5), 2), (usize::MAX / 2, 1)];
            // And small blocks: the hidden channels shared among 2 or 3 threads.
            let strips = cuts.map(|(strip_bytes, bands)| (0, strip_bytes, bands));
            let shares = [2, 3].map(|bands| (usize::MAX, 0, bands));
            for (min_hidden_bytes, strip_bytes, bands) in strips.into_iter().chain(shares) {
                for isa in Isa::available() {
                    let tuning = Tuning { min_hidden_bytes, strip_bytes, bands, isa };
                    let got = fused(&folded.kernels(), x.clone(), tuning).expect("takes the fused path");
                    let (difference, scale) = max_difference(got, expected.clone());
                    let case = format!("{channels:?} k{k} s{s} extra {extra:?} {h}x{w} {tuning:?}");
                    assert!(difference <= 1e-4 * scale.max(1.0), "{case}: differs by {difference} (values up to {scale})");
                }
            }
        }
    }

    #[test]
    fn non_finite_values_propagate_as_layer_by_layer() {
        let device = Device::flex();
        let folded = layers([4, 24, 4], [3, 1], true, [0; 4], &device).fold();
        let x = non_finite_input(&device);
        for min_hidden_bytes in [0, usize::MAX] {
            let tuning = Tuning { min_hidden_bytes, strip_bytes: 0, bands: 2, isa: Isa::detect() };
            let got = fused(&folded.kernels(), x.clone(), tuning).expect("takes the fused path");
            assert_non_finite_as_burn(got, folded.block().layer_by_layer(x.clone()));
        }
    }

    #[test]
    fn leaves_other_blocks_to_the_layers() {
        let device = Device::flex();
        let trained = layers([8, 48, 8], [3, 1], true, [0; 4], &device);
        let folded = trained.clone().fold();
        let x = || Tensor::<4>::random([1, 8, 10, 10], Distribution::Normal(0.0, 1.0), &device);
        let any_size = Tuning { min_hidden_bytes: 0, strip_bytes: 0, bands: 1, isa: Isa::detect() };
        assert!(fused(&folded.kernels(), x(), any_size).is_ok(), "the block the cases below change");
        assert!(trained.block().on_kernels().is_none(), "batch norms not folded: training's layers");
        // 48 × 10 × 10 values expanded (19 KB): a small block, its hidden channels shared among
        // threads, or on one thread layer by layer.
        let one_thread = Tuning { bands: 1, ..Tuning::detect() };
        assert!(fused(&folded.kernels(), x(), Tuning { min_hidden_bytes: usize::MAX, ..one_thread }).is_err());
        let input = x();
        let (shared, one_by_one) = (folded.block().forward(input.clone()), folded.block().layer_by_layer(input));
        let (difference, scale) = max_difference(shared, one_by_one);
        assert!(difference <= 1e-4 * scale.max(1.0), "shares differ from the layers by {difference}");
        let autodiff = Tensor::<4>::random([1, 8, 10, 10], Distribution::Normal(0.0, 1.0), &Device::flex().autodiff());
        assert!(fused(&folded.kernels(), autodiff, any_size).is_err(), "no backward pass here");
        // Zeros beyond the kernel's reach: some strips would read no input row.
        let padded = Block { extra: [3, 0, 0, 0], ..folded.kernels() };
        assert!(fused(&padded, x(), any_size).is_err());
        // A residual the shapes do not allow (8 channels in, 12 out).
        let wider = layers([8, 48, 12], [3, 1], true, [0; 4], &device).fold();
        assert!(fused(&Block { residual: true, ..wider.kernels() }, x(), any_size).is_err());
        assert!(fused(&wider.kernels(), x(), any_size).is_ok());
        // Input channels that are not the expansion's.
        let other = Tensor::<4>::random([1, 6, 10, 10], Distribution::Normal(0.0, 1.0), &device);
        assert!(fused(&folded.kernels(), other, any_size).is_err());
    }
}
