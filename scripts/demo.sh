#!/usr/bin/env bash
# Portcullis in one minute: a local OCI registry with a few tagged sample images, and
# `portcullis test` explaining which tag it would move to under different strategies; then
# images signed (and not) by a throwaway Sigstore, a verification policy, and `portcullis plan`
# showing what the gate lets through and why.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

./scripts/install-deps.sh
command -v cargo >/dev/null || { echo "demo: cargo not found (install Rust first)" >&2; exit 1; }

echo "== building portcullis"
cargo build --quiet -p portcullis -p portcullis-testsign
bin="$root/target/debug/portcullis"
signer="$root/target/debug/portcullis-testsign"

work=$(mktemp -d)
cleanup() {
  [ -n "${registry_pid:-}" ] && kill "$registry_pid" 2>/dev/null || true
  # gpg started an agent for the demo's keyring: stop it before its directory goes.
  [ -d "$work/gnupg" ] && gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port for the registry.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YAML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $work/storage }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
YAML
echo "== starting docker-registry on 127.0.0.1:$port"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null || { cat "$work/registry.log"; exit 1; }

sha() { sha256sum "$1" | cut -d' ' -f1; }

# make_image DIR CREATED ARCH CONTENT: writes a one-layer OCI image layout to DIR.
make_image() {
  local dir=$1 created=$2 arch=$3 content=$4
  mkdir -p "$dir/blobs/sha256" "$work/layer"
  printf '%s\n' "$content" > "$work/layer/hello.txt"
  tar --sort=name --mtime=@0 --owner=0 --group=0 -cf "$work/layer.tar" -C "$work/layer" hello.txt
  local diff_id; diff_id=$(sha "$work/layer.tar")
  gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"
  local layer; layer=$(sha "$work/layer.tar.gz")
  cp "$work/layer.tar.gz" "$dir/blobs/sha256/$layer"
  printf '{"created":"%s","architecture":"%s","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$created" "$arch" "$diff_id" > "$work/config.json"
  local config; config=$(sha "$work/config.json")
  cp "$work/config.json" "$dir/blobs/sha256/$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
    "$config" "$(stat -c %s "$work/config.json")" "$layer" "$(stat -c %s "$work/layer.tar.gz")" > "$work/manifest.json"
  local manifest; manifest=$(sha "$work/manifest.json")
  cp "$work/manifest.json" "$dir/blobs/sha256/$manifest"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d}]}' \
    "$manifest" "$(stat -c %s "$work/manifest.json")" > "$dir/index.json"
}

push() { # push TAG CREATED [REPO]
  local tag=$1 created=$2 repo=${3:-demo/app}
  make_image "$work/oci-${repo//\//-}-$tag" "$created" amd64 "$repo $tag"
  skopeo copy --quiet --dest-tls-verify=false "oci:$work/oci-${repo//\//-}-$tag" "docker://127.0.0.1:$port/$repo:$tag"
  echo "   pushed $repo:$tag (created $created)"
}

echo "== pushing sample images"
push 1.0.0       2026-01-10T09:00:00Z
push 1.1.0       2026-02-01T09:00:00Z
push 1.2.0       2026-03-01T09:00:00Z
push 1.3.0-rc.1  2026-03-20T09:00:00Z
push 2.0.0       2026-04-01T09:00:00Z
push nightly     2026-05-01T09:00:00Z

cat > "$work/registries.conf" <<YAML
registries:
- name: Demo registry (plain HTTP on loopback)
  prefix: 127.0.0.1:$port
  api_url: http://127.0.0.1:$port
  insecure: true
YAML

run() {
  echo
  printf '$ portcullis test'
  for a in "$@"; do
    if [[ $a =~ [^A-Za-z0-9_./:=@-] ]]; then printf " '%s'" "$a"; else printf ' %s' "$a"; fi
  done
  echo
  "$bin" test "$@" --registries-conf "$work/registries.conf" || echo "(exit $?)"
}

echo
echo "== what would Portcullis pick?"
run "127.0.0.1:$port/demo/app" --semver-constraint '^1.0'
run "127.0.0.1:$port/demo/app:~1.2"
run "127.0.0.1:$port/demo/app" --semver-constraint '>=1.0, <3' --ignore-tags '2.*'
run "127.0.0.1:$port/demo/app" --update-strategy newest-build
run "127.0.0.1:$port/demo/app" --update-strategy digest --semver-constraint nightly
run "127.0.0.1:$port/demo/app" --semver-constraint '^3' --output json

echo
echo "== signing with a throwaway Sigstore (a local Fulcio-like CA and Rekor-like log)"
push 1.0.0 2026-01-10T09:00:00Z demo/payments
push 1.1.0 2026-02-01T09:00:00Z demo/payments
push 1.0.0 2026-01-10T09:00:00Z demo/search
push 1.1.0 2026-02-01T09:00:00Z demo/search
release='uri:https://github.com/acme/shop/.github/workflows/release.yml@refs/tags/v1'
"$signer" --registry "http://127.0.0.1:$port" --out "$work/trust" \
  --keyless "demo/app:1.0.0=$release" --keyless "demo/app:1.2.0=$release" \
  --keyless "demo/app:2.0.0=$release" \
  --keyless "demo/payments:1.0.0=$release" \
  --keyless "demo/search:1.0.0=$release" --keyless "demo/search:1.1.0=email:mallory@evil.test"
