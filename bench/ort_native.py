#!/usr/bin/env python3
"""Native half of bench/ort.sh: the camtag CLI (burn's CPU backend, all cores) beside onnxruntime
(pip, CPU execution provider, all cores) on MobileNetV2, one 224 px picture at a time, median and
min of 30 runs after a warm-up.

usage: ort_native.py CACHE_DIR CAMTAG_BINARY CAMTAG_BUNDLE

camtag's figure is the `ms` its CLI reports per picture (preprocessing from the decoded photo,
forward pass, top-5), onnxruntime's the session.run of the already normalized input.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

RUNS = 30


def main():
    cache, camtag, bundle = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    photo = cache / "photos/chelsea.png"
    out = subprocess.run(
        [camtag, "classify", "--model", bundle, "--json", "--device", "cpu"] + [str(photo)] * (RUNS + 1),
        check=True, capture_output=True, text=True,
    ).stdout
    camtag_ms = [r["ms"] for r in json.loads(out)][1:]

    image = Image.open(photo).convert("RGB")
    w, h = image.size
    side = min(w, h)
    image = image.crop(((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2)).resize((224, 224), Image.BILINEAR)
    x = (np.asarray(image, dtype=np.float32) / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    x = x.transpose(2, 0, 1)[None].astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count()
    session = ort.InferenceSession(str(cache / "onnx/mobilenet_v2.onnx"), options, providers=["CPUExecutionProvider"])
    session.run(None, {"input": x})
    ort_ms = []
    for _ in range(RUNS):
        t = time.perf_counter()
        session.run(None, {"input": x})
        ort_ms.append((time.perf_counter() - t) * 1e3)

    print("| native, CPU | median ms | min ms |")
    print("| --- | --- | --- |")
    for name, ms in [("camtag CLI (burn flex)", camtag_ms), (f"onnxruntime {ort.__version__}", ort_ms)]:
        print(f"| {name} | {statistics.median(ms):.1f} | {min(ms):.1f} |")
    print(f"\nnative: camtag / onnxruntime median = {statistics.median(camtag_ms) / statistics.median(ort_ms):.2f}")


if __name__ == "__main__":
    main()
