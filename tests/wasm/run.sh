#!/bin/sh
# Runs tests/web.rs (wasm-bindgen-test) in headless Chromium through
# chromedriver. The runner reads webdriver.json from the working directory,
# hence the cd. wasm-bindgen-test-runner comes with wasm-bindgen-cli 0.2.130.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/target-ui}"
exec cargo test --target wasm32-unknown-unknown --test web "$@"