echo "   (demo/payments:1.1.0 is left unsigned)"

cat > "$work/policy.yaml" <<YAML
apiVersion: portcullis.dev/v1alpha1
kind: VerificationPolicy
metadata: {name: demo}
trust:
  roots:
    demo: {path: $work/trust/trusted_root.json}
rules:
  - name: acme-releases
    images: ["127.0.0.1:$port/demo/**"]
    authorities:
      - name: release-workflow
        keyless:
          trustedRoot: demo
          identities:
            - subjectRegExp: '^https://github\.com/acme/[^/]+/\.github/workflows/release\.yml@refs/tags/v.+\$'
              issuer: https://token.actions.githubusercontent.com
    update:
      constraint: "<2.0.0"
YAML
# The GitOps repository Portcullis writes to: a bare repository on disk, one kustomization
# per application.
git init --quiet --bare -b main "$work/deploy.git"
git clone --quiet "$work/deploy.git" "$work/seed" 2>/dev/null
for app in storefront:demo/app:1.0.0 payments:demo/payments:1.0.0 search:demo/search:1.0.0 legacy:demo/app:1.2.0; do
  IFS=: read -r name repo tag <<<"$app"
  mkdir -p "$work/seed/apps/$name"
  printf 'resources: [deployment.yaml]\nimages:\n- name: 127.0.0.1:%s/%s\n  newTag: %s\n' "$port" "$repo" "$tag" \
    > "$work/seed/apps/$name/kustomization.yaml"
done
git -C "$work/seed" checkout --quiet -B main
git -C "$work/seed" add -A
git -C "$work/seed" -c user.name=Dev -c user.email=dev@acme.test commit --quiet -m "deploy: initial versions"
git -C "$work/seed" push --quiet origin main

# Portcullis signs its commits: a fresh OpenPGP key for the demo.
export GNUPGHOME="$work/gnupg"
mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'Portcullis Demo <portcullis@demo.test>' ed25519 sign never 2>/dev/null
fpr=$(gpg --with-colons --list-secret-keys | awk -F: '/^fpr:/ {print $10; exit}')

cat > "$work/portcullis.yaml" <<YAML
apiVersion: portcullis.dev/v1alpha1
kind: Config
registriesConf: registries.conf
git:
  author: {name: Portcullis Demo, email: portcullis@demo.test}
  signing: {format: openpgp, gnupgHome: gnupg, key: $fpr}
applications:
  - name: storefront
    repository: deploy.git
    path: apps/storefront
    writeBack: {target: kustomization}
    images: [{image: "127.0.0.1:$port/demo/app", constraint: "^1.0"}]
  - name: payments
    repository: deploy.git
    path: apps/payments
    writeBack: {target: kustomization}
    images: [{image: "127.0.0.1:$port/demo/payments"}]
  - name: search
    repository: deploy.git
    path: apps/search
    writeBack: {target: kustomization}
    images: [{image: "127.0.0.1:$port/demo/search"}]
  - name: legacy
    repository: deploy.git
    path: apps/legacy
    writeBack: {target: kustomization}
    images: [{image: "127.0.0.1:$port/demo/app"}]
YAML

echo
echo "\$ portcullis policy check policy.yaml"
"$bin" policy check "$work/policy.yaml"
echo
echo "\$ portcullis plan --config portcullis.yaml --policy policy.yaml"
"$bin" plan --config "$work/portcullis.yaml" --policy "$work/policy.yaml" --tuf-cache "$work/tuf" || echo "(exit $?)"

echo
echo "\$ portcullis run --once --config portcullis.yaml --policy policy.yaml   # events, one JSON line each"
"$bin" run --once --config "$work/portcullis.yaml" --policy "$work/policy.yaml" \
  --tuf-cache "$work/tuf" --workdir "$work/repos" | tee "$work/events.jsonl" \
  | python3 -c 'import json,sys
for line in sys.stdin:
    e = json.loads(line)
    if e["kind"] == "decision":
        print("  %-8s %-10s %-9s %-20s %s" % (e["kind"], e["application"], e["decision"], e["reason"], e.get("candidate") or ""))
    else:
        print("  %-8s %s %s on %s (%s)" % (e["kind"], e.get("commit", "")[:12], e.get("applications"), e.get("branch"), e.get("detail", "signed")))'

echo
echo "\$ git log --show-signature -1   # in the GitOps repository"
git clone --quiet "$work/deploy.git" "$work/check"
git -C "$work/check" log --show-signature -1
echo
echo "\$ portcullis verify-commit --gnupg-home \$GNUPGHOME HEAD   # the commit and the changes it records"
"$bin" verify-commit --repo "$work/check" --gnupg-home "$GNUPGHOME" HEAD || echo "(exit $?)"
echo
echo "\$ git show --stat HEAD"
git -C "$work/check" show --stat --format= HEAD
echo
echo "Only storefront moved (1.0.0 -> 1.2.0, pinned to the verified digest); payments (unsigned),"
echo "search (wrong signer) and legacy (2.0.0 beyond the policy's ceiling) were refused."
echo "The raw events are in JSON lines: $work/events.jsonl (removed on exit)."
