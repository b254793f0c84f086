#!/usr/bin/env python3
"""Export the page's ImageNet models to ONNX, from the very checkpoints camtag imports, for the
onnxruntime comparison (bench/ort.sh). Not a project dependency: run it in a throwaway venv with
torch, torchvision and onnx (bench/ort.sh sets one up).

usage: export_onnx.py CACHE_DIR OUT_DIR
  CACHE_DIR/weights/mobilenet_v2-b0353104.pth        -> OUT_DIR/mobilenet_v2.onnx
  CACHE_DIR/weights/efficientnet-lite0-57934424.pth  -> OUT_DIR/efficientnet_lite0.onnx

Input "input" [1, 3, 224, 224] float32, normalized as torchvision expects; output "logits"
[1, 1000]. The script checks each ONNX model against torch on a random input (max |diff| < 1e-4).
Lite0's input is normalized as (x - 127) / 128.
"""

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

# EfficientNet-Lite0 as the efficientnet_lite_pytorch package (and camtag's
# crate/src/model/efficientnet_lite) builds it: (expansion, kernel, first stride, repeats, out).
LITE0_STAGES = [(1, 3, 1, 1, 16), (6, 3, 2, 2, 24), (6, 5, 2, 2, 40), (6, 3, 2, 3, 80), (6, 5, 1, 3, 112), (6, 5, 2, 4, 192), (6, 3, 1, 1, 320)]


class SameConv(nn.Conv2d):
    """A bias-free convolution with TensorFlow's "SAME" padding (the odd pixel after)."""

    def forward(self, x):
        pads = []
        for size, k, s in zip(reversed(x.shape[2:]), reversed(self.kernel_size), reversed(self.stride)):
            need = max((-(-size // s) - 1) * s + k - size, 0)
            pads += [need // 2, need - need // 2]
        return super().forward(F.pad(x, pads))


def conv_bn(cin, cout, k, s=1, groups=1):
    return SameConv(cin, cout, k, s, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)


class MBConv(nn.Module):
    def __init__(self, cin, cout, k, s, t):
        super().__init__()
        hidden = cin * t
        if t != 1:
            self._expand_conv, self._bn0 = conv_bn(cin, hidden, 1)
        self._depthwise_conv, self._bn1 = conv_bn(hidden, hidden, k, s, groups=hidden)
        self._project_conv, self._bn2 = conv_bn(hidden, cout, 1)
        self.expand, self.skip = t != 1, s == 1 and cin == cout

    def forward(self, x):
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    def __init__(self):
        super().__init__()
        self._conv_stem, self._bn0 = conv_bn(3, 32, 3, 2)
        blocks, cin = [], 32
        for t, k, s, n, c in LITE0_STAGES:
            for i in range(n):
                blocks.append(MBConv(cin, c, k, s if i == 0 else 1, t))
                cin = c
        self._blocks = nn.ModuleList(blocks)
        self._conv_head, self._bn1 = conv_bn(320, 1280, 1)
        self._fc = nn.Linear(1280, 1000)

    def forward(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(x.mean((2, 3)))


def export(model, weights, path):
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    model.eval()
    x = torch.randn(1, 3, 224, 224)
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


def main():
    cache, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    export(torchvision.models.mobilenet_v2(), cache / "weights/mobilenet_v2-b0353104.pth", out / "mobilenet_v2.onnx")
    export(EfficientNetLite0(), cache / "weights/efficientnet-lite0-57934424.pth", out / "efficientnet_lite0.onnx")


if __name__ == "__main__":
    main()
