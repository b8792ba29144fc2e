// One line of rsync output (LC_ALL=C) → one RsyncEvent, for rsync 3.2.7 to 3.5.x. The line shapes and
// streams below are the ones captured from real runs in test/fixtures/rsync.
//
// INPUT CONTRACT: `line` is one line of rsync's stdout or stderr read as latin1 (one char per byte, see
// escape.ts), without its '\n' (one trailing '\n' is tolerated). One trailing '\r' is removed (ssh ends
// its own lines with "\r\n"). A '\r' or '\n' that belongs to a name is always escaped by rsync (\#015,
// \#012), so it survives. Names are returned as the exact raw bytes (escapes decoded).
//
// STREAMS: rsync writes info messages (removals, skips, stats) to stdout and errors and warnings to
// stderr. Each shape is recognised only on its own stream, so a server-side shell or ssh cannot fake a
// removal by printing "sender removed X" on stderr.
//
// PRECEDENCE: names are printed raw except for the escapes, so a hostile name can look like any message.
// Fixed-prefix shapes are tried first and the name is everything after the prefix: `sender removed
// sender removed x` is the removal of "sender removed x". syncmail's passes (--info=NONREG1,STATS2 and
// --info=REMOVE1,NONREG0) print nothing but fixed-prefix lines and stats lines on stdout, and no info flag
// whose lines start with a name (NAME1, SKIP), so the parse is exact. On stderr a line that names a file
// in a fixed shape (vanished, changed, not received, unreadable, not removed) is read as that shape
// before it is matched against the failure texts, so a file name cannot pass for a failure; the name in
// such a shape is everything between the fixed prefix and the fixed ending (`": Permission denied (13)`,
// the last one on the line: the errno text never holds a quote or a colon), so a name that holds the
// ending itself is still read whole. The failure texts that a new reason relies on are whole lines,
// anchored at both ends (FAILURES), and no rsync line puts a name at the start of a stderr line.
//
// NAMES ARE RELATIVE TO THE TRANSFER ROOT: in the fetch pass (source = the Maildir) they carry the
// directory, e.g. `skipping non-regular file "new/fifo"`; in the remove pass (source = new/) they do not.

import { displayName } from '../text/display-name.js';
import { REMOVE_TEMP_DIR } from './argv.js';
import { decodeRsyncEscapes } from './escape.js';
import type { FailureReason, RsyncEvent } from './events.js';

export type RsyncStream = 'stdout' | 'stderr';

/** Display text of (part of) a line: escapes decoded, then made terminal-safe by displayName. */
function text(s: string): string {
  return displayName(decodeRsyncEscapes(s));
}

/** `PREFIX NAME` → the decoded name, or undefined when the line has another prefix or no name. */
function afterPrefix(line: string, prefix: string): Buffer | undefined {
  if (!line.startsWith(prefix) || line.length === prefix.length) return undefined;
  return decodeRsyncEscapes(line.slice(prefix.length));
}

/** `PREFIX"NAME"` (prefix ends with the opening quote) → the decoded name. */
function quotedAfterPrefix(line: string, prefix: string): Buffer | undefined {
  if (!line.startsWith(prefix) || !line.endsWith('"') || line.length < prefix.length + 2) {
    return undefined;
  }
  return decodeRsyncEscapes(line.slice(prefix.length, -1));
}

