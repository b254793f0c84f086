#!/usr/bin/env bash
# What storing weights in 8 bits (crate/src/bundle/int8.rs) costs in accuracy: each pretrained
# network imported in f32, f16 and int8, then every picture of DIR classified by each bundle
# (the camtag CLI, on the CPU), against the class its file name says.
#
#   bench/int8.sh DIR
#
# DIR: ImageNet pictures named after their class's WordNet id (nXXXXXXXX_anything.JPEG), one
# per class for all 1000 classes, e.g. a checkout of github.com/EliSchwartz/imagenet-sample-images
# (one picture per class). The class index is the wnid's rank among the 1000 sorted ones, which is
# ImageNet-1k's (and torchvision's) class order. Prints a table; BENCHMARKS.md keeps the last one.
# Needs ./build.sh run first (the native CLI and the fetched .pth files).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:?usage: bench/int8.sh DIR (1000 ImageNet pictures named nXXXXXXXX_*.JPEG)}
CAMTAG=${CARGO_TARGET_DIR:-$ROOT/target}/release/camtag
WEIGHTS=$ROOT/.cache/weights
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

for arch in mobilenet-v2 efficientnet-lite0; do
    case $arch in
        mobilenet-v2) pth=$WEIGHTS/mobilenet_v2-b0353104.pth ;;
        efficientnet-lite0) pth=$WEIGHTS/efficientnet-lite0-57934424.pth ;;
    esac
    for dtype in f32 f16 int8; do
        flag=(--"$dtype")
        [[ $dtype == f32 ]] && flag=()
        "$CAMTAG" import --arch "$arch" --pth "$pth" --out "$WORK/$arch-$dtype.camtag" "${flag[@]}" >&2
        echo "==> $arch $dtype: classifying $DIR" >&2
        "$CAMTAG" classify --model "$WORK/$arch-$dtype.camtag" --device cpu --json --top 5 "$DIR"/n*_*.* >"$WORK/$arch-$dtype.json"
    done
done

python3 - "$WORK" "$WORK"/*.camtag <<'PYEOF'
import json, os, re, sys
work, bundles = sys.argv[1], sys.argv[2:]
def wnid(path):
    return re.match(r"(n\d{8})_", os.path.basename(path)).group(1)
print("| network | weights | bundle MB | top-1 | top-5 | same top-1 as f32 | same top-5 (in order) as f32 | largest logit change |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for arch in ["mobilenet-v2", "efficientnet-lite0"]:
    runs = {d: json.load(open(f"{work}/{arch}-{d}.json")) for d in ["f32", "f16", "int8"]}
    classes = sorted({wnid(r["file"]) for r in runs["f32"]})
    if len(classes) != 1000:
        sys.exit(f"{len(classes)} classes among the pictures: one per ImageNet class is needed (1000)")
    index = {w: i for i, w in enumerate(classes)}
    for dtype, run in runs.items():
        n = len(run)
        top1 = sum(r["predictions"][0]["index"] == index[wnid(r["file"])] for r in run)
        top5 = sum(index[wnid(r["file"])] in [p["index"] for p in r["predictions"]] for r in run)
        same1 = same5 = 0
        worst = 0.0
        for r, ref in zip(run, runs["f32"]):
            order, ref_order = [p["index"] for p in r["predictions"]], [p["index"] for p in ref["predictions"]]
            same1 += order[0] == ref_order[0]
            same5 += order == ref_order
            ref_logit = {p["index"]: p["logit"] for p in ref["predictions"]}
            worst = max([worst] + [abs(p["logit"] - ref_logit[p["index"]]) for p in r["predictions"] if p["index"] in ref_logit])
        size = os.path.getsize(f"{work}/{arch}-{dtype}.camtag") / 1e6
        print(f"| {arch} | {dtype} | {size:.1f} | {100 * top1 / n:.1f} % | {100 * top5 / n:.1f} % | {same1} / {n} | {same5} / {n} | {worst:.2f} |")
PYEOF
