//! One error type for the whole crate: every failure a user can cause (a bad bundle, a bad
//! picture, a missing device) becomes a variant with a message that names the problem.

use thiserror::Error;

/// Everything that can go wrong in camtag, with a message meant for the person using it.
#[derive(Debug, Error)]
pub enum CamtagError {
    /// The bytes do not start with the camtag bundle magic.
    #[error("not a camtag model bundle ({0})")]
    NotABundle(String),
    /// The bundle was written by an incompatible version of the format.
    #[error("model bundle format version {found} is not supported (this camtag reads version {supported}); re-run `camtag import`")]
    UnsupportedVersion { found: u32, supported: u32 },
    /// The bundle ends before its header says it should.
    #[error("model bundle is truncated: {0}")]
    Truncated(String),
    /// The weights' SHA-256 differs from the one the manifest records.
    #[error("model bundle is corrupt: weights checksum mismatch (manifest says {expected}, weights hash to {actual})")]
    ChecksumMismatch { expected: String, actual: String },
    /// The manifest is not valid JSON or disagrees with itself.
    #[error("model bundle manifest is invalid: {0}")]
    Manifest(String),
    /// The weights are not burnpack data at all (the format every bundle's weights are in).
    #[error("model weights are not in burnpack format: {0}")]
    NotBurnpack(String),
    /// The weights cannot be loaded into the architecture the manifest names.
    #[error("model weights do not fit the architecture: {0}")]
    Weights(String),
    /// The picture cannot be used as input.
    #[error("invalid image: {0}")]
    Image(String),
    /// A lesson (tags, pictures, settings) that teaching a new head cannot use.
    #[error("cannot teach these tags: {0}")]
    Teach(String),
    /// A network that takes one input size only was given another (VGG's fully connected head).
    #[error("{0}")]
    InputSize(String),
    /// A compute device could not be created or used.
    #[error("compute device error: {0}")]
    Device(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Result with [`CamtagError`].
pub type Result<T> = std::result::Result<T, CamtagError>;

impl CamtagError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Self::Io { path: path.as_ref().display().to_string(), source }
    }
}
