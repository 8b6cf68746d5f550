#!/usr/bin/env bash
# Installs the pinned npm packages of tests/sigstore-mock (sigstore-js and @sigstore/mock,
# which sign the keyless end-to-end test's bundles). Idempotent and quiet when already done:
# a stamp written only after `npm ci` succeeded records which package-lock.json it installed,
# so an interrupted install is redone.
set -euo pipefail
cd "$(dirname "$0")/../tests/sigstore-mock"

need="20.17"
if ! command -v node >/dev/null; then
  echo "install-node-deps: Node.js $need or later is required (with npm); install it and rerun" >&2
  exit 1
fi
have="$(node -p 'process.versions.node')"
if ! node -e '
  const [a, b] = process.argv[1].split(".").map(Number);
  const [c, d] = process.versions.node.split(".").map(Number);
  process.exit(c > a || (c === a && d >= b) ? 0 : 1);' "$need"; then
  echo "install-node-deps: Node.js $have is too old for sigstore-js; $need or later is required" >&2
  exit 1
fi
command -v npm >/dev/null || { echo "install-node-deps: npm is required (it comes with Node.js)" >&2; exit 1; }

stamp=node_modules/.portcullis-installed
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "install-node-deps: npm ci in tests/sigstore-mock"
npm ci --no-audit --no-fund --silent
echo "$want" > "$stamp"
