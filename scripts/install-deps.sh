#!/usr/bin/env bash
# Installs the Debian packages Portcullis' tests and demo need. Idempotent and quiet when
# everything is already there; prints one line per package it installs.
#   docker-registry  the OCI registry the end-to-end tests and the demo run on loopback
#   skopeo           pushes sample images in the demo
#   apache2-utils    htpasswd, for the basic-auth registry tests
#   libgpgme-dev, gnupg, gpgsm  OpenPGP and X.509 commit signing (later issues)
#   rsyslog          a real syslog receiver for the event sinks (later issues)
#   openssl          makes throwaway keys in the verifier tests
#   openssh-server, openssh-client  a real sshd on loopback for the Git-over-SSH tests
#   git, pkg-config, curl, python3, ca-certificates  the build (gpgme-sys finds gpgme
#                    through pkg-config), the demo (curl, python3) and HTTPS downloads
set -euo pipefail

packages=(docker-registry skopeo apache2-utils libgpgme-dev gnupg gpgsm rsyslog openssl
  openssh-server openssh-client git pkg-config curl python3 ca-certificates)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for p in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || { echo "install-deps: $p did not install" >&2; exit 1; }
done
