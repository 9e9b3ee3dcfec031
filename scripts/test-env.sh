#!/usr/bin/env bash
# Prepares this machine for Milkcrate's tests: a running Docker daemon, the Traefik image, and a
# static busybox for the test apps (built FROM scratch: no registry needed). Idempotent.
set -euo pipefail
. "$(dirname "$0")/docker-env.sh"

ensure_docker
if ! { [ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q "not a dynamic"; }; then
  apt_install busybox-static
fi
# Headless Chromium and its driver for the dashboard's browser tests (never downloaded: Debian's).
if ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  apt_install chromium chromium-driver
fi
ensure_traefik_image
# The contract and client tests' generators and fuzzer (Python venv, npm), project-local.
bash "$(dirname "$0")/tools-env.sh"
log "test environment ready: $(docker version --format 'Docker {{.Server.Version}}'), $TRAEFIK_IMAGE"
