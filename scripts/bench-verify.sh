#!/usr/bin/env bash
# Per-invocation cost of verifying one Sigstore bundle from the command line, offline:
# `portcullis verify-bundle` against sigstore-python (`sigstore verify identity`) and
# sigstore-js (`@sigstore/cli`'s `sigstore verify`), over happy-path cases of the public
# sigstore/sigstore-conformance suite. Mean wall time per invocation (hyperfine, no shell)
# and peak RSS (GNU time). Not run by CI; results go to docs/performance.md by hand.
#
#   scripts/bench-verify.sh            # RUNS=100 portcullis runs, SLOW_RUNS=10 for the others
#
# Offline set-up of the other clients:
# - sigstore-python 4.x gets `--trust-config`: a ClientTrustConfig made of the case's trusted
#   root and a signing config (the signing config is required by the format, unused by
#   verification), plus `--offline`.
# - sigstore-js always reads its trusted root through TUF. It gets a local TUF repository
#   (one throwaway ed25519 key, made with python-tuf from sigstore-python's venv) whose only
#   target is the case's trusted root, pre-seeded as its cache for a mirror URL where nothing
#   listens, and `--tuf-force-cache`; if the cache were not accepted it would fail, not fetch.
# Neither CLI can verify with a managed key, so that case is portcullis-only.
set -euo pipefail
cd "$(dirname "$0")/.."

SIGSTORE_PY_VERSION=4.5.1
SIGSTORE_CLI_VERSION=0.10.3 # declares Node ^22.22; the latest for Node 20 (0.8.1) lacks Rekor v2
RUNS="${RUNS:-100}"
SLOW_RUNS="${SLOW_RUNS:-10}"
data="${PORTCULLIS_TESTDATA:-$(cd .. && pwd)/shared/testdata}/sigstore-conformance"
[ -f "$data/a.txt" ] || {
  echo "bench-verify: $data missing: it holds the bundle-verify cases of the public" \
    "sigstore/sigstore-conformance suite (set PORTCULLIS_TESTDATA)" >&2
  exit 1
}

cases=(
  happy-path-v0.1
  happy-path-v0.3
  managed-key-and-trusted-root
  rekor2-checkpoint-multiple-cosigs
  rekor2-checkpoint-origin-not-first
  rekor2-checkpoint-two-sigs-from-origin
  rekor2-timestamp-with-expired-cert-chain
  rekor2-timestamp-without-embedded-cert
)
DEFAULT_IDENTITY="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
DEFAULT_ISSUER="https://token.actions.githubusercontent.com"

# --- tools -------------------------------------------------------------------------------
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_install() {
  echo "bench-verify: installing $*"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time

echo "== cargo build --release -p portcullis"
cargo build --release -p portcullis --locked --quiet
portcullis="$PWD/target/release/portcullis"

venv="$PWD/target/bench-venv"
if [ "$("$venv/bin/sigstore" --version 2>/dev/null)" != "sigstore $SIGSTORE_PY_VERSION" ]; then
  echo "== pip install sigstore==$SIGSTORE_PY_VERSION into target/bench-venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "sigstore==$SIGSTORE_PY_VERSION"
fi
sigstore_py="$venv/bin/sigstore"

nodedir="$PWD/target/bench-node"
if ! grep -qs "\"version\": \"$SIGSTORE_CLI_VERSION\"" "$nodedir/node_modules/@sigstore/cli/package.json"; then
  echo "== npm install @sigstore/cli@$SIGSTORE_CLI_VERSION into target/bench-node"
  mkdir -p "$nodedir"
  npm install --prefix "$nodedir" --no-audit --no-fund --silent "@sigstore/cli@$SIGSTORE_CLI_VERSION"
fi
sigstore_js="$nodedir/node_modules/.bin/sigstore"

# --- offline trust material for the other clients -----------------------------------------
work="$PWD/target/bench-verify"
rm -rf "$work"
mkdir -p "$work"
cat >"$work/trust_config.py" <<'EOF'
# trust_config.py TRUSTED_ROOT OUT: a ClientTrustConfig (sigstore-python 4.x --trust-config).
import json, sys
signing = {
    "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
    "caUrls": [{"url": "https://fulcio.sigstore.dev", "majorApiVersion": 1,
                "validFor": {"start": "2022-04-13T20:06:15Z"}, "operator": "sigstore.dev"}],
    "oidcUrls": [{"url": "https://oauth2.sigstore.dev/auth", "majorApiVersion": 1,
                  "validFor": {"start": "2025-04-16T00:00:00Z"}, "operator": "sigstore.dev"}],
    "rekorTlogUrls": [{"url": "https://rekor.sigstore.dev", "majorApiVersion": 1,
                       "validFor": {"start": "2021-01-12T11:53:27Z"}, "operator": "sigstore.dev"}],
    "tsaUrls": [],
    "rekorTlogConfig": {"selector": "ANY"},
    "tsaConfig": {"selector": "ANY"},
}
with open(sys.argv[1]) as f:
    root = json.load(f)
with open(sys.argv[2], "w") as f:
    json.dump({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
               "trustedRoot": root, "signingConfig": signing}, f)
EOF
cat >"$work/tuf_cache.py" <<'EOF'
# tuf_cache.py TRUSTED_ROOT CACHE_DIR MIRROR_URL: a one-key TUF repository whose only target
# is TRUSTED_ROOT, laid out as @sigstore/tuf's cache for MIRROR_URL.
import sys, urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

trusted_root, cache, mirror = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
u = urllib.parse.urlparse(mirror)
repo = cache / urllib.parse.quote((u.netloc + u.path).rstrip("/"), safe="")
(repo / "targets").mkdir(parents=True, exist_ok=True)
signer = CryptoSigner(Ed25519PrivateKey.generate())
expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
data = trusted_root.read_bytes()
(repo / "targets" / "trusted_root.json").write_bytes(data)
root = Root(expires=expires, consistent_snapshot=False)
for role in ("root", "timestamp", "snapshot", "targets"):
    root.add_key(signer.public_key, role)
targets = Targets(expires=expires)
targets.targets["trusted_root.json"] = TargetFile.from_data("trusted_root.json", data)
snapshot = Snapshot(expires=expires)
snapshot.meta["targets.json"] = MetaFile(version=1)
timestamp = Timestamp(expires=expires)
timestamp.snapshot_meta = MetaFile(version=1)
for name, signed in (("root", root), ("targets", targets), ("snapshot", snapshot),
                     ("timestamp", timestamp)):
    md = Metadata(signed)
    md.sign(signer)
    md.to_file(str(repo / f"{name}.json"), JSONSerializer(compact=False))
EOF
mirror="http://127.0.0.1:9" # discard port: nothing answers

# --- measure -----------------------------------------------------------------------------
results="$work/results.tsv"
: >"$results"

# measure TOOL CASE RUNS CMD...: checks the command verifies, then times it.
measure() {
  local tool="$1" case="$2" runs="$3"
  shift 3
  local tag="$tool-$case"
  if ! "$@" >"$work/$tag.out" 2>&1; then
    echo "   $tool: does not verify: $(tail -n 3 "$work/$tag.out" | tr '\n' ' ')"
    printf '%s\t%s\tfails\t-\t-\n' "$tool" "$case" >>"$results"
    return
  fi
  local quoted
  quoted="$(printf '%q ' "$@")"
  hyperfine -N --warmup 3 --runs "$runs" --style none --export-json "$work/$tag.json" "$quoted" >/dev/null
  local rss=0 r
  for _ in 1 2 3; do
    r=$(/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}')
    [ "$r" -gt "$rss" ] && rss=$r
  done
  local mean median mib
  read -r mean median < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f %.1f" % (r["mean"]*1000, r["median"]*1000))' "$work/$tag.json")
  mib=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k/1024}')
  printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$case" "$mean" "$median" "$mib" >>"$results"
  echo "   $tool: mean $mean ms, median $median ms, $mib MiB"
}

