#!/usr/bin/env python3
"""PyTorch CPU training-throughput baseline for camtag's model zoo.

What it measures
    Images per second (and milliseconds per step) of one full training step -- forward,
    cross-entropy loss, backward, AdamW(lr=1e-3, weight_decay=1e-4) update -- on the CPU, for
    plain-torch.nn copies of camtag's `vgg-small`, `resnet-small`, `googlenet` and
    `mobilenet-v2`, at 64x64 and 224x224 inputs, batch 32, random images and labels, 10 classes.
    Each (architecture, size) gets 2 untimed warm-up steps, then --steps timed steps. The models
    are written out layer for layer from crate/src/model/ (no torchvision), so the numbers are a
    like-for-like reference for camtag's own (burn) training speed on the same machine.

How to run
    python -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch   # throwaway venv:
                                                      # torch is NOT a camtag dependency
    /tmp/torchvenv/bin/python bench/torch_train.py > torch.jsonl
    # fewer / other cases:
    python bench/torch_train.py --arch vgg-small resnet-small --sizes 64 --steps 3 --threads 2

Output
    stdout: one JSON object per line and (architecture, size):
        {"arch", "size", "batch", "images_per_s", "ms_per_step", "params", "threads",
         "classes", "params_with_running_stats"}
    "params" is torch's count (weights, biases, batch-norm gamma/beta) -- the same convention as
    the "params" of `camtag info --arch NAME --json`. "params_with_running_stats" adds every
    batch norm's running_mean and running_var (not num_batches_tracked): the convention of burn's
    `Module::num_params`, which camtag's tests check equals summary.params() + running_stats.
    stderr: a parameter check per architecture (at 1000 classes, the only count `camtag info
    --arch` prints) against camtag's figures: by default a built-in table computed from
    crate/src/model/summary.rs's rules; with --camtag-json DIR, against DIR/NAME.json made by
        for a in vgg-small resnet-small googlenet mobilenet-v2; do
            camtag info --arch $a --json > DIR/$a.json; done
    (its "params", and the sum of summary.layers[].running_stats).
"""

import argparse
import json
import os
import sys
import time

import torch
from torch import nn

# ---------------------------------------------------------------------------------------------
# Building blocks (crate/src/model/conv_norm.rs)
# ---------------------------------------------------------------------------------------------


