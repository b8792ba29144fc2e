#!/usr/bin/env bash
# Regenerates test/fixtures/rsync/<case>.{stdout,stderr,rc} from REAL rsync runs over ssh.
#
# Every case runs syncmail's own two passes (see fetch_pass / remove_pass below) with LC_ALL=C, against
# the throwaway sshd of the rsync experiments (host aliases mail-server, mail-server-closed and
# mail-server-badkey in $RX/sshd/ssh_config). Start it first if needed:
#   RX=/tmp/rx bash /work/shared/reference/rsync-experiments/00-setup-sshd.sh
#
# The work directory is FIXED (/tmp/parser-work/cap) because some messages embed absolute paths
# (file has vanished, change_dir, write failed) and the tests compare them exactly.
# The disk-full and mount-point cases need root (mount -t tmpfs); they are skipped with a note otherwise.
# Race cases (vanished, changed, already removed) slow one 3 MB transfer down with --bwlimit and act on
# the server while it is in flight; each is retried until the expected line shows up.
# Outputs are small (a few KB); the 3 MB payloads live only in the work directory.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/test/fixtures/rsync
NAMES_HEX=$OUT/hostile-names.hex
RX=${RX:-/tmp/rx}
W=/tmp/parser-work/cap
RSH="ssh -F $RX/sshd/ssh_config -o BatchMode=yes"
export LC_ALL=C
RSYNC=${RSYNC:-rsync}

MOUNTS=()
cleanup() { local m; for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done; }
trap cleanup EXIT

die() { echo "capture: $*" >&2; exit 1; }
note() { echo "capture: $*" >&2; }

$RSH mail-server true </dev/null || die "the test sshd does not answer (see the header of this script)"
RSYNC_VERSION=$("$RSYNC" --version 2>&1 | sed -n 1p)
case $RSYNC_VERSION in *"version 3.5.0 "*) ;; *) note "WARNING: local rsync is not 3.5.0: $RSYNC_VERSION";; esac
mkdir -p "$OUT" "$W"

# setup CASE: fresh $D/server/mail (a Maildir) as $S and $D/local as $L with the private tmp dirs.
setup() {
  D=$W/$1
  rm -rf "$D"
  S=$D/server/mail
  L=$D/local
  mkdir -p "$S/cur" "$S/new" "$S/tmp" "$L/tmp/t" "$L/tmp/p" "$L/tmp/stage"
}

# fetch_pass SRC [extra rsync options...]: syncmail's copy pass into the private staging dir $L/tmp/stage/.
fetch_pass() {
  local src=$1; shift
  "$RSYNC" -e "$RSH" -r --times --one-file-system --temp-dir="$L/tmp/t" --partial-dir="$L/tmp/p" \
    --info=NONREG1,MOUNT1,STATS2 --no-human-readable \
    --filter='+ /new/' --filter='+ /new/*' --filter='+ /cur/' --filter='+ /tmp/' --filter='- *' \
    "$@" "$src" "$L/tmp/stage/"
}

# remove_pass SRC_NEW [extra rsync options...] < NUL-separated names: syncmail's remove pass.
remove_pass() {
  local src=$1; shift
  "$RSYNC" -e "$RSH" --files-from=- --from0 --existing --remove-source-files --times --ignore-missing-args \
    --temp-dir="$L/tmp/t" --partial-dir="$L/tmp/p" --info=REMOVE1,NONREG1 \
    "$@" "$src" "$L/tmp/stage/new/"
}

# capture CASE cmd...: run cmd, store its stdout, stderr and exit status.
capture() {
  local case=$1; shift
  "$@" >"$OUT/$case.stdout" 2>"$OUT/$case.stderr"
  echo $? >"$OUT/$case.rc"
  echo "  $case: rc $(cat "$OUT/$case.rc"), $(wc -l <"$OUT/$case.stdout") stdout / $(wc -l <"$OUT/$case.stderr") stderr lines"
}

# has CASE STREAM REGEX: true when the captured stream has a matching line.
has() { grep -aEq -- "$3" "$OUT/$1.$2"; }

# names0 DIR: the regular files directly in DIR, NUL-separated, in byte order (exact bytes).
names0() { find "$1" -mindepth 1 -maxdepth 1 -type f -printf '%P\0' | sort -z; }

