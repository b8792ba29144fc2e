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
      readonly transient: boolean;
      readonly changed: boolean;
      readonly message: RegExp;
    };

const fine: Expected = { ok: true, vanished: false };
const fails = (
  error: string,
  exitCode: number,
  transient: boolean,
  message: RegExp,
  changed = false,
): Expected => ({ ok: false, error, exitCode, transient, changed, message });
const unreachable = fails(
  'TransientError',
  75,
  true,
  /^inbox: cannot reach mail-server:mail\/inbox: /,
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
  'changed-remove': fails('DataError', 65, false, /a message changed on the server/, true),
  'refused-fetch': unreachable,
  'blackhole-fetch': unreachable,
  'timeout-fetch': unreachable,
  // Not what syncmail reports for its own forced stop (pass.ts says so itself), but a SIGTERM from
  // elsewhere, a shutdown, is worth another try.
  'terminated-fetch': unreachable,
  'authfail-fetch': fails('PermissionError', 77, false, /refused the ssh login/),
  'unknownhost-fetch': fails(
    'PermissionError',
    77,
    false,
    /host key of .* is unknown or has changed/,
  ),
  'missing-remote-fetch': fails('ConfigError', 78, false, /the server has no Maildir at/),
  'missing-remote-remove': fails('ConfigError', 78, false, /the server has no Maildir at/),
  'rsync-missing-127-fetch': fails('ConfigError', 78, false, /rsync is not installed on/),
  // rsync exits 12 or 127 at random here; the shell's own complaint decides, so both are 78.
  'rsync-missing-12-fetch': fails('ConfigError', 78, false, /rsync is not installed on/),
  'diskfull-fetch': fails('LocalIoError', 74, false, /the local disk is full/),
  'readonly-fetch': fails('LocalIoError', 74, false, /cannot write the local Maildir/),
};

function describe(outcome: Outcome): Record<string, unknown> {
  return outcome.ok
    ? { ok: true, vanished: outcome.vanished }
    : {
        ok: false,
        error: outcome.error.name,
        exitCode: outcome.error.exitCode,
        transient: outcome.transient,
        changed: outcome.changed,
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
