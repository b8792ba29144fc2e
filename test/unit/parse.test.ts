import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FailureReason, RsyncEvent } from '../../src/rsync/events.js';
import { parseRsyncLine } from '../../src/rsync/parse.js';
import { type ListEntry, parseListLine } from '../../src/rsync/parse-list.js';
import { OLDEST_TESTED } from '../../src/rsync/version.js';
import {
  type Capture,
  type CaptureSet,
  capturedVersions,
  captureSets,
  caseNames,
  FOLDER,
  hostileNames,
  lines,
  PLACEHOLDERS,
  readCapture,
  recordedVersions,
  WORK,
} from '../helpers/rsync-fixtures.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const u = (s: string): Buffer => Buffer.from(s, 'utf8');

interface Parsed {
  raw: Capture;
  rc: number;
  stdout: RsyncEvent[];
  stderr: RsyncEvent[];
  blank: number;
}

function parseFixture(set: CaptureSet, name: string): Parsed {
  const raw = readCapture(set, name);
  const result: Parsed = { raw, rc: raw.rc, stdout: [], stderr: [], blank: 0 };
  for (const stream of ['stdout', 'stderr'] as const) {
    for (const line of lines(raw[stream], `${set.label}: ${name}.${stream}`)) {
      const event = parseRsyncLine(line, stream);
      if (event === undefined) result.blank++;
      else result[stream].push(event);
    }
  }
  return result;
}

const removed = (name: Buffer | string): RsyncEvent => ({
  kind: 'removed',
  name: typeof name === 'string' ? b(name) : name,
});
const nonregular = (name: string): RsyncEvent => ({ kind: 'nonregular', name: b(name) });
const msg = (stream: 'stdout' | 'stderr', text: string): RsyncEvent => ({
  kind: 'message',
  stream,
  text,
});
const failed = (reason: FailureReason, text: string): RsyncEvent => ({
  kind: 'failure',
  reason,
  text,
});
/** rsync's closing `rsync error|warning: TEXT (code N) at FILE(LINE) [ROLE=VERSION]` line, a message. */
const exitReport = (severity: 'error' | 'warning', code: number, text: string): RsyncEvent => ({
  kind: 'message',
  stream: 'stderr',
  text: `rsync ${severity}: ${text} (code ${code})`,
});
/** The same line without where rsync raised it (file, line number and version vary between builds). */
const withoutPlace = (e: RsyncEvent): RsyncEvent =>
  e.kind === 'message'
    ? { ...e, text: e.text.replace(/^(rsync (?:error|warning): .* \(code \d+\)) at .*$/, '$1') }
    : e;

/** Compare as multisets: remote and local lines may interleave in any order. */
function sameEvents(actual: RsyncEvent[], expected: RsyncEvent[], label: string): void {
  const key = (e: RsyncEvent): string =>
    JSON.stringify(withoutPlace(e), (_k, v: unknown) =>
      v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
        ? Buffer.from((v as { data: number[] }).data).toString('hex')
        : v,
    );
  assert.equal(actual.map(key).sort(), expected.map(key).sort(), label);
}

/** The kinds syncmail acts on besides messages: none of these may appear where a case expects none. */
const ACTED = ['removed', 'already-removed', 'nonregular', 'vanished', 'changed'];
const acted = (events: RsyncEvent[]): RsyncEvent[] => events.filter((e) => ACTED.includes(e.kind));

/** Texts of the message and failure events of one stream. */
const messages = (events: RsyncEvent[]): string[] =>
  events.flatMap((e) => (e.kind === 'message' || e.kind === 'failure' ? [e.text] : []));

/** The failure reasons named in one stream, each once, in order of first appearance. */
const reasons = (events: RsyncEvent[]): FailureReason[] => [
  ...new Set(events.flatMap((e) => (e.kind === 'failure' ? [e.reason] : []))),
];

/** Each expected text (or pattern) is one of the messages. */
function hasMessages(events: RsyncEvent[], expected: (string | RegExp)[], label: string): void {
  const texts = messages(events);
  for (const want of expected) {
    assert.ok(
      texts.some((t) => (typeof want === 'string' ? t === want : want.test(t))),
      `${label}: no message ${want} in ${JSON.stringify(texts)}`,
    );
  }
}

const STAT_KEYS = [
  'files',
  'created files',
  'deleted files',
  'regular files transferred',
  'total file size',
  'total transferred file size',
  'literal data',
  'matched data',
  'file list size',
  'file list generation time',
  'file list transfer time',
  'total bytes sent',
  'total bytes received',
];

/** STATS2 + STATS1 block of a fetch pass: the 13 stats in order, then the two summary lines. */
function checkStats(
  p: Parsed,
  expected: Record<string, number>,
  label: string,
  keys = STAT_KEYS,
): RsyncEvent[] {
  const stats = p.stdout.filter(
    (e): e is Extract<RsyncEvent, { kind: 'stat' }> => e.kind === 'stat',
  );
  assert.equal(
    stats.map((s) => s.key),
    keys,
    `${label}: stat keys`,
  );
  for (const s of stats) assert.type(s.value, 'number', `${label}: ${s.key}`);
  for (const s of stats)
    assert.ok(Number.isFinite(s.value) && s.value >= 0, `${label}: ${s.key} = ${s.value}`);
  for (const [k, v] of Object.entries(expected))
    assert.is(stats.find((s) => s.key === k)?.value, v, `${label}: ${k}`);
  const summary = p.stdout.filter(
    (e) => e.kind === 'message' && /^(sent|total size is) /.test(e.text),
  );
  assert.is(summary.length, 2, `${label}: summary lines`);
  assert.match(
    (summary[0] as { text: string }).text,
    /^sent [0-9.,]+ bytes {2}received [0-9.,]+ bytes {2}[0-9.,]+ bytes\/sec$/,
  );
  assert.match(
    (summary[1] as { text: string }).text,
    /^total size is [0-9.,]+ {2}speedup is [0-9.,]+$/,
  );
  assert.is(p.blank, 2, `${label}: the two blank lines around the stats`);
  return p.stdout.filter((e) => e.kind !== 'stat' && !summary.includes(e));
}

