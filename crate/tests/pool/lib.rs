//! camtag's kernel pool, the very file the crate compiles, for the checks in `tests/`.

#[path = "../../src/parallel/pool.rs"]
pub mod pool;
