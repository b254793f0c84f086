//! The layer table of a network at a given input size: each layer's kind, output shape,
//! parameters and multiply-accumulates (MACs), computed from the configuration alone (no forward
//! pass), so `camtag info` and the classroom view can show it for any input size instantly.
//!
//! Conventions (those of the published figures, e.g. torchvision's and the MobileNetV2 paper's
//! "Mult-Adds"): a convolution costs `in / groups * k * k * out * h_out * w_out` MACs, a linear
//! layer `in * out`; batch norm, activations, additions and pooling count as 0 MACs. Parameters
//! count weights, biases and batch-norm scale and shift (not its running statistics).

use serde::Serialize;

/// What a layer does, in the lesson's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// A k x k convolution mixing all channels.
    Conv,
    /// A 3x3 convolution filtering each channel on its own.
    Depthwise,
    /// A 1x1 convolution that raises the channel count.
    Expand1x1,
    /// A 1x1 convolution that lowers the channel count (GoogLeNet's "reduce", MobileNetV2's
    /// linear bottleneck).
    Reduce1x1,
    /// Adding a block's input to its output.
    ResidualAdd,
    MaxPool,
    GlobalAvgPool,
    Linear,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerSummary {
    /// Module path, e.g. `blocks.3.depthwise`.
    pub name: String,
    pub kind: LayerKind,
    /// Kernel side, for convolutions and pooling.
    pub kernel: Option<usize>,
    pub stride: usize,
    /// `[channels, height, width]` (height and width are 1 after global pooling).
    pub output: [usize; 3],
    pub params: u64,
    pub macs: u64,
    /// Batch-norm running mean and variance: state, not parameters (PyTorch leaves them out of
    /// its count; burn's `num_params` includes them).
    pub running_stats: u64,
}

/// The whole table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// `[channels, height, width]` of the input.
    pub input: [usize; 3],
    pub layers: Vec<LayerSummary>,
}

impl Summary {
    pub fn params(&self) -> u64 {
        self.layers.iter().map(|l| l.params).sum()
    }

    pub fn macs(&self) -> u64 {
        self.layers.iter().map(|l| l.macs).sum()
    }

    pub fn running_stats(&self) -> u64 {
        self.layers.iter().map(|l| l.running_stats).sum()
    }
}

/// Output side of a convolution or pooling window: `floor((n + 2p - k) / s) + 1`.
pub const fn conv_out(n: usize, kernel: usize, stride: usize, pad: usize) -> usize {
    (n + 2 * pad - kernel) / stride + 1
}

/// Builds a [`Summary`] layer by layer, tracking the current shape.
pub struct SummaryBuilder {
    shape: [usize; 3],
    summary: Summary,
}

impl SummaryBuilder {
    pub fn new(input: [usize; 3]) -> Self {
        Self { shape: input, summary: Summary { input, layers: Vec::new() } }
    }

    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// A convolution (square kernel, padding `(k - 1) / 2`) followed by batch norm when `bn`.
    #[allow(clippy::too_many_arguments)]
    pub fn conv(&mut self, name: String, kind: LayerKind, out: usize, kernel: usize, stride: usize, groups: usize, bias: bool, bn: bool) {
        let [c, h, w] = self.shape;
        let pad = (kernel - 1) / 2;
        let (ho, wo) = (conv_out(h, kernel, stride, pad), conv_out(w, kernel, stride, pad));
        let weights = (c / groups * kernel * kernel * out) as u64;
        let params = weights + if bias { out as u64 } else { 0 } + if bn { 2 * out as u64 } else { 0 };
        self.push(name, kind, Some(kernel), stride, [out, ho, wo], params, weights * (ho * wo) as u64);
        if bn {
            self.summary.layers.last_mut().expect("just pushed").running_stats = 2 * out as u64;
        }
    }

    /// Adding the block input: no parameters, no MACs.
    pub fn residual(&mut self, name: String) {
        self.push(name, LayerKind::ResidualAdd, None, 1, self.shape, 0, 0);
    }

    /// Max pooling with the given window, stride and padding.
    pub fn max_pool(&mut self, name: String, kernel: usize, stride: usize, pad: usize, ceil: bool) {
        let [c, h, w] = self.shape;
        let side = |n: usize| {
            let span = n + 2 * pad - kernel;
            if ceil { span.div_ceil(stride) + 1 } else { span / stride + 1 }
        };
        self.push(name, LayerKind::MaxPool, Some(kernel), stride, [c, side(h), side(w)], 0, 0);
    }

    pub fn global_avg_pool(&mut self, name: String) {
        let [c, _, _] = self.shape;
        self.push(name, LayerKind::GlobalAvgPool, None, 1, [c, 1, 1], 0, 0);
    }

    pub fn linear(&mut self, name: String, out: usize) {
        let [c, _, _] = self.shape;
        let weights = (c * out) as u64;
        self.push(name, LayerKind::Linear, None, 1, [out, 1, 1], weights + out as u64, weights);
    }

    /// Sets the current shape (after a concatenation of branches, say).
    pub fn set_shape(&mut self, shape: [usize; 3]) {
        self.shape = shape;
    }

    #[allow(clippy::too_many_arguments)]
    fn push(&mut self, name: String, kind: LayerKind, kernel: Option<usize>, stride: usize, output: [usize; 3], params: u64, macs: u64) {
        self.shape = output;
        self.summary.layers.push(LayerSummary { name, kind, kernel, stride, output, params, macs, running_stats: 0 });
    }

    pub fn finish(self) -> Summary {
        self.summary
    }
}
