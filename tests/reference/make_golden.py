"""Write golden files for the Rust tests from the numpy reference networks.

usage: make_golden.py [--model mobilenet_v2|efficientnet_lite0] --weights PTH --out DIR PHOTO...

Per photo: DIR/<stem>.decoded.u8 (RGB HWC as Pillow decodes it: JPEG decoders differ by a
level here and there, so the Rust tests feed the model these exact pixels), DIR/<stem>.resized.u8
(RGB HWC of the 256-short-side resize) and the network input, LE float32 [3,224,224]:
DIR/<stem>.input.f32 for mobilenet_v2 (ImageNet mean/std), DIR/<stem>.<model>.input.f32 for the
others (their own mean/std); plus DIR/<model>.json with logits and float64 softmax top-5 per photo.
Both models share the resize (shorter side 256, Pillow bilinear) and the centre crop 224.
"""

import argparse
import hashlib
import json
import os
import time

import numpy as np

import efficientnet_lite0
import mobilenet_v2
import preprocess
import torch_legacy

# model name -> (forward, mean, std), mean/std in the (x / 255 - mean) / std form.
MODELS = {
    "mobilenet_v2": (mobilenet_v2.forward, preprocess.MEAN, preprocess.STD),
    "efficientnet_lite0": (efficientnet_lite0.forward, efficientnet_lite0.MEAN, efficientnet_lite0.STD),
}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def top5(logits):
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = np.argsort(-p, kind="stable")[:5]
    return [{"index": int(i), "prob": float(p[i])} for i in order]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="mobilenet_v2")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("photos", nargs="+")
    args = ap.parse_args()
    forward, mean, std = MODELS[args.model]

    os.makedirs(args.out, exist_ok=True)
    sd = torch_legacy.load(args.weights)
    photos = {}
    for path in args.photos:
        stem = os.path.splitext(os.path.basename(path))[0]
        t0 = time.time()
        decoded, resized, x = preprocess.load(path, mean, std)
        np.asarray(decoded, dtype=np.uint8).tofile(os.path.join(args.out, f"{stem}.decoded.u8"))
        input_name = f"{stem}.input.f32" if args.model == "mobilenet_v2" else f"{stem}.{args.model}.input.f32"
        x.astype("<f4").tofile(os.path.join(args.out, input_name))
        rgb = np.asarray(resized, dtype=np.uint8)
        rgb.tofile(os.path.join(args.out, f"{stem}.resized.u8"))
        logits = forward(sd, x)
        photos[stem] = {
            "file": os.path.basename(path),
            "decoded_hw": [decoded.size[1], decoded.size[0]],
            "resized_hw": list(rgb.shape[:2]),
            "logits": [float(v) for v in logits],
            "top5": top5(logits),
        }
        best = photos[stem]["top5"][0]
        print(f"{stem}: top1 {best['index']} p={best['prob']:.4f} ({time.time() - t0:.1f}s)")

    doc = {
        "model": args.model,
        "weights_sha256": sha256(args.weights),
        "photos": photos,
    }
    with open(os.path.join(args.out, f"{args.model}.json"), "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
