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
# The dashboard has an origin of its own: Milkcrate's port, or the admin host through Traefik.
listen="${MILKCRATE_LISTEN:-0.0.0.0:5001}"
listen_port="${listen##*:}"
if [ -n "${MILKCRATE_ADMIN_HOST:-}" ]; then
  log "dashboard: http://${MILKCRATE_ADMIN_HOST}/admin/  (apps: http://<this host>:${MILKCRATE_HTTP_PORT:-80}/<route>/)"
else
  log "dashboard: http://$(hostname -f 2>/dev/null || hostname):${listen_port}/admin/  (apps: port ${MILKCRATE_HTTP_PORT:-80})"
fi
exec target/release/milkcrate serve
