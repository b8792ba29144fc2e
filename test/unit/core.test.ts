import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSyncOptions } from '../../src/commands/sync-options.js';
import type { ErrorReason } from '../../src/errors.js';
import { EXIT, UsageError, worstExit } from '../../src/errors.js';
import { asSyncmailError } from '../../src/mailbox/mailbox-run.js';
import { renamedName } from '../../src/maildir/deliver.js';
import { joinName, uniqueName } from '../../src/maildir/layout.js';
import { LocalIndex } from '../../src/maildir/local-index.js';
import { planMessage } from '../../src/maildir/plan.js';
import { nameFromFields } from '../../src/outputs/name-fields.js';
import { formatRecord } from '../../src/outputs/record.js';
import { colorLevel, Terminal } from '../../src/outputs/terminal.js';
import { parseListLine } from '../../src/rsync/parse-list.js';
import { missingFeature, parseRsyncVersion } from '../../src/rsync/version.js';
import { shellCommand, shellQuote } from '../../src/text/shell-quote.js';

test('worstExit: a bug beats config beats auth beats disk beats data beats transient beats ok', () => {
  assert.is(worstExit([]), EXIT.ok);
  assert.is(worstExit([0, 75, 0]), 75);
  assert.is(worstExit([75, 65]), 65);
  assert.is(worstExit([65, 74, 75]), 74);
  assert.is(worstExit([74, 77]), 77);
  assert.is(worstExit([77, 78, 0]), 78);
  assert.is(worstExit([78, 70]), 70);
});

test('parseOptions: flags, names and defaults', () => {
  const o = parseSyncOptions(['-q', '--wait', '30', 'inbox', 'lists']);
  assert.is(o.quiet, true);
  assert.is(o.wait, 30);
  assert.equal(o.mailboxes, ['inbox', 'lists']);
  assert.is(parseSyncOptions([]).wait, 0);
  assert.is(parseSyncOptions(['--no-color']).color, false);
  assert.is(parseSyncOptions(['-n', '--json']).dryRun, true);
  assert.is(parseSyncOptions(['--max-time', '20']).maxTime, 20);
  assert.is(parseSyncOptions(['-t', '2.5']).maxTime, 2.5);
  assert.is(parseSyncOptions([]).maxTime, undefined);
});

test('parseOptions: bad command lines are UsageErrors (exit 64) with a hint', () => {
  for (const argv of [
    ['--bogus'],
    ['--wait', 'soon'],
    ['-q', '-v'],
    ['--config'],
    ['--json', '--print'],
    ['--wait=-1'],
    ['--max-time', '0'],
    ['--max-time', 'soon'],
    ['inbox', 'status'],
  ]) {
    try {
      parseSyncOptions(argv);
      assert.unreachable(`accepted ${argv.join(' ')}`);
    } catch (error) {
      assert.instance(error, UsageError, argv.join(' '));
      assert.is((error as UsageError).exitCode, 64);
      assert.match((error as UsageError).hint ?? '', /--help|put it first/);
    }
  }
});

test('uniqueName: the part before the first colon', () => {
  assert.equal(uniqueName(Buffer.from('123.M1P2.host:2,S')), Buffer.from('123.M1P2.host'));
  assert.equal(uniqueName(Buffer.from('plain')), Buffer.from('plain'));
  assert.equal(uniqueName(Buffer.from(':2,')), Buffer.from(''));
  assert.equal(
    joinName('/a/b', Buffer.from([0xff, 0x0a])),
    Buffer.from([...Buffer.from('/a/b/'), 0xff, 0x0a]),
  );
});

test('renamedName: a fresh unique name that keeps the flags part', () => {
  assert.equal(
    renamedName(Buffer.from('123.host:2,S'), 'RUN', 2).toString(),
    '123.host.syncmail-RUN-2:2,S',
  );
  assert.equal(
    renamedName(Buffer.from('123.host'), 'RUN', 1).toString(),
    '123.host.syncmail-RUN-1',
  );
});

test('renamedName: never longer than 255 bytes, whatever the name', () => {
  const run = '20261128T202529Z-5b12c9';
  for (const name of [
    Buffer.alloc(255, 0x61),
    Buffer.concat([Buffer.alloc(200, 0x62), Buffer.from(':2,S')]),
    Buffer.concat([Buffer.from('u:'), Buffer.alloc(253, 0x63)]),
  ]) {
    const renamed = renamedName(name, run, 12);
    assert.ok(renamed.length <= 255, `${renamed.length} bytes`);
    assert.ok(renamed.includes(Buffer.from(`.syncmail-${run}-12`)));
    assert.not.equal(renamed, name);
  }
  const flagged = renamedName(
    Buffer.concat([Buffer.alloc(250, 0x62), Buffer.from(':2,S')]),
    run,
    1,
  );
  assert.ok(
    flagged.subarray(-4).equals(Buffer.from(':2,S')),
    'the flags part is kept when it fits',
  );
});