const statValue = (p: Parsed, key: string): number | undefined =>
  p.stdout.find(
    (e): e is Extract<RsyncEvent, { kind: 'stat' }> => e.kind === 'stat' && e.key === key,
  )?.value;

/** A --list-only capture (the dry run): syncmail reads its stdout with parseListLine, not as events. */
function listing(p: Parsed, label: string): ListEntry[] {
  assert.is(p.rc, 0, `${label}: rc`);
  assert.equal(p.stderr, [], `${label}: stderr`);
  return lines(p.raw.stdout, label).map((line) => {
    const entry = parseListLine(line);
    assert.ok(entry, `${label}: not a listing line: ${JSON.stringify(line)}`);
    return entry;
  });
}

const hex = (n: Buffer): string => n.toString('hex');

/** The cases where the server has no rsync (a wrong --rsync-path), by the exit code rsync gave. */
function rsyncMissing(rc: number): (p: Parsed) => void {
  return (p) => {
    assert.is(p.rc, rc);
    assert.equal(p.stdout, []);
    assert.equal(acted(p.stderr), []);
    hasMessages(
      p.stderr,
      [
        'bash: line 1: /nonexistent: No such file or directory',
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      ],
      `rsync-missing-${rc}-fetch`,
    );
    assert.equal(reasons(p.stderr)[0], 'no-server-rsync', "the server shell's own words");
  };
}
/** A server rsync 3.0.9 (synthetic) that does not know the --info option it was sent. */
function syntheticOldServer(option: string): (p: Parsed) => void {
  return (p) => {
    assert.is(p.rc, 12);
    assert.equal(p.stdout, []);
    assert.equal(p.stderr.map(withoutPlace), [
      {
        kind: 'failure',
        reason: 'old-server-rsync',
        text: `rsync: on remote machine: ${option}: unknown option`,
        subject: option,
      },
      msg('stderr', 'rsync error: syntax or usage error (code 1)'),
      failed(
        'unreachable',
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      ),
      exitReport('error', 12, 'error in rsync protocol data stream'),
    ]);
  };
}
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SSH_FAILURE_RC = [12, 255]; // rsync's code for an ssh failure changes from run to run

