#!/usr/bin/env bash
# Builds the dashboard (frontend/) into dist/ with Trunk, fully offline. Installs the pinned tools
# when missing: trunk 0.21.14, wasm-bindgen-cli equal to Cargo.lock's wasm-bindgen, wasm-opt from
# npm binaryen@132.0.0 (project-local node_modules; never Debian's, which breaks the module), and
# the wasm32 target. See docs/dashboard.md.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132.0.0"
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
log() { printf '==> %s\n' "$*"; }

export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (takes a few minutes)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lock file names a webpki-roots this registry does not have.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if ! wasm-opt --version 2>/dev/null | grep -q "version_${BINARYEN_VERSION%%.*}"; then
  log "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into ./node_modules"
  npm install --no-save --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi

log "building the dashboard (trunk build --release)"
# A target dir of its own: the wasm build never waits on the backend's cargo lock.
CARGO_TARGET_DIR="${FRONTEND_TARGET_DIR:-$PWD/target/wasm}" trunk build --release "$@"
bash scripts/api-docs.sh
