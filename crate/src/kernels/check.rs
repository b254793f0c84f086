//! A differential check of the kernels against burn's own operations on random shapes, built into
//! every package: natively it runs in the tests, and in the wasm packages under Node
//! (`tests/browser/wasm-kernels.test.mjs`, through `kernelCheck`), where the SIMD128 loops and
//! the baseline package's scalar ones get shape tests of their own, which no native test reaches.
//!
//! Each case draws a kernel and a shape the kernel takes (odd and prime sizes, 1x1 up to 61 px,
//! channel counts that fill no tile exactly): 1x1 convolutions with and without bias, depthwise
//! 3x3 and 5x5 at strides 1 and 2 with symmetric or TensorFlow "SAME" padding, the dense stem
//! convolution, the classifier's linear layer, global average pooling, the activations, and the
//! fused inverted-residual block (expand → depthwise → project → + input) cut into random strips
//! and bands, its small-block path too; then compares with burn to a tolerance that grows with the
//! number of products summed.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{relu, relu6};

use super::fused::{Tuning, fused};
use super::{Activation, Block, Isa, Layer};

/// What a run covered.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub cases: usize,
    /// Cases per kernel, in [`KINDS`]'s order.
    pub per_kind: Vec<(String, usize)>,
    /// The largest difference from burn, relative to the tolerance of its case (below 1 passes).
    pub worst: f32,
}

/// The kernels a case can draw.
pub const KINDS: [&str; 7] = ["pointwise", "depthwise", "stem", "linear", "pool", "activation", "block"];

/// xorshift64*: a fixed sequence per seed, the same natively and in wasm.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `range` (inclusive).
    fn pick(&mut self, range: std::ops::RangeInclusive<usize>) -> usize {
        range.start() + (self.next() % (range.end() - range.start() + 1) as u64) as usize
    }
    fn values(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| ((self.next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale).collect()
    }
}

fn tensor<const D: usize>(rng: &mut Rng, shape: [usize; D], scale: f32, device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(rng.values(shape.iter().product(), scale), shape), device)
}

fn activation(rng: &mut Rng) -> Activation {
    [Activation::None, Activation::Relu, Activation::Relu6][rng.pick(0..=2)]
}

fn reference<const D: usize>(x: Tensor<D>, activation: Activation) -> Tensor<D> {
    match activation {
        Activation::None => x,
        Activation::Relu => relu(x),
        Activation::Relu6 => relu6(x),
    }
}

