//! Weights stored in 8 bits: symmetric, one f32 scale per output channel, widened back to f32
//! when loaded (weight-only quantization: the network still computes in f32).
//!
//! Which weights: convolution and linear weights whose output channels each gather at least
//! [`MIN_FAN_IN`] values. Depthwise kernels (9 or 25 values a channel) and the RGB stem (27)
//! stay in f16: they are 2 % of MobileNetV2's values (about 40 KB more than in 8 bits), and the
//! layers where 8 bits cost the most. On the 1000 pictures of `EliSchwartz/imagenet-sample-images`
//! (one per ImageNet class) MobileNetV2 gives the f32 weights' top-1 on 991 of them (top-1
//! accuracy there 83.7 %, f32 83.8 %: `bench/int8.sh`); with every weight in 8 bits, on 975
//! (measured in PyTorch). BENCHMARKS.md has the table, EfficientNet-Lite0 too.
//!
//! Stored form of one weight (dtype `I8`, rank 1, `4 × channels + values` bytes):
//! ```text
//! channels × f32 little-endian   scale of each output channel (max |w| / 127; 0 for a zero channel)
//! values   × i8                  round(w / scale), in the weight's own element order
//! ```
//! Output channels are axis 0 of a convolution weight `[out, in / groups, kh, kw]` and axis 1 of
//! burn's linear weight `[in, out]`. The stored tensor does not repeat the weight's shape: the
//! loader takes it from the network the manifest describes ([`DequantizeAdapter::for_network`]).

use std::collections::HashMap;
use std::sync::Arc;

use burn::module::{Module, ModuleVisitor, Param};
use burn::store::bridge::{self, MaybeSendSync};
use burn::store::burn_pack::{Error as PackError, Tensor as PackTensor};
use burn::store::{ModuleAdapter, ModuleContext};
use burn::tensor::{DType, Shape, Tensor, TensorData};

/// Values per output channel below which a weight stays in f16 (see the module docs).
pub const MIN_FAN_IN: usize = 32;
/// Largest magnitude of a stored value: symmetric, so -128 is never used and 0 is exact.
const QMAX: f32 = 127.0;

/// Where a weight's output channels are, or `None` when the tensor is not a weight stored in 8
/// bits. Returns `(channels, inner)`: value `i` belongs to channel `(i / inner) % channels`.
fn channel_layout(module_type: Option<&str>, name: &str, shape: &Shape) -> Option<(usize, usize)> {
    if name.rsplit('.').next() != Some("weight") {
        return None;
    }
    let dims: &[usize] = shape;
    let numel: usize = dims.iter().product();
    let (channels, inner) = match (module_type?, dims) {
        ("Struct:Conv2d", [out, ..]) if dims.len() == 4 => (*out, numel / (*out).max(1)),
        ("Struct:Linear", [_, out]) => (*out, 1),
        _ => return None,
    };
    (channels > 0 && numel / channels >= MIN_FAN_IN).then_some((channels, inner))
}

/// Stored length of a weight of `numel` values over `channels` output channels.
fn stored_len(channels: usize, numel: usize) -> usize {
    4 * channels + numel
}

/// Quantizes `values` (one weight, element order) into the stored form.
fn quantize(values: &[f32], channels: usize, inner: usize) -> Result<Vec<u8>, String> {
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!("value {i} is {}: cannot store it in 8 bits", values[i]));
    }
    // Runs of `inner` values share a channel, the runs cycling through the channels.
    let runs = || values.chunks(inner.max(1)).enumerate().map(|(run, chunk)| (run % channels, chunk));
    let mut max = vec![0f32; channels];
    for (channel, chunk) in runs() {
        max[channel] = chunk.iter().fold(max[channel], |m, v| m.max(v.abs()));
    }
    let scales: Vec<f32> = max.iter().map(|m| m / QMAX).collect();
    let mut out = Vec::with_capacity(stored_len(channels, values.len()));
    for s in &scales {
        out.extend_from_slice(&s.to_le_bytes());
    }
    for (channel, chunk) in runs() {
        let s = scales[channel];
        out.extend(chunk.iter().map(|v| {
            let q = if s > 0.0 { (v / s).round().clamp(-QMAX, QMAX) } else { 0.0 };
            q as i8 as u8
        }));
    }
    Ok(out)
}