test('parseListLine: rsync --list-only lines, escapes decoded', () => {
  assert.equal(parseListLine('-rw-r--r--          1,234 2026/11/28 20:00:00 new/a b'), {
    type: 'file',
    size: 1234,
    path: Buffer.from('new/a b'),
  });
  assert.equal(parseListLine('drwxr-xr-x          4,096 2026/11/28 20:13:57 cur')?.type, 'dir');
  assert.equal(
    parseListLine('lrwxrwxrwx             11 2026/11/28 20:13:57 new/unsafe')?.type,
    'symlink',
  );
  assert.equal(
    parseListLine('prw-r--r--              0 2026/11/28 20:13:57 new/fifo')?.type,
    'other',
  );
  assert.equal(
    parseListLine('-rw-r--r--              2 2026/11/28 20:13:57 new/nl\\#012x\\#377')?.path,
    Buffer.from([...Buffer.from('new/nl\nx'), 0xff]),
  );
  assert.is(parseListLine('receiving incremental file list'), undefined);
});

test('rsync version: parsed; the oldest tested (3.2.7) and newer accepted, older ones told what they lack', () => {
  assert.equal(
    parseRsyncVersion('rsync  version 3.5.0  protocol version 32\nCopyright'),
    [3, 5, 0],
  );
  assert.equal(parseRsyncVersion('rsync  version v3.2.7  protocol version 31'), [3, 2, 7]);
  assert.is(parseRsyncVersion('openrsync: protocol version 29'), undefined);
  for (const ok of [
    [3, 2, 7],
    [3, 4, 0],
    [3, 5, 0],
    [4, 0, 0],
  ] as const) {
    assert.is(missingFeature(ok), undefined, ok.join('.'));
  }
  assert.match(missingFeature([3, 2, 6]) ?? '', /3\.2\.5 and 3\.2\.6 get it wrong/);
  assert.match(missingFeature([3, 2, 5]) ?? '', /file list/);
  assert.match(missingFeature([3, 2, 3]) ?? '', /--info=NONREG/);
  assert.match(missingFeature([3, 2, 2]) ?? '', /--stop-after/);
  assert.match(missingFeature([3, 0, 9]) ?? '', /--info and --outbuf/);
  assert.match(missingFeature([2, 6, 9]) ?? '', /--info and --outbuf/);
});

test('shellQuote: pasteable POSIX words', () => {
  assert.is(shellQuote('--times'), '--times');
  assert.is(shellQuote("it's here"), `'it'\\''s here'`);
  assert.is(
    shellCommand(['rsync', '--filter=+ /new/', '$HOME']),
    `rsync '--filter=+ /new/' '$HOME'`,
  );
});

test('colorLevel: NO_COLOR, --no-color, pipes and dumb terminals are plain', () => {
  assert.is(colorLevel(undefined, {}, true), 1);
  assert.is(colorLevel(undefined, { NO_COLOR: '1' }, true), 0);
  assert.is(colorLevel(undefined, { NO_COLOR: '' }, true), 1);
  assert.is(colorLevel(false, {}, true), 0);
  assert.is(colorLevel(undefined, {}, false), 0);
  assert.is(colorLevel(undefined, { TERM: 'dumb' }, true), 0);
  assert.is(colorLevel(true, {}, false), 1);
  assert.is(colorLevel(true, { NO_COLOR: 'x' }, false), 0);
});

test('local errors are local trouble (74) naming what to do; anything else unknown is a bug (70)', () => {
  const errno = (code: string, message: string) => Object.assign(new Error(message), { code });
  const cases: Array<[string, string, RegExp, RegExp]> = [
    ['ENOSPC', 'disk-full', /the local disk is full/, /free some space/],
    ['EDQUOT', 'disk-full', /the local disk is full/, /free some space/],
    ['EROFS', 'local-write', /cannot write the local Maildir/, /permissions and mount/],
    ['EXDEV', 'local-maildir', /tmp\/ into new\/: they are on different mounts/, /bind mount/],
    ['EIO', 'local-write', /I\/O error/, /dmesg/],
    ['EMFILE', 'too-many-files', /too many open files/, /ulimit -n 1024/],
    ['ENFILE', 'too-many-files', /too many open files/, /ulimit -n 1024/],
  ];
  for (const [code, reason, message, hint] of cases) {
    const e = asSyncmailError(errno(code, `${code}: it failed, rename 'a' -> 'b'`), 'inbox');
    assert.is(e.exitCode, EXIT.ioerr, code);
    assert.is(e.reason, reason, code);
    assert.match(e.message, message, code);
    assert.match(e.message, /rename 'a' -> 'b'/, `${code}: the paths are told`);
    assert.match(e.hint ?? '', hint, code);
  }
  const bug = asSyncmailError(new TypeError('x is undefined'), 'inbox');
  assert.is(bug.exitCode, EXIT.software);
});

