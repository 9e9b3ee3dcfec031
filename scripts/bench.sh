#!/usr/bin/env bash
# Deploy benchmark against the real daemon and Traefik; rewrites the "Platform" section of
# docs/benchmarks.md with the figures of this run. BENCH_ONLY=list measures only the app list
# and prints its figures (the document is left as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-env.sh
cargo build --release --locked -p milkcrate
if [ -n "${BENCH_ONLY:-}" ]; then
  MILKCRATE_BIN="$PWD/target/release/milkcrate" cargo bench --locked -p integration-tests --bench deploy
  exit
fi
report=$(mktemp)
MILKCRATE_BIN="$PWD/target/release/milkcrate" BENCH_REPORT="$report" \
  cargo bench --locked -p integration-tests --bench deploy
python3 - "$report" docs/benchmarks.md <<'PY'
import re, sys, pathlib
section = pathlib.Path(sys.argv[1]).read_text().rstrip() + "\n"
doc = pathlib.Path(sys.argv[2])
text = doc.read_text() if doc.exists() else "# Benchmarks\n"
pattern = re.compile(r"## Platform\n.*?(?=\n## |\Z)", re.S)
text = pattern.sub(lambda _: section.rstrip("\n"), text) if pattern.search(text) else text.rstrip() + "\n\n" + section
doc.write_text(text.rstrip() + "\n")
PY
echo "==> docs/benchmarks.md updated"