# mkfile DIR HEXNAME [SIZE]: create DIR/<bytes of HEXNAME> with SIZE random bytes (default: 20 text bytes).
# mkhostile DIR: one small file per name in hostile-names.hex.
# mkfifo_hex DIR HEXNAME: a FIFO with that name.
mkfile() {
  node -e '
    const fs = require("fs"), crypto = require("crypto");
    const [dir, hex, size] = process.argv.slice(1);
    const data = size ? crypto.randomBytes(Number(size)) : Buffer.from("Subject: fixture\n\nbody\n");
    fs.writeFileSync(Buffer.concat([Buffer.from(dir + "/"), Buffer.from(hex, "hex")]), data);
  ' "$@"
}
mkhostile() {
  node -e '
    const fs = require("fs");
    const [dir, list] = process.argv.slice(1);
    for (const line of fs.readFileSync(list, "latin1").split("\n")) {
      const hex = line.split("#")[0].trim();
      if (!hex) continue;
      fs.writeFileSync(Buffer.concat([Buffer.from(dir + "/"), Buffer.from(hex, "hex")]), "Subject: hostile\n\n" + hex + "\n");
    }
  ' "$1" "$NAMES_HEX"
}
hex() { printf '%s' "$1" | xxd -p | tr -d '\n'; }
mkfifo_hex() { mkfifo -- "$1/$(printf '%s' "$2" | xxd -r -p)"; }
mksock() {  # mksock DIR ASCII-NAME (node would re-encode a non-ASCII string path as UTF-8)
  node -e 'require("net").createServer().listen(process.argv[1], () => process.exit(0))' "$1/$2"
}