/** A terminal without colour whose stdout goes into `lines`; stderr is dropped. */
function plainTerminal(lines: string[]): Terminal {
  return new Terminal({
    quiet: false,
    verbose: false,
    dryRun: false,
    problemsOnly: false,
    colorLevel: 0,
    out: (s) => lines.push(s),
    err: () => {},
  });
}

test('summary line: a failed mailbox never says "no new mail"', () => {
  const summary = (delivered: number, code: number): string => {
    const lines: string[] = [];
    const t = plainTerminal(lines);
    const end = { mailbox: 'inbox', delivered, removed: 0, leftOnServer: 0, busy: false, ms: 1 };
    t.write({ event: 'run-start', version: '0', dryRun: false, mailboxes: ['inbox'] });
    t.write({ event: 'mailbox-end', ...end, code });
    return lines.join('');
  };
  assert.is(summary(0, 0), 'inbox: no new mail\n');
  assert.is(summary(0, 75), 'inbox: not synced (tries again next run)\n');
  assert.is(summary(0, 74), 'inbox: not synced (see above)\n');
  assert.is(summary(3, 65), 'inbox: 3 new, then failed (see above)\n');
});

test('summary line: a failed mailbox says what failed, in words from its first error', () => {
  const summary = (remote: string, code: number, reason: ErrorReason): string => {
    const lines: string[] = [];
    const t = plainTerminal(lines);
    t.write({ event: 'run-start', version: '0', dryRun: false, mailboxes: ['inbox'] });
    t.write({ event: 'mailbox-start', mailbox: 'inbox', remote, local: '/l' });
    const error = { mailbox: 'inbox', class: 'X', message: 'm' } as const;
    t.write({ event: 'error', ...error, code, reason });
    t.write({ event: 'error', ...error, code: 74, reason: 'disk-full' });
    const end = { mailbox: 'inbox', delivered: 0, removed: 0, leftOnServer: 0, busy: false };
    t.write({ event: 'mailbox-end', ...end, ms: 1, code });
    return lines.join('');
  };
  assert.is(
    summary('me@mail-server:Maildir', 75, 'unreachable'),
    'inbox: cannot reach mail-server (tries again next run)\n',
  );
  assert.is(
    summary('mial-server:Maildir', 78, 'unknown-host'),
    'inbox: no such host: mial-server (see above)\n',
  );
  assert.is(summary('h:M', 77, 'auth'), 'inbox: h refused the login (see above)\n');
  assert.is(summary('/srv/M', 70, 'bug'), 'inbox: not synced (see above)\n');
});

test('summary lines come in config order, whichever mailbox of a parallel run ends first', () => {
  const lines: string[] = [];
  const t = plainTerminal(lines);
  const end = (mailbox: string, delivered: number) =>
    t.write({
      event: 'mailbox-end',
      mailbox,
      delivered,
      removed: 0,
      leftOnServer: 0,
      busy: false,
      ms: 1,
      code: 0,
    });
  t.write({ event: 'run-start', version: '0', dryRun: false, mailboxes: ['a', 'b', 'c', 'd'] });
  end('b', 2);
  assert.equal(lines, [], 'b waits for a');
  end('a', 1);
  assert.equal(lines, ['a: 1 new\n', 'b: 2 new\n']);
  end('d', 0);
  assert.equal(lines.length, 2, 'd waits for c');
  // c never ran (a signal stopped the run): the end of the run lets d out.
  t.write({ event: 'run-end', code: 130 });
  assert.equal(lines, ['a: 1 new\n', 'b: 2 new\n', 'd: no new mail\n']);
});