/// The f32 values of a stored weight of `numel` values (the inverse of [`quantize`], to within
/// half a scale step per value).
fn dequantize(stored: &[u8], numel: usize, channels: usize, inner: usize) -> Result<Vec<f32>, String> {
    if stored.len() != stored_len(channels, numel) {
        return Err(format!(
            "{} bytes, but {numel} values in {channels} channels take {}",
            stored.len(),
            stored_len(channels, numel)
        ));
    }
    let (scale_bytes, values) = stored.split_at(4 * channels);
    let scales: Vec<f32> =
        scale_bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
    if let Some(s) = scales.iter().find(|s| !s.is_finite() || **s < 0.0) {
        return Err(format!("scale {s} is not a finite non-negative number"));
    }
    // Runs of `inner` values share a scale, the runs cycling through the channels: no division
    // per value (3.5 M of them at every model load, in the page too).
    let mut out = Vec::with_capacity(numel);
    for (run, chunk) in values.chunks(inner.max(1)).enumerate() {
        let scale = scales[run % channels];
        out.extend(chunk.iter().map(|&q| f32::from(q as i8) * scale));
    }
    Ok(out)
}

/// A deferred tensor of `dtype`/`shape` whose bytes `f` makes from `source`'s data.
fn remap(
    source: PackTensor,
    dtype: DType,
    shape: Shape,
    f: impl Fn(TensorData) -> Result<TensorData, String> + MaybeSendSync + 'static,
) -> PackTensor {
    let (name, param_id) = (source.name.clone(), source.param_id);
    let path = name.clone();
    bridge::deferred(name, dtype, shape, param_id, move || {
        let data = bridge::to_data(&source)?;
        f(data).map_err(|e| PackError::ValidationError(format!("{path}: {e}")))
    })
}

/// Saving: f32 weights that qualify become their stored 8-bit form; everything else passes.
#[derive(Clone, Copy, Debug, Default)]
pub struct QuantizeAdapter;

impl ModuleAdapter for QuantizeAdapter {
    fn adapt(&self, tensor: PackTensor, ctx: ModuleContext<'_>) -> PackTensor {
        let Some((channels, inner)) = channel_layout(ctx.module_type(), &tensor.name, &tensor.shape) else {
            return tensor;
        };
        if tensor.dtype != DType::F32 {
            return tensor;
        }
        let numel = tensor.shape.iter().product::<usize>();
        let stored = Shape::new([stored_len(channels, numel)]);
        remap(tensor, DType::I8, stored.clone(), move |data| {
            let values = data.as_slice::<f32>().map_err(|e| format!("{e:?}"))?;
            let bytes = quantize(values, channels, inner)?;
            Ok(TensorData::from_bytes_vec(bytes, stored.clone(), DType::I8))
        })
    }

    fn clone_box(&self) -> Box<dyn ModuleAdapter> {
        Box::new(*self)
    }
}

/// Loading: each stored 8-bit weight back to f32 in its parameter's shape.
#[derive(Clone, Debug)]
pub struct DequantizeAdapter {
    /// Parameter path → shape, of the network the weights are loaded into.
    shapes: Arc<HashMap<String, Shape>>,
}

impl DequantizeAdapter {
    /// For loading into `network`: its parameters' shapes, read without initializing them (a
    /// freshly built network's parameters are lazy; burn-store's `collect` would fill each with
    /// random values first, only for the load to replace them).
    pub fn for_network<M: Module>(network: &M) -> Self {
        let mut shapes = ParamShapes::default();
        network.visit(&mut shapes);
        Self { shapes: Arc::new(shapes.shapes) }
    }
}

/// Float parameters' paths and shapes, named as burn-store names them (module names joined with
/// dots, enum variants included).
#[derive(Default)]
struct ParamShapes {
    path: Vec<String>,
    shapes: HashMap<String, Shape>,
}

impl ModuleVisitor for ParamShapes {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.shapes.insert(self.path.join("."), param.lazy_shape());
    }
}

