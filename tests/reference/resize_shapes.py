"""Pillow's resize at many picture shapes, for crate/tests/preprocess_reference.rs: synthetic
pictures (seeded noise, so that every rounding shows) of landscape and portrait shapes up to 1:4,
large factors, enlargements and odd sizes, each resized as torchvision's Resize(256) does
(tests/reference/preprocess.py).

usage: resize_shapes.py OUT_DIR

Writes OUT_DIR/WxH.input.u8 (RGB, row-major), OUT_DIR/WxH.resized.u8 and OUT_DIR/shapes.json
({"shapes": [{"width", "height", "resized_hw"}...], "pillow": version}).
"""

import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

import preprocess

# (width, height): the golden photos' kind of shape (451x300), its portrait twin, the shapes
# where Pillow 13 resizes down the columns first (taller than about 2:1: a phone's screenshots,
# 1:4), wide ones, large factors (4000x3000, 2560x1600), enlargements (100x60, 60x100, 1x1) and
# odd and prime sizes, both sides of the 2:1 boundary.
SHAPES = [
    (451, 300), (300, 451), (300, 660), (660, 300), (1024, 3000), (3000, 1024), (1080, 2340),
    (1170, 2532), (300, 1200), (1200, 300), (4000, 3000), (2560, 1600), (1600, 2560), (100, 60),
    (60, 100), (1, 1), (37, 149), (257, 1031), (299, 599), (300, 599), (301, 603), (255, 257),
]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    shapes = []
    for w, h in SHAPES:
        rgb = np.random.default_rng(w * 100_003 + h).integers(0, 256, (h, w, 3), dtype=np.uint8)
        resized = np.asarray(preprocess.resize_short_side(Image.fromarray(rgb)), dtype=np.uint8)
        rgb.tofile(os.path.join(out, f"{w}x{h}.input.u8"))
        resized.tofile(os.path.join(out, f"{w}x{h}.resized.u8"))
        shapes.append({"width": w, "height": h, "resized_hw": list(resized.shape[:2])})
    with open(os.path.join(out, "shapes.json"), "w") as f:
        json.dump({"pillow": PIL.__version__, "shapes": shapes}, f, indent=1)
    print(f"resize_shapes.py: {len(shapes)} shapes resized by Pillow {PIL.__version__} into {out}")


if __name__ == "__main__":
    main()
