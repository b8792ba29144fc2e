// How a pass ended → success or an error class, from the lines rsync printed (read once, by the parser).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyPass, emptySummary, notice, type Outcome } from '../../src/rsync/classify.js';
import { parseRsyncLine } from '../../src/rsync/parse.js';
import {
  type CaptureSet,
  captureSets,
  caseNames,
  lines,
  readCapture,
} from '../helpers/rsync-fixtures.js';

const run = (
  exitCode: number | undefined,
  stderrLines: string[],
  extra: { signal?: string; spawnError?: string } = {},
) => {
  const stderr = emptySummary();
  for (const line of stderrLines) {
    const event = parseRsyncLine(line, 'stderr');
    if (event !== undefined) notice(stderr, event);
  }
  return classifyPass({
    exit: { exitCode, signal: extra.signal, spawnError: extra.spawnError },
    stderr,
    mailbox: 'inbox',
    server: 'mail-server:mail/inbox',
    rsyncProgram: 'rsync',
  });
};

function failure(outcome: ReturnType<typeof classifyPass>) {
  if (outcome.ok) throw new Error('expected a failure');
  return outcome;
}

test('0 is success; 24 (vanished on the server) is success with a note', () => {
  assert.equal(run(0, []), { ok: true, vanished: false });
  assert.equal(run(24, ['file has vanished: "/srv/new/x"']), { ok: true, vanished: true });
});

test('ssh trouble is told apart by the text, whatever the code (12 or 255)', () => {
  for (const code of [12, 255]) {
    const refused = failure(
      run(code, [
        'ssh: connect to host 127.0.0.1 port 2223: Connection refused',
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      ]),
    );
    assert.is(refused.transient, true);
    assert.is(refused.error.exitCode, 75);
    assert.match(
      refused.error.message,
      /cannot reach mail-server:mail\/inbox: ssh: connect to host .* Connection refused/,
    );

    const auth = failure(
      run(code, [
        'root@127.0.0.1: Permission denied (publickey).\r',
        'rsync: connection unexpectedly closed',
      ]),
    );
    assert.is(auth.transient, false);
    assert.is(auth.error.exitCode, 77);
    assert.match(auth.error.hint ?? '', /ssh -o BatchMode=yes HOST true/);

    const hostKey = failure(
      run(code, [
        '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
        'Host key verification failed.',
      ]),
    );
    assert.is(hostKey.error.exitCode, 77);
    assert.match(hostKey.error.message, /host key/);
  }
});

test('timeouts and stalls are transient', () => {
  for (const line of [
    'Connection timed out during banner exchange',
    'Timeout, server 127.0.0.1 not responding.',
    '[Receiver] io timeout after 4 seconds -- exiting',
    'stopping at requested limit',
  ]) {
    const outcome = failure(run(30, [line]));
    assert.is(outcome.transient, true, line);
    assert.is(outcome.error.exitCode, 75, line);
  }
});

test('a full local disk is a local I/O error (74) that says nothing was removed', () => {
  const full = failure(
    run(11, [
      'rsync: [receiver] write failed on "/m/tmp/x": No space left on device (28)',
      'rsync error: error in file IO (code 11) at receiver.c(657) [receiver=3.5.0]',
    ]),
  );
  assert.is(full.error.exitCode, 74);
  assert.is(full.transient, false);
  assert.match(full.error.hint ?? '', /nothing was removed/);
});

test('a missing server Maildir and a missing server rsync are config errors (78)', () => {
  const missing = failure(
    run(23, ['rsync: [sender] change_dir "/srv/nosuch" failed: No such file or directory (2)']),
  );
  assert.is(missing.error.exitCode, 78);
  assert.match(missing.error.message, /no Maildir at mail-server:mail\/inbox/);
  const noRsync = failure(
    run(127, [
      'bash: line 1: rsync: command not found',
      'rsync error: remote command not found (code 127) at io.c(285) [Receiver=3.5.0]',
    ]),
  );
  assert.is(noRsync.error.exitCode, 78);
  assert.match(noRsync.error.hint ?? '', /--rsync-path/);
});

