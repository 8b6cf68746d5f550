#!/usr/bin/env bash
# Installs the pinned npm packages of tests/sigstore-mock (sigstore-js and @sigstore/mock,
# which sign the keyless end-to-end test's bundles). Idempotent and quiet when already done:
# runs `npm ci` only when node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../tests/sigstore-mock"

command -v node >/dev/null || { echo "install-node-deps: node (Node.js 20+) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "install-node-deps: npm is required" >&2; exit 1; }

# npm ci rewrites node_modules, whose mtime the final touch then records as "done".
if [ -d node_modules ] && [ ! package-lock.json -nt node_modules ]; then
  exit 0
fi
echo "install-node-deps: npm ci in tests/sigstore-mock"
npm ci --no-audit --no-fund --silent
touch node_modules
