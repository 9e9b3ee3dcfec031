#!/usr/bin/env bash
# Runs every check and test on a fresh machine: installs and starts what the tests need (Docker,
# busybox, Chromium, the Traefik image, the dashboard's build tools), then lints, builds and runs
# the unit, end-to-end (real Docker and Traefik) and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-env.sh
echo "==> formatting and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> building the dashboard (the browser tests load it)"
bash scripts/frontend.sh
bash scripts/wasm-budget.sh
echo "==> building milkcrate"
cargo build --locked --workspace --exclude frontend  # the features the tests use: no second build of milkcrate
echo "==> tests (unit, end-to-end against Docker and Traefik, browser)"
log=$(mktemp)
set +e
cargo test --workspace --locked --no-fail-fast --lib --bins --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "total: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
