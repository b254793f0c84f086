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

/// One case: a kernel and its shape. Its values come from `values`, a seed of their own, so that
/// a smaller shape of the same case ([`shrink`]) draws its values the same way.
#[derive(Clone, Debug, PartialEq)]
struct Case {
    kind: usize,
    batch: usize,
    h: usize,
    w: usize,
    act: Activation,
    /// Input channels (the depthwise convolution's, the pool's, the activation's channels).
    inputs: usize,
    outputs: usize,
    /// The block's hidden channels.
    hidden: usize,
    kernel: usize,
    stride: usize,
    /// TensorFlow's SAME padding, else symmetric.
    same: bool,
    bias: bool,
    /// Whether the block expands first (else t = 1: the depthwise convolution first).
    expands: bool,
    residual: bool,
    /// How the block is cut: bands, its small-block path, strips of this many input rows' bytes.
    bands: usize,
    small: bool,
    strip_rows: usize,
    values: u64,
}

impl Case {
    /// A random kernel and shape: odd and prime sizes, 1x1 up to 61 px, channel counts that fill
    /// no tile exactly.
    fn draw(rng: &mut Rng) -> Case {
        let kind = rng.pick(0..=KINDS.len() - 1);
        let mut c = Case {
            kind,
            batch: rng.pick(1..=2),
            h: rng.pick(1..=61),
            w: rng.pick(1..=61),
            act: activation(rng),
            inputs: 1,
            outputs: 1,
            hidden: 2,
            kernel: 1,
            stride: 1,
            same: false,
            bias: true,
            expands: false,
            residual: false,
            bands: 1,
            small: false,
            strip_rows: 1,
            values: 0,
        };
        let coin = |rng: &mut Rng| rng.pick(0..=1) == 1;
        match kind {
            0 => {
                (c.inputs, c.outputs, c.bias) = (rng.pick(1..=70), rng.pick(1..=70), coin(rng));
            }
            1 => {
                c.inputs = rng.pick(1..=40);
                (c.kernel, c.stride, c.same) = ([3, 5][rng.pick(0..=1)], rng.pick(1..=2), coin(rng));
            }
            2 => {
                // The RGB stem: 27 taps.
                (c.inputs, c.outputs, c.kernel, c.stride, c.same) = (3, rng.pick(1..=40), 3, rng.pick(1..=2), coin(rng));
            }
            3 => (c.inputs, c.outputs) = (rng.pick(1..=1300), rng.pick(1..=1000)),
            4 => c.inputs = rng.pick(1..=300),
            5 => c.inputs = rng.pick(1..=64),
            _ => {
                (c.kernel, c.stride, c.same) = ([3, 5][rng.pick(0..=1)], rng.pick(1..=2), coin(rng));
                // Two hidden channels or more: a block of one runs layer by layer (`fused::Plan::new`).
                c.expands = rng.pick(0..=3) != 0;
                c.inputs = rng.pick(if c.expands { 1 } else { 2 }..=24);
                c.hidden = rng.pick(2..=96);
                c.residual = c.stride == 1 && coin(rng);
                c.outputs = rng.pick(1..=40);
                // Strips of a few rows to a dozen, one to four bands (threads, or bands in turn
                // where there is one), or the small-block path of shared channels.
                c.bands = rng.pick(1..=4);
                c.small = c.bands > 1 && rng.pick(0..=2) == 0;
                c.strip_rows = rng.pick(1..=12);
            }
        }
        c.values = rng.next();
        c.tied();
        c
    }

    /// The sizes that follow from others: a depthwise convolution's outputs are its inputs, an
    /// unexpanded block's hidden channels too, a residual block's outputs its inputs.
    fn tied(&mut self) {
        match self.kind {
            1 => self.outputs = self.inputs,
            6 => {
                if !self.expands {
                    self.hidden = self.inputs;
                }
                if self.residual {
                    self.outputs = self.inputs;
                }
                self.small &= self.bands > 1;
            }
            _ => {}
        }
    }

    /// Whether the case is one [`Case::draw`] could give (within its ranges, ties kept).
    fn valid(&self) -> bool {
        let mut tied = self.clone();
        tied.tied();
        tied == *self
            && [self.batch, self.h, self.w, self.inputs, self.outputs, self.bands, self.strip_rows].iter().all(|&n| n >= 1)
            && (self.kind != 2 || self.inputs == 3)
            && (self.kind != 6 || (self.hidden >= 2 && (!self.residual || self.stride == 1)))
    }

