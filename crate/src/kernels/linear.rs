//! The classifier's fully connected layer on the CPU for a picture or a few: `y = x · W + b`,
//! `x` `[batch, in]`, `W` `[in, out]` (burn's layout), `b` `[out]`, split by input rows among
//! the kernels' threads.
//!
//! For one picture this is a matrix-vector product that reads every weight once: MobileNetV2's
//! 1280 × 1000 is 5 MB, more than a core's L2 cache, so its time is the memory's. burn-flex runs
//! it through `gemm` on one thread; here each core streams its own run of rows, in order
//! (BENCHMARKS.md: "the classifier on camtag's own product"). Batches beyond [`MAX_BATCH`]
//! (training, evaluation) and anything not a plain `flex` f32 tensor stay on burn's
//! `Linear::forward`.

use std::borrow::Cow;

use burn::nn::Linear;
use burn::prelude::*;

use super::flex::{self, Flex};
use super::Isa;
use super::isa::dispatch;
use crate::parallel;
use super::vector::Vector;

/// The most rows of `x` taken here: each reads all the weights again.
pub const MAX_BATCH: usize = 4;

/// `linear(x)` when this path takes it (see the module); otherwise `Err(x)`, untouched.
pub fn forward(linear: &Linear, x: Tensor<2>) -> Result<Tensor<2>, Tensor<2>> {
    let [batch, inputs] = x.dims();
    let [weight_in, outputs] = linear.weight.dims();
    if batch == 0 || batch > MAX_BATCH || weight_in != inputs || outputs == 0 {
        return Err(x);
    }
    let x = Flex::of(x)?;
    let (Ok(weight), bias) = (Flex::of(linear.weight.val()), linear.bias.as_ref().map(|b| Flex::of(b.val()))) else {
        return Err(x.into_tensor());
    };
    let bias = match bias {
        Some(Ok(bias)) => Some(bias),
        Some(Err(_)) => return Err(x.into_tensor()),
        None => None,
    };
    let bias = bias.as_ref().map_or_else(|| Cow::Owned(vec![0.0; outputs]), Flex::values);
    let y = product(Isa::detect(), &x.values(), &weight.values(), &bias, [batch, inputs, outputs]);
    Ok(flex::flex_tensor(y, [batch, outputs]))
}

/// `y[r, j] = b[j] + Σ_i x[r, i] · w[i, j]`, row-major, `[batch, inputs, outputs]`: each task
/// sums over its own run of `W`'s rows, streamed in order (contiguous: what the memory serves
/// fastest), into sums of its own; the sums are then added up with the bias.
///
/// # Panics
/// If a slice's length does not match the shape.
fn product(isa: Isa, x: &[f32], weight: &[f32], bias: &[f32], [batch, inputs, outputs]: [usize; 3]) -> Vec<f32> {
    assert!(x.len() == batch * inputs && weight.len() == inputs * outputs && bias.len() == outputs, "linear operand lengths");
    let count = parallel::threads().clamp(1, inputs.div_ceil(ROWS).max(1));
    let tasks = (0..count).map(|t| t * inputs / count..(t + 1) * inputs / count).collect();
    let sums = parallel::map(tasks, |rows| {
        let mut partial = vec![0.0f32; batch * outputs]; // [batch, outputs]
        // SAFETY: `axpy_rows` checks the lengths.
        unsafe { run_rows(isa, x, weight, rows, [batch, inputs, outputs], &mut partial) };
        partial
    });
    let mut y: Vec<f32> = bias.iter().copied().cycle().take(batch * outputs).collect();
    for sums in &sums {
        y.iter_mut().zip(sums).for_each(|(y, s)| *y += s);
    }
    y
}

/// Rows of `W` a task takes at least.
const ROWS: usize = 64;

dispatch! {
    /// [`axpy_rows`] in `isa`'s build.
    unsafe fn run_rows(x: &[f32], weight: &[f32], rows: std::ops::Range<usize>, shape: [usize; 3], sums: &mut [f32]) => axpy_rows
}

