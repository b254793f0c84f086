//! camtag (看图识物): point a camera at the world and a convolutional network tells you, in
//! Chinese and English, what it sees.
//!
//! The crate is plain Rust, in rooms by role:
//! - [`preprocess`] turns raw pixels into the network's input exactly as torchvision does;
//! - [`nets`] holds the networks, written with burn's layers;
//! - [`kernels`] is camtag's own CPU fast path, which the networks call through one seam;
//! - [`parallel`] is the CPU's threads, shared by the kernels and the preprocessing;
//! - [`bundle`] is the one file format the page and the CLI load;
//! - [`Classifier`] puts them together on a [`backend`] (WebGPU or CPU);
//! - [`teach`] gives a network new tags from described pictures (the page's and the CLI's
//!   transfer recipe);
//! - natively, [`data`] reads photos and ImageFolder trees for [`train`] and [`evaluate`].
//!
//! The browser binding lives in `wasm.rs`; the native CLI in `main.rs` and `cli/`.

pub mod backend;
pub mod bundle;
pub mod cam;
pub mod classifier;
pub mod error;
pub mod labels;
pub mod kernels;
pub mod nets;
pub mod parallel;
pub mod preprocess;
pub mod teach;
pub mod topk;

#[cfg(not(target_arch = "wasm32"))]
pub mod data;
#[cfg(not(target_arch = "wasm32"))]
pub mod evaluate;
#[cfg(not(target_arch = "wasm32"))]
pub mod import;
#[cfg(not(target_arch = "wasm32"))]
pub mod svg;
#[cfg(not(target_arch = "wasm32"))]
pub mod train;
#[cfg(not(target_arch = "wasm32"))]
pub mod trial;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use backend::{Backend, BackendChoice, BackendKind};
pub use bundle::Bundle;
pub use classifier::Classifier;
pub use error::{CamtagError, Result};
pub use topk::Prediction;
