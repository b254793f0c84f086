#!/usr/bin/env bash
# A change that must not move the speed (a refactor), measured: bench/ort.sh's browser and native
# runs for the build before the change and the build here, taken in turn for ROUNDS rounds so that
# a slow or fast spell of the shared machine falls on both builds. Writes each run's JSON to
# bench/results/before-after/ and prints camtag's ratio to onnxruntime(-web) per run and build.
#
#   bench/before_after.sh OLD_WWW OLD_CAMTAG     # e.g. a clone of the old commit, built
#
# Needs ./build.sh and one bench/ort.sh run first (the ONNX files, the venv, bench/node_modules).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/.cache
VENV=${TORCH_VENV:-$CACHE/torch-venv}
OUT=$ROOT/bench/results/before-after
ROUNDS=${ROUNDS:-2}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if (($# != 2)); then
    echo "usage: $0 OLD_WWW OLD_CAMTAG (the www/ and the camtag binary built before the change)" >&2
    exit 2
fi
old_www=$(cd "$1" && pwd) old_bin=$2 new_www=$ROOT/www new_bin=$CARGO_TARGET_DIR/release/camtag
for f in "$old_www/pkg/camtag_bg.wasm" "$old_bin" "$new_www/pkg/camtag_bg.wasm" "$new_bin" "$CACHE/onnx/mobilenet_v2.onnx"; do
    [[ -e $f ]] || { echo "$0: $f is missing (build both, and run bench/ort.sh once)" >&2; exit 1; }
done
mkdir -p "$OUT"
for round in $(seq 1 "$ROUNDS"); do
    for build in old new; do
        www=${build}_www bin=${build}_bin
        echo "==> round $round, $build build: native" >&2
        "$VENV/bin/python" "$ROOT/bench/ort_native.py" "$CACHE" "${!bin}" "${!www}/models" "$OUT/$build-native-$round.json" >/dev/null
        echo "==> round $round, $build build: browser" >&2
        CAMTAG_WWW=${!www} CAMTAG_BIN=${!bin} OUT=$OUT/$build-browser-$round.json node "$ROOT/bench/ort.mjs" >/dev/null
    done
done
node "$ROOT/bench/before_after_report.mjs" "$OUT" "$ROUNDS"