    /// What it is, for a message.
    fn describe(&self) -> String {
        let Case { batch, h, w, act, inputs, outputs, hidden, kernel, stride, same, bias, expands, residual, bands, small, strip_rows, .. } = self;
        match self.kind {
            0 => format!("1x1 {inputs}→{outputs} over {batch}x{h}x{w}, bias {bias}, {act:?}"),
            1 | 2 => {
                let name = if self.kind == 1 { "depthwise" } else { "stem" };
                format!("{name} {kernel}x{kernel}/{stride} {inputs}→{outputs} over {batch}x{h}x{w}, SAME {same}, {act:?}")
            }
            3 => format!("linear {inputs}→{outputs}, batch {batch}"),
            4 => format!("global average pool {inputs} channels of {h}x{w}, batch {batch}"),
            5 => format!("activation {act:?} over {batch}x{inputs}x{h}x{w}"),
            _ => {
                let cut = if *small { "shared channels".to_string() } else { format!("{bands} bands, strips of {strip_rows} rows' bytes") };
                format!("block {inputs}→{hidden}→{outputs} (expand {expands}) {kernel}x{kernel}/{stride} over {batch}x{h}x{w}, SAME {same}, residual {residual}, {act:?}, {cut}")
            }
        }
    }

    /// Cases one step smaller: each size halved, lowered by one or set to its least, each option
    /// set to its simplest; only valid ones.
    fn smaller(&self) -> Vec<Case> {
        type Field = fn(&mut Case) -> &mut usize;
        let sizes: [(Field, usize); 8] = [
            (|c| &mut c.batch, 1),
            (|c| &mut c.h, 1),
            (|c| &mut c.w, 1),
            (|c| &mut c.inputs, 1),
            (|c| &mut c.outputs, 1),
            (|c| &mut c.hidden, 2),
            (|c| &mut c.bands, 1),
            (|c| &mut c.strip_rows, 1),
        ];
        let mut out = Vec::new();
        let mut offer = |change: &dyn Fn(&mut Case)| {
            let mut c = self.clone();
            change(&mut c);
            c.tied();
            if c.valid() && c != *self && !out.contains(&c) {
                out.push(c);
            }
        };
        for (field, least) in sizes {
            offer(&|c| *field(c) = least);
            offer(&|c| *field(c) = (*field(c) / 2).max(least));
            offer(&|c| *field(c) = field(c).saturating_sub(1).max(least));
        }
        offer(&|c| c.act = Activation::None);
        offer(&|c| c.bias = false);
        offer(&|c| c.same = false);
        offer(&|c| c.stride = 1);
        offer(&|c| c.kernel = c.kernel.min(3));
        offer(&|c| c.residual = false);
        offer(&|c| c.small = false);
        offer(&|c| c.expands = false);
        out
    }
}

/// The smallest case [`Case::smaller`] reaches from `case` that still `fails`, in at most a few
/// hundred tries: what a failure is reported with, beside the case drawn.
fn shrink(mut case: Case, fails: impl Fn(&Case) -> bool) -> Case {
    let mut tries = 0;
    'smaller: while tries < 500 {
        for candidate in case.smaller() {
            tries += 1;
            if fails(&candidate) {
                case = candidate;
                continue 'smaller;
            }
        }
        break;
    }
    case
}

/// How `case` compares with burn: `None` where its padded picture is smaller than its kernel (no
/// output to compare), else the distance as a fraction of its tolerance (below 1 passes), or
/// `Err` where no kernel took it.
fn evaluate(case: &Case, device: &Device) -> Option<Result<f32, ()>> {
    let Case { batch, h, w, act, inputs, outputs, hidden, kernel, stride, same, bias, .. } = *case;
    let rng = &mut Rng(case.values | 1);
    Some(match case.kind {
        0 => {
            let layer = conv(rng, [inputs, outputs], 1, 1, 1, 0, bias, device);
            let x = tensor(rng, [batch, inputs, h, w], 1.0, device);
            let expected = reference(layer.forward(x.clone()), act);
            let tolerance = 1e-4 * (inputs as f32).sqrt().max(1.0) * 4.0;
            super::conv2d(&layer, x, act, [0; 4]).map(|y| distance(y, expected, tolerance)).map_err(|_| ())
        }
        1 | 2 => {
            let (own, extra) = padding(same, kernel, stride, [h, w])?;
            let groups = if case.kind == 1 { inputs } else { 1 };
            let layer = conv(rng, [inputs, outputs], kernel, stride, groups, own, true, device);
            let x = tensor(rng, [batch, inputs, h, w], 1.0, device);
            let expected = reference(layer.forward(pad(x.clone(), extra)), act);
            let tolerance = 1e-4 * ((inputs / groups * kernel * kernel) as f32).sqrt() * 4.0;
            super::conv2d(&layer, x, act, extra).map(|y| distance(y, expected, tolerance)).map_err(|_| ())
        }
        3 => {
            let mut layer: Linear = LinearConfig::new(inputs, outputs).init(device);
            layer.weight = burn::module::Param::from_tensor(tensor(rng, [inputs, outputs], 1.0 / (inputs as f32).sqrt(), device));
            let x = tensor(rng, [batch, inputs], 1.0, device);
            let expected = layer.forward(x.clone());
            let tolerance = 1e-5 * (inputs as f32).sqrt() * 4.0;
            super::linear(&layer, x).map(|y| distance(y, expected, tolerance)).map_err(|_| ())
        }
        4 => {
            let x = tensor(rng, [batch, inputs, h, w], 1.0, device);
            let expected = x.clone().mean_dim(3).mean_dim(2).reshape([batch, inputs]);
            super::global_avg_pool(x).map(|y| distance(y, expected, 1e-5)).map_err(|_| ())
        }
        5 => {
            let x = tensor(rng, [batch, inputs, h, w], 8.0, device);
            let expected = reference(x.clone(), act);
            // In place: the kernel needs the only handle on the tensor's memory.
            super::activate(x.clone().add_scalar(0.0), act).map(|y| distance(y, expected, 1e-6)).map_err(|_| ())
        }
        _ => {
            let (own, extra) = padding(same, kernel, stride, [h, w])?;
            let expand = case.expands.then(|| conv(rng, [inputs, hidden], 1, 1, 1, 0, true, device));
            let depthwise = conv(rng, [hidden, hidden], kernel, stride, hidden, own, true, device);
            let project = conv(rng, [hidden, outputs], 1, 1, 1, 0, true, device);
            let x = tensor(rng, [batch, inputs, h, w], 1.0, device);
            let mut y = x.clone();
            if let Some(expand) = &expand {
                y = reference(expand.forward(y), act);
            }
            let mut expected = project.forward(reference(depthwise.forward(pad(y, extra)), act));
            if case.residual {
                expected = expected.add(x.clone());
            }
            let tuning = Tuning {
                min_hidden_bytes: if case.small { usize::MAX } else { 0 },
                strip_bytes: hidden * w * size_of::<f32>() * case.strip_rows,
                bands: case.bands,
                isa: Isa::detect(),
            };
            let block = Block {
                expand: expand.as_ref().map(|conv| Layer { conv, activation: act }),
                depthwise: Layer { conv: &depthwise, activation: act },
                extra,
                project: Layer { conv: &project, activation: Activation::None },
                residual: case.residual,
            };
            // Three layers of sums, each over its fan-in, on values of a few units.
            let scale: f32 = expected.clone().abs().max().into_scalar();
            let tolerance = 4e-6 * scale.max(1.0) * ((inputs + kernel * kernel + hidden) as f32).sqrt();
            fused(&block, x, tuning).map(|y| distance(y, expected, tolerance)).map_err(|_| ())
        }
    })
}