// Each fixture case with its exact expectations, the same for every capture set: parsed, the output of
// rsync 3.2.7 and of 3.5.0 gives the same events in every case, whichever is client or server. Where
// their raw lines differ, it is in what the events leave out (the "at main.c(1874)" / "at
// main.c(1956)" of exit reports and the [role=version] after it) or in what changes from run to run
// on either version (exit codes 12/255, timings, the order and presence of the last lines after a
// fatal error); each case below allows exactly that much. A fixture without an entry here fails.
const CASES: Record<string, (p: Parsed) => void> = {
  'list-basic': (p) => {
    const entries = listing(p, 'list-basic');
    assert.equal(
      entries.map((e) => [e.type, e.path.toString('latin1')]),
      [
        ['dir', '.'],
        ['dir', 'cur'],
        ['dir', 'new'],
        ['file', 'new/1712345678.M1P1.mail.example'],
        ['file', 'new/1712345679.M2P1.mail.example'],
        ['file', 'new/1712345680.M3P1.mail.example,S=12'],
        ['dir', 'tmp'],
      ],
    );
    for (const e of entries.filter((x) => x.type === 'file')) assert.is(e.size, 23);
  },
  'list-hostile': (p) => {
    const entries = listing(p, 'list-hostile');
    const files = entries.filter((e) => e.type === 'file').map((e) => hex(e.path));
    const names = hostileNames();
    assert.equal(files.sort(), names.map((n) => hex(Buffer.concat([b('new/'), n]))).sort());
    assert.equal(
      entries.filter((e) => e.type === 'other').map((e) => e.path),
      [b('new/fifo\n\xff"q -> "z')],
    );
  },
  'fetch-basic': (p) => {
    assert.is(p.rc, 0);
    // The stage and its new/ exist before the fetch (prepareLocalMaildir): created are cur/, tmp/ and
    // the three messages.
    const rest = checkStats(
      p,
      {
        files: 7,
        'created files': 5,
        'regular files transferred': 3,
        'total file size': 69,
        'deleted files': 0,
      },
      'fetch-basic',
    );
    assert.equal(rest, []);
    assert.equal(p.stderr, []);
  },
  'remove-basic': (p) => {
    // Not the message that arrived after the fetch (--existing), and nothing about the name in
    // pending/new that is not on the server.
    assert.is(p.rc, 0);
    sameEvents(
      p.stdout,
      [
        removed('1712345678.M1P1.mail.example'),
        removed('1712345679.M2P1.mail.example'),
        removed('1712345680.M3P1.mail.example,S=12'),
      ],
      'remove-basic',
    );
    assert.equal(p.stderr, []);
    assert.is(p.blank, 0);
  },
  'remove-again': (p) => {
    assert.is(p.rc, 0);
    assert.equal(p.stdout, []);
    assert.equal(p.stderr, []);
  },
  'hostile-fetch': (p) => {
    assert.is(p.rc, 0);
    const rest = checkStats(
      p,
      { 'regular files transferred': hostileNames().length },
      'hostile-fetch',
    );
    assert.equal(rest, [{ kind: 'nonregular', name: b('new/fifo\n\xff"q -> "z') }]);
    assert.equal(p.stderr, []);
  },
  'hostile-remove': (p) => {
    assert.is(p.rc, 0);
    const names = hostileNames();
    assert.is(names.length, 32);
    sameEvents(p.stdout, names.map(removed), 'hostile-remove');
    // A few by hand, so that the hex list cannot hide a mistake.
    for (const name of [
      b('sender removed x'),
      b(' '),
      b('cr-at-end\r'),
      b('nl-at-end\n'),
      b('back\\#123hash'),
      b('bad\xff\xfeutf'),
      u('ünï©ødé✉'),
      b('del\x7fchar'),
      b('tab\there'),
      b('q" -> "x'),
    ]) {
      assert.ok(
        p.stdout.some((e) => e.kind === 'removed' && e.name.equals(name)),
        `removed ${JSON.stringify(name.toString('latin1'))}`,
      );
    }
    assert.equal(p.stderr, []);
  },
  'specials-fetch': (p) => {
    assert.is(p.rc, 0);
    // Without --links, symlinks are "non-regular"; the single -x prints nothing for new/mnt.
    const rest = checkStats(p, { 'regular files transferred': 1 }, 'specials-fetch');
    sameEvents(
      rest,
      [
        nonregular('new/fifo'),
        nonregular('new/safe-link'),
        nonregular('new/sock'),
        nonregular('new/unsafe-link'),
      ],
      'specials-fetch',
    );
    assert.equal(p.stderr, []);
  },
  'specials-remove': (p) => {
    // FIFO, socket, symlinks and the subdir are in the server's new/ but not in pending/new:
    // --existing skips them, and NONREG0 keeps them quiet.
    assert.is(p.rc, 0);
    assert.equal(p.stdout, [removed('1712345678.M1P1.mail.example')]);
    assert.equal(p.stderr, []);
  },
  'mount-xx-fetch': (p) => {
    assert.is(p.rc, 0);
    const rest = checkStats(p, { 'regular files transferred': 1 }, 'mount-xx-fetch');
    sameEvents(
      rest,
      [
        msg('stdout', '[sender] skipping mount-point dir new/mnt'),
        nonregular('new/fifo'),
        nonregular('new/safe-link'),
        nonregular('new/sock'),
        nonregular('new/unsafe-link'),
      ],
      'mount-xx-fetch',
    );
    assert.equal(p.stderr, []);
  },
  'vanished-fetch': (p) => {
    assert.is(p.rc, 24);
    checkStats(p, { 'regular files transferred': 2, files: 7 }, 'vanished-fetch');
    assert.equal(p.stderr.map(withoutPlace), [
      { kind: 'vanished', path: b(`${WORK}/vanished/server/mail/new/zzz vanish\n\xff\x1b"q`) },
      exitReport('warning', 24, 'some files vanished before they could be transferred'),
    ]);
  },
  'changed-remove': (p) => {
    // The server copy no longer matches its placeholder: rsync would have to receive it, and cannot
    // create its temp file in REMOVE_TEMP_DIR (/proc/sys), so it is neither received nor removed. The
    // line is `rsync: [receiver] mkstemp "/proc/sys/aaa changed\#012\#377\#033.XXXXXX" failed: No such
    // file or directory (2)` with both versions.
    assert.is(p.rc, 23);
    assert.equal(p.stdout, [removed('bbb-same')]);
    assert.equal(p.stderr.map(withoutPlace), [
      { kind: 'changed', name: b('aaa changed\n\xff\x1b') },
      exitReport('error', 23, 'some files/attrs were not transferred (see previous errors)'),
    ]);
    assert.match(
      p.raw.stderr,
      /^rsync: \[receiver\] mkstemp "\/proc\/sys\/aaa changed\\#012\\#377\\#033\.[A-Za-z0-9]{6}" failed: No such file or directory \(2\)$/m,
    );
  },
  'already-removed-remove': (p) => {
    // zzz-gone was deleted on the server after the sender listed it, before its turn to be removed.
    assert.is(p.rc, 0);
    const names = Array.from({ length: 150 }, (_, i) => `aaa-${String(i + 1).padStart(3, '0')}`);
    sameEvents(
      p.stdout,
      [{ kind: 'already-removed', name: b('zzz-gone') }, ...names.map((n) => removed(n))],
      'already-removed-remove',
    );
    assert.equal(p.stderr, []);
  },
  'refused-fetch': (p) => {
    assert.ok(SSH_FAILURE_RC.includes(p.rc), `rc ${p.rc}`);
    assert.equal(p.stdout, []);
    assert.equal(p.stderr.map(withoutPlace), [
      failed(
        'unreachable',
        `ssh: connect to host 127.0.0.1 port ${PLACEHOLDERS['@CLOSED_PORT@']}: Connection refused`,
      ), // "\r\n" from ssh
      failed(
        'unreachable',
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      ),
      exitReport(
        'error',
        p.rc,
        p.rc === 12 ? 'error in rsync protocol data stream' : 'unexplained error',
      ),
    ]);
  },
  'authfail-fetch': (p) => {
    assert.ok(SSH_FAILURE_RC.includes(p.rc), `rc ${p.rc}`);
    assert.equal(p.stdout, []);
    assert.equal(p.stderr.map(withoutPlace), [
      failed('auth', 'root@127.0.0.1: Permission denied (publickey).'),
      failed(
        'unreachable',
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      ),
      exitReport(
        'error',
        p.rc,
        p.rc === 12 ? 'error in rsync protocol data stream' : 'unexplained error',
      ),
    ]);
  },
  'unknownhost-fetch': (p) => {
    assert.ok(SSH_FAILURE_RC.includes(p.rc), `rc ${p.rc}`);
    assert.equal(p.stdout, []);
    assert.equal(acted(p.stderr), []);
    hasMessages(
      p.stderr,
      [
        `No ED25519 host key is known for [127.0.0.1]:${PLACEHOLDERS['@SSHD_PORT@']} and you have requested strict checking.`,
        'Host key verification failed.',
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      ],
      'unknownhost-fetch',
    );
    assert.equal(reasons(p.stderr), ['host-key', 'unreachable']);
  },
  'blackhole-fetch': (p) => {
    // ssh's ConnectTimeout (3 s here) ends the wait for a banner that never comes.
    assert.ok(SSH_FAILURE_RC.includes(p.rc), `rc ${p.rc}`);
    assert.equal(p.stdout, []);
    assert.equal(acted(p.stderr), []);
    hasMessages(
      p.stderr,
      [
        'Connection timed out during banner exchange',
        `Connection to 127.0.0.1 port ${PLACEHOLDERS['@BLACKHOLE_PORT@']} timed out`,
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      ],
      'blackhole-fetch',
    );
    assert.equal(reasons(p.stderr), ['unreachable']);
  },
  'timeout-fetch': (p) => {
    // rsync's --timeout=3 ends it first; rsync checks once a second, so "after 3" or "after 4".
    assert.is(p.rc, 30);
    assert.equal(p.stdout, []);
    assert.equal(acted(p.stderr), []);
    hasMessages(
      p.stderr,
      [/^\[Receiver\] io timeout after [34] seconds -- exiting$/],
      'timeout-fetch',
    );
    assert.equal(reasons(p.stderr), ['unreachable']);
  },
  // rsync exits 127, or 12 when it notices the closed pipe before it reaps ssh's 127: the same words.
  'rsync-missing-127-fetch': rsyncMissing(127),
  'rsync-missing-12-fetch': rsyncMissing(12),
  'missing-remote-fetch': (p) => {
    assert.is(p.rc, 23);
    const keys = STAT_KEYS.filter((k) => !k.endsWith(' time')); // no file list times when the list failed
    assert.equal(
      checkStats(p, { files: 0, 'regular files transferred': 0 }, 'missing-remote-fetch', keys),
      [],
    );
    assert.equal(p.stderr.map(withoutPlace), [
      failed(
        'no-remote-dir',
        `rsync: [sender] change_dir "${WORK}/missing-remote/server/nosuch" failed: No such file or directory (2)`,
      ),
      exitReport('error', 23, 'some files/attrs were not transferred (see previous errors)'),
      failed('unreachable', 'rsync: [Receiver] write error: Broken pipe (32)'),
    ]);
  },
  'missing-remote-remove': (p) => {
    // With --dirs, as in the fetch, the sender's change_dir failure is not fatal to it: rc 23.
    assert.is(p.rc, 23);
    assert.equal(p.stdout, []);
    assert.equal(acted(p.stderr), []);
    hasMessages(
      p.stderr,
      [
        `rsync: [sender] change_dir "${WORK}/missing-remote/server/nosuch/new" failed: No such file or directory (2)`,
        'rsync: [Receiver] write error: Broken pipe (32)',
      ],
      'missing-remote-remove',
    );
    assert.equal(reasons(p.stderr)[0], 'no-remote-dir');
  },
  'diskfull-fetch': (p) => {
    assert.is(p.rc, 11);
    assert.equal(p.stdout, []); // no stats after a fatal error
    // Some runs add a third line from the generator (seen with both versions, not in every run).
    const brokenPipe = failed('unreachable', 'rsync: [generator] write error: Broken pipe (32)');
    assert.equal(p.stderr.slice(0, 2).map(withoutPlace), [
      {
        kind: 'failure',
        reason: 'disk-full',
        text: `rsync: [receiver] write failed on "${WORK}/diskfull/local/tmp/syncmail/${FOLDER}/stage/new/big3mb": No space left on device (28)`,
      },
      exitReport('error', 11, 'error in file IO'),
    ]);
    assert.equal(p.stderr.slice(2), p.stderr.length === 3 ? [brokenPipe] : []);
  },
  'readonly-fetch': (p) => {
    assert.is(p.rc, 23);
    checkStats(p, { 'regular files transferred': 1 }, 'readonly-fetch');
    assert.equal(acted(p.stderr), []);
    const stage = `${WORK}/readonly/local/tmp/syncmail/${FOLDER}/stage`;
    hasMessages(
      p.stderr,
      [
        `rsync: [generator] failed to set times on "${stage}/.": Read-only file system (30)`,
        `rsync: [generator] recv_generator: mkdir "${stage}/cur" failed: Read-only file system (30)`,
        '*** Skipping any contents from this failed directory ***',
        // mkstemp's random suffix changes with every capture.
        new RegExp(
          `^rsync: \\[receiver\\] mkstemp "${escapeRegExp(`${WORK}/readonly/local/tmp/syncmail/${FOLDER}/temp/`)}1712345678\\.M1P1\\.mail\\.example\\.[A-Za-z0-9]{6}" failed: Read-only file system \\(30\\)$`,
        ),
      ],
      'readonly-fetch',
    );
    assert.equal(reasons(p.stderr)[0], 'local-write');
  },
  'terminated-fetch': (p) => {
    // SIGTERM to the whole group kills ssh too: 255, and no stats. Which of the receiver's and the
    // generator's last words come, and in what order, changes from run to run.
    assert.is(p.rc, 255);
    assert.equal(p.stdout, []);
    assert.equal(acted(p.stderr), []);
    hasMessages(p.stderr, ['rsync: [generator] write error: Broken pipe (32)'], 'terminated-fetch');
  },
  'resume-fetch': (p) => {
    // The fetch after the forced stop: the partial file in stage/new/.syncmail-partial is the basis,
    // so part of the message is matched instead of sent again.
    assert.is(p.rc, 0);
    assert.equal(
      checkStats(p, { 'regular files transferred': 1, 'total file size': 3000000 }, 'resume-fetch'),
      [],
    );
    const matched = statValue(p, 'matched data') ?? 0;
    assert.ok(matched > 0, `matched data ${matched}`);
    assert.is(matched + (statValue(p, 'literal data') ?? 0), 3000000);
    assert.equal(p.stderr, []);
  },
  'unreadable-fetch': (p) => {
    // One 0600 file of another owner beside three the server account reads: the three are fetched.
    assert.is(p.rc, 23);
    const rest = checkStats(
      p,
      { 'regular files transferred': 3, 'total file size': 92, 'total transferred file size': 69 },
      'unreadable-fetch',
    );
    assert.equal(rest, []);
    // As printed (rsync's escapes) and as the event has it (decoded, then made terminal-safe).
    const dir = `${WORK}/unreadable/server/mail/new`;
    assert.match(
      p.raw.stderr,
      `rsync: [sender] send_files failed to open "${dir}/1712345680.M3P1.mail unreadable\\#012\\#377"q": Permission denied (13)\n`,
    );
    const path = `${dir}/1712345680.M3P1.mail unreadable\\n\\xff"q`;
    assert.equal(p.stderr.map(withoutPlace), [
      {
        kind: 'failure',
        reason: 'unreadable-server-file',
        text: `rsync: [sender] send_files failed to open "${path}": Permission denied (13)`,
        subject: path,
      },
      exitReport('error', 23, 'some files/attrs were not transferred (see previous errors)'),
    ]);
  },
  'unreadable-remove': (p) => {
    // The three delivered ones are removed; the unreadable one has no placeholder and stays.
    assert.is(p.rc, 0);
    sameEvents(
      p.stdout,
      [
        removed('1712345678.M1P1.mail.example'),
        removed('1712345679.M2P1.mail.example'),
        removed('1712345681.M4P1.mail.example'),
      ],
      'unreadable-remove',
    );
    assert.equal(p.stderr, []);
  },
  'unremovable-remove': (p) => {
    // new/ is not writable by the server account: every removal fails, nothing is said on stdout.
    assert.is(p.rc, 23);
    assert.equal(p.stdout, []);
    const notRemoved = (name: string) => ({
      kind: 'failure',
      reason: 'server-remove-denied',
      text: `rsync: [sender] sender failed to remove ${name}: Permission denied (13)`,
      subject: name,
    });
    assert.equal(p.stderr.map(withoutPlace), [
      notRemoved('1712345678.M1P1.mail.example'),
      notRemoved('1712345679.M2P1.mail.example'),
      exitReport('error', 23, 'some files/attrs were not transferred (see previous errors)'),
    ]);
  },
  'readonly-server-remove': (p) => {
    assert.is(p.rc, 23);
    assert.equal(p.stdout, []);
    const notRemoved = (name: string) => ({
      kind: 'failure',
      reason: 'server-remove-denied',
      text: `rsync: [sender] sender failed to remove ${name}: Read-only file system (30)`,
      subject: name,
    });
    assert.equal(p.stderr.map(withoutPlace), [
      notRemoved('1712345678.M1P1.mail.example'),
      notRemoved('1712345679.M2P1.mail.example'),
      exitReport('error', 23, 'some files/attrs were not transferred (see previous errors)'),
    ]);
  },
  'banner-fetch': (p) => {
    // "Welcome to mail.example!" on the server's stdout, read by the client as a protocol version.
    assert.is(p.rc, 2);
    assert.equal(p.stdout, []);
    assert.equal(p.stderr.map(withoutPlace), [
      failed('server-shell-output', 'protocol version mismatch -- is your shell clean?'),
      msg('stderr', '(see the rsync manpage for an explanation)'),
      exitReport('error', 2, 'protocol incompatibility'),
    ]);
  },
  // SYNTHETIC server (test/fixtures/rsync/README.md): its first two lines are what rsync 3.0.9 prints
  // for an option it lacks; the rest is the real client's.
  'synthetic-old-server-fetch': syntheticOldServer('--info=STATS2'),
  'synthetic-old-server-remove': syntheticOldServer('--info=REMOVE'),
  'human-readable-fetch': (p) => {
    assert.is(p.rc, 0);
    // A user's --human-readable: "Total file size: 1,234,567 bytes".
    assert.match(p.raw.stdout, /^Total file size: 1,234,567 bytes$/m);
    const rest = checkStats(
      p,
      {
        'total file size': 1234567,
        'total transferred file size': 1234567,
        'literal data': 1234567,
        'regular files transferred': 1,
      },
      'human-readable-fetch',
    );
    assert.equal(rest, []);
    assert.equal(p.stderr, []);
  },
};

