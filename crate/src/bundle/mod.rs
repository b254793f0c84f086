//! The model bundle: one file that the page and the CLI load, holding a JSON manifest and the
//! weights in burn's burnpack format.
//!
//! Layout (all integers little-endian):
//! ```text
//! 0   8 bytes  magic "CAMTAG\r\n" (the CR LF catches text-mode transfers that mangle it)
//! 8   u32      format version (FORMAT_VERSION)
//! 12  u32      manifest length N
//! 16  N bytes  manifest, UTF-8 JSON (see Manifest)
//! ... rest     weights: burnpack, byte-shuffled (shuffle.rs) in planes as wide as the stored
//!              values (2 bytes in f16 bundles, 4 in f32; int8 bundles are not shuffled); format, length and SHA-256 of these
//!              bytes recorded in the manifest
//! ```

pub mod int8;
mod manifest;
pub mod shuffle;
pub mod weights;

pub use manifest::{Accuracy, Manifest, Source, TrainingSummary, WeightsDtype, WeightsInfo};

use sha2::{Digest, Sha256};

use crate::error::{CamtagError, Result};

/// First bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"CAMTAG\r\n";
/// The layout version this camtag writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Conventional file extension.
pub const EXTENSION: &str = "camtag";
/// Upper bound on the manifest (labels of many thousand classes still fit easily).
const MAX_MANIFEST_BYTES: usize = 16 << 20;

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    // Fed in chunks, not in one `update`: sha2 compresses all the blocks of one `update` in a
    // single call, and a WebAssembly call that is running cannot move from V8's baseline
    // compiler (Liftoff) to its optimizing one (no on-stack replacement for wasm). A model's
    // 7 MB in one call stayed in baseline code: 430 ms in a fresh page (Node 20, same V8), 53 ms
    // in 64 KiB chunks, where the calls after the first few run optimized code. Natively the
    // same either way.
    const CHUNK: usize = 64 << 10;
    let mut hasher = Sha256::new();
    for chunk in bytes.chunks(CHUNK) {
        hasher.update(chunk);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A decoded bundle: its manifest, and the weights it vouches for (burnpack, unshuffled).
#[derive(Clone, Debug)]
pub struct Bundle {
    pub manifest: Manifest,
    pub weights: Vec<u8>,
}

impl Bundle {
    /// Builds a bundle of burnpack `weights`, to be stored shuffled as wide as the manifest's
    /// dtype; records the stored form's format, length and checksum in the manifest.
    pub fn new(mut manifest: Manifest, weights: Vec<u8>) -> Self {
        let width = manifest.weights.dtype.width();
        let stored = shuffle::shuffle(&weights, width);
        manifest.weights.format = WeightsInfo::format_name(width);
        manifest.weights.bytes = stored.len() as u64;
        manifest.weights.sha256 = sha256_hex(&stored);
        Self { manifest, weights }
    }

    /// Serializes to the file layout above.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let manifest = serde_json::to_vec_pretty(&self.manifest)
            .map_err(|e| CamtagError::Manifest(format!("cannot serialize: {e}")))?;
        let stored = shuffle::shuffle(&self.weights, self.manifest.weights.shuffle_width()?);
        let mut out = Vec::with_capacity(16 + manifest.len() + stored.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(manifest.len() as u32).to_le_bytes());
        out.extend_from_slice(&manifest);
        out.extend_from_slice(&stored);
        Ok(out)
    }

    /// Reads only the manifest (checks magic, version and that the manifest is complete).
    pub fn read_manifest(bytes: &[u8]) -> Result<(Manifest, usize)> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            let what = if bytes.is_empty() {
                "the file is empty".to_string()
            } else if bytes.starts_with(b"\x89PNG") || bytes.starts_with(b"\xff\xd8") {
                "it is a picture, not a model".to_string()
            } else {
                "it does not start with the camtag magic bytes".to_string()
            };
            return Err(CamtagError::NotABundle(what));
        }
        let header = bytes
            .get(8..16)
            .ok_or_else(|| CamtagError::Truncated(format!("{} bytes, the header needs 16", bytes.len())))?;
        let version = u32::from_le_bytes(header[0..4].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(CamtagError::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
        }
        let len = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes")) as usize;
        if len > MAX_MANIFEST_BYTES {
            return Err(CamtagError::Manifest(format!("manifest length {len} is implausible")));
        }
        let json = bytes.get(16..16 + len).ok_or_else(|| {
            CamtagError::Truncated(format!("manifest needs {len} bytes, only {} present", bytes.len().saturating_sub(16)))
        })?;
        let manifest: Manifest =
            serde_json::from_slice(json).map_err(|e| CamtagError::Manifest(e.to_string()))?;
        manifest.validate()?;
        Ok((manifest, 16 + len))
    }

    /// Parses and verifies a bundle: magic, version, manifest, weights length and checksum.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (manifest, offset) = Self::read_manifest(bytes)?;
        let weights = &bytes[offset..];
        if weights.len() as u64 != manifest.weights.bytes {
            return Err(CamtagError::Truncated(format!(
                "weights are {} bytes, the manifest says {}",
                weights.len(),
                manifest.weights.bytes
            )));
        }
        let actual = sha256_hex(weights);
        if actual != manifest.weights.sha256 {
            return Err(CamtagError::ChecksumMismatch { expected: manifest.weights.sha256.clone(), actual });
        }
        let weights = shuffle::unshuffle(weights, manifest.weights.shuffle_width()?);
        Ok(Self { manifest, weights })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_sha256_across_chunk_boundaries() {
        // FIPS 180-2's test vectors.
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // One million 'a': many 64 KiB chunks and a partial last one.
        assert_eq!(
            sha256_hex(&vec![b'a'; 1_000_000]),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
        // Lengths around the chunk size agree with one-shot hashing.
        for len in [(64 << 10) - 1, 64 << 10, (64 << 10) + 1, 3 * (64 << 10) + 55] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let once: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(sha256_hex(&bytes), once, "{len} bytes");
        }
    }
}
