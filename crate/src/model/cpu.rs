//! What camtag's own CPU kernels share ([`super::direct_conv`] for depthwise convolutions and the
//! stem, [`super::pointwise`] for 1x1 convolutions): which build of the inner loops runs, the
//! activations as slice loops, and the bridge between burn `flex` tensors and plain `f32` slices.
//! Inference only: autodiff tensors, the GPU and other dtypes never reach these kernels.

use std::borrow::Cow;
use std::mem::MaybeUninit;

use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::{BackendTensor, DispatchAutodiffContext, DispatchTensor, DispatchTensorKind};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::{Bytes, DType};

use super::conv_norm::Activation;

/// Which build of the inner loops runs: on x86-64 with AVX-512 (std checks once and caches)
/// 16-wide fused multiply-adds, with AVX2 and FMA 8-wide; elsewhere the loops as the target
/// compiles them (SSE2 natively, SIMD128 in the wasm SIMD packages, scalar in the baseline one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// AVX-512 Foundation (which implies FMA; the loops also use AVX2's).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernel {
    /// The widest build this CPU runs.
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return if std::arch::is_x86_feature_detected!("avx512f") { Self::Avx512 } else { Self::Avx2Fma };
        }
        Self::Portable
    }

    /// Every build this CPU runs, narrowest first: the tests compare them.
    #[cfg(test)]
    pub fn available() -> Vec<Self> {
        let all = [
            Self::Portable,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2Fma,
            #[cfg(target_arch = "x86_64")]
            Self::Avx512,
        ];
        let widest = all.iter().position(|&kernel| kernel == Self::detect()).expect("detect picks one of them");
        all[..=widest].to_vec()
    }
}

/// Runs `f` on one of rayon's worker threads natively (in wasm, which has one thread, here).
///
/// burn's own parallel operations split among rayon's workers. Called from a thread outside the
/// pool, every split is handed to the pool and the calling thread sleeps until it is done: two
/// thread wake-ups per operation. When camtag's kernels ran on rayon too, that was about 1 ms of
/// MobileNetV2's 6.5 ms forward pass on two cores (median 7.6 → 6.6 ms); now they have their own
/// threads ([`super::workers`]) and it is little (3.52–3.58 → 3.48–3.50 ms). From inside a
/// worker a split is a push onto the worker's own queue that an idle worker steals. The kernels'
/// threads are woken first (see [`super::workers::wake`]).
pub fn on_workers<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    {
        super::workers::wake();
        rayon::scope(|_| f())
    }
    #[cfg(target_arch = "wasm32")]
    f()
}

/// Runs `f` on this thread, the kernels' threads woken first (see [`super::workers::wake`]): for
/// a forward pass whose every layer is one of camtag's kernels, which [`on_workers`] would hand
/// to a rayon worker and wait for, two thread wake-ups per picture for nothing. MobileNetV2's
/// forward pass, alternating the two in one process on the 2-core build machine: 3.29–3.33 →
/// 3.20–3.28 ms (medians).
pub fn on_kernels<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(not(target_arch = "wasm32"))]
    super::workers::wake();
    f()
}

/// How many threads the kernels share their work among: as many as rayon's (`RAYON_NUM_THREADS`
/// sets both) natively, one in wasm.
pub fn threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    return rayon::current_num_threads();
    #[cfg(target_arch = "wasm32")]
    1
}

/// Runs `f` on every item: in parallel natively (the kernels' own threads, see
/// [`super::workers`]), in order in wasm.
pub fn for_each<T: Sync>(items: &[T], f: impl Fn(&T) + Sync + Send) {
    #[cfg(not(target_arch = "wasm32"))]
    super::workers::run(items.len(), &|i| f(&items[i]));
    #[cfg(target_arch = "wasm32")]
    items.iter().for_each(f);
}

/// Runs `f` on every item, each handed over by value (a disjoint chunk of an output to write,
/// say), as [`for_each`] runs them; returns the results in the items' order.
pub fn map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    use std::sync::Mutex;
    type Cell<T, R> = Mutex<(Option<T>, Option<R>)>;
    fn lock<T, R>(slot: &Cell<T, R>) -> std::sync::MutexGuard<'_, (Option<T>, Option<R>)> {
        slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
    let slots: Vec<Cell<T, R>> = items.into_iter().map(|item| Mutex::new((Some(item), None))).collect();
    for_each(&slots, |slot| {
        let item = lock(slot).0.take().expect("each item is run once");
        let result = f(item);
        lock(slot).1 = Some(result);
    });
    slots.into_iter().map(|slot| slot.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()).1.expect("every item ran")).collect()
}

