#!/usr/bin/env python3
"""Native half of bench/ort.sh: the camtag CLI (burn's CPU backend on all cores, and its wgpu
backend: Mesa's lavapipe here, a Vulkan driver that runs on the CPU) beside onnxruntime (pip, CPU
execution provider, all cores), MobileNetV2 and EfficientNet-Lite0, one 224 px picture at a
time, median and min of 30 runs after a warm-up (the CPU runs in alternating rounds: below).

usage: ort_native.py CACHE_DIR CAMTAG_BINARY MODELS_DIR OUT_JSON

The CPU figures of both engines are taken in ROUNDS alternating rounds (camtag's RUNS / ROUNDS
pictures, then onnxruntime's RUNS / ROUNDS runs, and again), so that a slow or fast spell of a
shared machine, which lasts seconds to minutes, falls on both and not on one engine's whole
sample: measured one after the other, onnxruntime's median moved 2.97-3.81 ms between four runs
minutes apart, and a ratio from one run swung 0.92-1.11.

camtag's figure is the `inferenceMs` its CLI reports per picture: from the preprocessed 224 px
input to the top-5 (forward pass, readback, top-k), as onnxruntime's is the session.run of the
already normalized input. Both decode and preprocess the photo before every run, untimed: the
CLI does so per picture, and onnxruntime's loop does the same. (Its loop had rerun session.run on
one input back to back, its threads spinning and its caches warm, while camtag's came out of a
decode each time: 3.21-3.25 ms back to back, 3.38-3.56 with the decode between, camtag's
medians within 0.1 ms of each other in both regimes.) A row of its own ("cpu+preprocessing")
keeps camtag's whole `ms`, from the decoded photo (resize, crop, normalization) to the tags.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

RUNS = 30
ROUNDS = 3
MODELS = ["mobilenet_v2", "efficientnet_lite0"]


def normalization(camtag, bundle):
    """The bundle's (x / 255 - mean) / std (`camtag info`), which the ONNX input must match."""
    info = json.loads(subprocess.run([camtag, "info", "--model", str(bundle), "--json"], check=True, capture_output=True, text=True).stdout)
    return info["preprocessing"]["mean"], info["preprocessing"]["std"]


def camtag_times(camtag, bundle, photo, device, runs):
    """`runs` pictures after a warm-up one, in one CLI process: their `inferenceMs` and `ms`."""
    out = subprocess.run(
        [camtag, "classify", "--model", str(bundle), "--json", "--device", device] + [str(photo)] * (runs + 1),
        check=True, capture_output=True, text=True,
    ).stdout
    results = json.loads(out)[1:]
    top1 = results[-1]["predictions"][0]["index"]
    return [r["inferenceMs"] for r in results], [r["ms"] for r in results], top1


def onnx_input(photo, mean, std):
    """The photo decoded and preprocessed as camtag's CLI does it: a centre crop, 224 px, the
    bundle's normalization, `[1, 3, 224, 224]`."""
    image = Image.open(photo).convert("RGB")
    w, h = image.size
    side = min(w, h)
    image = image.crop(((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2)).resize((224, 224), Image.BILINEAR)
    return ((np.asarray(image, dtype=np.float32) / 255 - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)


def onnx_session(path, photo, mean, std):
    """onnxruntime's CPU session on all cores, after a warm-up run."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    session.run(None, {"input": onnx_input(photo, mean, std)})
    return session


def onnx_times(session, photo, mean, std, runs):
    """session.run on the photo, decoded and preprocessed again before every run (untimed), as
    the camtag CLI decodes and preprocesses each picture before its timed network pass: both
    engines then start each run in the same state (threads and caches after the decode)."""
    times = []
    for _ in range(runs):
        x = onnx_input(photo, mean, std)
        t = time.perf_counter()
        (logits,) = session.run(None, {"input": x})
        times.append((time.perf_counter() - t) * 1e3)
    return times, int(np.argmax(logits))


def main():
    cache, camtag, models, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
    photo = cache / "photos/chelsea.png"
    rows = []
    for model in MODELS:
        mean, std = normalization(camtag, models / f"{model}.camtag")
        session = onnx_session(cache / f"onnx/{model}.onnx", photo, mean, std)
        cpu_inference, cpu_whole, onnx_cpu = [], [], []
        for _ in range(ROUNDS):
            inference, whole, cpu_top1 = camtag_times(camtag, models / f"{model}.camtag", photo, "cpu", RUNS // ROUNDS)
            cpu_inference += inference
            cpu_whole += whole
            times, onnx_top1 = onnx_times(session, photo, mean, std, RUNS // ROUNDS)
            onnx_cpu += times
        gpu_inference, _, gpu_top1 = camtag_times(camtag, models / f"{model}.camtag", photo, "gpu", RUNS)
        runs = [
            ("camtag", "cpu", cpu_inference, cpu_top1),
            ("camtag", "cpu+preprocessing", cpu_whole, cpu_top1),
            ("camtag", "wgpu", gpu_inference, gpu_top1),
            ("onnxruntime", "cpu", onnx_cpu, onnx_top1),
        ]
        for engine, backend, ms, top1 in runs:
            row = {"model": model, "engine": engine, "backend": backend, "top1": top1, "runs": len(ms),
                   "medianMs": statistics.median(ms), "minMs": min(ms)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    info = {"onnxruntime": ort.__version__, "rounds": ROUNDS, "cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine(), "rows": rows}
    out.write_text(json.dumps(info, indent=2) + "\n")


if __name__ == "__main__":
    main()
