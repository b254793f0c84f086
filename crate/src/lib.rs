//! camtag (看图识物): point a camera at the world and a convolutional network tells you, in
//! Chinese and English, what it sees.
//!
//! The crate is plain Rust: [`preprocess`] turns raw pixels into the network's input exactly as
//! torchvision does, [`model`] holds the networks written with burn, [`bundle`] is the one file
//! format the page and the CLI load, and [`Classifier`] puts them together on a [`backend`]
//! (WebGPU or CPU). The browser binding lives in `wasm.rs`; the native CLI in `main.rs`.

pub mod backend;
pub mod bundle;
pub mod classifier;
pub mod error;
pub mod labels;
pub mod model;
pub mod preprocess;
pub mod topk;

#[cfg(not(target_arch = "wasm32"))]
pub mod evaluate;
#[cfg(not(target_arch = "wasm32"))]
pub mod import;
#[cfg(not(target_arch = "wasm32"))]
pub mod photo;
#[cfg(not(target_arch = "wasm32"))]
pub mod svg;
#[cfg(not(target_arch = "wasm32"))]
pub mod train;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use backend::{Backend, BackendChoice, BackendKind};
pub use bundle::Bundle;
pub use classifier::Classifier;
pub use error::{CamtagError, Result};
pub use topk::Prediction;
