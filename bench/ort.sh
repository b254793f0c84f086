#!/usr/bin/env bash
# camtag beside onnxruntime-web (and native camtag beside pip onnxruntime) on MobileNetV2:
# exports the ONNX model from the same .pth camtag imports, installs the benchmark-only npm
# packages into bench/node_modules and runs bench/ort.mjs. Needs ./build.sh run first.
# torch, torchvision and onnx go into a throwaway venv (several GB): not project dependencies.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/.cache
VENV=${TORCH_VENV:-$CACHE/torch-venv}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if ! "$VENV/bin/python" -c 'import torch, torchvision, onnx, onnxruntime' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch==2.15.0 torchvision==0.29.2 onnx==1.23.2 onnxruntime==1.31.1 pillow numpy
fi
[[ -f $CACHE/onnx/mobilenet_v2.onnx ]] || "$VENV/bin/python" "$ROOT/bench/export_onnx.py" "$CACHE" "$CACHE/onnx"
(cd "$ROOT/bench" && npm install --no-audit --no-fund --silent)

echo "==> in the browser (headless Chromium)" >&2
node "$ROOT/bench/ort.mjs"

echo "==> native: camtag CLI vs onnxruntime (pip), CPU, one picture at a time" >&2
"$VENV/bin/python" "$ROOT/bench/ort_native.py" "$CACHE" "$CARGO_TARGET_DIR/release/camtag" "$ROOT/www/models/mobilenet_v2.camtag"
