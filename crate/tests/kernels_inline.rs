//! The CPU kernels' vector intrinsics are compiled into the kernels, not called: an intrinsic
//! is a function compiled with its instruction set, and it is inlined only into code compiled
//! with that set too. A kernel's closure handed through one of std's generic functions
//! (`array::map`, `array::from_fn`) that the compiler chose not to inline lost its target
//! features, and every intrinsic in it became a call: MobileNetV2's forward pass went 3.4 →
//! 5.6 ms on two threads after an unrelated edit, and every other test passed (see
//! `crate/src/kernels/vector/mod.rs`). Checked on the release CLI (`tests/run.sh` tests in release;
//! a debug build inlines nothing) with binutils' `nm`.
//!
//! Only the families camtag's kernels use and its dependencies do not: AVX-512 Foundation, FMA,
//! and AVX's `_ps` (float) operations. (`half`'s f16c conversions, `aho-corasick`'s SSSE3 and
//! a CRC's PCLMULQDQ have out-of-line intrinsics of their own.)

#[test]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[cfg_attr(debug_assertions, ignore = "a debug build inlines nothing: run in release")]
fn no_kernel_intrinsic_is_a_call() {
    let binary = env!("CARGO_BIN_EXE_camtag");
    let listed = std::process::Command::new("nm").args(["--demangle", "--defined-only", binary]).output().expect("binutils' nm lists the CLI's symbols");
    assert!(listed.status.success(), "nm {binary}: {}", String::from_utf8_lossy(&listed.stderr));
    let symbols = String::from_utf8_lossy(&listed.stdout);
    let calls: Vec<&str> = symbols
        .lines()
        .filter_map(|line| line.split_whitespace().nth(2))
        .filter(|name| {
            name.starts_with("core::core_arch::x86::avx512f::")
                || name.starts_with("core::core_arch::x86::fma::")
                || (name.starts_with("core::core_arch::x86::avx::") && name.ends_with("_ps"))
        })
        .collect();
    assert!(calls.is_empty(), "vector intrinsics compiled out of line (a kernel lost its target features): {calls:?}");
    // The check reads real symbols: the kernels' own functions are there.
    assert!(symbols.contains("camtag::kernels::pointwise::run_task::avx512"), "the CLI's symbols lack the AVX-512 1x1 kernel");
}