/** The remove-pass cases: the only ones that are also captured against another server version. */
const REMOVE_CASES = Object.keys(CASES).filter(
  (name) => name.endsWith('-remove') || name.startsWith('remove-'),
);
const LISTINGS = Object.keys(CASES).filter((name) => name.startsWith('list-'));

const SETS = captureSets();

for (const set of SETS) {
  for (const name of caseNames(set)) {
    test(`${set.label}: fixture ${name}`, () => {
      const check = CASES[name];
      if (check === undefined) throw new Error(`no expectations for ${set.dir}${name}`);
      check(parseFixture(set, name));
    });
  }
}

test('the fixtures cover the oldest rsync syncmail accepts and 3.5', () => {
  const versions = capturedVersions();
  assert.ok(versions.includes(OLDEST_TESTED.join('.')), versions.join(', '));
  assert.ok(
    versions.some((v) => v.startsWith('3.5.')),
    versions.join(', '),
  );
});

test('every capture set has its cases, each with its three files, from the versions it is filed under', () => {
  for (const set of SETS) {
    const names = caseNames(set);
    if (set.client === set.server) assert.equal(names, Object.keys(CASES).sort(), set.label);
    else {
      // Kept only where the other server made a difference (scripts/capture-rsync-fixtures.ts).
      assert.ok(names.length > 0, `${set.label}: an empty set`);
      for (const name of names) assert.ok(REMOVE_CASES.includes(name), `${set.label}: ${name}`);
    }
    for (const name of names) readCapture(set, name); // throws on a missing file or a bad rc
    assert.equal(recordedVersions(set), [set.client, set.server], set.label);
  }
});