/// Runs `f` with `N` buffers of the given lengths, kept by this thread from call to call: zeroed
/// only where they grow, otherwise holding whatever the last call left (callers write before they
/// read). A nested call on the same thread gets fresh ones. A fused block's strip buffers, zeroed
/// anew for every band of every block, were 4 % of MobileNetV2's forward pass on two threads.
pub(crate) fn with_buffers<const N: usize, R>(lens: [usize; N], f: impl FnOnce([&mut [f32]; N]) -> R) -> R {
    use std::cell::RefCell;
    thread_local! {
        static BUFFERS: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
    }
    fn slices<const N: usize>(buffers: &mut [Vec<f32>], lens: [usize; N]) -> [&mut [f32]; N] {
        let mut buffers = buffers.iter_mut();
        std::array::from_fn(|i| {
            let buffer = buffers.next().expect("N buffers");
            if buffer.len() < lens[i] {
                buffer.resize(lens[i], 0.0);
            }
            &mut buffer[..lens[i]]
        })
    }
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffers) => {
            if buffers.len() < N {
                buffers.resize_with(N, Vec::new);
            }
            f(slices(&mut buffers, lens))
        }
        Err(_) => f(slices(&mut (0..N).map(|_| Vec::new()).collect::<Vec<_>>(), lens)),
    })
}

/// An `f32`'s place in memory: written already, or not yet (a kernel's fresh output, which is
/// not zeroed first since every value is written once). Both have an `f32`'s layout, so a vector
/// store may write a run of them.
///
/// # Safety
/// Only for types with `f32`'s size and alignment.
pub unsafe trait Slot {
    fn set(&mut self, v: f32);
}

// SAFETY: `f32` itself.
unsafe impl Slot for f32 {
    #[inline(always)]
    fn set(&mut self, v: f32) {
        *self = v;
    }
}

// SAFETY: `MaybeUninit<f32>` has `f32`'s layout.
unsafe impl Slot for MaybeUninit<f32> {
    #[inline(always)]
    fn set(&mut self, v: f32) {
        self.write(v);
    }
}

/// Values seen as places to write, for a kernel that stores into uninitialized outputs to reuse
/// a buffer written already.
///
/// # Safety
/// Only values may be stored through the result, never `MaybeUninit::uninit()`.
pub unsafe fn slots(values: &mut [f32]) -> &mut [MaybeUninit<f32>] {
    // SAFETY: `MaybeUninit<f32>` has `f32`'s layout; the caller stores only values.
    unsafe { &mut *(values as *mut [f32] as *mut [MaybeUninit<f32>]) }
}

/// `dst[i] = activation(src[i])` for the first `dst.len()` values of `src`. The match stays
/// outside the loops so that each is a plain compare-and-select the compiler vectorizes (inside,
/// a branch per value mispredicts on half the values: 2 ms instead of 0.2 for a
/// [1, 96, 112, 112] activation, measured here).
#[inline(always)]
pub fn copy_activated<T: Slot>(dst: &mut [T], src: &[f32], activation: Activation) {
    let src = &src[..dst.len()];
    match activation {
        Activation::None => dst.iter_mut().zip(src).for_each(|(d, &v)| d.set(v)),
        Activation::Relu => dst.iter_mut().zip(src).for_each(|(d, &v)| d.set(relu(v))),
        Activation::Relu6 => dst.iter_mut().zip(src).for_each(|(d, &v)| d.set(relu6(v))),
    }
}

/// `values[i] = activation(values[i])`, the same way.
#[inline(always)]
pub fn activate_slice(values: &mut [f32], activation: Activation) {
    match activation {
        Activation::None => {}
        Activation::Relu => values.iter_mut().for_each(|v| *v = relu(*v)),
        Activation::Relu6 => values.iter_mut().for_each(|v| *v = relu6(*v)),
    }
}

// `max`/`min` would turn NaN into a number; these comparisons keep it, as PyTorch does.
#[inline(always)]
fn relu(v: f32) -> f32 {
    if v < 0.0 { 0.0 } else { v }
}

#[inline(always)]
fn relu6(v: f32) -> f32 {
    let v = relu(v);
    if v > 6.0 { 6.0 } else { v }
}

