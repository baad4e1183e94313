#!/usr/bin/env bash
# `npm test` on Node 22 and Node 24 (Node 20 runs it in .ci/run itself). The binaries come from the
# npm registry's `node` package; with its folder first on PATH, npm, vitest and every process the
# tests spawn (they use process.execPath) run on that version.
set -euo pipefail
cd "$(dirname "$0")/.."
for v in ${EDDY_NODE_VERSIONS:-22 24}; do
  bin=$(npx --yes "node@$v" -p process.execPath)
  echo "== npm test on node $("$bin" --version)"
  PATH="$(dirname "$bin"):$PATH" npm test
done
