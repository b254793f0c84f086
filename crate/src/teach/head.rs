//! The new classifier on a frozen backbone's pooled features, and its optimizer, in plain Rust:
//! `Dropout(p)` then `Linear(features → tags)` (torchvision's MobileNetV2 classifier), softmax
//! cross-entropy, AdamW. A linear layer's gradient is two lines, so the page needs neither burn's
//! autodiff nor its optimizers in the wasm module; the native test checks the gradient against
//! burn's autodiff and the update against burn's `AdamW`.

use crate::preprocess::rng::SplitMix64;

/// `logits = x · weight + bias`, for `x` of `features` numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearHead {
    pub features: usize,
    pub classes: usize,
    /// `[features, classes]`, row-major: burn's `Linear` layout, so it goes into a bundle as is.
    pub weight: Vec<f32>,
    /// `[classes]`.
    pub bias: Vec<f32>,
}

impl LinearHead {
    /// burn's default `Linear` initialization (`KaimingUniform { gain: 1/√3, fan_out_only:
    /// false }`, burn-nn 0.22 `LinearConfig`): weight and bias uniform in ±1/√features, drawn
    /// from SplitMix64 so a seed gives the same head natively and in wasm.
    pub fn init(features: usize, classes: usize, seed: u64) -> Self {
        let bound = 1.0 / (features as f64).sqrt();
        let mut rng = SplitMix64::stream(seed, 0x4EAD);
        let mut draw = |n: usize| (0..n).map(|_| rng.uniform(-bound, bound) as f32).collect::<Vec<_>>();
        let weight = draw(features * classes);
        let bias = draw(classes);
        Self { features, classes, weight, bias }
    }

    /// The scores of one example: `x` is `[features]`, `out` `[classes]`.
    pub fn logits(&self, x: &[f32], out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        for (xi, row) in x.iter().zip(self.weight.chunks_exact(self.classes)) {
            if *xi != 0.0 {
                for (o, w) in out.iter_mut().zip(row) {
                    *o += xi * w;
                }
            }
        }
    }
}

/// What one example scores: its loss and whether its tag came first, or in the first `k`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scored {
    pub loss: f64,
    pub top1: bool,
    pub topk: bool,
}

/// Softmax cross-entropy of `logits` against `label`; turns `logits` into `softmax − onehot`,
/// the loss's gradient with respect to them.
pub fn cross_entropy(logits: &mut [f32], label: usize, k: usize) -> Scored {
    let target = logits[label];
    let above = logits.iter().filter(|&&z| z > target).count();
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f64;
    for z in logits.iter_mut() {
        *z = (*z - max).exp();
        sum += *z as f64;
    }
    let loss = sum.ln() - (target - max) as f64;
    for z in logits.iter_mut() {
        *z = (*z as f64 / sum) as f32;
    }
    logits[label] -= 1.0;
    Scored { loss, top1: above == 0, topk: above < k }
}