/// `sums[r, j] += Σ_{i ∈ rows} x[r, i] · weight[i, j]`: row `i` of `W` read once, in order, for
/// every row of `x`.
///
/// # Safety
/// Only where the CPU has `V`'s instruction set.
#[inline(always)]
unsafe fn axpy_rows<V: Vector>(x: &[f32], weight: &[f32], rows: std::ops::Range<usize>, [batch, inputs, outputs]: [usize; 3], sums: &mut [f32]) {
    assert!(rows.end <= inputs && x.len() >= batch * inputs && weight.len() >= inputs * outputs && sums.len() >= batch * outputs, "linear rows");
    let whole = outputs - outputs % V::LANES;
    for i in rows {
        let w = &weight[i * outputs..(i + 1) * outputs];
        for (r, sums) in sums.chunks_exact_mut(outputs).take(batch).enumerate() {
            let xi = x[r * inputs + i];
            // SAFETY: the caller's promise for `V`; vectors `j .. j + LANES ≤ whole ≤ outputs` of
            // `w` and of `sums` (`outputs` values each).
            unsafe {
                let a = V::splat(xi);
                for j in (0..whole).step_by(V::LANES) {
                    let s = V::madd(a, V::load(w.as_ptr().add(j)), V::load(sums.as_ptr().add(j)));
                    s.store(&mut sums[j..]);
                }
            }
            for j in whole..outputs {
                sums[j] += xi * w[j];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::LinearConfig;
    use burn::tensor::Distribution;

    use super::{Isa, forward, product};
    use burn::prelude::*;

    #[test]
    fn equals_burns_linear() {
        let device = Device::flex();
        // MobileNetV2's classifier, and shapes with columns left over a task and a vector.
        for ([inputs, outputs], batch) in [([1280, 1000], 1), ([37, 133], 3), ([8, 5], 4), ([16, 300], 2)] {
            let layer = LinearConfig::new(inputs, outputs).init(&device);
            let x = Tensor::<2>::random([batch, inputs], Distribution::Normal(0.0, 1.0), &device);
            let expected = layer.forward(x.clone());
            let got = forward(&layer, x).expect("a plain flex tensor takes this path");
            assert_eq!(got.dims(), expected.dims());
            let diff: f32 = got.sub(expected).abs().max().into_scalar();
            assert!(diff < 1e-4, "[{inputs}, {outputs}] x {batch}: differs from burn's by {diff}");
        }
    }

    #[test]
    fn every_kernel_agrees_with_the_portable_loops() {
        let values = |n: usize, seed: usize| (0..n).map(|i| ((i * 7919 + seed) % 1009) as f32 / 504.5 - 1.0).collect::<Vec<f32>>();
        let [batch, inputs, outputs] = [2, 70, 261];
        let (x, weight, bias) = (values(batch * inputs, 1), values(inputs * outputs, 2), values(outputs, 3));
        let portable = product(Isa::Portable, &x, &weight, &bias, [batch, inputs, outputs]);
        for isa in Isa::available() {
            let got = product(isa, &x, &weight, &bias, [batch, inputs, outputs]);
            for (i, (g, p)) in got.iter().zip(&portable).enumerate() {
                assert!((g - p).abs() < 1e-4, "{isa:?} value {i}: {g} vs {p}");
            }
        }
    }

    #[test]
    fn leaves_batches_and_autodiff_to_burn() {
        let device = Device::flex();
        let layer = LinearConfig::new(8, 4).init(&device);
        let big = Tensor::<2>::random([5, 8], Distribution::Normal(0.0, 1.0), &device);
        assert!(super::forward(&layer, big).is_err(), "a batch of 5: gemm's");
        let autodiff = Device::flex().autodiff();
        let layer = LinearConfig::new(8, 4).init(&autodiff);
        let x = Tensor::<2>::random([1, 8], Distribution::Normal(0.0, 1.0), &autodiff);
        assert!(super::forward(&layer, x).is_err(), "no backward pass here");
    }
}