test('a changed file kept on the server is a data reason (65)', () => {
  const changed = failure(run(23, ['ERROR: Skipping sender remove for changed file: x']));
  assert.is(changed.changed, true);
  assert.is(changed.error.exitCode, 65);
  assert.is(changed.error.reason, 'changed');
});

const PARTIAL_23 =
  'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1874) [generator=3.2.7]';

test('an unreadable server file is a data reason (65) that names it; the rest of the pass is fine', () => {
  const outcome = failure(
    run(23, [
      'rsync: [sender] send_files failed to open "/srv/mail/new/a\\#033[31mb": Permission denied (13)',
      PARTIAL_23,
    ]),
  );
  assert.is(outcome.error.name, 'DataError');
  assert.is(outcome.error.exitCode, 65);
  assert.is(outcome.error.reason, 'unreadable-server-file');
  assert.is(outcome.partial, true);
  assert.is(outcome.transient, false);
  assert.is(outcome.changed, false);
  // Terminal-safe: the escape character is shown, not sent.
  assert.is(
    outcome.error.message,
    'inbox: the server account cannot read a message on mail-server:mail/inbox (Permission denied): /srv/mail/new/a\\x1b[31mb; it stays on the server',
  );
  assert.match(outcome.error.hint ?? '', /permissions on the server/);
  const several = failure(
    run(
      23,
      [1, 2, 3, 4, 5, 6, 7].map(
        (n) =>
          `rsync: [sender] send_files failed to open "/srv/mail/new/m${n}": Permission denied (13)`,
      ),
    ),
  );
  assert.match(
    several.error.message,
    /cannot read 7 messages on .*: \/srv\/mail\/new\/m1, .*\/srv\/mail\/new\/m5 and 2 more; they stay on the server$/,
  );
});

test('a server folder the account may not delete from is a permission error (77) naming new/', () => {
  for (const [why, code] of [
    ['Permission denied', 13],
    ['Read-only file system', 30],
  ] as const) {
    const outcome = failure(
      run(23, [`rsync: [sender] sender failed to remove x: ${why} (${code})`, PARTIAL_23]),
    );
    assert.is(outcome.error.name, 'PermissionError');
    assert.is(outcome.error.exitCode, 77);
    assert.is(outcome.error.reason, 'server-remove-denied');
    assert.is(outcome.partial, true);
    assert.is(
      outcome.error.message,
      `inbox: the server account may not delete from mail-server:mail/inbox/new/ (${why}); a delivered message stays there: x`,
    );
    assert.match(
      outcome.error.hint ?? '',
      /write permission on new\/.*delivered and stay on the server/,
    );
  }
});

test('a server login shell that prints text is a config error (78) with a test to run', () => {
  for (const code of [2, 12]) {
    const outcome = failure(
      run(code, [
        'protocol version mismatch -- is your shell clean?',
        '(see the rsync manpage for an explanation)',
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
        'rsync error: protocol incompatibility (code 2) at compat.c(622) [Receiver=3.2.7]',
      ]),
    );
    assert.is(outcome.error.name, 'ConfigError');
    assert.is(outcome.error.exitCode, 78);
    assert.is(outcome.error.reason, 'server-shell-output');
    assert.is(outcome.transient, false);
    assert.is(outcome.partial, undefined);
    assert.match(outcome.error.message, /the login shell on mail-server:mail\/inbox prints text/);
    assert.match(
      outcome.error.hint ?? '',
      /print nothing .*not interactive.*ssh HOST true \| od -c/,
    );
  }
});