test("each exit report names the set's versions: the client for local roles, the server for the sender", () => {
  let seen = 0;
  for (const set of SETS) {
    for (const name of caseNames(set)) {
      for (const line of lines(readCapture(set, name).stderr, `${set.label}: ${name}`)) {
        const role = / \[(sender|receiver|Receiver|generator)=([0-9.]+)\]$/.exec(line);
        if (role === null) continue;
        seen++;
        assert.is(role[2], role[1] === 'sender' ? set.server : set.client, `${set.label}: ${line}`);
      }
    }
  }
  assert.ok(seen > 0, 'no exit report in any fixture');
});

test('syncmail passes: every stdout line is a fixed-prefix line, a stat, or a STATS1 summary line', () => {
  for (const set of SETS) {
    // mount-xx-fetch adds -x and MOUNT1, which syncmail does not, to show what rsync says of a mount point.
    for (const name of caseNames(set).filter(
      (n) => !LISTINGS.includes(n) && n !== 'mount-xx-fetch',
    )) {
      for (const e of parseFixture(set, name).stdout) {
        if (e.kind === 'message')
          assert.match(e.text, /^(sent |total size is )/, `${set.label}: ${name}: ${e.text}`);
        else
          assert.ok(
            ['removed', 'already-removed', 'nonregular', 'stat'].includes(e.kind),
            `${set.label}: ${name}: ${e.kind}`,
          );
      }
    }
  }
});

