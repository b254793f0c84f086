#!/usr/bin/env bash
# Training throughput, camtag (burn's CPU backend) beside PyTorch on the CPU, same architectures,
# same batch, same optimizer: writes bench/results/*.jsonl and prints the table for
# BENCHMARKS.md. PyTorch is not a project dependency: this script installs it into a throwaway
# venv (.cache/torch-venv, several GB with its CUDA libraries, which the CPU run never touches).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BATCH=${BATCH:-16}
STEPS=${STEPS:-3}
THREADS=${THREADS:-$(nproc)}
OUT=$ROOT/bench/results
VENV=${TORCH_VENV:-$ROOT/.cache/torch-venv}
mkdir -p "$OUT"

if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch==2.15.0 numpy
fi

echo "==> camtag (burn flex, batch $BATCH, $STEPS steps)" >&2
BATCH=$BATCH STEPS=$STEPS cargo bench --locked -p camtag --bench train_throughput | tee "$OUT/burn.jsonl"
echo "==> PyTorch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)') (batch $BATCH, $STEPS steps, $THREADS threads)" >&2
"$VENV/bin/python" "$ROOT/bench/torch_train.py" --batch "$BATCH" --steps "$STEPS" --threads "$THREADS" | tee "$OUT/torch.jsonl"

python3 - "$OUT/burn.jsonl" "$OUT/torch.jsonl" <<'PY'
import json, sys
burn = {(r["arch"], r["size"]): r for r in map(json.loads, open(sys.argv[1]))}
torch = {(r["arch"], r["size"]): r for r in map(json.loads, open(sys.argv[2]))}
print("| architecture | px | camtag (burn) img/s | PyTorch img/s | camtag / PyTorch |")
print("| --- | --- | --- | --- | --- |")
for key in burn:
    if key in torch:
        b, t = burn[key]["images_per_s"], torch[key]["images_per_s"]
        print(f"| {key[0]} | {key[1]} | {b:.1f} | {t:.1f} | {b / t:.2f} |")
PY
