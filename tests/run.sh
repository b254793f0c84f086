#!/usr/bin/env bash
# Runs every camtag test (the README's test command): builds the site and the CLI with
# build.sh, fetches the test photos and computes the reference outputs, then runs the Rust
# tests (unit, golden photos, bundle errors, wgpu on lavapipe) and the browser tests (Debian's
# Chromium with a fake camera). Installs the system packages it needs when run as root.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# Mesa's Vulkan loader complains on every device creation when this is unset (root, no session).
if [[ -z ${XDG_RUNTIME_DIR:-} ]]; then
    XDG_RUNTIME_DIR=$(mktemp -d)
    export XDG_RUNTIME_DIR
fi

need=()
command -v "${CHROMIUM:-chromium}" >/dev/null || need+=(chromium) # $CHROMIUM: another Chromium or Chrome (not a snap)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
[[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json || -e /usr/share/vulkan/icd.d/lvp_icd.json ]] || need+=(mesa-vulkan-drivers)
if ((${#need[@]})); then
    if [[ $(id -u) == 0 ]]; then
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
    else
        echo "tests/run.sh: please install: ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
        exit 1
    fi
fi

"$ROOT/build.sh"
"$ROOT/tests/fixtures/golden.sh"

echo "==> Rust tests" >&2
cargo test --release --locked -p camtag
# Which instruction sets the kernel tests just compared (all this CPU runs; CAMTAG_REQUIRE_ISA=avx512
# makes a machine without it fail instead of skipping it quietly).
cargo test --release --locked -p camtag --lib kernels::isa::tests -- --nocapture --quiet >&2
# The kernels' thread pool on its own: a million-job stress test and loom's model of its protocol.
"$ROOT/crate/tests/sanitize.sh"

echo "==> browser tests" >&2
cd "$ROOT/tests"
npm ci --no-audit --no-fund --silent
CAMTAG_BIN="$CARGO_TARGET_DIR/release/camtag" npm test
