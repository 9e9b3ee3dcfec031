#!/usr/bin/env bash
# Installs the pinned tools the contract and client tests use, project-local and idempotent:
# tools/.venv (schemathesis, openapi-python-client: tools/contract/requirements.txt) and
# tools/clients/node_modules (openapi-typescript, typescript). Only the package registries are
# needed. Each is reinstalled when its pin file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '==> %s\n' "$*"; }

venv=tools/.venv
pins=tools/contract/requirements.txt
stamp="$venv/.pins-$(sha256sum "$pins" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  log "installing schemathesis and openapi-python-client into $venv"
  python3 -m venv --help >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$pins"
  touch "$stamp"
fi

lock=tools/clients/package-lock.json
stamp="tools/clients/node_modules/.lock-$(sha256sum "$lock" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  log "installing openapi-typescript and typescript into tools/clients/node_modules"
  (cd tools/clients && npm ci --no-audit --no-fund --silent)
  touch "$stamp"
fi
