#!/usr/bin/env bash
# Sets up a fresh Debian machine with Node 20 for syncmail: installs rsync and OpenSSH (client, and the
# server the end-to-end tests start on 127.0.0.1), and strace for the fault-injection tests, when missing;
# then the npm dependencies from the lock file; then builds. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "setup: need root to run: $* (run this script as root, or install sudo)" >&2; exit 1
  fi
}

missing=()
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
{ command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1; } || missing+=(openssh-client)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v flock >/dev/null 2>&1 || missing+=(util-linux)
# The fault-injection tests use strace to kill syncmail before each link, rename and unlink it makes.
command -v strace >/dev/null 2>&1 || missing+=(strace)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# sshd's privilege separation directory; the tests start their own sshd.
[ -d /run/sshd ] || as_root mkdir -p /run/sshd

echo "setup: node $(node --version), npm $(npm --version), $(rsync --version | sed -n 1p), $(ssh -V 2>&1)"
npm ci --no-audit --no-fund
npm run build