/// The convolution's own `[top, left, bottom, right]` padding, or `None` for burn's `Same` (whose
/// sides depend on the input: burn's path handles it).
pub fn explicit_padding(conv: &Conv2d) -> Option<[usize; 4]> {
    match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) => Some([top, left, bottom, right]),
        PaddingConfig2d::Valid => Some([0; 4]),
        PaddingConfig2d::Same => None,
    }
}

/// Runs `kernel(input, weight, bias)` on a convolution's operands as row-major `f32` slices —
/// `x` `[batch, in, h, w]`, weight `[out, in / groups, kh, kw]`, bias `[out]` (zeros when the
/// layer has none) — when all are plain `flex` f32 tensors outside any autodiff graph, and wraps
/// the values it returns as a `flex` tensor of `shape`. Otherwise `Err(x)`, untouched.
pub fn run_on_flex(
    conv: &Conv2d,
    x: Tensor<4>,
    shape: [usize; 4],
    kernel: impl FnOnce(&[f32], &[f32], &[f32]) -> Vec<f32>,
) -> Result<Tensor<4>, Tensor<4>> {
    let x = Flex::of(x)?;
    let Some(operands) = ConvOperands::of(conv) else { return Err(x.into_tensor()) };
    Ok(flex_tensor(kernel(&x.values(), &operands.weight.values(), &operands.bias()), shape))
}

/// A convolution's weight `[out, in / groups, kh, kw]` and bias `[out]`, held to read their
/// values (borrowed, not copied: this runs for every layer of every frame).
pub struct ConvOperands {
    pub weight: Flex,
    bias: Option<Flex>,
    out: usize,
}

impl ConvOperands {
    /// When the weight and the bias (if any) are plain `flex` f32 tensors outside any autodiff
    /// graph.
    pub fn of(conv: &Conv2d) -> Option<Self> {
        let bias = match conv.bias.as_ref().map(|bias| Flex::of(bias.val())) {
            Some(Ok(bias)) => Some(bias),
            Some(Err(_)) => return None,
            None => None,
        };
        Some(Self { weight: Flex::of(conv.weight.val()).ok()?, bias, out: conv.weight.dims()[0] })
    }

    /// `[out]`: zeros when the convolution has none.
    pub fn bias(&self) -> Cow<'_, [f32]> {
        match &self.bias {
            Some(bias) => bias.values(),
            None => Cow::Owned(vec![0.0; self.out]),
        }
    }
}

/// A plain `flex` f32 tensor outside any autodiff graph, held to read its values.
pub struct Flex(DispatchTensor);

impl Flex {
    /// `t`, when it is one; otherwise `Err(t)`, untouched.
    pub fn of<const D: usize>(t: Tensor<D>) -> Result<Self, Tensor<D>> {
        let t = t.into_dispatch();
        match plain_flex_f32(&t) {
            Some(_) => Ok(Self(t)),
            None => Err(Tensor::from_dispatch(t)),
        }
    }

    /// The values in row-major order (a copy only when the layout is not).
    pub fn values(&self) -> Cow<'_, [f32]> {
        contiguous(plain_flex_f32(&self.0).expect("checked by `Flex::of`"))
    }

    /// The tensor again.
    pub fn into_tensor<const D: usize>(self) -> Tensor<D> {
        Tensor::from_dispatch(self.0)
    }
}

/// `values` (row-major) as a plain `flex` f32 tensor of `shape`.
pub fn flex_tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
    let values = FlexTensor::new(Bytes::from_elems(values), Layout::contiguous(shape.into()), DType::F32);
    Tensor::from_dispatch(DispatchTensor {
        kind: DispatchTensorKind::Flex(BackendTensor::Float(values)),
        autodiff: DispatchAutodiffContext::Disabled,
    })
}

/// `activation(x)` in one pass over `x`'s own memory, when `x` is a plain `flex` f32 tensor that
/// nothing else holds (as a convolution's fresh output is); otherwise `Err(x)`, untouched. burn
/// would make two passes for ReLU6, each into a new buffer (see `conv_norm::relu6_for`).
pub fn activate_in_place<const D: usize>(x: Tensor<D>, activation: Activation) -> Result<Tensor<D>, Tensor<D>> {
    if activation == Activation::None {
        return Ok(x);
    }
    let mut x = x.into_dispatch();
    let unique = match (&mut x.kind, x.autodiff) {
        (DispatchTensorKind::Flex(BackendTensor::Float(flex)), DispatchAutodiffContext::Disabled)
            if flex.dtype() == DType::F32 && flex.layout().contiguous_offsets() == Some((0, flex.layout().num_elements())) =>
        {
            flex.try_storage_mut::<f32>()
        }
        _ => None,
    };
    match unique {
        Some(values) => {
            activate_slice(values, activation);
            Ok(Tensor::from_dispatch(x))
        }
        None => Err(Tensor::from_dispatch(x)),
    }
}