test('LocalIndex: a copy renamed after a conflict is also found under its original unique name', () => {
  const index = new LocalIndex(['/m']);
  index.add('new', Buffer.from('123.host'));
  index.add('cur', Buffer.from('123.host.syncmail-20261128T202529Z-5b12c9-1:2,S'));
  index.add('new', Buffer.from('123.hostX'));
  assert.equal(
    index.find(Buffer.from('123.host')).map((e) => `${e.dir}/${e.name.toString()}`),
    ['new/123.host', 'cur/123.host.syncmail-20261128T202529Z-5b12c9-1:2,S'],
  );
  assert.equal(
    index
      .find(Buffer.from('123.host.syncmail-20261128T202529Z-5b12c9-1'))
      .map((e) => e.path.toString()),
    ['/m/cur/123.host.syncmail-20261128T202529Z-5b12c9-1:2,S'],
  );
  const bytes = Buffer.from([0xff, 0x0a, 0x3a, 0x32]);
  index.add('new', bytes);
  assert.equal(index.find(Buffer.from([0xff, 0x0a]))[0]?.name, bytes);
});

test('formatRecord: every name field is lossless, with KEY_b64 beside KEY for bytes that are not UTF-8', () => {
  const bad = Buffer.from([0x61, 0xff, 0x0a]);
  const line = formatRecord(
    { event: 'conflict', mailbox: 'inbox', file: bad, local: Buffer.from('ok:2,S') },
    'RUN',
    new Date(0),
  );
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'one line');
  const record = JSON.parse(line) as Record<string, string>;
  assert.is(record['time'], '1970-01-01T00:00:00.000Z');
  assert.is(record['run'], 'RUN');
  assert.is(record['event'], 'conflict');
  assert.is(record['local'], 'ok:2,S');
  assert.is(record['local_b64'], undefined);
  assert.equal(nameFromFields({ file: record['file'] ?? '', file_b64: record['file_b64'] }), bad);
  const renamed = JSON.parse(
    formatRecord(
      { event: 'delivered', mailbox: 'inbox', file: Buffer.from('x'), as: bad, size: 3 },
      'RUN',
      new Date(0),
    ),
  ) as Record<string, string>;
  assert.equal(nameFromFields({ file: renamed['as'] ?? '', file_b64: renamed['as_b64'] }), bad);
  assert.is((renamed as unknown as Record<string, number>)['size'], 3);
});

test('planMessage: deliver a new unique name, compare a known one, leave what is no message', () => {
  const index = new LocalIndex(['/m']);
  index.add('cur', Buffer.from('old.host:2,S'));
  assert.equal(index.find(Buffer.from('old.host:2,T')), [
    {
      maildir: '/m',
      dir: 'cur',
      name: Buffer.from('old.host:2,S'),
      path: Buffer.from('/m/cur/old.host:2,S'),
    },
  ]);
  const plan = (name: string, type: 'file' | 'directory' | 'other' = 'file', extra = {}) =>
    planMessage({ name: Buffer.from(name), type, size: 10, mtime: 1000, ...extra }, index);
  assert.equal(plan('a.host'), { action: 'deliver', changedOnServer: false });
  assert.equal(plan('old.host'), {
    action: 'compare',
    local: index.find(Buffer.from('old.host')),
    changedOnServer: false,
  });
  assert.equal(plan('sub', 'directory'), { action: 'leave', reason: 'directory' });
  assert.equal(plan('ln', 'other'), { action: 'leave', reason: 'special' });
  assert.equal(plan('.hidden'), { action: 'leave', reason: 'dot-file' });
  assert.equal(plan('.syncmail-partial', 'directory'), { action: 'skip' }, "rsync's partial dir");
});

test('planMessage: what the journal knows decides first', () => {
  const index = new LocalIndex(['/m']);
  index.add('cur', Buffer.from('old.host:2,S'));
  const plan = (name: string, pending: { size: number; mtime: number; visible: boolean }) =>
    planMessage({ name: Buffer.from(name), type: 'file', size: 10, mtime: 1000, pending }, index);
  // This very version is delivered and waits for its server copy to go, even if the reader deleted it.
  assert.equal(plan('gone.host', { size: 10, mtime: 1000, visible: true }), { action: 'drop' });
  // The server's copy changed after the delivery: a message of its own, beside the old one.
  assert.equal(plan('gone.host', { size: 11, mtime: 1000, visible: true }), {
    action: 'deliver',
    changedOnServer: true,
  });
  assert.equal(plan('old.host', { size: 10, mtime: 999, visible: true }), {
    action: 'compare',
    local: index.find(Buffer.from('old.host')),
    changedOnServer: true,
  });
  // An intent whose staged copy is here: the last run was cut before the rename; finish it.
  assert.equal(plan('gone.host', { size: 10, mtime: 1000, visible: false }), {
    action: 'deliver',
    changedOnServer: false,
  });
});

test.run();