// ---- single lines ----------------------------------------------------------------------------------

const p = (line: string, stream: 'stdout' | 'stderr' = 'stdout') => parseRsyncLine(line, stream);

test('a name that is itself a removal line', () => {
  assert.equal(p('sender removed sender removed x'), removed('sender removed x'));
  assert.equal(
    p('sender removed sender file already removed: y'),
    removed('sender file already removed: y'),
  );
  assert.equal(p('sender removed x exists (uptodate)'), removed('x exists (uptodate)'));
  assert.equal(p('sender removed Number of files: 9'), removed('Number of files: 9'));
  assert.equal(p('sender file already removed: sender removed z'), {
    kind: 'already-removed',
    name: b('sender removed z'),
  });
});

test('line ends: one trailing CR and one trailing LF are removed, escaped ones stay', () => {
  assert.equal(p('sender removed a\r'), removed('a'));
  assert.equal(p('sender removed a\r\n'), removed('a'));
  assert.equal(p('sender removed a\r\r'), removed('a\r')); // only one CR
  assert.equal(p('sender removed cr-at-end\\#015\r'), removed('cr-at-end\r'));
  assert.equal(p('ssh: connect to host x port 22: Connection refused\r', 'stderr'), {
    kind: 'failure',
    reason: 'unreachable',
    text: 'ssh: connect to host x port 22: Connection refused',
  });
});

test('blank lines are undefined, spaces are not blank', () => {
  assert.is(p(''), undefined);
  assert.is(p('\r'), undefined);
  assert.is(p('\r\n', 'stderr'), undefined);
  assert.equal(p('sender removed  '), removed(' '));
  assert.equal(p(' '), msg('stdout', ' '));
});

