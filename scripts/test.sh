#!/usr/bin/env bash
# The whole test suite, as CI runs it: install what the tests need, then format check,
# clippy with warnings denied, and every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/install-node-deps.sh

# Tests find the shared third-party data here unless told otherwise.
export PORTCULLIS_TESTDATA="${PORTCULLIS_TESTDATA:-$(cd .. && pwd)/shared/testdata}"
if [ ! -d "$PORTCULLIS_TESTDATA" ]; then
  echo "test.sh: test data not found at $PORTCULLIS_TESTDATA (set PORTCULLIS_TESTDATA)" >&2
  exit 1
fi

# CI builds once from a clean checkout: incremental caches would only take disk there.
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL=0
fi
# Say how much room the build has, so a full disk is recognised as such.
df -h . | awk 'NR==2 {print "test.sh: " $4 " free on the build disk"}'

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