test('a server rsync older than 3.1.0 is a config error (78) naming the version it needs', () => {
  // rsync exits 12 (or 1, what the server said) as it notices the closed connection: the same.
  for (const code of [1, 12]) {
    const outcome = failure(
      run(code, [
        'rsync: on remote machine: --info=STATS2: unknown option',
        'rsync error: syntax or usage error (code 1) at main.c(1435) [server=3.0.9]',
        'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
        'rsync error: error in rsync protocol data stream (code 12) at io.c(232) [Receiver=3.2.7]',
      ]),
    );
    assert.is(outcome.error.name, 'ConfigError');
    assert.is(outcome.error.exitCode, 78);
    assert.is(outcome.error.reason, 'old-server-rsync');
    assert.is(outcome.transient, false);
    assert.match(outcome.error.message, /is too old: it does not know --info=STATS2$/);
    assert.match(outcome.error.hint ?? '', /rsync 3\.1\.0 or newer on the server/);
  }
  // Any other option it lacks came from the user's rsyncArgs.
  const other = failure(run(12, ['rsync: on remote machine: --mkpath: unknown option']));
  assert.is(other.error.reason, 'old-server-rsync');
  assert.match(other.error.hint ?? '', /remove that option from the mailbox's rsyncArgs/);
});

test('ranking: what stops the pass decides over per-file reasons, which decide over nothing', () => {
  const unreadable =
    'rsync: [sender] send_files failed to open "/srv/mail/new/x": Permission denied (13)';
  // The connection dropped after a file failed: the pass did not complete, try again.
  const dropped = failure(
    run(12, [
      unreadable,
      'rsync: connection unexpectedly closed (9 bytes received so far) [Receiver]',
    ]),
  );
  assert.is(dropped.error.reason, 'unreachable');
  assert.is(dropped.transient, true);
  assert.is(dropped.partial, undefined);
  const full = failure(
    run(11, [unreadable, 'rsync: [receiver] write failed on "/m/y": No space left on device (28)']),
  );
  assert.is(full.error.reason, 'disk-full');
  assert.is(full.partial, undefined);
  // The server could not delete from new/ and could not read a file: 77 beats 65.
  const both = failure(
    run(23, [unreadable, 'rsync: [sender] sender failed to remove y: Permission denied (13)']),
  );
  assert.is(both.error.reason, 'server-remove-denied');
  assert.is(both.partial, true);
  // Whichever line comes first, the banner explains the closed connection.
  const banner = failure(
    run(12, [
      'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      'protocol version mismatch -- is your shell clean?',
    ]),
  );
  assert.is(banner.error.reason, 'server-shell-output');
});

test('partial only when rsync said nothing else: an unknown stderr line takes it away', () => {
  const unreadable =
    'rsync: [sender] send_files failed to open "/srv/mail/new/x": Permission denied (13)';
  const unknown = failure(
    run(23, [unreadable, 'rsync: [sender] something else went wrong', PARTIAL_23]),
  );
  assert.is(unknown.error.reason, 'unreadable-server-file');
  assert.is(unknown.partial, undefined);
  // A 23 that only reports a changed file is partial too; a changed file with an unknown line is not.
  assert.is(
    failure(run(23, ['ERROR: Skipping sender remove for changed file: x', PARTIAL_23])).partial,
    true,
  );
  assert.is(
    failure(run(23, ['ERROR: Skipping sender remove for changed file: x', 'rsync: [receiver] odd']))
      .partial,
    undefined,
  );
});

test('a hostile name cannot fake the new reasons: the line it sits in decides', () => {
  const shell = 'protocol version mismatch -- is your shell clean?';
  const option = 'rsync: on remote machine: --info=X: unknown option';
  for (const name of [shell, option]) {
    // In a file the server cannot read: that file is the reason, not a banner or an old rsync.
    const unreadable = failure(
      run(23, [
        `rsync: [sender] send_files failed to open "/srv/new/${name}": Permission denied (13)`,
      ]),
    );
    assert.is(unreadable.error.reason, 'unreadable-server-file', name);
    const notRemoved = failure(
      run(23, [`rsync: [sender] sender failed to remove ${name}: Permission denied (13)`]),
    );
    assert.is(notRemoved.error.reason, 'server-remove-denied', name);
    assert.equal(run(24, [`file has vanished: "/srv/new/${name}"`]), { ok: true, vanished: true });
    const changed = failure(run(23, [`ERROR: Skipping sender remove for changed file: ${name}`]));
    assert.is(changed.error.reason, 'changed', name);
  }
  // A name that holds a per-file line's ending, or another failure's words, is still one file's name.
  const tricky = 'x": No space left on device (28)": Permission denied (publickey)';
  const outcome = failure(
    run(23, [
      `rsync: [sender] send_files failed to open "/srv/new/${tricky}": Permission denied (13)`,
    ]),
  );
  assert.is(outcome.error.reason, 'unreadable-server-file');
  assert.match(
    outcome.error.message,
    /: \/srv\/new\/x": No space left on device \(28\)": Permission denied \(publickey\); it stays/,
  );
  const removeTricky = failure(
    run(23, [
      'rsync: [sender] sender failed to remove a: Connection refused (111): Permission denied (13)',
    ]),
  );
  assert.is(removeTricky.error.reason, 'server-remove-denied');
  assert.match(
    removeTricky.error.message,
    /\(Permission denied\); a delivered message stays there: a: Connection refused \(111\)$/,
  );
});

test('a file named like a failure is not one: the named shapes are read first', () => {
  const vanished = run(24, ['file has vanished: "/srv/new/x Connection refused"']);
  assert.equal(vanished, { ok: true, vanished: true });
  const changed = failure(
    run(23, ['ERROR: Skipping sender remove for changed file: Permission denied (publickey)']),
  );
  assert.is(changed.error.exitCode, 65);
});

test('the most specific failure decides, whichever line came first', () => {
  const both = failure(
    run(255, [
      'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      'Host key verification failed.',
    ]),
  );
  assert.is(both.error.reason, 'host-key');
  assert.is(both.error.exitCode, 77);
});

test('rsync missing locally, killed rsync, and unknown codes', () => {
  const spawn = failure(run(undefined, [], { spawnError: 'Command failed with ENOENT: rsync' }));
  assert.is(spawn.error.exitCode, 78);
  assert.match(spawn.error.hint ?? '', /apt-get install rsync/);
  const killed = failure(run(undefined, [], { signal: 'SIGKILL' }));
  assert.is(killed.transient, true);
  assert.match(killed.error.message, /killed by SIGKILL/);
  const odd = failure(run(2, ['rsync error: protocol incompatibility (code 2)']));
  assert.is(odd.error.exitCode, 70);
  assert.match(odd.error.message, /exited with code 2/);
});

// ---- real rsync output: every captured case of every version (test/fixtures/rsync) ------------------

/** What a pass of run.ts and pass.ts classifies: every line of both streams, parsed once, then folded. */
function classifyCapture(set: CaptureSet, name: string): Outcome {
  const capture = readCapture(set, name);
  const stderr = emptySummary();
  for (const [stream, text] of [
    ['stdout', capture.stdout],
    ['stderr', capture.stderr],
  ] as const) {
    for (const line of lines(text, `${set.label}: ${name}.${stream}`)) {
      const event = parseRsyncLine(line, stream);
      if (event !== undefined) notice(stderr, event);
    }
  }
  return classifyPass({
    exit: { exitCode: capture.rc, signal: undefined, spawnError: undefined },
    stderr,
    mailbox: 'inbox',
    server: 'mail-server:mail/inbox',
    rsyncProgram: 'rsync',
  });
}

type Expected =
  | { readonly ok: true; readonly vanished: boolean }
  | {
      readonly ok: false;
      readonly error: string;
      readonly exitCode: number;
      readonly reason: string;
      readonly transient: boolean;
      readonly changed: boolean;
      /** The pass completed for every other file (Outcome.partial). */
      readonly partial: boolean;
      readonly message: RegExp;
    };

const fine: Expected = { ok: true, vanished: false };
const fails = (
  error: string,
  exitCode: number,
  reason: string,
  transient: boolean,
  message: RegExp,
  more: { changed?: boolean; partial?: boolean } = {},
): Expected => ({
  ok: false,
  error,
  exitCode,
  reason,
  transient,
  changed: more.changed ?? false,
  partial: more.partial ?? false,
  message,
});
const unreachable = fails(
  'TransientError',
  75,
  'unreachable',
  true,
  /^inbox: cannot reach mail-server:mail\/inbox: /,
);
const oldServer = fails(
  'ConfigError',
  78,
  'old-server-rsync',
  false,
  /^configuration: inbox: the rsync on mail-server:mail\/inbox is too old: it does not know --info=(STATS2|REMOVE)$/,
);
const removeDenied = (why: string) =>
  fails(
    'PermissionError',
    77,
    'server-remove-denied',
    false,
    new RegExp(
      `^inbox: the server account may not delete from mail-server:mail/inbox/new/ \\(${why}\\); 2 delivered messages stay there: 1712345678\\.M1P1\\.mail\\.example, 1712345679\\.M2P1\\.mail\\.example$`,
    ),
    { partial: true },
  );

// The same for every version: classification reads rsync's and ssh's words, which 3.2.7 and 3.5.0 share
// in all these cases; the "at io.c(232)" / "at io.c(285)" they differ in is never part of a rule.
const CLASSIFIED: Record<string, Expected> = {
  'list-basic': fine,
  'list-hostile': fine,
  'fetch-basic': fine,
  'remove-basic': fine,
  'remove-again': fine,
  'hostile-fetch': fine,
  'hostile-remove': fine,
  'specials-fetch': fine,
  'specials-remove': fine,
  'mount-xx-fetch': fine,
  'already-removed-remove': fine,
  'human-readable-fetch': fine,
  'resume-fetch': fine,
  'vanished-fetch': { ok: true, vanished: true },
  'changed-remove': fails('DataError', 65, 'changed', false, /a message changed on the server/, {
    changed: true,
    partial: true,
  }),
  'refused-fetch': unreachable,
  'blackhole-fetch': unreachable,
  'timeout-fetch': unreachable,
  // Not what syncmail reports for its own forced stop (pass.ts says so itself), but a SIGTERM from
  // elsewhere, a shutdown, is worth another try.
  'terminated-fetch': unreachable,
  'authfail-fetch': fails('PermissionError', 77, 'auth', false, /refused the ssh login/),
  'unknownhost-fetch': fails(
    'PermissionError',
    77,
    'host-key',
    false,
    /host key of .* is unknown or has changed/,
  ),
  'missing-remote-fetch': fails(
    'ConfigError',
    78,
    'no-remote-maildir',
    false,
    /the server has no Maildir at/,
  ),
  'missing-remote-remove': fails(
    'ConfigError',
    78,
    'no-remote-maildir',
    false,
    /the server has no Maildir at/,
  ),
  'rsync-missing-127-fetch': fails(
    'ConfigError',
    78,
    'no-server-rsync',
    false,
    /rsync is not installed on/,
  ),
  // rsync exits 12 or 127 at random here; the shell's own complaint decides, so both are 78.
  'rsync-missing-12-fetch': fails(
    'ConfigError',
    78,
    'no-server-rsync',
    false,
    /rsync is not installed on/,
  ),
  'diskfull-fetch': fails('LocalIoError', 74, 'disk-full', false, /the local disk is full/),
  'readonly-fetch': fails(
    'LocalIoError',
    74,
    'local-write',
    false,
    /cannot write the local Maildir/,
  ),
  // The other three messages were fetched (and are removed by unreadable-remove): partial.
  'unreadable-fetch': fails(
    'DataError',
    65,
    'unreadable-server-file',
    false,
    /^inbox: the server account cannot read a message on mail-server:mail\/inbox \(Permission denied\): \/tmp\/syncmail-capture\/unreadable\/server\/mail\/new\/1712345680\.M3P1\.mail unreadable\\n\\xff"q; it stays on the server$/,
    { partial: true },
  ),
  'unreadable-remove': fine,
  'unremovable-remove': removeDenied('Permission denied'),
  'readonly-server-remove': removeDenied('Read-only file system'),
  'banner-fetch': fails(
    'ConfigError',
    78,
    'server-shell-output',
    false,
    /^configuration: inbox: the login shell on mail-server:mail\/inbox prints text, which rsync cannot get past \(protocol version mismatch -- is your shell clean\?\)$/,
  ),
  // SYNTHETIC server: rsync 3.0.9's words for the --info it lacks (test/fixtures/rsync/README.md).
  'synthetic-old-server-fetch': oldServer,
  'synthetic-old-server-remove': oldServer,
};

function describe(outcome: Outcome): Record<string, unknown> {
  return outcome.ok
    ? { ok: true, vanished: outcome.vanished }
    : {
        ok: false,
        error: outcome.error.name,
        exitCode: outcome.error.exitCode,
        reason: outcome.error.reason,
        transient: outcome.transient,
        changed: outcome.changed,
        partial: outcome.partial === true,
      };
}

const SETS = captureSets();

for (const set of SETS) {
  test(`${set.label}: every captured case is classified as expected`, () => {
    const names = caseNames(set);
    assert.ok(names.length > 0, `${set.label}: no cases`);
    for (const name of names) {
      const expected = CLASSIFIED[name];
      if (expected === undefined)
        throw new Error(`no expected classification for ${set.dir}${name}`);
      const outcome = classifyCapture(set, name);
      const { message, ...fields } = expected.ok ? { message: undefined, ...expected } : expected;
      assert.equal(describe(outcome), fields, `${set.label}: ${name}`);
      if (!outcome.ok && message !== undefined)
        assert.match(outcome.error.message, message, `${set.label}: ${name}`);
    }
  });
}

test('each case is classified the same whichever rsync versions printed it', () => {
  const byCase = new Map<string, Map<string, string>>();
  for (const set of SETS) {
    for (const name of caseNames(set)) {
      const seen = byCase.get(name) ?? new Map<string, string>();
      seen.set(set.label, JSON.stringify(describe(classifyCapture(set, name))));
      byCase.set(name, seen);
    }
  }
  assert.ok(byCase.size > 0, 'no captured case');
  for (const [name, seen] of byCase) {
    assert.ok(SETS.length < 2 || seen.size >= 2, `${name}: captured by one set only`);
    assert.is(
      new Set(seen.values()).size,
      1,
      `${name}: ${JSON.stringify(Object.fromEntries(seen))}`,
    );
  }
});

test.run();

test('a host name that does not exist is a config error (78); a DNS outage stays temporary (75)', () => {
  const typo = failure(
    run(255, [
      'ssh: Could not resolve hostname mial-server: Name or service not known\r',
      'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
    ]),
  );
  assert.is(typo.error.exitCode, 78);
  assert.is(typo.error.reason, 'unknown-host');
  assert.is(typo.transient, false);
  assert.match(typo.error.message, /host name does not exist: .*mial-server/);
  assert.match(typo.error.hint ?? '', /check the host/);
  const bsd = failure(
    run(255, ['ssh: Could not resolve hostname x: nodename nor servname provided, or not known']),
  );
  assert.is(bsd.error.reason, 'unknown-host');

  const outage = failure(
    run(255, [
      'ssh: Could not resolve hostname mail-server: Temporary failure in name resolution\r',
      'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
    ]),
  );
  assert.is(outage.error.exitCode, 75);
  assert.is(outage.transient, true);
});

test("rrsync's refusal is a config error naming the fix, not a connection failure", () => {
  const refused = failure(
    run(12, [
      '/usr/bin/rrsync error: do not use .. in arg (anchor the path at the root of your restricted dir)',
      'rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]',
      'rsync error: error in rsync protocol data stream (code 12) at io.c(232) [Receiver=3.2.7]',
    ]),
  );
  assert.is(refused.error.exitCode, 78);
  assert.is(refused.error.reason, 'forced-command');
  assert.match(refused.error.message, /forced command refused the transfer \(.*do not use \.\./);
  assert.match(refused.error.hint ?? '', /relative to DIR/);

  // Under rrsync DIR an absolute path is joined to DIR; the message shows where rsync looked.
  const doubled = failure(
    run(23, [
      'rsync: [sender] change_dir "/srv/rr/srv/rr/Maildir/new" failed: No such file or directory (2)',
    ]),
  );
  assert.is(doubled.error.exitCode, 78);
  assert.match(doubled.error.message, /rsync looked in \/srv\/rr\/srv\/rr\/Maildir\/new/);
  assert.match(doubled.error.hint ?? '', /rrsync DIR/);
});