for case in "${cases[@]}"; do
  dir="$data/$case"
  echo "== $case"
  root="$data/production_trusted_root.json"
  [ -f "$dir/trusted_root.json" ] && root="$dir/trusted_root.json"
  artifact="$data/a.txt"
  [ -f "$dir/artifact" ] && artifact="$dir/artifact"
  bundle="$dir/bundle.sigstore.json"
  if [ -f "$dir/key.pub" ]; then
    measure portcullis "$case" "$RUNS" "$portcullis" verify-bundle --bundle "$bundle" \
      --key "$dir/key.pub" --trusted-root "$root" "$artifact"
    printf '%s\t%s\tn/a\t-\t-\n' sigstore-python "$case" >>"$results"
    printf '%s\t%s\tn/a\t-\t-\n' sigstore-js "$case" >>"$results"
    continue
  fi
  identity="$DEFAULT_IDENTITY"
  [ -f "$dir/identity" ] && identity="$(tr -d '\n' <"$dir/identity")"
  issuer="$DEFAULT_ISSUER"
  [ -f "$dir/issuer" ] && issuer="$(tr -d '\n' <"$dir/issuer")"

  measure portcullis "$case" "$RUNS" "$portcullis" verify-bundle --bundle "$bundle" \
    --certificate-identity "$identity" --certificate-oidc-issuer "$issuer" \
    --trusted-root "$root" "$artifact"

  "$venv/bin/python" "$work/trust_config.py" "$root" "$work/$case.trust_config.json"
  measure sigstore-python "$case" "$SLOW_RUNS" "$sigstore_py" \
    --trust-config "$work/$case.trust_config.json" verify identity --offline \
    --bundle "$bundle" --cert-identity "$identity" --cert-oidc-issuer "$issuer" "$artifact"

  "$venv/bin/python" "$work/tuf_cache.py" "$root" "$work/$case.tuf" "$mirror"
  measure sigstore-js "$case" "$SLOW_RUNS" "$sigstore_js" verify "$bundle" \
    --blob-file "$artifact" --certificate-identity-uri "$identity" --certificate-issuer "$issuer" \
    --tuf-mirror-url "$mirror" --tuf-cache-path "$work/$case.tuf" --tuf-force-cache
done

# --- table -------------------------------------------------------------------------------
echo
python3 - "$results" <<'EOF' | tee "$work/results.md"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
base = {c: float(m) for t, c, m, _, _ in rows if t == "portcullis" and m not in ("fails", "n/a")}
print("| tool | case | mean ms / invocation | median ms | peak RSS MiB | × portcullis (mean) |")
print("|---|---|---|---|---|---|")
for tool, case, mean, median, rss in rows:
    ratio = "-"
    if mean not in ("fails", "n/a") and case in base:
        ratio = "1" if tool == "portcullis" else "%.0f×" % (float(mean) / base[case])
    print(f"| {tool} | {case} | {mean} | {median} | {rss} | {ratio} |")
EOF
