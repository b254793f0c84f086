#!/usr/bin/env python3
"""Export the page's ImageNet models to ONNX, from the very checkpoints camtag imports, for the
onnxruntime comparison (bench/ort.sh). Not a project dependency: run it in a throwaway venv with
torch, torchvision and onnx (bench/ort.sh sets one up).

usage: export_onnx.py CACHE_DIR OUT_DIR
  CACHE_DIR/weights/mobilenet_v2-b0353104.pth        -> OUT_DIR/mobilenet_v2.onnx
  (EfficientNet-Lite0: not exported yet.)

Input "input" [1, 3, 224, 224] float32, normalized as torchvision expects; output "logits"
[1, 1000]. The script checks the ONNX model against torch on a random input (max |diff| < 1e-4).
"""

import sys
from pathlib import Path

import numpy as np
import torch
import torchvision


def main():
    cache, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    model = torchvision.models.mobilenet_v2()
    model.load_state_dict(torch.load(cache / "weights/mobilenet_v2-b0353104.pth", map_location="cpu"))
    model.eval()
    x = torch.randn(1, 3, 224, 224)
    path = out / "mobilenet_v2.onnx"
    torch.onnx.export(model, (x,), str(path), input_names=["input"], output_names=["logits"], opset_version=17, dynamo=False)
    import onnx
    import onnx.reference

    onnx.checker.check_model(str(path))
    with torch.no_grad():
        expected = model(x).numpy()
    (got,) = onnx.reference.ReferenceEvaluator(str(path)).run(None, {"input": x.numpy()})
    diff = float(np.abs(got - expected).max())
    print(f"{path}: {path.stat().st_size} bytes, max |onnx - torch| = {diff:.2e}", file=sys.stderr)
    assert diff < 1e-4, diff


if __name__ == "__main__":
    main()