impl ModuleAdapter for DequantizeAdapter {
    fn adapt(&self, tensor: PackTensor, ctx: ModuleContext<'_>) -> PackTensor {
        if tensor.dtype != DType::I8 || tensor.shape.len() != 1 {
            return tensor;
        }
        let Some(shape) = self.shapes.get(&tensor.name).cloned() else { return tensor };
        let Some((channels, inner)) = channel_layout(ctx.module_type(), &tensor.name, &shape) else {
            return tensor;
        };
        let numel = shape.iter().product::<usize>();
        remap(tensor, DType::F32, shape.clone(), move |data| {
            let values = dequantize(data.as_bytes(), numel, channels, inner)?;
            Ok(TensorData::new(values, shape.clone()))
        })
    }

    fn clone_box(&self) -> Box<dyn ModuleAdapter> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_within_half_a_step_per_channel() {
        // Two channels of 40 values along axis 0, wildly different ranges, and a zero channel.
        let mut values: Vec<f32> = (0..40).map(|i| (i as f32 - 20.0) * 0.013).collect();
        values.extend((0..40).map(|i| ((i * 7 % 13) as f32 - 6.0) * 31.0));
        values.extend([0.0; 40]);
        let stored = quantize(&values, 3, 40).unwrap();
        assert_eq!(stored.len(), 3 * 4 + 120);
        let back = dequantize(&stored, 120, 3, 40).unwrap();
        for (c, range) in [(0, 0..40), (1, 40..80), (2, 80..120)] {
            let max = values[range.clone()].iter().fold(0f32, |m, v| m.max(v.abs()));
            let step = max / QMAX;
            for i in range {
                // Half a step, and f32's rounding of the product.
                assert!((back[i] - values[i]).abs() <= step / 2.0 + max * 1e-6, "channel {c} value {i}");
            }
        }
        // The largest magnitude of a channel comes back exactly (up to f32 rounding), zeros exactly.
        assert!((back[40 + 11] - values[40 + 11]).abs() < 1e-3, "{} vs {}", back[40 + 11], values[40 + 11]);
        assert!(back[80..].iter().all(|v| *v == 0.0));
    }

    #[test]
    fn channels_on_the_last_axis_for_linear_weights() {
        // burn's Linear stores [in, out]: channel of value i is i % out.
        let (d_in, d_out) = (40, 2);
        let values: Vec<f32> = (0..d_in * d_out).map(|i| if i % 2 == 0 { 1e-3 * i as f32 } else { 100.0 - i as f32 }).collect();
        let back = dequantize(&quantize(&values, d_out, 1).unwrap(), values.len(), d_out, 1).unwrap();
        // Per-channel scales keep the small channel accurate beside the large one.
        for i in (0..values.len()).step_by(2) {
            assert!((back[i] - values[i]).abs() <= 0.078 / QMAX / 2.0 + 1e-7, "value {i}");
        }
    }

    #[test]
    fn which_weights_are_stored_in_8_bits() {
        let conv = Some("Struct:Conv2d");
        assert_eq!(channel_layout(conv, "features.2.conv.weight", &Shape::new([64, 32, 1, 1])), Some((64, 32)));
        assert_eq!(channel_layout(Some("Struct:Linear"), "classifier.weight", &Shape::new([1280, 1000])), Some((1000, 1)));
        // Depthwise 3x3 (9 values a channel) and the RGB stem (27) stay f16; so do biases and
        // batch norms.
        assert_eq!(channel_layout(conv, "dw.weight", &Shape::new([96, 1, 3, 3])), None);
        assert_eq!(channel_layout(conv, "stem.weight", &Shape::new([32, 3, 3, 3])), None);
        assert_eq!(channel_layout(conv, "features.2.conv.bias", &Shape::new([64])), None);
        assert_eq!(channel_layout(Some("Struct:BatchNorm"), "bn.weight", &Shape::new([64, 64, 1, 1])), None);
        assert_eq!(channel_layout(None, "weight", &Shape::new([64, 64, 1, 1])), None);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(quantize(&[1.0, f32::NAN], 1, 2).unwrap_err().contains("NaN"));
        assert!(quantize(&[f32::INFINITY, 0.0], 1, 2).is_err());
        let stored = quantize(&[0.5; 64], 1, 64).unwrap();
        assert!(dequantize(&stored[..stored.len() - 1], 64, 1, 64).unwrap_err().contains("take 68"));
        let mut bad_scale = stored.clone();
        bad_scale[..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert!(dequantize(&bad_scale, 64, 1, 64).unwrap_err().contains("scale"));
    }
}
