// One line of rsync 3.5.0 output (LC_ALL=C) → one RsyncEvent. The line shapes and streams below are the
// ones captured from real runs in test/fixtures/rsync (scripts/capture-rsync-fixtures.sh).
//
// INPUT CONTRACT: `line` is one line of rsync's stdout or stderr read as latin1 (one char per byte, see
// escape.ts), without its '\n' (one trailing '\n' is tolerated). One trailing '\r' is removed (ssh ends
// its own lines with "\r\n"). A '\r' or '\n' that belongs to a name is always escaped by rsync (\#015,
// \#012), so it survives. Names are returned as the exact raw bytes (escapes decoded).
//
// STREAMS: rsync writes info messages (removals, skips, stats, names) to stdout and errors and warnings
// to stderr. Each shape is recognised only on its own stream, so a server-side shell or ssh cannot fake
// a removal by printing "sender removed X" on stderr.
//
// PRECEDENCE and AMBIGUITY: names are printed raw except for the escapes, so a hostile name can look
// like any message. Fixed-prefix shapes are tried first and the name is everything after the prefix:
// `sender removed sender removed x` is the removal of "sender removed x". That makes every prefix
// shape exact. Inherent ambiguities remain only for shapes that syncmail never enables:
//   * `ignoring unsafe symlink "NAME" -> "TARGET"` (NAME1): NAME and TARGET may both contain `" -> "`.
//     The split is at the FIRST `" -> "` that leaves a non-empty NAME. Right for every name without
//     `" -> "`; a NAME containing it is cut short (and TARGET gets the rest).
//   * plain name lines (NAME1, `opts.names`) and `NAME exists` (SKIP1/2) have no prefix: a file named
//     like a stats line or a fixed message is reported as that message.
// In syncmail's passes (--info=NONREG1,MOUNT1,STATS2 and --info=REMOVE1,NONREG1) every stdout line is
// a fixed-prefix line or a stats line, so the parse is exact.
//
// NAMES ARE RELATIVE TO THE TRANSFER ROOT: in the fetch pass (source = the Maildir) they carry the
// directory, e.g. `skipping non-regular file "new/fifo"`; in the remove pass (source = new/) they do not.

import { displayName } from '../output/display-name.js';
import { decodeRsyncEscapes } from './escape.js';
import type { RsyncEvent } from './events.js';

export type RsyncStream = 'stdout' | 'stderr';

export interface ParseOptions {
  /** Report lines that match no known shape on stdout as {kind:'name'} (NAME1, --out-format=%n). */
  readonly names?: boolean | undefined;
}

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
  if (!line.startsWith(prefix) || !line.endsWith('"') || line.length < prefix.length + 2)
    return undefined;
  return decodeRsyncEscapes(line.slice(prefix.length, -1));
}

const REMOVED = 'sender removed ';
const ALREADY_REMOVED = 'sender file already removed: ';
const NONREGULAR = 'skipping non-regular file "';
const UNSAFE_SYMLINK = 'ignoring unsafe symlink "';
const MOUNT_POINT = '[sender] skipping mount-point dir ';
const VANISHED = 'file has vanished: "';
const CHANGED = 'ERROR: Skipping sender remove for changed file: ';
const ARROW = '" -> "';

const EXISTS = / exists(?: \((uptodate|file change|attr change|type change|sum change)\))?$/;
// STATS2: "Number of files: 11 (reg: 3, dir: 3, link: 3, special: 2)", "Total file size: 1,234 bytes",
// "File list generation time: 0.001 seconds". Commas are thousands separators (absent with
// --no-human-readable); -h suffixes like "1.23M" are not numbers here and stay messages.
const STAT =
  /^([A-Z][a-z]*(?: [a-z]+)*): ([0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)(?: bytes| seconds)?(?: \([a-z]+: [0-9,]+(?:, [a-z]+: [0-9,]+)*\))?$/;
// Fixed stdout lines that are never names, even with opts.names.
const FIXED_STDOUT_MESSAGES = [
  /^(?:receiving|sending) (?:incremental )?file list(?: \.\.\.|$)/,
  /^created directory /,
  /^sent [0-9.,]+ bytes {2}received [0-9.,]+ bytes {2}[0-9.,]+ bytes\/sec$/,
  /^total size is [0-9.,]+ {2}speedup is [0-9.,]+/,
];
const EXIT_REPORT =
  /^rsync (error|warning): (.*) \(code ([0-9]+)\)(?: at [^ ]+\([0-9]+\) \[[^\]]*\])?$/;
// ENOSPC and EDQUOT from the local side (receiver or generator; the sender is the server).
const DISK_FULL =
  /^rsync: (?!\[sender\]).*: (?:No space left on device \(28\)|Disk quota exceeded \(122\))$/;

function parseStdout(line: string, names: boolean): RsyncEvent {
  let name = afterPrefix(line, REMOVED);
  if (name) return { kind: 'removed', name };
  name = afterPrefix(line, ALREADY_REMOVED);
  if (name) return { kind: 'already-removed', name };
  name = quotedAfterPrefix(line, NONREGULAR);
  if (name) return { kind: 'nonregular', name };
  name = afterPrefix(line, MOUNT_POINT);
  if (name) return { kind: 'mount-point', name };
  if (line.startsWith(UNSAFE_SYMLINK) && line.endsWith('"')) {
    const body = line.slice(UNSAFE_SYMLINK.length, -1);
    const arrow = body.indexOf(ARROW, 1);
    if (arrow > 0) {
      return {
        kind: 'unsafe-symlink',
        name: decodeRsyncEscapes(body.slice(0, arrow)),
        target: decodeRsyncEscapes(body.slice(arrow + ARROW.length)),
      };
    }
  }
  const stat = STAT.exec(line);
  if (stat) {
    const key = stat[1]!.toLowerCase().replace(/^number of /, '');
    return { kind: 'stat', key, value: Number(stat[2]!.replaceAll(',', '')) };
  }
  if (FIXED_STDOUT_MESSAGES.some((re) => re.test(line)))
    return { kind: 'message', stream: 'stdout', text: text(line) };
  const exists = EXISTS.exec(line);
  if (exists && exists.index > 0) {
    return {
      kind: 'exists',
      name: decodeRsyncEscapes(line.slice(0, exists.index)),
      reason: exists[1],
    };
  }
  if (names) return { kind: 'name', name: decodeRsyncEscapes(line) };
  return { kind: 'message', stream: 'stdout', text: text(line) };
}

function parseStderr(line: string): RsyncEvent {
  const path = quotedAfterPrefix(line, VANISHED);
  if (path) return { kind: 'vanished', path };
  const name = afterPrefix(line, CHANGED);
  if (name) return { kind: 'changed', name };
  const report = EXIT_REPORT.exec(line);
  if (report) {
    return {
      kind: 'exit-report',
      severity: report[1] === 'error' ? 'error' : 'warning',
      code: Number(report[3]),
      text: text(report[2]!),
    };
  }
  if (DISK_FULL.test(line)) return { kind: 'disk-full', text: text(line) };
  return { kind: 'message', stream: 'stderr', text: text(line) };
}

/**
 * Parses one line of rsync output (contract and precedence rules above).
 * Returns undefined for an empty line (after removing the line end). A line of spaces is not blank:
 * " " is a valid file name.
 */
export function parseRsyncLine(
  line: string,
  stream: RsyncStream,
  opts?: ParseOptions,
): RsyncEvent | undefined {
  let s = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (s.endsWith('\r')) s = s.slice(0, -1);
  if (s === '') return undefined;
  return stream === 'stdout' ? parseStdout(s, opts?.names === true) : parseStderr(s);
}