const REMOVED = 'sender removed ';
const ALREADY_REMOVED = 'sender file already removed: ';
const NONREGULAR = 'skipping non-regular file "';
const VANISHED = 'file has vanished: "';
const CHANGED = 'ERROR: Skipping sender remove for changed file: ';
// The remove pass cannot write (REMOVE_TEMP_DIR): a file it would have to receive changed on the server.
const NOT_RECEIVED = `rsync: [receiver] mkstemp "${REMOVE_TEMP_DIR}/`;
// rsync's temp name: the file name (shortened when long), a dot and six random characters.
const TEMP_NAME = /^(.+)\.[A-Za-z0-9]{6}" failed: .*$/s;
// The server account cannot read a file it listed: the sender's own words, with the full server path
// (rsync 3.2.7 and 3.5.0, sender.c), e.g. `...open "/srv/mail/new/x": Permission denied (13)`. rc 23.
const UNREADABLE = 'rsync: [sender] send_files failed to open "';
const QUOTED_THEN_ERRNO = /^(.+)": ([^":]+) \([0-9]+\)$/s;
// The server account may not delete a message it sent (or could not stat it again): `rsync: [sender]
// sender failed to remove NAME: Permission denied (13)` (or `Read-only file system (30)`), NAME relative to
// new/. rc 23.
const NOT_REMOVED = /^rsync: \[sender\] sender failed to (?:remove|re-lstat) /;
const NAME_THEN_ERRNO = /^(.+): ([^":]+) \([0-9]+\)$/s;
// A server rsync without an option it was sent. What rsync 3.0.9 says for --info (options.c, before
// any output is multiplexed): `rsync: on remote machine: --info=STATS2: unknown option`. Later releases
// use the same words for any option they lack.
const UNKNOWN_OPTION = /^rsync: on remote machine: (-[^\s]*): unknown option$/;

// STATS2: "Number of files: 11 (reg: 3, dir: 3, link: 3, special: 2)", "Total file size: 1,234 bytes",
// "File list generation time: 0.001 seconds". Commas are thousands separators (absent with
// --no-human-readable); -h suffixes like "1.23M" are not numbers here and stay messages.
const STAT =
  /^([A-Z][a-z]*(?: [a-z]+)*): ([0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?: bytes| seconds)?(?: \([a-z]+: [0-9,]+(?:, [a-z]+: [0-9,]+)*\))?$/;

/**
 * Which failure reason decides when several lines of one pass name different ones, first first: what
 * stops a pass before it starts (the login, the shell, the server's rsync), then local trouble, then the
 * connection, and last the per-file reasons, which say the pass went on with every other file
 * (rsync/classify.ts).
 */
const RANK: readonly FailureReason[] = [
  'unknown-host',
  'host-key',
  'auth',
  'forced-command',
  'server-shell-output',
  'old-server-rsync',
  'disk-full',
  'local-write',
  'no-remote-dir',
  'no-server-rsync',
  'unreachable',
  'server-remove-denied',
  'unreadable-server-file',
];

/** The reasons that concern single files: rsync went on with every other file (and exits 23). */
export const PER_FILE: ReadonlySet<FailureReason> = new Set([
  'server-remove-denied',
  'unreadable-server-file',
]);

/**
 * The stderr texts of rsync and ssh that say why a pass failed, most specific first: a line gets the
 * first reason that matches (the lines that name a file are read before, in parseStderr). rsync's exit
 * code for ssh-level failures switches between 12 and 255 from run to run, so these texts, not the code,
 * decide (rsync/classify.ts).
 */
const FAILURES: ReadonlyArray<readonly [FailureReason, RegExp]> = [
  [
    'host-key',
    /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/,
  ],
  ['auth', /Permission denied \((publickey|password|keyboard-interactive|gssapi)/],
  // ssh: "Could not resolve hostname mial-server: Name or service not known" (glibc's EAI_NONAME) is a
  // name that does not exist: a typo, not an outage. "Temporary failure in name resolution" (EAI_AGAIN)
  // is an outage and stays unreachable below.
  [
    'unknown-host',
    /Could not resolve hostname .*: (Name or service not known|No address associated with hostname|nodename nor servname provided, or not known|Name does not resolve)/,
  ],
  // rrsync (rsync's restricted forced command) says why it refused, then the connection closes, which
  // alone would read as unreachable: "/usr/bin/rrsync error: do not use .. in arg ...".
  ['forced-command', /rrsync error: /],
  // The client read the server shell's text as rsync's protocol version (rsync 3.2.7 and 3.5.0 print
  // this, then "(see the rsync manpage for an explanation)", and exit 2). The whole line: a file name
  // is never at the start of one.
  ['server-shell-output', /^protocol version mismatch -- is your shell clean\?$/],
  ['disk-full', /No space left on device|Disk quota exceeded/],
  [
    'local-write',
    /\[(receiver|generator|Receiver)\].*(Permission denied \(13\)|Read-only file system \(30\))/,
  ],
  [
    'no-remote-dir',
    /\[sender\] change_dir .* failed: No such file or directory|link_stat .* failed: No such file or directory/,
  ],
  [
    'no-server-rsync',
    // rsync's own words, or the server's shell failing to start the program (a wrong --rsync-path):
    // "bash: line 1: /nonexistent: No such file or directory", "sh: 1: rsync: not found".
    /remote command not found|rsync: (command )?not found|No such file or directory \(code 127\)|^[a-z]*sh:(?: line)? ?\d*:? .*: (?:No such file or directory|(?:command )?not found)$/,
  ],
  [
    'unreachable',
    /Connection refused|Connection timed out|timed out during banner exchange|Could not resolve hostname|Network is unreachable|No route to host|Connection reset|Connection closed by|not responding|io timeout|stopping at requested limit|Broken pipe|connection unexpectedly closed|kex_exchange_identification/,
  ],
];

/** Where a failure reason ranks when several lines of one pass name different ones (0 = decides first). */
export function failureRank(reason: FailureReason): number {
  return RANK.indexOf(reason);
}

function parseStdout(line: string): RsyncEvent {
  let name = afterPrefix(line, REMOVED);
  if (name) return { kind: 'removed', name };
  name = afterPrefix(line, ALREADY_REMOVED);
  if (name) return { kind: 'already-removed', name };
  name = quotedAfterPrefix(line, NONREGULAR);
  if (name) return { kind: 'nonregular', name };
  const stat = STAT.exec(line);
  if (stat) {
    const key = stat[1]!.toLowerCase().replace(/^number of /, '');
    return { kind: 'stat', key, value: Number(stat[2]!.replaceAll(',', '')) };
  }
  return { kind: 'message', stream: 'stdout', text: text(line) };
}

/** A failure line that names what it is about (`subject`, still escaped as printed). */
function naming(reason: FailureReason, line: string, subject: string): RsyncEvent {
  return { kind: 'failure', reason, text: text(line), subject: text(subject) };
}

function parseStderr(line: string): RsyncEvent {
  const path = quotedAfterPrefix(line, VANISHED);
  if (path) return { kind: 'vanished', path };
  const name = afterPrefix(line, CHANGED);
  if (name) return { kind: 'changed', name };
  if (line.startsWith(NOT_RECEIVED)) {
    const temp = TEMP_NAME.exec(line.slice(NOT_RECEIVED.length));
    if (temp) return { kind: 'changed', name: decodeRsyncEscapes(temp[1]!) };
  }
  if (line.startsWith(UNREADABLE)) {
    const file = QUOTED_THEN_ERRNO.exec(line.slice(UNREADABLE.length));
    if (file) return naming('unreadable-server-file', line, file[1]!);
  }
  const notRemoved = NOT_REMOVED.exec(line);
  if (notRemoved) {
    const file = NAME_THEN_ERRNO.exec(line.slice(notRemoved[0].length));
    if (file) return naming('server-remove-denied', line, file[1]!);
  }
  const option = UNKNOWN_OPTION.exec(line);
  if (option) return naming('old-server-rsync', line, option[1]!);
  const failure = FAILURES.find(([, pattern]) => pattern.test(line));
  if (failure) return { kind: 'failure', reason: failure[0], text: text(line) };
  return { kind: 'message', stream: 'stderr', text: text(line) };
}

/**
 * Parses one line of rsync output (contract and precedence rules above).
 * Returns undefined for an empty line (after removing the line end). A line of spaces is not blank:
 * " " is a valid file name.
 */
export function parseRsyncLine(line: string, stream: RsyncStream): RsyncEvent | undefined {
  let s = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (s.endsWith('\r')) s = s.slice(0, -1);
  if (s === '') return undefined;
  return stream === 'stdout' ? parseStdout(s) : parseStderr(s);
}