/// Runs `cases` random cases from `seed` on `device` (burn's `flex` CPU device); an error names
/// the first case that differs from burn (or that no kernel took), and the smallest shape of it
/// that still does.
pub fn run(seed: u64, cases: usize, device: &Device) -> Result<Report, String> {
    let mut rng = Rng(seed.max(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut per_kind = vec![0usize; KINDS.len()];
    let mut worst = 0f32;
    // What is wrong with a case, if anything (`None` too where it has nothing to compare).
    let fault = |case: &Case| match evaluate(case, device) {
        Some(Err(())) => Some("no kernel took it".to_string()),
        Some(Ok(d)) if !(d < 1.0) => Some(format!("differs from burn's by {d:.2} of its tolerance")),
        _ => None,
    };
    for index in 0..cases {
        let case = Case::draw(&mut rng);
        let problem = match evaluate(&case, device) {
            None => continue,
            Some(Err(())) => "no kernel took it".to_string(),
            Some(Ok(d)) if !(d < 1.0) => format!("differs from burn's by {d:.2} of its tolerance"),
            Some(Ok(d)) => {
                worst = worst.max(d);
                per_kind[case.kind] += 1;
                continue;
            }
        };
        let least = shrink(case.clone(), |c| fault(c).is_some());
        let (what, least_problem) = (case.describe(), fault(&least).unwrap_or_default());
        return Err(format!("case {index} (seed {seed}): {what}: {problem}; the smallest shape that still fails: {} ({least_problem})", least.describe()));
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

    /// A failing case is reported at the smallest shape that still fails: here a made-up fault
    /// of blocks 5 px tall or more with 3 input channels or more.
    #[test]
    fn a_failure_shrinks_to_its_smallest_shape() {
        let mut rng = Rng(7);
        let case = std::iter::repeat_with(|| Case::draw(&mut rng)).find(|c| c.kind == 6 && c.h >= 20 && c.inputs >= 10 && c.expands).unwrap();
        let least = shrink(case.clone(), |c| c.kind == 6 && c.h >= 5 && c.inputs >= 3);
        // Unexpanded, the block's hidden channels are its inputs.
        assert_eq!((least.h, least.inputs, least.w, least.batch, least.outputs, least.hidden), (5, 3, 1, 1, 1, 3), "{case:?} → {least:?}");
        assert_eq!((least.act, least.same, least.stride, least.kernel, least.expands, least.bands), (Activation::None, false, 1, 3, false, 1));
        assert!(least.valid());
    }

    /// The check can fail: a kernel's output one part in a thousand off is caught.
    #[test]
    fn a_wrong_output_is_caught() {
        let device = Device::flex();
        let x = Tensor::<2>::ones([1, 4], &device);
        assert!(!(distance(x.clone().mul_scalar(1.001), x, 1e-5) < 1.0));
    }
}
