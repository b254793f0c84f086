"""Numpy float64 forward pass of torchvision's ImageNet MobileNetV2 (eval mode).

forward(state_dict, x) takes a [3, H, W] preprocessed image and returns the
1000 logits. Keys follow torchvision: features.N..., classifier.1.*.
"""

import numpy as np

# (expand ratio t, output channels c, repeats n, first stride s)
SETTINGS = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]
BN_EPS = 1e-5


def _windows(x, k, stride):
    """[C, H, W] -> zero-padded [C, Ho, Wo, k, k] strided view (pad = k // 2)."""
    p = k // 2
    x = np.pad(x, ((0, 0), (p, p), (p, p)))
    c, h, w = x.shape
    ho, wo = (h - k) // stride + 1, (w - k) // stride + 1
    sc, sh, sw = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (c, ho, wo, k, k), (sc, sh * stride, sw * stride, sh, sw), writeable=False
    )


def conv(x, w, stride=1):
    """Dense conv, no bias. x [Cin, H, W], w [Cout, Cin, k, k]."""
    if w.shape[2] == 1:
        return np.einsum("oi,ihw->ohw", w[:, :, 0, 0], x[:, ::stride, ::stride])
    return np.einsum("oikl,ihwkl->ohw", w, _windows(x, w.shape[2], stride), optimize=True)


def depthwise(x, w, stride=1):
    """Depthwise conv, no bias. x [C, H, W], w [C, 1, k, k]."""
    return np.einsum("ckl,chwkl->chw", w[:, 0], _windows(x, w.shape[2], stride), optimize=True)


def batchnorm(x, sd, prefix):
    g, b = sd[prefix + ".weight"], sd[prefix + ".bias"]
    mean, var = sd[prefix + ".running_mean"], sd[prefix + ".running_var"]
    scale = g / np.sqrt(var + BN_EPS)
    return x * scale[:, None, None] + (b - mean * scale)[:, None, None]


def relu6(x):
    return np.clip(x, 0.0, 6.0)


def conv_bn(x, sd, prefix, stride=1, act=True, dw=False):
    """torchvision Conv2dNormActivation: prefix.0 = conv, prefix.1 = BN."""
    op = depthwise if dw else conv
    y = batchnorm(op(x, sd[prefix + ".0.weight"], stride), sd, prefix + ".1")
    return relu6(y) if act else y


def inverted_residual(x, sd, prefix, expand, stride, out_ch):
    """torchvision InvertedResidual; the conv list is prefix.conv.*."""
    p = prefix + ".conv"
    i = 0
    y = x
    if expand != 1:
        y = conv_bn(y, sd, f"{p}.0")
        i = 1
    y = conv_bn(y, sd, f"{p}.{i}", stride=stride, dw=True)
    w = sd[f"{p}.{i + 1}.weight"]
    y = batchnorm(conv(y, w), sd, f"{p}.{i + 2}")
    if stride == 1 and x.shape[0] == out_ch:
        y = y + x
    return y


def forward(sd, x):
    """Logits [1000] (float64) for one preprocessed [3, H, W] image."""
    sd = {k: np.asarray(v, dtype=np.float64) for k, v in sd.items()}
    x = np.asarray(x, dtype=np.float64)
    x = conv_bn(x, sd, "features.0", stride=2)
    idx = 1
    for t, c, n, s in SETTINGS:
        for r in range(n):
            x = inverted_residual(x, sd, f"features.{idx}", t, s if r == 0 else 1, c)
            idx += 1
    x = conv_bn(x, sd, f"features.{idx}")
    pooled = x.mean(axis=(1, 2))
    return sd["classifier.1.weight"] @ pooled + sd["classifier.1.bias"]