# wait_tmp DIR: wait (max 20 s) until rsync has a temp file in DIR, i.e. a transfer is in flight.
wait_tmp() {
  local i
  for i in $(seq 200); do
    [ -n "$(ls -A "$1" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}

can_mount() {
  local probe=$W/.mount-probe
  mkdir -p "$probe"
  mount -t tmpfs -o size=1m tmpfs "$probe" 2>/dev/null || return 1
  umount "$probe"
}

echo "capturing into $OUT (work dir $W)"

# --- plain fetch + remove ------------------------------------------------------------------------
setup basic
mkfile "$S/new" "$(hex 1712345678.M1P1.mail.example)"
mkfile "$S/new" "$(hex 1712345679.M2P1.mail.example)"
mkfile "$S/new" "$(hex '1712345680.M3P1.mail.example,S=12')"
mkfile "$S/cur" "$(hex '1700000000.M0P1.mail.example:2,S')"
mkfile "$S/tmp" "$(hex 1712345681.M4P1.mail.example)"
touch -d '2024-04-05 12:00:00' "$S"/new/* "$S"/cur/* "$S"/tmp/*
capture fetch-basic fetch_pass "mail-server:$S/"
# A mail that arrives after the fetch is not in the stage: --existing must skip it (and it stays).
mkfile "$S/new" "$(hex 1712345690.M9P1.mail.example)"
{ names0 "$L/tmp/stage/new"; printf 'not-on-server\0'; printf '1712345690.M9P1.mail.example\0'; } >"$D/list"
capture remove-basic remove_pass "mail-server:$S/new/" <"$D/list"
# Same list again: everything is gone already, --ignore-missing-args keeps it silent.
capture remove-again remove_pass "mail-server:$S/new/" <"$D/list"

# --- hostile names -------------------------------------------------------------------------------
setup hostile
mkhostile "$S/new"
mkfifo_hex "$S/new" "$(printf 'fifo\n\377"q -> "z' | xxd -p | tr -d '\n')"
capture hostile-fetch fetch_pass "mail-server:$S/"
names0 "$L/tmp/stage/new" >"$D/list"
capture hostile-remove remove_pass "mail-server:$S/new/" <"$D/list"

# --- symlinks, FIFO, socket, subdir, mount point in new/ ----------------------------------------
specials() {
  mkfile "$S/new" "$(hex 1712345678.M1P1.mail.example)"
  ln -s 1712345678.M1P1.mail.example "$S/new/safe-link"
  ln -s /etc/passwd "$S/new/unsafe-link"
  mkfifo "$S/new/fifo"
  mksock "$S/new" sock
  mkdir "$S/new/subdir"
  mkfile "$S/new/subdir" "$(hex inner.msg)"
  mkdir "$S/new/mnt"
  if [ "$MOUNT_OK" = 1 ]; then
    mount -t tmpfs -o size=1m tmpfs "$S/new/mnt" && MOUNTS+=("$S/new/mnt")
    mkfile "$S/new/mnt" "$(hex on-other-fs.msg)"
  fi
}
if can_mount; then MOUNT_OK=1; else MOUNT_OK=0; note "mount not permitted: no mount point in the specials cases, no disk-full case"; fi
setup specials
specials
capture specials-fetch fetch_pass "mail-server:$S/"
# List everything in the server's new/ (the caller would normally list only regular staged files).
(cd "$S/new" && find . -mindepth 1 -maxdepth 1 -printf '%P\0' | sort -z) >"$D/list"
capture specials-remove remove_pass "mail-server:$S/new/" <"$D/list"
if [ "$MOUNT_OK" = 1 ]; then
  # Not syncmail's flags: -xx (instead of one -x) makes rsync report the mount point (MOUNT1).
  setup mount-xx
  specials
  capture mount-xx-fetch fetch_pass "mail-server:$S/" -x
fi

# --- races: vanished file (fetch), changed file and already-removed file (remove) ---------------
vanish_name=$(printf 'zzz vanish\n\377\033"q' | xxd -p | tr -d '\n')
for try in 1 2 3; do
  setup vanished
  mkfile "$S/new" "$(hex aaa-big)" 3000000
  mkfile "$S/new" "$(hex bbb-small)"
  mkfile "$S/new" "$vanish_name"
  ( wait_tmp "$L/tmp/t" && rm -f -- "$S/new/$(printf '%s' "$vanish_name" | xxd -r -p)" ) &
  capture vanished-fetch fetch_pass "mail-server:$S/" --bwlimit=1000
  wait
  has vanished-fetch stderr '^file has vanished' && break
  note "vanished-fetch: no 'file has vanished' line (try $try)"
done

changed_name=$(printf 'aaa changed\n\377\033' | xxd -p | tr -d '\n')
for try in 1 2 3; do
  setup changed
  mkdir -p "$L/tmp/stage/new"
  mkfile "$S/new" "$changed_name" 3000000
  mkfile "$L/tmp/stage/new" "$changed_name" 3000000   # differs: the remove pass has to transfer it again
  mkfile "$S/new" "$(hex bbb-same)"
  cp -p "$S/new/bbb-same" "$L/tmp/stage/new/bbb-same"
  touch -d '2024-04-05 12:00:00' "$S/new/$(printf '%s' "$changed_name" | xxd -r -p)"
  names0 "$L/tmp/stage/new" >"$D/list"
  ( wait_tmp "$L/tmp/t" && touch -d '2024-04-06 12:00:00' "$S/new/$(printf '%s' "$changed_name" | xxd -r -p)" ) &
  capture changed-remove remove_pass "mail-server:$S/new/" --bwlimit=1000 <"$D/list"
  wait
  has changed-remove stderr '^ERROR: Skipping sender remove' && break
  note "changed-remove: no 'Skipping sender remove' line (try $try)"
done

for try in 1 2 3; do
  setup already-removed
  mkdir -p "$L/tmp/stage/new"
  mkfile "$S/new" "$(hex aaa-big)" 3000000
  mkfile "$L/tmp/stage/new" "$(hex aaa-big)" 3000000
  touch -d '2024-04-05 12:00:00' "$S/new/aaa-big"   # size+mtime must differ, or rsync skips the transfer
  mkfile "$S/new" "$(hex zzz-gone)"
  cp -p "$S/new/zzz-gone" "$L/tmp/stage/new/zzz-gone"   # identical: removed without a transfer
  names0 "$L/tmp/stage/new" >"$D/list"
  ( wait_tmp "$L/tmp/t" && rm -f "$S/new/zzz-gone" ) &
  capture already-removed-remove remove_pass "mail-server:$S/new/" --bwlimit=1000 <"$D/list"
  wait
  has already-removed-remove stdout '^sender file already removed: ' && break
  note "already-removed-remove: no 'sender file already removed' line (try $try)"
done

# --- connection and path failures ----------------------------------------------------------------
setup failures
mkfile "$S/new" "$(hex 1712345678.M1P1.mail.example)"
capture refused-fetch fetch_pass "mail-server-closed:$S/"
capture authfail-fetch fetch_pass "mail-server-badkey:$S/"
capture missing-remote-fetch fetch_pass "mail-server:$D/server/nosuch/"
printf '1712345678.M1P1.mail.example\0' | capture missing-remote-remove remove_pass "mail-server:$D/server/nosuch/new/"

# --- disk full: the local side on a 2 MB tmpfs -------------------------------------------------
if [ "$MOUNT_OK" = 1 ]; then
  setup diskfull
  mount -t tmpfs -o size=2m tmpfs "$L" && MOUNTS+=("$L")
  mkdir -p "$L/tmp/t" "$L/tmp/p" "$L/tmp/stage"
  mkfile "$S/new" "$(hex aaa-small)"
  mkfile "$S/new" "$(hex big3mb)" 3000000
  mkfile "$S/new" "$(hex zzz-after)"
  capture diskfull-fetch fetch_pass "mail-server:$S/"
  umount "$L"
else
  note "skipped diskfull-fetch (mount not permitted)"
fi

# --- stats with the default human-readable numbers (commas) --------------------------------------
setup human
mkfile "$S/new" "$(hex big)" 1234567
touch -d '2024-04-05 12:00:00' "$S/new/big"
capture human-readable-fetch "$RSYNC" -e "$RSH" -r --times --temp-dir="$L/tmp/t" --partial-dir="$L/tmp/p" \
  --info=STATS2 --filter='+ /new/' --filter='+ /new/*' --filter='- *' "mail-server:$S/" "$L/tmp/stage/"

echo "$RSYNC_VERSION" >"$OUT/rsync-version.txt"
echo "done"
