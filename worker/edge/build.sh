#!/usr/bin/env bash
# Builds the Worker: the Rust rules to wasm32, wasm-bindgen's `--target web`
# glue into pkg/ (worker.js imports it and hands it the wasm module that
# wrangler's bundler loads), then prints the compressed size of what is
# uploaded (wasm + JS).
#
#   worker/edge/build.sh            # release build
#   CARGO_TARGET_DIR=/tmp/t worker/edge/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
target_dir=${CARGO_TARGET_DIR:-$here/target}
export CARGO_TARGET_DIR=$target_dir

cargo build --release --target wasm32-unknown-unknown ${CARGO_OFFLINE:+--offline}
wasm=$target_dir/wasm32-unknown-unknown/release/mtasts_edge.wasm

want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
have=$(wasm-bindgen --version | awk '{print $2}')
if [ "$want" != "$have" ]; then
    echo "build.sh: wasm-bindgen CLI is $have, the crate pins $want" >&2
    exit 1
fi
rm -rf pkg
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir pkg "$wasm"
# wasm-opt only when it is new enough for wasm-bindgen's externref table:
# binaryen 108 (Debian 12) emits a module whose table init fails at start-up.
if command -v wasm-opt >/dev/null 2>&1 &&
    [ "$(wasm-opt --version | awk '{print $3}')" -ge 116 ] 2>/dev/null; then
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
        --enable-reference-types --enable-sign-ext \
        -o pkg/mtasts_edge_bg.wasm pkg/mtasts_edge_bg.wasm
fi

size() { # raw gzip brotli of the given files, concatenated per file
    local raw=0 gz=0 br=0 f
    for f in "$@"; do
        raw=$((raw + $(wc -c <"$f")))
        gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
        if command -v brotli >/dev/null 2>&1; then
            br=$((br + $(brotli -q 11 -c "$f" | wc -c)))
        else
            br=$((br + $(python3 -c 'import sys,brotli;print(len(brotli.compress(open(sys.argv[1],"rb").read(),quality=11)))' "$f" 2>/dev/null || echo 0)))
        fi
    done
    printf '%8d raw %8d gzip %8d brotli' "$raw" "$gz" "$br"
}
echo "wasm:          $(size pkg/mtasts_edge_bg.wasm)"
echo "js (glue+shell): $(size pkg/mtasts_edge.js worker.js)"
echo "Worker total:  $(size pkg/mtasts_edge_bg.wasm pkg/mtasts_edge.js worker.js)"
