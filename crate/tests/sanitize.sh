#!/usr/bin/env bash
# Checks the kernels' thread pool (crate/src/parallel/pool.rs) on its own, built from
# crate/tests/pool in seconds rather than with burn:
#   stable  the pool's unit tests and a stress test of a million jobs (2-8 threads, panicking
#           tasks, a second caller), then loom's exhaustive interleavings (`--cfg loom`);
#   nightly (with --all) the same unit and stress tests under Miri, ThreadSanitizer (std rebuilt
#           with it, so its own atomics are seen) and AddressSanitizer, with fewer jobs.
# tests/run.sh (CI) runs the stable part; the nightly part's last clean run is in BENCHMARKS.md
# ("The pool's protocol, checked"). Prints each step and its time.
#
#   crate/tests/sanitize.sh [--all]
set -euo pipefail

HERE=$(cd "$(dirname "$0")/pool" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/pool-check
HOST=$(rustc -vV | sed -n 's/^host: //p')
cd "$HERE"

step() {
    local name=$1
    shift
    local start=$SECONDS
    echo "==> pool: $name" >&2
    "$@"
    echo "    $name: clean, $((SECONDS - start)) s" >&2
}

step "unit and stress tests (1,000,000 jobs)" \
    env CARGO_TARGET_DIR="$TARGET/plain" cargo test --release --locked --quiet
step "loom model" \
    env CARGO_TARGET_DIR="$TARGET/loom" RUSTFLAGS="--cfg loom" cargo test --release --locked --quiet --test model

[[ ${1:-} == --all ]] || exit 0

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component add --toolchain nightly miri rust-src
step "Miri (700 jobs)" \
    env CARGO_TARGET_DIR="$TARGET/miri" POOL_JOBS=700 MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test --locked --quiet
step "ThreadSanitizer (100,000 jobs)" \
    env CARGO_TARGET_DIR="$TARGET/tsan" POOL_JOBS=100000 RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" \
    cargo +nightly test --locked --quiet -Zbuild-std --target "$HOST" --release
step "AddressSanitizer (100,000 jobs)" \
    env CARGO_TARGET_DIR="$TARGET/asan" POOL_JOBS=100000 RUSTFLAGS="-Zsanitizer=address" RUSTDOCFLAGS="-Zsanitizer=address" \
    cargo +nightly test --locked --quiet --target "$HOST" --release