test('a prefix without a name is a message', () => {
  assert.equal(p('sender removed '), msg('stdout', 'sender removed '));
  assert.equal(p('skipping non-regular file ""'), msg('stdout', 'skipping non-regular file ""'));
  assert.equal(p('skipping non-regular file "x'), msg('stdout', 'skipping non-regular file "x'));
});

test('escapes are decoded in every name field', () => {
  assert.equal(p('sender removed new\\#012line'), removed('new\nline'));
  assert.equal(p('sender removed back\\#134#123hash'), removed('back\\#123hash'));
  assert.equal(p('sender removed \\#303\\#274n'), { kind: 'removed', name: u('ün') });
  assert.equal(p('skipping non-regular file "fifo\\#012nl\\#377"'), nonregular('fifo\nnl\xff'));
  assert.equal(p('file has vanished: "/srv/m/new/zzz vanish\\#012\\#377\\#033"', 'stderr'), {
    kind: 'vanished',
    path: b('/srv/m/new/zzz vanish\n\xff\x1b'),
  });
  assert.equal(
    p('ERROR: Skipping sender remove for changed file: aaa big\\#012\\#377\\#033', 'stderr'),
    { kind: 'changed', name: b('aaa big\n\xff\x1b') },
  );
});

test('quoted names may contain quotes', () => {
  assert.equal(p('skipping non-regular file "a"b""'), nonregular('a"b"'));
  assert.equal(p('file has vanished: "/x/"q" -> "z""', 'stderr'), {
    kind: 'vanished',
    path: b('/x/"q" -> "z"'),
  });
});

test('lines of info flags syncmail never enables are plain messages, whatever they name', () => {
  // NAME1 and SKIP lines begin with a server-chosen name; the passes never ask for them.
  assert.equal(
    p('existing.msg exists (uptodate)'),
    msg('stdout', 'existing.msg exists (uptodate)'),
  );
  assert.equal(p('1712345678.M1P1.host'), msg('stdout', '1712345678.M1P1.host'));
  assert.equal(
    p('ignoring unsafe symlink "a" -> "/etc"'),
    msg('stdout', 'ignoring unsafe symlink "a" -> "/etc"'),
  );
});

test('stats: key before the colon, lowercased, without "Number of "; commas allowed', () => {
  assert.equal(p('Number of regular files transferred: 4'), {
    kind: 'stat',
    key: 'regular files transferred',
    value: 4,
  });
  assert.equal(p('Total transferred file size: 30 bytes'), {
    kind: 'stat',
    key: 'total transferred file size',
    value: 30,
  });
  assert.equal(p('Total file size: 3,000,000 bytes'), {
    kind: 'stat',
    key: 'total file size',
    value: 3000000,
  });
  assert.equal(p('Number of files: 1,011 (reg: 1,003, dir: 3, link: 3, special: 2)'), {
    kind: 'stat',
    key: 'files',
    value: 1011,
  });
  assert.equal(p('File list generation time: 0.001 seconds'), {
    kind: 'stat',
    key: 'file list generation time',
    value: 0.001,
  });
  assert.equal(p('Matched data: 59,013,120 bytes'), {
    kind: 'stat',
    key: 'matched data',
    value: 59013120,
  });
  // Not stats: -h suffixes, broken commas, stats on stderr.
  assert.equal(p('Total file size: 3.00M bytes'), msg('stdout', 'Total file size: 3.00M bytes'));
  assert.equal(p('Total file size: 3,00 bytes'), msg('stdout', 'Total file size: 3,00 bytes'));
  assert.equal(p('Number of files: 4', 'stderr'), msg('stderr', 'Number of files: 4'));
});

test("rsync's closing error and warning lines are messages, kept whole", () => {
  const line =
    'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1956) [generator=3.5.0]';
  assert.equal(p(line, 'stderr'), msg('stderr', line));
  const timeout =
    'rsync error: timeout in data send/receive (code 30) at io.c(248) [Receiver=3.5.0]';
  assert.equal(p(`${timeout}\r`, 'stderr'), msg('stderr', timeout));
});

test('failure lines: disk full, a read-only local disk, ssh trouble, named by reason', () => {
  const failure = (reason: string, text: string) => ({ kind: 'failure', reason, text });
  const full = 'rsync: [receiver] write failed on "/m/new/big3mb": No space left on device (28)';
  assert.equal(p(full, 'stderr'), failure('disk-full', full));
  const mkstemp =
    'rsync: [receiver] mkstemp "/m/tmp/a.XXXXXX" failed: No space left on device (28)';
  assert.equal(p(mkstemp, 'stderr'), failure('disk-full', mkstemp));
  const quota = 'rsync: [receiver] write failed on "/m/new/x": Disk quota exceeded (122)';
  assert.equal(p(quota, 'stderr'), failure('disk-full', quota));
  const ro = 'rsync: [receiver] mkstemp "/m/new/.m3.CdEZP4" failed: Read-only file system (30)';
  assert.equal(p(ro, 'stderr'), failure('local-write', ro));
  assert.equal(
    p('Host key verification failed.\r', 'stderr'),
    failure('host-key', 'Host key verification failed.'),
  );
  const esc = 'rsync: [receiver] write failed on "/m/\\#033[31m": No space left on device (28)';
  assert.equal(
    p(esc, 'stderr'),
    failure(
      'disk-full',
      'rsync: [receiver] write failed on "/m/\\x1b[31m": No space left on device (28)',
    ),
    'terminal-safe',
  );
  // The name in a changed-file line cannot fake it.
  assert.equal(
    p('ERROR: Skipping sender remove for changed file: x: No space left on device (28)', 'stderr'),
    { kind: 'changed', name: b('x: No space left on device (28)') },
  );
});