/// The `flex` tensor inside `t` when it is a plain f32 one, outside any autodiff graph.
fn plain_flex_f32(t: &DispatchTensor) -> Option<&FlexTensor> {
    match (&t.kind, t.autodiff) {
        (DispatchTensorKind::Flex(BackendTensor::Float(flex)), DispatchAutodiffContext::Disabled) if flex.dtype() == DType::F32 => {
            Some(flex)
        }
        _ => None,
    }
}

/// The tensor's values in row-major order (a copy only when its layout is not).
fn contiguous(t: &FlexTensor) -> Cow<'_, [f32]> {
    match t.layout().contiguous_offsets() {
        Some((start, end)) => Cow::Borrowed(&t.storage::<f32>()[start..end]),
        None => Cow::Owned(t.to_contiguous().storage::<f32>().to_vec()),
    }
}

/// burn's own activation: the reference the kernels' tests compare with.
#[cfg(test)]
pub fn reference_activation(x: Tensor<4>, activation: Activation) -> Tensor<4> {
    use burn::tensor::activation::{relu, relu6};
    match activation {
        Activation::None => x,
        Activation::Relu => relu(x),
        Activation::Relu6 => relu6(x),
    }
}

/// `conv` with its weights times 4, for the kernels' tests: large enough for ReLU6 to clip some
/// outputs at 6 and others at 0.
#[cfg(test)]
pub fn clipping(mut conv: Conv2d) -> Conv2d {
    conv.weight = burn::module::Param::from_tensor(conv.weight.val().mul_scalar(4.0));
    conv
}

/// A `[1, 4, 5, 5]` input of 0.5 with one NaN and one infinity, for the kernels' tests: both must
/// reach the outputs that read them as they do in burn.
#[cfg(test)]
pub fn non_finite_input(device: &Device) -> Tensor<4> {
    let mut values = vec![0.5f32; 4 * 5 * 5];
    values[7] = f32::NAN;
    values[40] = f32::INFINITY;
    Tensor::<4>::from_data(TensorData::new(values, [1, 4, 5, 5]), device)
}

/// `got` equals burn's `expected` (to 1e-4, NaN where it has NaN), and a NaN reached it.
#[cfg(test)]
pub fn assert_non_finite_as_burn(got: Tensor<4>, expected: Tensor<4>) {
    let got = got.into_data().try_to_vec::<f32>().unwrap();
    let expected = expected.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert!(g == e || (g.is_nan() && e.is_nan()) || (g - e).abs() < 1e-4, "value {i}: {g} vs burn's {e}");
    }
    assert!(got.iter().any(|v| v.is_nan()), "a NaN input reaches the outputs that read it");
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::{Activation, activate_in_place, map, reference_activation};
    use burn::prelude::*;

    #[test]
    fn map_hands_each_item_over_once_and_keeps_the_order() {
        let mut out = vec![0u32; 100];
        let chunks: Vec<(usize, &mut [u32])> = out.chunks_mut(7).enumerate().collect();
        let lengths = map(chunks, |(i, chunk)| {
            chunk.iter_mut().for_each(|v| *v += i as u32 + 1);
            chunk.len()
        });
        assert_eq!(lengths, [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 2]);
        assert!(out.iter().enumerate().all(|(j, &v)| v == (j / 7) as u32 + 1), "each chunk written once, by its own task");
    }

    #[test]
    fn activation_in_place_equals_burns_and_spares_shared_tensors() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 5, 7, 9], Distribution::Normal(0.0, 4.0), &device);
        for activation in [Activation::None, Activation::Relu, Activation::Relu6] {
            let expected = reference_activation(x.clone(), activation);
            let fresh = x.clone().mul_scalar(1.0); // a new buffer that nothing else holds
            let got = activate_in_place(fresh, activation).expect("a fresh tensor is activated in place");
            assert_eq!(got.into_data(), expected.into_data(), "{activation:?}");
        }
        // `x` is shared with `kept`: changing its memory would change `kept` too.
        let kept = x.clone();
        let back = activate_in_place(x, Activation::Relu).expect_err("a shared tensor is left to burn");
        assert_eq!(back.into_data(), kept.into_data());
    }
}