class ConvNorm(nn.Sequential):
    """Conv (no bias, padding (k-1)//2) -> BatchNorm -> activation ("relu", "relu6" or None)."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1, act="relu6", eps=1e-5):
        layers = [
            nn.Conv2d(cin, cout, kernel, stride=stride, padding=(kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout, eps=eps, momentum=0.1),
        ]
        if act == "relu":
            layers.append(nn.ReLU(inplace=True))
        elif act == "relu6":
            layers.append(nn.ReLU6(inplace=True))
        elif act is not None:
            raise ValueError(act)
        super().__init__(*layers)


def global_avg_pool(x):
    """[b, c, h, w] -> [b, c] (crate/src/model/mod.rs `global_avg_pool`)."""
    return x.mean(dim=(2, 3))


# ---------------------------------------------------------------------------------------------
# vgg-small (crate/src/model/vgg.rs, VggConfig::small)
# ---------------------------------------------------------------------------------------------


class Vgg(nn.Module):
    def __init__(self, num_classes, depths=(1, 1, 2, 2), widths=(32, 64, 128, 256)):
        super().__init__()
        stages, cin = [], 3
        for depth, width in zip(depths, widths):
            convs = []
            for _ in range(depth):
                convs.append(ConvNorm(cin, width, 3, act="relu"))
                cin = width
            # burn MaxPool2dConfig::new([2, 2]): stride defaults to the kernel, no padding, floor.
            stages.append(nn.Sequential(*convs, nn.MaxPool2d(2, 2)))
        self.stages = nn.Sequential(*stages)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.classifier(global_avg_pool(self.stages(x)))


# ---------------------------------------------------------------------------------------------
# resnet-small (crate/src/model/resnet.rs, ResNetConfig::small)
# ---------------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvNorm(cin, cout, 3, stride, act="relu")
        self.conv2 = ConvNorm(cout, cout, 3, 1, act=None)
        self.downsample = ConvNorm(cin, cout, 1, stride, act=None) if stride != 1 or cin != cout else None

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(self.conv2(self.conv1(x)) + shortcut)


class ResNet(nn.Module):
    def __init__(self, num_classes, blocks=(1, 1, 1, 1), widths=(32, 64, 128, 256), small_input=True):
        super().__init__()
        if small_input:  # 3x3 stride-1 stem, no max pool
            self.stem = ConvNorm(3, widths[0], 3, 1, act="relu")
            self.pool = nn.Identity()
        else:  # ResNet-18's 7x7 /2 stem and 3x3 /2 max pool (padding 1)
            self.stem = ConvNorm(3, widths[0], 7, 2, act="relu")
            self.pool = nn.MaxPool2d(3, 2, padding=1)
        layers, cin = [], widths[0]
        for stage, (n, width) in enumerate(zip(blocks, widths)):
            for i in range(n):
                layers.append(BasicBlock(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*layers)
        self.classifier = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        return self.classifier(global_avg_pool(self.blocks(self.pool(self.stem(x)))))


# ---------------------------------------------------------------------------------------------
# googlenet (crate/src/model/googlenet.rs): BN (eps 1e-3) + ReLU after every conv, a true 5x5
# branch, no auxiliary classifiers, no dropout, ceil-mode 3x3 /2 pools between stages.
# ---------------------------------------------------------------------------------------------

INCEPTION = [  # [1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj], modules 3a ... 5b
    (64, 96, 128, 16, 32, 32),
    (128, 128, 192, 32, 96, 64),
    (192, 96, 208, 16, 48, 64),
    (160, 112, 224, 24, 64, 64),
    (128, 128, 256, 24, 64, 64),
    (112, 144, 288, 32, 64, 64),
    (256, 160, 320, 32, 128, 128),
    (256, 160, 320, 32, 128, 128),
    (384, 192, 384, 48, 128, 128),
]


def g_conv(cin, cout, kernel, stride=1):
    return ConvNorm(cin, cout, kernel, stride, act="relu", eps=1e-3)


def g_pool():
    return nn.MaxPool2d(3, 2, ceil_mode=True)


class Inception(nn.Module):
    def __init__(self, cin, widths):
        super().__init__()
        w1, r3, w3, r5, w5, wp = widths
        self.branch1 = g_conv(cin, w1, 1)
        self.branch3 = nn.Sequential(g_conv(cin, r3, 1), g_conv(r3, w3, 3))
        self.branch5 = nn.Sequential(g_conv(cin, r5, 1), g_conv(r5, w5, 5))
        # burn: MaxPool2d 3x3, stride 1, explicit padding 1, ceil_mode false.
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), g_conv(cin, wp, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.stem = nn.Sequential(
            g_conv(3, 64, 7, 2),  # padding 3
            g_pool(),
            g_conv(64, 64, 1),
            g_conv(64, 192, 3),
            g_pool(),
        )
        mods, cin = [], 192
        for i, widths in enumerate(INCEPTION):
            if i in (2, 7):  # pool3 before 4a, pool4 before 5a
                mods.append(g_pool())
            mods.append(Inception(cin, widths))
            cin = widths[0] + widths[2] + widths[4] + widths[5]
        self.inception = nn.Sequential(*mods)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.classifier(global_avg_pool(self.inception(self.stem(x))))


# ---------------------------------------------------------------------------------------------
# mobilenet-v2 (crate/src/model/mobilenet_v2/, width 1.0): ReLU6, linear bottleneck, 1x1 head
# to 1280, no dropout before the classifier (camtag's forward has none, training included).
# ---------------------------------------------------------------------------------------------

MNV2_STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = cin * t
        layers = [] if t == 1 else [ConvNorm(cin, hidden, 1)]
        layers += [ConvNorm(hidden, hidden, 3, stride, groups=hidden), ConvNorm(hidden, cout, 1, act=None)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.conv(x)
        return y + x if self.residual else y


class MobileNetV2(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        blocks, cin = [ConvNorm(3, 32, 3, 2)], 32
        for t, c, n, s in MNV2_STAGES:
            for i in range(n):
                blocks.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        blocks.append(ConvNorm(cin, 1280, 1))
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x):
        return self.classifier(global_avg_pool(self.features(x)))


ARCHS = {
    "vgg-small": Vgg,
    "resnet-small": ResNet,
    "googlenet": GoogLeNet,
    "mobilenet-v2": MobileNetV2,
}

# camtag's counts at 1000 classes (what `camtag info --arch NAME --json` describes):
# (summary.params(), summary.running_stats()), computed with crate/src/model/summary.rs's rules
# from each config. mobilenet-v2's pair is asserted by camtag's own tests (3,504,872; 2 * 17,056).
CAMTAG_1000 = {
    "vgg-small": (1_383_944, 1_728),
    "resnet-small": (1_483_400, 2_880),
    "googlenet": (7_005_832, 14_560),
    "mobilenet-v2": (3_504_872, 34_112),
}


def count(model):
    """(torch parameters, parameters + BN running_mean + running_var)."""
    params = sum(p.numel() for p in model.parameters())
    stats = sum(m.running_mean.numel() + m.running_var.numel() for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm))
    return params, params + stats


def check_params(arch, camtag_dir):
    """Compares the torch model at 1000 classes with camtag's figures; returns True if equal."""
    params, with_stats = count(ARCHS[arch](1000))
    if camtag_dir:
        with open(os.path.join(camtag_dir, f"{arch}.json")) as f:
            info = json.load(f)
        ref = (info["params"], sum(layer["runningStats"] for layer in info["summary"]["layers"]))
        source = f"{camtag_dir}/{arch}.json"
    else:
        ref, source = CAMTAG_1000[arch], "built-in table"
    ok = (params, with_stats) == (ref[0], ref[0] + ref[1])
    print(
        f"# {arch} @1000 classes: torch params {params:,} (+running stats {with_stats:,}); "
        f"camtag params {ref[0]:,} (+running stats {ref[0] + ref[1]:,}) [{source}]: {'ok' if ok else 'MISMATCH'}",
        file=sys.stderr,
    )
    return ok


