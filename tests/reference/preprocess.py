"""torchvision ImageNet eval preprocessing on PIL: Resize(256), CenterCrop(224),
ToTensor, Normalize. Returns both the resized PIL image and the CHW tensor.
"""

import numpy as np
from PIL import Image

RESIZE = 256
CROP = 224
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def resize_short_side(img, size=RESIZE):
    """torchvision Resize(int): short side -> size, long side truncated."""
    w, h = img.size
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nw, nh = int(size * w / h), size
    return img.resize((nw, nh), Image.BILINEAR)


def center_crop(img, size=CROP):
    w, h = img.size
    top = int(round((h - size) / 2.0))
    left = int(round((w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def to_tensor(img, mean=MEAN, std=STD):
    """HWC uint8 RGB -> normalized CHW float64: (x / 255 - mean) / std."""
    x = np.asarray(img, dtype=np.float64) / 255.0
    return ((x - mean) / std).transpose(2, 0, 1)


def load(path, mean=MEAN, std=STD):
    """Return (decoded RGB PIL image, resized PIL image, [3, 224, 224] float64 tensor)."""
    img = Image.open(path).convert("RGB")
    resized = resize_short_side(img)
    return img, resized, to_tensor(center_crop(resized), mean, std)
