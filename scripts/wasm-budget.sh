#!/usr/bin/env bash
# Fails when the dashboard's built wasm (dist/, from scripts/frontend.sh) is over its size budget:
# 270 KiB (276480 bytes) after `gzip -9`. Prints the figure either way. See docs/dashboard.md.
set -euo pipefail
cd "$(dirname "$0")/.."

BUDGET=$((270 * 1024))

shopt -s nullglob
wasm=(dist/*.wasm)
if [ "${#wasm[@]}" -ne 1 ]; then
  echo "wasm budget: expected one dist/*.wasm, found ${#wasm[@]}: run scripts/frontend.sh" >&2
  exit 1
fi
size=$(gzip -9 -c "${wasm[0]}" | wc -c)
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
if [ "$size" -gt "$BUDGET" ]; then
  echo "wasm budget: ${wasm[0]} is $size bytes gzip -9 ($(kib "$size")), over the budget of $BUDGET bytes ($(kib "$BUDGET")) by $((size - BUDGET)) bytes" >&2
  exit 1
fi
echo "wasm budget: ${wasm[0]} is $size bytes gzip -9 ($(kib "$size")), within $BUDGET bytes ($(kib "$BUDGET")); $((BUDGET - size)) to spare"