test('per-file failures: an unreadable server file, a message the server may not delete', () => {
  const unreadable =
    'rsync: [sender] send_files failed to open "/srv/m/new/a\\#012b": Permission denied (13)';
  assert.equal(p(unreadable, 'stderr'), {
    kind: 'failure',
    reason: 'unreadable-server-file',
    text: 'rsync: [sender] send_files failed to open "/srv/m/new/a\\nb": Permission denied (13)',
    subject: '/srv/m/new/a\\nb',
  });
  for (const [line, subject] of [
    ['rsync: [sender] sender failed to remove x: Permission denied (13)', 'x'],
    ['rsync: [sender] sender failed to remove x y: Read-only file system (30)', 'x y'],
    ['rsync: [sender] sender failed to remove x: Operation not permitted (1)', 'x'],
    ['rsync: [sender] sender failed to re-lstat x: Permission denied (13)', 'x'],
  ] as const) {
    assert.equal(
      p(line, 'stderr'),
      { kind: 'failure', reason: 'server-remove-denied', text: line, subject },
      line,
    );
  }
});

test('whole-line failures: a server shell that prints text, a server rsync without an option', () => {
  assert.equal(
    p('protocol version mismatch -- is your shell clean?', 'stderr'),
    failed('server-shell-output', 'protocol version mismatch -- is your shell clean?'),
  );
  assert.equal(p('rsync: on remote machine: --info=STATS2: unknown option', 'stderr'), {
    kind: 'failure',
    reason: 'old-server-rsync',
    text: 'rsync: on remote machine: --info=STATS2: unknown option',
    subject: '--info=STATS2',
  });
  // Only the whole line, and only on stderr.
  for (const line of [
    'x protocol version mismatch -- is your shell clean?',
    'protocol version mismatch -- is your shell clean? x',
    'rsync: on remote machine: --info=a b: unknown option',
    'x rsync: on remote machine: --info=STATS2: unknown option',
  ])
    assert.equal(p(line, 'stderr'), msg('stderr', line), line);
  assert.equal(
    p('protocol version mismatch -- is your shell clean?'),
    msg('stdout', 'protocol version mismatch -- is your shell clean?'),
  );
});

test('a hostile name cannot fake a new failure: each shape that names a file is read first', () => {
  const shell = 'protocol version mismatch -- is your shell clean?';
  const option = 'rsync: on remote machine: --info=X: unknown option';
  const ending = 'x": No space left on device (28)": Permission denied (13)';
  for (const name of [shell, option, ending, 'q: Read-only file system (30)']) {
    const n = b(name);
    assert.equal(p(`file has vanished: "/srv/m/new/${name}"`, 'stderr'), {
      kind: 'vanished',
      path: Buffer.concat([b('/srv/m/new/'), n]),
    });
    assert.equal(p(`ERROR: Skipping sender remove for changed file: ${name}`, 'stderr'), {
      kind: 'changed',
      name: n,
    });
    assert.equal(
      p(
        `rsync: [receiver] mkstemp "/proc/sys/${name}.AbC123" failed: No such file or directory (2)`,
        'stderr',
      ),
      { kind: 'changed', name: n },
    );
    const unreadable = `rsync: [sender] send_files failed to open "/srv/m/new/${name}": Permission denied (13)`;
    assert.equal(p(unreadable, 'stderr'), {
      kind: 'failure',
      reason: 'unreadable-server-file',
      text: unreadable,
      subject: `/srv/m/new/${name}`,
    });
    const notRemoved = `rsync: [sender] sender failed to remove ${name}: Permission denied (13)`;
    assert.equal(p(notRemoved, 'stderr'), {
      kind: 'failure',
      reason: 'server-remove-denied',
      text: notRemoved,
      subject: name,
    });
    assert.equal(p(`sender removed ${name}`), removed(name));
  }
  // In a line syncmail has no shape for, the name sits in the middle: the anchored texts do not match.
  for (const name of [shell, option]) {
    const line = `rsync: [generator] failed to set times on "/m/new/${name}": Read-only file system (30)`;
    assert.equal(p(line, 'stderr'), failed('local-write', line), name);
  }
});

test('streams are strict: stdout shapes on stderr (and back) are messages', () => {
  assert.equal(p('sender removed x', 'stderr'), msg('stderr', 'sender removed x'));
  assert.equal(
    p('sender file already removed: x', 'stderr'),
    msg('stderr', 'sender file already removed: x'),
  );
  assert.equal(
    p('skipping non-regular file "x"', 'stderr'),
    msg('stderr', 'skipping non-regular file "x"'),
  );
  assert.equal(p('x exists', 'stderr'), msg('stderr', 'x exists'));
  assert.equal(p('file has vanished: "x"'), msg('stdout', 'file has vanished: "x"'));
  assert.equal(
    p('ERROR: Skipping sender remove for changed file: x'),
    msg('stdout', 'ERROR: Skipping sender remove for changed file: x'),
  );
  assert.equal(
    p('rsync error: x (code 23) at main.c(1) [generator=3.5.0]'),
    msg('stdout', 'rsync error: x (code 23) at main.c(1) [generator=3.5.0]'),
  );
});

test.run();