/// Gradients of the mean loss over a batch, in [`LinearHead`]'s layout.
#[derive(Clone, Debug)]
pub struct Gradients {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The forward and backward pass of one batch in training: dropout (`p`, the kept values scaled
/// by 1/(1−p), masks drawn from `rng`), the head, the mean cross-entropy. `rows` are the examples'
/// features, `labels` their tags. Returns the gradients and each example's score.
pub fn backward(head: &LinearHead, rows: &[&[f32]], labels: &[usize], p: f64, k: usize, rng: &mut SplitMix64) -> (Gradients, Vec<Scored>) {
    let (n, c) = (rows.len(), head.classes);
    let mut grads = Gradients { weight: vec![0.0; head.weight.len()], bias: vec![0.0; c] };
    let mut scored = Vec::with_capacity(n);
    let (mut x, mut z) = (vec![0.0f32; head.features], vec![0.0f32; c]);
    let keep = (1.0 / (1.0 - p)) as f32;
    for (row, &label) in rows.iter().zip(labels) {
        for (xi, &r) in x.iter_mut().zip(row.iter()) {
            *xi = if p > 0.0 && rng.next_f64() < p { 0.0 } else { r * keep };
        }
        head.logits(&x, &mut z);
        scored.push(cross_entropy(&mut z, label, k));
        // dL/dz for the batch mean; dW += xᵀ · dz, db += dz.
        z.iter_mut().for_each(|g| *g /= n as f32);
        for (xi, grow) in x.iter().zip(grads.weight.chunks_exact_mut(c)) {
            if *xi != 0.0 {
                for (g, dz) in grow.iter_mut().zip(&z) {
                    *g += xi * dz;
                }
            }
        }
        for (g, dz) in grads.bias.iter_mut().zip(&z) {
            *g += dz;
        }
    }
    (grads, scored)
}

/// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) as burn-optim
/// 0.22's `AdamW` computes it, with its defaults (β₁ 0.9, β₂ 0.999, ε 1e-5): decay, then the
/// bias-corrected step `m̂ / (√v̂ + ε)`.
#[derive(Clone, Debug)]
pub struct AdamW {
    pub weight_decay: f32,
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    time: i32,
    moments: [(Vec<f32>, Vec<f32>); 2],
}

impl AdamW {
    pub fn new(head: &LinearHead, weight_decay: f32) -> Self {
        let zeros = |n: usize| (vec![0.0; n], vec![0.0; n]);
        Self { weight_decay, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-5, time: 0, moments: [zeros(head.weight.len()), zeros(head.bias.len())] }
    }

    /// One update of `head` by `grads` at learning rate `lr`.
    pub fn step(&mut self, head: &mut LinearHead, grads: &Gradients, lr: f64) {
        self.time += 1;
        let (b1, b2) = (self.beta_1, self.beta_2);
        let (c1, c2) = (1.0 - b1.powi(self.time), 1.0 - b2.powi(self.time));
        let decay = (1.0 - lr * self.weight_decay as f64) as f32;
        let lr = lr as f32;
        let params = [(&mut head.weight, &grads.weight), (&mut head.bias, &grads.bias)];
        for ((param, grad), (m, v)) in params.into_iter().zip(self.moments.iter_mut()) {
            for i in 0..param.len() {
                let g = grad[i];
                m[i] = b1 * m[i] + (1.0 - b1) * g;
                v[i] = b2 * v[i] + (1.0 - b2) * g * g;
                let delta = (m[i] / c1) / ((v[i] / c2).sqrt() + self.epsilon);
                param[i] = param[i] * decay - lr * delta;
            }
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use burn::nn::Linear;
    use burn::module::Param;
    use burn::optim::{AdamWConfig, GradientsParams};
    use burn::prelude::*;

    fn example() -> (LinearHead, Vec<Vec<f32>>, Vec<usize>) {
        let head = LinearHead::init(6, 3, 5);
        let mut rng = SplitMix64::new(11);
        let rows = (0..4).map(|_| (0..6).map(|_| rng.uniform(-2.0, 2.0) as f32).collect()).collect();
        (head, rows, vec![2, 0, 1, 2])
    }

    fn burn_linear(head: &LinearHead, device: &Device) -> Linear {
        Linear {
            weight: Param::from_tensor(Tensor::from_data(TensorData::new(head.weight.clone(), [head.features, head.classes]), device)),
            bias: Some(Param::from_tensor(Tensor::from_data(TensorData::new(head.bias.clone(), [head.classes]), device))),
        }
    }

    fn close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-5 + 1e-4 * y.abs(), "{what}[{i}]: {x} vs burn's {y}");
        }
    }

    /// Two AdamW steps of the hand-written gradient land where burn's autodiff and `AdamW` do.
    #[test]
    fn gradient_and_update_match_burn_autodiff_and_adamw() {
        let device = Device::flex().autodiff();
        let (mut head, rows, labels) = example();
        let mut linear = burn_linear(&head, &device);
        let mut ours = AdamW::new(&head, 0.01);
        let mut theirs = AdamWConfig::new().with_weight_decay(0.01).init();
        let flat: Vec<f32> = rows.concat();
        let x = Tensor::<2>::from_data(TensorData::new(flat, [4, 6]), &device);
        let y = Tensor::<1, Int>::from_data(TensorData::new(labels.iter().map(|&l| l as i64).collect::<Vec<_>>(), [4]), &device);
        for (step, lr) in [(0, 0.05), (1, 0.03)] {
            let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
            let (grads, scored) = backward(&head, &refs, &labels, 0.0, 2, &mut SplitMix64::new(0));
            let loss = burn::nn::loss::CrossEntropyLossConfig::new().init(&device).forward(linear.forward(x.clone()), y.clone());
            let mean: f64 = scored.iter().map(|s| s.loss).sum::<f64>() / 4.0;
            let burn_loss = loss.clone().into_scalar::<f32>() as f64;
            assert!((mean - burn_loss).abs() < 1e-5, "step {step}: loss {mean} vs burn's {burn_loss}");
            let g = loss.backward();
            let burn_w = linear.weight.grad(&g).unwrap().into_data().try_to_vec::<f32>().unwrap();
            close(&grads.weight, &burn_w, &format!("step {step} weight gradient"));
            let grads_params = GradientsParams::from_grads(g, &linear);
            linear = theirs.step(lr, linear, grads_params);
            ours.step(&mut head, &grads, lr);
            close(&head.weight, &linear.weight.val().into_data().try_to_vec::<f32>().unwrap(), &format!("step {step} weights"));
            close(&head.bias, &linear.bias.as_ref().unwrap().val().into_data().try_to_vec::<f32>().unwrap(), &format!("step {step} bias"));
        }
    }

    #[test]
    fn dropout_drops_about_p_of_the_features_and_scales_the_rest() {
        let head = LinearHead::init(1000, 2, 1);
        let row = vec![1.0f32; 1000];
        let (grads, _) = backward(&head, &[&row], &[0], 0.2, 1, &mut SplitMix64::new(3));
        let (dropped, kept): (Vec<_>, Vec<_>) = grads.weight.chunks_exact(2).partition(|g| g[0] == 0.0);
        assert!((150..250).contains(&dropped.len()), "{} of 1000 dropped at p = 0.2", dropped.len());
        // A kept feature's gradient is x / (1 − p) · dz, the same for every kept one.
        assert!(kept.windows(2).all(|w| (w[0][0] - w[1][0]).abs() < 1e-6));
    }

    #[test]
    fn cross_entropy_ranks_and_is_stable_for_large_scores() {
        let mut z = vec![1000.0, 999.0, -5.0];
        let s = cross_entropy(&mut z, 1, 2);
        let exact = (1.0f64 + (-1.0f64).exp() + (-1005.0f64).exp()).ln() + 1.0;
        assert!((s.loss - exact).abs() < 1e-6, "{} vs {exact}", s.loss);
        assert!(!s.top1 && s.topk);
        assert!((z.iter().sum::<f32>()).abs() < 1e-6, "softmax − onehot sums to zero");
        let mut z = vec![0.0, 0.0, 3.0];
        assert!(cross_entropy(&mut z, 2, 1).top1);
    }
}
