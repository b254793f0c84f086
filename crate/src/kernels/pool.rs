//! Global average pooling, every network's last step before its classifier: `[b, c, h, w]` →
//! `[b, c]`, the mean of each channel over the picture. It is why every network here accepts
//! any input size.
//!
//! On plain `flex` f32 tensors one sum per channel plane, in running sums, each thread summing
//! the channels it wrote; burn-flex 0.22.1 makes two `mean_dim` passes (BENCHMARKS.md: "global
//! average pooling as one sum per channel plane", "the pool: each thread sums the channels it
//! wrote"). The classifier after it is [`super::linear`].

use burn::prelude::*;

use super::flex::{Flex, flex_tensor};
use crate::parallel;

/// `[b, c, h, w]` → `[b, c]` on a plain `flex` f32 tensor with pixels; otherwise `Err(x)`,
/// untouched.
pub fn global_avg_pool(x: Tensor<4>) -> Result<Tensor<2>, Tensor<4>> {
    let [batch, channels, h, w] = x.dims();
    match Flex::of(x) {
        Ok(x) if h * w > 0 => {
            let plane = (h * w) as f32;
            let values = x.values();
            let means = |values: &[f32]| values.chunks_exact(h * w).map(|values| sum(values) / plane).collect::<Vec<f32>>();
            // Natively, the channels in one run per thread, in order: the layer before wrote them
            // that way (its first rows on the calling thread, see `parallel`), so each thread sums
            // what is in its own cache rather than reading half from the other core's.
            let threads = parallel::threads();
            let means = if threads > 1 && values.len() >= PARALLEL_VALUES {
                let per_run = (batch * channels).div_ceil(threads) * h * w;
                parallel::map(values.chunks(per_run).collect(), means).concat()
            } else {
                means(&values)
            };
            Ok(flex_tensor(means, [batch, channels]))
        }
        Ok(x) => Err(x.into_tensor()),
        Err(x) => Err(x),
    }
}

/// The sum of `values`, in [`LANES`] running sums: one chain of additions waits on each
/// addition's latency (4 cycles), and the compiler may not reorder a float sum into vectors
/// itself (BENCHMARKS.md: "the serial glue between the kernels' jobs").
fn sum(values: &[f32]) -> f32 {
    let mut sums = [0.0f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (s, v) in sums.iter_mut().zip(chunk) {
            *s += v;
        }
    }
    sums.iter().sum::<f32>() + rest
}

/// Running sums of [`sum`]: a vector's worth.
const LANES: usize = 8;

/// The fewest values summed on several threads: handing a run over costs about a microsecond.
const PARALLEL_VALUES: usize = 16 * 1024;

/// burn's own (what the networks run where this path does not apply): the tests' reference.
#[cfg(test)]
fn burn_pool(x: Tensor<4>) -> Tensor<2> {
    x.mean_dim(3).mean_dim(2).flatten::<2>(1, 3)
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::*;

    #[test]
    fn equals_burns_mean() {
        let device = Device::flex();
        for [b, c, h, w] in [[1, 1280, 7, 7], [2, 5, 3, 4], [1, 3, 1, 1]] {
            let x = Tensor::<4>::random([b, c, h, w], Distribution::Normal(0.0, 1.0), &device);
            let expected = burn_pool(x.clone());
            let got = global_avg_pool(x).expect("a plain flex tensor takes this path");
            assert_eq!(got.dims(), [b, c]);
            let diff: f32 = got.sub(expected).abs().max().into_scalar();
            assert!(diff < 1e-5, "[{b}, {c}, {h}, {w}]: differs from burn's by {diff}");
        }
    }

    #[test]
    fn leaves_autodiff_and_empty_pictures_to_burn() {
        let device = Device::flex().autodiff();
        let x = Tensor::<4>::random([2, 3, 4, 4], Distribution::Normal(0.0, 1.0), &device).require_grad();
        let back = global_avg_pool(x).expect_err("no backward pass here");
        assert_eq!(back.dims(), [2, 3, 4, 4], "the input comes back untouched");
        let empty = Tensor::<4>::zeros([1, 3, 0, 4], &Device::flex());
        assert!(global_avg_pool(empty).is_err(), "no pixels to average");
    }
}
