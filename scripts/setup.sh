#!/usr/bin/env bash
# Sets up a fresh Debian machine with Node 20 for syncmail: installs rsync and OpenSSH (client, and the
# server the end-to-end tests start on 127.0.0.1), flock and strace for the fault-injection tests, when
# missing; fetches the extra rsync builds the end-to-end tests run against into .rsync/ (the system rsync is
# never touched); then the npm dependencies from the lock file; then builds. Safe to run again.
#
# The end-to-end tests run every case against a 3.2.x rsync and a 3.5.x or newer one, each as the local
# client and as the server. The system rsync is one of them; the others come from Debian's own packages,
# unpacked with dpkg-deb -x into .rsync/<Debian version>/ instead of installed, so the machine keeps the
# rsync its distribution chose.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

# A failure anywhere says in which step, which command, and what to run: never a bare shell error.
step='starting'
remedy='run: bash scripts/setup.sh'
on_error() {
  local status=$1 line=$2 command=$3
  # A failing command inside $( ) or a pipeline trips this trap in the subshell and again in the script;
  # the script's report names the whole command, so the subshell stays quiet.
  if [ "$BASH_SUBSHELL" -gt 0 ]; then exit "$status"; fi
  echo "setup: FAILED while $step: \`$command\` exited with $status (scripts/setup.sh line $line)" >&2
  echo "setup: to fix: $remedy" >&2
  exit "$status"
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR
# Scratch directories of this run, removed however it ends.
scratch=()
trap 'if [ "${#scratch[@]}" -gt 0 ]; then rm -rf "${scratch[@]}"; fi' EXIT

fail() {
  echo "setup: FAILED while $step: $1" >&2
  echo "setup: to fix: $2" >&2
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    fail "need root to run: $*" 'run this script as root, or install sudo'
  fi
}

step='checking Node and npm'
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
  fail 'node or npm is not installed' 'install Node 20 or newer (with npm), then run: bash scripts/setup.sh'

# ---------------------------------------------------------------------------------------------------------
# System packages

step='installing the missing system packages'
missing=()
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
{ command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1; } || missing+=(openssh-client)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v flock >/dev/null 2>&1 || missing+=(util-linux)
# The fault-injection tests use strace to kill syncmail before each link, rename and unlink it makes.
command -v strace >/dev/null 2>&1 || missing+=(strace)
# The full-disk tests make small ext4 filesystems on loop devices (mkfs.ext4, losetup via mount).
{ command -v mkfs.ext4 >/dev/null 2>&1 || [ -x /sbin/mkfs.ext4 ]; } || missing+=(e2fsprogs)
{ command -v losetup >/dev/null 2>&1 || [ -x /sbin/losetup ]; } || missing+=(mount)
if [ "${#missing[@]}" -gt 0 ]; then
  remedy="check that Debian's apt repositories are reachable, then run as root: apt-get update && apt-get install -y ${missing[*]}; and bash scripts/setup.sh again"
  echo "setup: installing ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# sshd's privilege separation directory; the tests start their own sshd.
step='creating /run/sshd'
remedy='run as root: mkdir -p /run/sshd; then bash scripts/setup.sh again'
[ -d /run/sshd ] || as_root mkdir -p /run/sshd

# ---------------------------------------------------------------------------------------------------------
# The test rsyncs

RSYNCS=.rsync

# "3.5.0+ds1-0+deb12u1" → "3.5.0": drop the epoch, the Debian revision and a repack suffix.
upstream_of() {
  local v=${1#*:}
  v=${v%%-*}
  v=${v%%+*}
  printf '%s\n' "${v%%~*}"
}
# The version an rsync binary prints, "3.2.7"; empty when it does not run.
version_of_binary() {
  { "$1" --version 2>/dev/null || true; } | sed -n '1s/^rsync  *version  *v\{0,1\}\([0-9][0-9.]*\).*/\1/p'
}
is_new() { dpkg --compare-versions "$1" ge 3.5; }
is_bookworm_327() { [ "$1" = 3.2.7 ]; }

# The newest rsync version the apt sources offer whose upstream version passes $1; empty when none.
newest_offered() {
  local best='' v
  for v in $(LC_ALL=C apt-cache madison rsync 2>/dev/null | awk -F'|' '$3 !~ /Sources/ { gsub(/[ \t]/, "", $2); print $2 }'); do
    "$1" "$(upstream_of "$v")" || continue
    if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
  done
  printf '%s\n' "$best"
}

# An rsync already unpacked into .rsync/ whose version passes $1; empty when none.
already_unpacked() {
  local bin v
  for bin in "$RSYNCS"/*/usr/bin/rsync; do
    [ -x "$bin" ] || continue
    v=$(version_of_binary "$bin")
    if [ -n "$v" ] && "$1" "$v"; then
      printf '%s\n' "${bin%/usr/bin/rsync}"
      return
    fi
  done
}

kept=()

# Unpacks the newest rsync passing $2 that apt offers into .rsync/<version>/ ($1 says which, for messages).
fetch_rsync() {
  local what=$1 wanted=$2 version dir dl deb unpack got
  step="finding $what in the apt sources"
  remedy="add Debian bookworm's and bookworm-security's repositories to the apt sources, run as root: apt-get update; then bash scripts/setup.sh again"
  version=$(newest_offered "$wanted")
  if [ -z "$version" ]; then
    dir=$(already_unpacked "$wanted")
    if [ -n "$dir" ]; then
      # apt knows of none (no package lists), but an earlier run unpacked one: that is enough offline.
      echo "setup: $what: $dir is already there ($(version_of_binary "$dir/usr/bin/rsync"))"
      kept+=("$dir")
      return
    fi
    echo "setup: $what: apt knows of none yet, running apt-get update"
    as_root apt-get update
    version=$(newest_offered "$wanted")
  fi
  [ -n "$version" ] || fail "the apt sources offer no $what (apt-cache madison rsync lists: $(LC_ALL=C apt-cache madison rsync 2>/dev/null | awk -F'|' '{ gsub(/[ \t]/, "", $2); printf "%s ", $2 }' | grep . || echo nothing))" "$remedy"
  dir="$RSYNCS/${version//:/_}"
  kept+=("$dir")
  if [ "$(version_of_binary "$dir/usr/bin/rsync")" = "$(upstream_of "$version")" ]; then
    echo "setup: $what: $dir is already there"
    return
  fi

  step="downloading rsync $version ($what)"
  remedy="check that Debian's apt repositories are reachable, run as root: apt-get update; then bash scripts/setup.sh again"
  dl=$(mktemp -d "${TMPDIR:-/tmp}/setup-rsync-XXXXXX")
  scratch+=("$dl")
  # As root, apt fetches as the _apt user and warns when _apt cannot write the target directory.
  if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$dl"; fi
  echo "setup: $what: downloading rsync $version (apt-get download; the system rsync stays as it is)"
  if ! (cd "$dl" && apt-get -q download "rsync=$version"); then
    # Package lists older than the mirror name a file it no longer has: refresh them once and retry.
    echo "setup: $what: download failed, running apt-get update and trying again"
    as_root apt-get update
    version=$(newest_offered "$wanted")
    [ -n "$version" ] || fail "the apt sources no longer offer $what" "$remedy"
    dir="$RSYNCS/${version//:/_}"
    kept[${#kept[@]}-1]=$dir
    (cd "$dl" && apt-get -q download "rsync=$version")
  fi
  deb=$(find "$dl" -maxdepth 1 -name 'rsync_*.deb' -print -quit)
  [ -n "$deb" ] || fail "apt-get download left no rsync_*.deb in $dl" "$remedy"

  step="unpacking rsync $version into $dir"
  remedy="check that the disk has room and the project folder is writable, then run: bash scripts/setup.sh"
  mkdir -p "$RSYNCS"
  # Unpacked beside its final place, then renamed: an interrupted run never leaves a half-unpacked
  # .rsync/<version>/ that the next run would take as done.
  unpack=$(mktemp -d "$RSYNCS/.unpack-XXXXXX")
  scratch+=("$unpack")
  dpkg-deb -x "$deb" "$unpack"
  rm -rf "$dl"
  got=$(version_of_binary "$unpack/usr/bin/rsync")
  if [ "$got" != "$(upstream_of "$version")" ]; then
    echo "setup: $unpack/usr/bin/rsync --version says:" >&2
    "$unpack/usr/bin/rsync" --version 2>&1 | sed -n '1,3p' >&2 || true
    if ldd "$unpack/usr/bin/rsync" 2>/dev/null | grep -q 'not found'; then
      ldd "$unpack/usr/bin/rsync" | grep 'not found' >&2 || true
    fi
    rm -rf "$unpack"
    fail "the unpacked rsync $version does not run (expected it to print version $(upstream_of "$version"), got \"$got\")" \
      "install the libraries it lacks (listed above, if any) with apt-get, or pick another rsync; then run: bash scripts/setup.sh"
  fi
  rm -rf "$dir"
  mv "$unpack" "$dir"
  echo "setup: $what: $dir/usr/bin/rsync is rsync $got"
}

step='reading the system rsync version'
remedy='check that `rsync --version` works (apt-get install --reinstall rsync), then run: bash scripts/setup.sh'
system_version=$(version_of_binary "$(command -v rsync)")
[ -n "$system_version" ] || fail '`rsync --version` printed no version' "$remedy"
echo "setup: system rsync $system_version ($(command -v rsync)), left as it is"
fetch_rsync 'rsync 3.5 or newer' is_new
case $system_version in
  3.2.*) ;;
  *) fetch_rsync "rsync 3.2.7 (Debian bookworm's)" is_bookworm_327 ;;
esac

# Older unpacked versions would only widen the test matrix: keep exactly what this run chose.
step="removing superseded builds from $RSYNCS/"
remedy="remove $RSYNCS/ by hand (rm -rf $RSYNCS), then run: bash scripts/setup.sh"
for entry in "$RSYNCS"/* "$RSYNCS"/.unpack-*; do
  [ -e "$entry" ] || continue
  keep=no
  for k in "${kept[@]}"; do [ "$entry" = "$k" ] && keep=yes; done
  if [ "$keep" = no ]; then
    echo "setup: removing $entry (not one of the test rsyncs any more)"
    rm -rf "$entry"
  fi
done

# ---------------------------------------------------------------------------------------------------------
# npm and the build

step='installing the npm dependencies'
remedy="see npm's error above: check that the npm registry is reachable (npm ping) and that package-lock.json matches package.json; then run: bash scripts/setup.sh"
echo "setup: node $(node --version), npm $(npm --version), rsync $system_version, $(ssh -V 2>&1)"
npm ci --no-audit --no-fund

step='building'
remedy='fix the error above (npm run build shows it again), then run: bash scripts/setup.sh'
npm run build
echo 'setup: done'
