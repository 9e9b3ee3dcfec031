#!/usr/bin/env bash
# Runs Milkcrate with the embedded defaults: SQLite under ./data, the dashboard and API on :5001,
# and a Traefik container (ensured by Milkcrate) serving apps on :80. Pass settings as environment
# variables (docs/configuration.md), e.g. MILKCRATE_HTTP_PORT=8080 scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/docker-env.sh

ensure_docker
ensure_traefik_image
# The volume helper image is built from a static busybox (no registry needed).
if ! { [ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic"; }; then
  apt_install busybox-static
fi
bash scripts/frontend.sh
cargo build --release --locked -p milkcrate
exec target/release/milkcrate serve
