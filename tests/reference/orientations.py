"""A photo stored in each of EXIF's eight orientations, for the tests that camtag turns pictures
upright as the page's createImageBitmap does: chelsea.png transformed so that the orientation
tag undoes it, saved as JPEG with the tag, and Pillow's upright decode of each file
(ImageOps.exif_transpose) as the reference.

usage: orientations.py PHOTO OUT_DIR

Writes OUT_DIR/orientation-N.jpg and OUT_DIR/orientation-N.upright.u8 (RGB) for N = 1..8, and
OUT_DIR/orientations.json ({"upright_hw": [h, w]}).
"""

import json
import os
import sys

from PIL import Image, ImageOps

# What each orientation asks a reader to do, undone: the stored picture is the upright one
# transformed by the inverse (orientation 6, a phone held upright, is stored turned left).
STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def main():
    photo, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    upright = Image.open(photo).convert("RGB")
    for n, transpose in STORED.items():
        stored = upright if transpose is None else upright.transpose(transpose)
        exif = Image.Exif()
        exif[0x0112] = n
        path = os.path.join(out, f"orientation-{n}.jpg")
        stored.save(path, quality=95, exif=exif.tobytes())
        decoded = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        assert decoded.size == upright.size, f"orientation {n}: {decoded.size} is not upright"
        with open(os.path.join(out, f"orientation-{n}.upright.u8"), "wb") as f:
            f.write(decoded.tobytes())
    with open(os.path.join(out, "orientations.json"), "w") as f:
        json.dump({"upright_hw": [upright.size[1], upright.size[0]]}, f)
    print(f"orientations.py: {photo} in 8 EXIF orientations in {out}")


if __name__ == "__main__":
    main()
