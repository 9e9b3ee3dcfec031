#!/usr/bin/env bash
# Copies the pinned Swagger UI (npm swagger-ui-dist, tools/api-docs/package-lock.json) into
# dist/api-docs, from where GET /api/docs serves it: the API reference needs no CDN. Only the
# files the page loads, with their licence; the npm package is installed once, project-local.
set -euo pipefail
cd "$(dirname "$0")/.."

from=tools/api-docs/node_modules/swagger-ui-dist
to="${1:-dist}/api-docs"
if [ ! -e "$from/swagger-ui-bundle.js" ]; then
  printf '==> installing swagger-ui-dist into tools/api-docs/node_modules\n'
  (cd tools/api-docs && npm ci --no-audit --no-fund --silent)
fi
mkdir -p "$to"
cp "$from/swagger-ui-bundle.js" "$from/swagger-ui.css" "$from/LICENSE" "$from/NOTICE" "$to/"
cp "$from/swagger-ui-bundle.js.LICENSE.txt" "$to/"