def bench(arch, size, args):
    torch.manual_seed(0)
    model = ARCHS[arch](args.classes)
    params, with_stats = count(model)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    images = torch.randn(args.batch, 3, size, size).contiguous(memory_format=memory_format)
    labels = torch.randint(0, args.classes, (args.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(images), labels)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    loss.item()  # (CPU ops are synchronous; this only keeps the last loss alive)
    elapsed = time.perf_counter() - start
    return {
        "arch": arch,
        "size": size,
        "batch": args.batch,
        "images_per_s": round(args.batch * args.steps / elapsed, 2),
        "ms_per_step": round(1000 * elapsed / args.steps, 1),
        "params": params,
        "threads": torch.get_num_threads(),
        "classes": args.classes,
        "params_with_running_stats": with_stats,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", nargs="+", choices=list(ARCHS), default=list(ARCHS))
    p.add_argument("--sizes", nargs="+", type=int, default=[64, 224])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=5, help="timed steps (default 5)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads (default: os.cpu_count())")
    p.add_argument("--channels-last", action="store_true", help="NHWC tensors (default NCHW)")
    p.add_argument("--camtag-json", metavar="DIR", help="check params against DIR/NAME.json from `camtag info --arch NAME --json`")
    p.add_argument("--no-check", action="store_true", help="skip the parameter check")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    mismatches = [] if args.no_check else [a for a in args.arch if not check_params(a, args.camtag_json)]
    for arch in args.arch:
        for size in args.sizes:
            print(json.dumps(bench(arch, size, args)), flush=True)
    if mismatches:
        print(f"# parameter count differs from camtag's for: {', '.join(mismatches)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
