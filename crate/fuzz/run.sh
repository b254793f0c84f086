#!/usr/bin/env bash
# Fuzzes camtag's two untrusted inputs, model bundles and pictures, for SECONDS each (default
# 600), with libFuzzer through cargo-fuzz (nightly Rust, AddressSanitizer). Seeds: small valid
# bundles of every architecture family (crate/examples/fuzz_seeds.rs), and the test photos.
# Crashes land in crate/fuzz/artifacts/<target>/; each one found becomes a regression test in
# crate/tests/bundle_errors.rs or crate/tests/cli.rs. Prints executions and crashes per target.
#
#   crate/fuzz/run.sh [SECONDS]
set -euo pipefail

SECONDS_EACH=${1:-600}
FUZZ=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$FUZZ/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
FUZZ_TARGET_DIR=${CAMTAG_FUZZ_TARGET_DIR:-$CARGO_TARGET_DIR/fuzz}
CACHE=${CAMTAG_CACHE:-$ROOT/.cache}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

corpus="$FUZZ_TARGET_DIR/corpus"
mkdir -p "$corpus/bundle" "$corpus/picture"
cargo run --release --quiet --manifest-path "$ROOT/Cargo.toml" -p camtag --example fuzz_seeds -- "$corpus/bundle"
# Picture seeds: the first byte picks decoder (even) or raw RGBA (odd), and the input size.
for photo in "$CACHE"/photos/*; do
    [[ -f $photo ]] || continue
    { printf '\x60'; head -c 200000 "$photo"; } >"$corpus/picture/$(basename "$photo")"
done
printf '\x01\x08\x00\x06\x00%s' "$(head -c 192 /dev/zero | tr '\0' '\177')" >"$corpus/picture/rgba-8x6"

cd "$FUZZ"
for target in bundle picture; do
    echo "==> fuzzing $target for ${SECONDS_EACH}s" >&2
    log="$FUZZ_TARGET_DIR/$target.log"
    status=0
    cargo +nightly fuzz run --target-dir "$FUZZ_TARGET_DIR" "$target" "$corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=4096 -max_len=1048576 -print_final_stats=1 2>"$log" || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "$target: $runs executions in ${SECONDS_EACH}s, exit status $status" >&2
    if ((status != 0)); then
        tail -40 "$log" >&2
        exit "$status"
    fi
done
