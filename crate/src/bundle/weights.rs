//! Weights in and out of burnpack bytes, in f32, f16 or 8 bits (int8.rs).

use burn::module::Module;
use burn::prelude::*;
use burn::store::burn_pack::Error as PackError;
use burn::store::{BurnpackStore, FloatCastAdapter, HalfPrecisionAdapter, ModuleAdapter, ModuleSnapshot};
use burn::tensor::{Bytes, DType};

use super::WeightsDtype;
use super::int8::{DequantizeAdapter, QuantizeAdapter};
use crate::error::{CamtagError, Result};
use crate::nets::{Architecture, Network};

/// Serializes a network's weights: convolution and linear weights cast to f16 when asked, or in
/// 8 bits where int8.rs says (the rest of them f16); batch-norm statistics always stay f32, as
/// f16 underflows their variances.
pub fn encode(network: &Network, dtype: WeightsDtype) -> Result<Vec<u8>> {
    let mut store = BurnpackStore::from_bytes(None);
    match dtype {
        WeightsDtype::F32 => {}
        WeightsDtype::F16 => store = store.with_to_adapter(HalfPrecisionAdapter::new()),
        // 8 bits first; the half-precision pass then leaves 8-bit tensors alone.
        WeightsDtype::Int8 => store = store.with_to_adapter(QuantizeAdapter.chain(HalfPrecisionAdapter::new())),
    }
    network.save_into(&mut store).map_err(|e| CamtagError::Weights(format!("cannot serialize: {e}")))?;
    let bytes = store.get_bytes().map_err(|e| CamtagError::Weights(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// Builds `architecture` on `device` and loads `weights` into it. Every parameter must be
/// present with the right shape. Whatever float type the file stores (f16 from an f16 bundle, or
/// anything a hand-made file may hold), parameters are cast to the f32 the network computes in,
/// so a manifest that misstates its dtype cannot leave mixed types for the forward pass; 8-bit
/// weights are widened to f32 the same way, whatever the manifest says.
pub fn decode(architecture: &Architecture, weights: Vec<u8>, device: &Device) -> Result<Network> {
    // Building the network allocates every parameter before the file is read: refuse a manifest
    // that names a network bigger than its weights can hold (a byte a value at the least, int8),
    // so a small crafted file cannot make camtag allocate gigabytes.
    let values = architecture.stored_values();
    if values > weights.len() as u64 {
        return Err(CamtagError::Weights(format!(
            "the manifest's network has {values} values but the weights are only {} bytes",
            weights.len()
        )));
    }
    let mut network = architecture.init(device);
    let widen = DequantizeAdapter::for_network(&network).chain(FloatCastAdapter::to(DType::F32));
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(weights))).with_from_adapter(widen);
    let result = network.load_from(&mut store).map_err(|e| match e {
        // Bytes that are no burnpack at all (whatever the checksum vouches for) say so, rather
        // than blaming the architecture.
        PackError::InvalidHeader | PackError::InvalidMagicNumber | PackError::InvalidVersion | PackError::MetadataDeserializationError(_) => {
            CamtagError::NotBurnpack(e.to_string())
        }
        e => CamtagError::Weights(e.to_string()),
    })?;
    if !result.missing.is_empty() {
        let missing: Vec<_> = result.missing.iter().map(|(path, _)| path.as_str()).collect();
        return Err(CamtagError::Weights(format!("missing tensors {missing:?}")));
    }
    if !result.unused.is_empty() {
        return Err(CamtagError::Weights(format!("tensors the network does not have: {:?}", result.unused)));
    }
    Ok(network.no_grad())
}
