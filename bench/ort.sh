#!/usr/bin/env bash
# camtag beside its peers, written into BENCHMARKS.md: in headless Chromium, camtag's CPU wasm
# packages (SIMD and baseline) and WebGPU beside onnxruntime-web; natively, the camtag CLI (CPU and wgpu) beside
# onnxruntime (pip); then the page's cold start (time and bytes to the first tag). Exports the
# ONNX models from the same .pth files camtag imports and installs the benchmark-only npm
# packages into bench/node_modules. Needs ./build.sh run first.
# torch, torchvision and onnx go into a throwaway venv (several GB): not project dependencies.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/.cache
VENV=${TORCH_VENV:-$CACHE/torch-venv}
RESULTS=$ROOT/bench/results
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if ! "$VENV/bin/python" -c 'import torch, torchvision, onnx, onnxruntime' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch==2.15.0 torchvision==0.29.2 onnx==1.23.2 onnxruntime==1.31.1 pillow numpy
fi
if [[ ! -f $CACHE/onnx/mobilenet_v2.onnx || ! -f $CACHE/onnx/efficientnet_lite0.onnx ]]; then
    "$VENV/bin/python" "$ROOT/bench/export_onnx.py" "$CACHE" "$CACHE/onnx"
fi
(cd "$ROOT/bench" && npm install --no-audit --no-fund --silent)
mkdir -p "$RESULTS"

echo "==> in the browser (headless Chromium)" >&2
OUT=$RESULTS/ort-browser.json node "$ROOT/bench/ort.mjs"

echo "==> native: camtag CLI vs onnxruntime (pip), one picture at a time" >&2
"$VENV/bin/python" "$ROOT/bench/ort_native.py" "$CACHE" "$CARGO_TARGET_DIR/release/camtag" "$ROOT/www/models" "$RESULTS/ort-native.json"

echo "==> the page, cold: time and bytes to the first tag" >&2
(cd "$ROOT/tests" && npm install --no-audit --no-fund --silent) # first-tag.mjs runs on the tests' harness
OUT=$RESULTS/first-tag.json node "$ROOT/bench/first-tag.mjs"

node "$ROOT/bench/report.mjs" "$RESULTS/ort-browser.json" "$RESULTS/ort-native.json" "$RESULTS/first-tag.json" "$ROOT/BENCHMARKS.md"
node "$ROOT/bench/readme.mjs" # the README quotes the same results