/// A convolution with random weights (scaled so that ReLU6 clips some outputs).
fn conv(rng: &mut Rng, [inputs, outputs]: [usize; 2], kernel: usize, stride: usize, groups: usize, pad: usize, bias: bool, device: &Device) -> Conv2d {
    let mut conv = Conv2dConfig::new([inputs, outputs], [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(bias)
        .init(device);
    let fan_in = (inputs / groups * kernel * kernel) as f32;
    conv.weight = burn::module::Param::from_tensor(tensor(rng, conv.weight.dims(), 4.0 / fan_in.sqrt(), device));
    if let Some(b) = &conv.bias {
        conv.bias = Some(burn::module::Param::from_tensor(tensor(rng, b.dims(), 1.0, device)));
    }
    conv
}

/// The convolution's own padding and the extra zeros around its input: symmetric (torchvision:
/// `(kernel - 1) / 2` each side) or TensorFlow's SAME (the convolution pads nothing; extra zeros
/// below and right as many as stride and size leave); `None` where the padded picture is smaller
/// than the kernel (no output to compare).
fn padding(same: bool, kernel: usize, stride: usize, [h, w]: [usize; 2]) -> Option<(usize, [usize; 4])> {
    let own = if same { 0 } else { (kernel - 1) / 2 };
    let extra = if same {
        let total = |n: usize| (n.div_ceil(stride) - 1) * stride + kernel;
        let [ph, pw] = [total(h).saturating_sub(h), total(w).saturating_sub(w)];
        [ph / 2, pw / 2, ph - ph / 2, pw - pw / 2]
    } else {
        [0; 4]
    };
    let [top, left, bottom, right] = extra;
    (h + 2 * own + top + bottom >= kernel && w + 2 * own + left + right >= kernel).then_some((own, extra))
}

/// `x` with `[top, left, bottom, right]` zeros around it.
fn pad(x: Tensor<4>, [top, left, bottom, right]: [usize; 4]) -> Tensor<4> {
    if [top, left, bottom, right] == [0; 4] { x } else { x.pad([(top, bottom), (left, right)], burn::tensor::ops::PadMode::Constant(0.0)) }
}

/// How far `got` is from `expected`, as a fraction of `tolerance` (NaN where shapes differ).
fn distance<const D: usize>(got: Tensor<D>, expected: Tensor<D>, tolerance: f32) -> f32 {
    if got.dims() != expected.dims() {
        return f32::NAN;
    }
    let diff: f32 = got.sub(expected).abs().max().into_scalar();
    diff / tolerance
}

/// Runs `cases` random cases from `seed` on `device` (burn's `flex` CPU device); an error names
/// the first case that differs from burn (or that no kernel took) with its shape.
pub fn run(seed: u64, cases: usize, device: &Device) -> Result<Report, String> {
    let mut rng = Rng(seed.max(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut per_kind = vec![0usize; KINDS.len()];
    let mut worst = 0f32;
    for case in 0..cases {
        let kind = rng.pick(0..=KINDS.len() - 1);
        let batch = rng.pick(1..=2);
        let [h, w] = [rng.pick(1..=61), rng.pick(1..=61)];
        let act = activation(&mut rng);
        let (what, got): (String, Result<f32, ()>) = match kind {
            0 => {
                let [inputs, outputs] = [rng.pick(1..=70), rng.pick(1..=70)];
                let bias = rng.pick(0..=1) == 1;
                let layer = conv(&mut rng, [inputs, outputs], 1, 1, 1, 0, bias, device);
                let x = tensor(&mut rng, [batch, inputs, h, w], 1.0, device);
                let expected = reference(layer.forward(x.clone()), act);
                let tolerance = 1e-4 * (inputs as f32).sqrt().max(1.0) * 4.0;
                let got = super::conv2d(&layer, x, act, [0; 4]).map(|y| distance(y, expected, tolerance)).map_err(|_| ());
                (format!("1x1 {inputs}→{outputs} over {batch}x{h}x{w}, bias {bias}, {act:?}"), got)
            }
            1 | 2 => {
                let (channels, outputs, groups, kernel, stride) = if kind == 1 {
                    let c = rng.pick(1..=40);
                    (c, c, c, [3, 5][rng.pick(0..=1)], rng.pick(1..=2))
                } else {
                    (3, rng.pick(1..=40), 1, 3, rng.pick(1..=2)) // the RGB stem: 27 taps
                };
                let same = rng.pick(0..=1) == 1;
                let Some((own, extra)) = padding(same, kernel, stride, [h, w]) else { continue };
                let layer = conv(&mut rng, [channels, outputs], kernel, stride, groups, own, true, device);
                let x = tensor(&mut rng, [batch, channels, h, w], 1.0, device);
                let expected = reference(layer.forward(pad(x.clone(), extra)), act);
                let tolerance = 1e-4 * ((channels / groups * kernel * kernel) as f32).sqrt() * 4.0;
                let got = super::conv2d(&layer, x, act, extra).map(|y| distance(y, expected, tolerance)).map_err(|_| ());
                let name = if kind == 1 { "depthwise" } else { "stem" };
                (format!("{name} {kernel}x{kernel}/{stride} {channels}→{outputs} over {batch}x{h}x{w}, SAME {same} {extra:?}, {act:?}"), got)
            }
            3 => {
                let [inputs, outputs] = [rng.pick(1..=1300), rng.pick(1..=1000)];
                let mut layer: Linear = LinearConfig::new(inputs, outputs).init(device);
                layer.weight = burn::module::Param::from_tensor(tensor(&mut rng, [inputs, outputs], 1.0 / (inputs as f32).sqrt(), device));
                let x = tensor(&mut rng, [batch, inputs], 1.0, device);
                let expected = layer.forward(x.clone());
                let tolerance = 1e-5 * (inputs as f32).sqrt() * 4.0;
                let got = super::linear(&layer, x).map(|y| distance(y, expected, tolerance)).map_err(|_| ());
                (format!("linear {inputs}→{outputs}, batch {batch}"), got)
            }
            4 => {
                let channels = rng.pick(1..=300);
                let x = tensor(&mut rng, [batch, channels, h, w], 1.0, device);
                let expected = x.clone().mean_dim(3).mean_dim(2).reshape([batch, channels]);
                let got = super::global_avg_pool(x).map(|y| distance(y, expected, 1e-5)).map_err(|_| ());
                (format!("global average pool {channels} channels of {h}x{w}, batch {batch}"), got)
            }
            6 => {
                let (kernel, stride) = ([3, 5][rng.pick(0..=1)], rng.pick(1..=2));
                let same = rng.pick(0..=1) == 1;
                let Some((own, extra)) = padding(same, kernel, stride, [h, w]) else { continue };
                // Two hidden channels or more: a block of one runs layer by layer (`fused::Plan::new`).
                let expands = rng.pick(0..=3) != 0; // else t = 1: the depthwise convolution first
                let inputs = rng.pick(if expands { 1 } else { 2 }..=24);
                let hidden = if expands { rng.pick(2..=96) } else { inputs };
                let residual = stride == 1 && rng.pick(0..=1) == 1;
                let outputs = if residual { inputs } else { rng.pick(1..=40) };
                let expand = expands.then(|| conv(&mut rng, [inputs, hidden], 1, 1, 1, 0, true, device));
                let depthwise = conv(&mut rng, [hidden, hidden], kernel, stride, hidden, own, true, device);
                let project = conv(&mut rng, [hidden, outputs], 1, 1, 1, 0, true, device);
                let x = tensor(&mut rng, [batch, inputs, h, w], 1.0, device);
                let mut y = x.clone();
                if let Some(expand) = &expand {
                    y = reference(expand.forward(y), act);
                }
                let mut expected = project.forward(reference(depthwise.forward(pad(y, extra)), act));
                if residual {
                    expected = expected.add(x.clone());
                }
                // How the block is cut: strips of a few rows to a dozen, one to four bands (threads,
                // or bands in turn where there is one), or the small-block path of shared channels.
                let bands = rng.pick(1..=4);
                let small = bands > 1 && rng.pick(0..=2) == 0;
                let tuning = Tuning {
                    min_hidden_bytes: if small { usize::MAX } else { 0 },
                    strip_bytes: hidden * w * size_of::<f32>() * rng.pick(1..=12),
                    bands,
                    isa: Isa::detect(),
                };
                let block = Block {
                    expand: expand.as_ref().map(|conv| Layer { conv, activation: act }),
                    depthwise: Layer { conv: &depthwise, activation: act },
                    extra,
                    project: Layer { conv: &project, activation: Activation::None },
                    residual,
                };
                // Three layers of sums, each over its fan-in, on values of a few units.
                let scale: f32 = expected.clone().abs().max().into_scalar();
                let tolerance = 4e-6 * scale.max(1.0) * ((inputs + kernel * kernel + hidden) as f32).sqrt();
                let got = fused(&block, x, tuning).map(|y| distance(y, expected, tolerance)).map_err(|_| ());
                let cut = if small { "shared channels".to_string() } else { format!("{} bands, strips of {} B", bands, tuning.strip_bytes) };
                (format!("block {inputs}→{hidden}→{outputs} (expand {expands}) {kernel}x{kernel}/{stride} over {batch}x{h}x{w}, SAME {same} {extra:?}, residual {residual}, {act:?}, {cut}"), got)
            }
            _ => {
                let channels = rng.pick(1..=64);
                let x = tensor(&mut rng, [batch, channels, h, w], 8.0, device);
                let expected = reference(x.clone(), act);
                // In place: the kernel needs the only handle on the tensor's memory.
                let got = super::activate(x.clone().add_scalar(0.0), act).map(|y| distance(y, expected, 1e-6)).map_err(|_| ());
                (format!("activation {act:?} over {batch}x{channels}x{h}x{w}"), got)
            }
        };
        match got {
            Err(()) => return Err(format!("case {case} (seed {seed}): no kernel took {what}")),
            Ok(d) if !(d < 1.0) => return Err(format!("case {case} (seed {seed}): {what} differs from burn's by {d:.2} of its tolerance")),
            Ok(d) => worst = worst.max(d),
        }
        per_kind[kind] += 1;
    }
    let per_kind = KINDS.iter().zip(per_kind).map(|(k, n)| (k.to_string(), n)).collect::<Vec<_>>();
    Ok(Report { cases: per_kind.iter().map(|(_, n)| n).sum(), per_kind, worst })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Natively, the check passes on this CPU's widest instruction set (the per-instruction-set
    /// comparisons are each kernel's own tests); a few hundred cases, every kind drawn. The long
    /// run: `CAMTAG_CHECK_CASES=20000` (and `CAMTAG_CHECK_SEED`), thousands of cases per kernel.
    #[test]
    fn random_shapes_equal_burn() {
        let number = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
        let cases = number("CAMTAG_CHECK_CASES", 300) as usize;
        let report = run(number("CAMTAG_CHECK_SEED", 2026), cases, &Device::flex()).unwrap();
        eprintln!("{report:?}");
        assert!(report.per_kind.iter().all(|(_, n)| *n > 10), "{report:?}");
        assert!(report.cases >= cases * 5 / 6, "{report:?}");
    }

    /// The check can fail: a kernel's output one part in a thousand off is caught.
    #[test]
    fn a_wrong_output_is_caught() {
        let device = Device::flex();
        let x = Tensor::<2>::ones([1, 4], &device);
        assert!(!(distance(x.clone().mul_scalar(1.001), x, 1e-5) < 1.0));
    }
}
