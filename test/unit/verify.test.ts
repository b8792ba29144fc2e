// `syncmail verify`'s checks as data: log records (made by the transfer log's own formatter, read
// back by its own reader) and listings of Maildirs and servers in, discrepancies out. Every kind of
// discrepancy, and the things that look like one and are not: a reader that moved a message to cur/
// with flags, rule copies as hard links, a renamed conflict, a message that changed on the server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config, Mailbox } from '../../src/config/types.js';
import type { SyncEvent } from '../../src/events.js';
import { parseRecords } from '../../src/log/records.js';
import { formatRecord } from '../../src/outputs/record.js';
import {
  type Box,
  expectedAt,
  type Listings,
  type LocalFile,
  maildirsToList,
  repeatedNames,
  type ServerListing,
  verdictExit,
  verify,
} from '../../src/verify/checks.js';
import { formatJson, formatText } from '../../src/verify/format.js';
import { readLedger } from '../../src/verify/ledger.js';
import { serverFiles, verifyListArgv } from '../../src/verify/server-listing.js';

const LOCAL = '/home/me/Maildir';
const LISTS = '/home/me/Maildir/.lists';
const b = (s: string) => Buffer.from(s);

let clock = Date.parse('2026-01-02T03:04:05Z');

/** Events as the transfer log writes them and `syncmail verify` reads them back. */
function log(...runs: SyncEvent[][]) {
  const text = runs
    .map((events, i) =>
      events
        .map((e) => {
          clock += 1000;
          return formatRecord(e, `run-${i}`, new Date(clock));
        })
        .join(''),
    )
    .join('');
  const { records, bad } = parseRecords(text);
  assert.is(bad, 0);
  return readLedger(records);
}

const start = (dryRun = false): SyncEvent => ({
  event: 'run-start',
  version: 't',
  dryRun,
  mailboxes: ['inbox'],
});

function delivered(file: string, more: Partial<Extract<SyncEvent, { event: 'delivered' }>> = {}) {
  return {
    event: 'delivered',
    mailbox: 'inbox',
    file: b(file),
    path: b(`${LOCAL}/new/${file}`),
    ...more,
  } as SyncEvent;
}
const removed = (file: string): SyncEvent => ({
  event: 'removed',
  mailbox: 'inbox',
  file: b(file),
});

const listed = (...files: string[]): ServerListing => ({
  kind: 'listed',
  files: files.map((f) => ({ sub: f.slice(0, 3) as 'new' | 'cur', name: b(f.slice(4)) })),
});

function box(server: ServerListing = listed()): Box {
  return {
    name: 'inbox',
    local: LOCAL,
    maildirs: [LOCAL, LISTS],
    remoteText: 'me@mail:Maildir',
    server,
  };
}

/** "new/NAME" or "cur/NAME", with an inode when given as "cur/NAME@7". */
function files(...specs: string[]): LocalFile[] {
  return specs.map((s) => {
    const [where, inode] = s.split('@') as [string, string | undefined];
    return {
      sub: where.slice(0, 3) as 'new' | 'cur',
      name: b(where.slice(4)),
      ...(inode === undefined ? {} : { inode: `1:${inode}` }),
    };
  });
}

function listings(local: LocalFile[], lists: LocalFile[] = []): Listings {
  return new Map([
    [LOCAL, local],
    [LISTS, lists],
  ]);
}

test('every message at its path, every removed one gone from the server: no discrepancy, 0', () => {
  const ledger = log([
    start(),
    delivered('1.M1'),
    removed('1.M1'),
    delivered('2.M2'),
    removed('2.M2'),
  ]);
  const v = verify(ledger, [box(listed('new/3.M3'))], listings(files('new/1.M1', 'new/2.M2')));
  assert.equal(
    { delivered: v.delivered, inPlace: v.inPlace, moved: v.moved, gone: v.gone.length },
    { delivered: 2, inPlace: 2, moved: 0, gone: 0 },
  );
  assert.equal(v.discrepancies, []);
  assert.is(verdictExit(v), 0);
  assert.is(v.since, '2026-01-02T03:04:06.000Z');
});

test('a reader moved it to cur/ and changed its flags: in the Maildir, not a discrepancy', () => {
  const ledger = log([start(), delivered('1.M1'), removed('1.M1')]);
  const v = verify(ledger, [box()], listings(files('cur/1.M1:2,RS')));
  assert.is(v.moved, 1);
  assert.is(v.inPlace, 0);
  assert.equal(v.gone, []);
  assert.is(verdictExit(v), 0);
});

test('delivered into cur/ with flags by a rule: found at that path', () => {
  const ledger = log([
    start(),
    delivered('1.M1', { path: b(`${LISTS}/cur/1.M1:2,S`), flags: 'S' }),
  ]);
  const v = verify(ledger, [box()], listings([], files('cur/1.M1:2,S')));
  assert.is(v.inPlace, 1);
});

test('no longer there: counted and named, not a discrepancy', () => {
  const ledger = log([start(), delivered('1.M1'), removed('1.M1')]);
  const v = verify(ledger, [box()], listings([]));
  assert.is(v.gone.length, 1);
  assert.is(v.gone[0]?.path.toString(), `${LOCAL}/new/1.M1`);
  assert.equal(v.discrepancies, []);
  assert.is(verdictExit(v), 0);
});

test('an older log without path: the mailbox new/ and the name it got (as)', () => {
  const ledger = log([
    start(),
    { event: 'delivered', mailbox: 'inbox', file: b('1.M1'), as: b('1.M1-2') },
  ]);
  const [d] = ledger.delivered;
  assert.equal(expectedAt(d!, LOCAL), { maildir: LOCAL, sub: 'new', name: b('1.M1-2') });
  assert.is(verify(ledger, [box()], listings(files('new/1.M1-2'))).inPlace, 1);
});

test('expectedAt: a name that is not UTF-8 stays its bytes', () => {
  const name = Buffer.from([0x61, 0xff, 0x3a, 0x32]);
  const ledger = log([
    start(),
    {
      event: 'delivered',
      mailbox: 'inbox',
      file: name,
      path: Buffer.concat([b(`${LISTS}/cur/`), name]),
    },
  ]);
  const at = expectedAt(ledger.delivered[0]!, LOCAL);
  assert.is(at.maildir, LISTS);
  assert.is(at.sub, 'cur');
  assert.ok(at.name.equals(name));
});

test('delivered twice for one mailbox: a discrepancy with both times and the path', () => {
  const ledger = log([start(), delivered('1.M1'), removed('1.M1')], [start(), delivered('1.M1')]);
  const v = verify(ledger, [box()], listings(files('new/1.M1')));
  assert.is(v.discrepancies.length, 1);
  const [d] = v.discrepancies;
  assert.is(d?.kind, 'delivered-twice');
  assert.is(d?.kind === 'delivered-twice' && d.path.toString(), `${LOCAL}/new/1.M1`);
  assert.is(verdictExit(v), 65);
  // One file answers for one delivery: the earlier one is gone.
  assert.is(v.inPlace, 1);
  assert.is(v.gone.length, 1);
});

test('not delivered twice: a renamed conflict, a message that changed on the server', () => {
  const ledger = log(
    [start(), delivered('1.M1'), removed('1.M1')],
    // Other bytes under the same server name: delivered beside the first under a fresh name.
    [start(), delivered('1.M1', { as: b('1.M1-x'), path: b(`${LOCAL}/new/1.M1-x`) })],
    [start(), delivered('2.M2'), { event: 'changed', mailbox: 'inbox', file: b('2.M2') }],
    // The reader had deleted the first version: the new one gets the name back.
    [start(), delivered('2.M2', { changedOnServer: true }), removed('2.M2')],
  );
  const v = verify(ledger, [box()], listings(files('new/1.M1', 'new/1.M1-x', 'cur/2.M2:2,S')));
  assert.equal(v.discrepancies, []);
  assert.is(v.inPlace + v.moved, 3);
  assert.is(v.gone.length, 1, 'the first version of 2.M2');
});

test('one unique name as two different files: a duplicate naming both paths', () => {
  const ledger = log([start(), delivered('1.M1'), removed('1.M1')]);
  const v = verify(ledger, [box()], listings(files('new/1.M1@1', 'cur/1.M1:2,S@2')));
  assert.is(v.discrepancies.length, 1);
  const d = v.discrepancies[0];
  assert.is(d?.kind, 'duplicate');
  assert.equal(d?.kind === 'duplicate' && d.paths.map(String), [
    `${LOCAL}/new/1.M1`,
    `${LOCAL}/cur/1.M1:2,S`,
  ]);
  assert.is(verdictExit(v), 65);
});

test('a duplicate across folders: the INBOX one and another file in a rule folder', () => {
  const ledger = log([start(), delivered('1.M1', { copies: ['lists'] })]);
  const v = verify(ledger, [box()], listings(files('new/1.M1@1'), files('new/1.M1@9')));
  assert.is(v.discrepancies[0]?.kind, 'duplicate');
});

test('rule copies are hard links (one inode): expected, not a duplicate', () => {
  const ledger = log([start(), delivered('1.M1', { copies: ['lists'] }), removed('1.M1')]);
  const v = verify(ledger, [box()], listings(files('cur/1.M1:2,S@5'), files('new/1.M1@5')));
  assert.equal(v.discrepancies, []);
  // A third name that is another file: one path for each of the two files.
  const w = verify(
    ledger,
    [box()],
    listings(files('cur/1.M1:2,S@5', 'new/1.M1@6'), files('new/1.M1@5')),
  );
  const d = w.discrepancies[0];
  assert.equal(d?.kind === 'duplicate' && d.paths.map(String), [
    `${LOCAL}/cur/1.M1:2,S`,
    `${LOCAL}/new/1.M1`,
  ]);
});

test('other bytes a rule copy met (copy-conflict): a message of its own, not a duplicate', () => {
  const ledger = log([
    start(),
    delivered('1.M1', { copies: ['lists'] }),
    { event: 'copy-conflict', mailbox: 'inbox', file: b('1.M1'), local: b(`${LISTS}/new/1.M1`) },
  ]);
  const v = verify(ledger, [box()], listings(files('new/1.M1@1'), files('new/1.M1@2')));
  assert.equal(v.discrepancies, []);
});

test('mail syncmail did not deliver is not looked at', () => {
  const ledger = log([start(), delivered('1.M1')]);
  const v = verify(ledger, [box()], listings(files('new/1.M1', 'new/9.M9@1', 'cur/9.M9:2,S@2')));
  assert.equal(v.discrepancies, []);
});

test('a removed message still on the server (new/ or cur/): a discrepancy, its server path', () => {
  const ledger = log([
    start(),
    delivered('1.M1'),
    removed('1.M1'),
    delivered('2.M2'),
    removed('2.M2'),
  ]);
  const v = verify(
    ledger,
    [box(listed('new/1.M1', 'cur/2.M2:2,S'))],
    listings(files('new/1.M1', 'new/2.M2')),
  );
  assert.equal(
    v.discrepancies.map((d) => [d.kind, d.kind === 'still-on-server' && d.path.toString()]),
    [
      ['still-on-server', 'me@mail:Maildir/new/1.M1'],
      ['still-on-server', 'me@mail:Maildir/cur/2.M2:2,S'],
    ],
  );
  assert.is(verdictExit(v), 65);
});

test('on the server, no discrepancy: never removed, or the log says why it is back', () => {
  const ledger = log(
    [start(), delivered('1.M1')], // cut short before the remove pass
    [start(), delivered('2.M2'), removed('2.M2')],
    [start(), { event: 'conflict', mailbox: 'inbox', file: b('2.M2'), local: b('x') }],
  );
  const v = verify(ledger, [box(listed('new/1.M1', 'new/2.M2'))], listings(files('new/1.M1')));
  assert.equal(
    v.discrepancies.filter((d) => d.kind === 'still-on-server'),
    [],
  );
});

test('dry runs count for nothing', () => {
  const ledger = log([start(true), delivered('1.M1', { dryRun: true }), removed('1.M1')]);
  assert.equal(ledger.delivered, []);
  assert.equal(ledger.removed, []);
  const v = verify(ledger, [box(listed('new/1.M1'))], listings([]));
  assert.is(verdictExit(v), 0);
});

test('a server that could not be listed: 75, unless there is a discrepancy (65)', () => {
  const failed: ServerListing = { kind: 'failed', message: 'cannot reach mail', hint: 'later' };
  const clean = log([start(), delivered('1.M1'), removed('1.M1')]);
  const v = verify(clean, [box(failed)], listings(files('new/1.M1')));
  assert.is(verdictExit(v), 75);
  assert.equal(v.unlisted, [{ mailbox: 'inbox', message: 'cannot reach mail', hint: 'later' }]);
  const twice = log([start(), delivered('1.M1')], [start(), delivered('1.M1')]);
  assert.is(verdictExit(verify(twice, [box(failed)], listings(files('new/1.M1')))), 65);
  const offline = verify(clean, [box({ kind: 'offline' })], listings(files('new/1.M1')));
  assert.is(verdictExit(offline), 0);
  assert.equal(offline.offline, ['inbox']);
});

test('mailboxes the log names that are not checked are told', () => {
  const ledger = log([start(), { ...delivered('1.M1'), mailbox: 'old' } as SyncEvent]);
  const v = verify(ledger, [box()], listings([]));
  assert.equal(v.unchecked, ['old']);
  assert.is(v.delivered, 0);
});

test('maildirsToList: the boxes own and rule folders, and where the log put mail', () => {
  const ledger = log([start(), delivered('1.M1', { path: b('/old/place/new/1.M1') })]);
  assert.equal(maildirsToList(ledger, [box()]), [LOCAL, LISTS, '/old/place']);
});

test('repeatedNames: unique names (before the colon) there more than once, across Maildirs', () => {
  const r = repeatedNames(listings(files('new/1.M1', 'cur/2.M2:2,S'), files('cur/1.M1:2,')));
  assert.equal([...r], ['1.M1']);
});

test('serverFiles: the regular non-dot files directly in new/ and cur/ of a real listing', () => {
  // rsync 3.2.7 --list-only with verify's filters, LC_ALL=C (a name with byte 0xff in it).
  const listing = [
    'drwxr-xr-x          4,096 2026/12/01 23:33:50 .',
    'drwxr-xr-x          4,096 2026/12/01 23:34:12 cur',
    '-rw-r--r--              0 2026/12/01 23:34:12 cur/5.M2:2,S',
    'drwxr-xr-x          4,096 2026/12/01 23:34:12 new',
    '-rw-r--r--              0 2026/12/01 23:34:12 new/.dot',
    '-rw-r--r--              2 2026/12/01 23:33:59 new/1003.M1P1.host',
    '-rw-r--r--              1 2026/12/01 23:34:12 new/bad\\#377 name',
    'drwxr-xr-x          4,096 2026/12/01 23:34:12 new/sub',
    '',
  ];
  assert.equal(
    serverFiles(listing).map((f) => [f.sub, f.name.toString('latin1')]),
    [
      ['cur', '5.M2:2,S'],
      ['new', '1003.M1P1.host'],
      ['new', 'bad\xff name'],
    ],
  );
});

test("verifyListArgv: the dry run's transport (ssh, timeouts, rsyncArgs), new/ and cur/", () => {
  const mailbox = {
    name: 'inbox',
    remote: { kind: 'ssh', user: 'me', host: 'mail', path: 'Maildir' },
    remoteText: 'me@mail:Maildir',
    local: LOCAL,
    ssh: ['-p', '2222'],
    rsyncArgs: ['--rsync-path=/opt/rsync', '--bwlimit=100'],
    folders: LOCAL,
    rules: [],
  } as Mailbox;
  const config = { connectTimeout: 30, ioTimeout: 300, maxMinutes: 120 } as Config;
  const argv = verifyListArgv(mailbox, config);
  assert.ok(argv[0]?.startsWith('--rsh=ssh -p 2222 '));
  assert.ok(argv.includes('--list-only'));
  assert.equal(
    argv.filter((a) => a.startsWith('--filter=')),
    [
      '--filter=- /new/.syncmail-partial/',
      '--filter=+ /new/',
      '--filter=+ /new/*',
      '--filter=+ /cur/',
      '--filter=+ /cur/*',
      '--filter=- *',
    ],
  );
  assert.equal(argv.slice(-3), ['--rsync-path=/opt/rsync', '--', 'me@mail:Maildir/']);
  assert.not.ok(argv.includes('--remove-source-files'));
});

test('text: the summary lines, then one line per discrepancy with mailbox, name and path', () => {
  const ledger = log([start(), delivered('1.M1'), removed('1.M1'), delivered('2.M2')]);
  const v = verify(
    ledger,
    [box(listed('new/1.M1'))],
    listings(files('new/2.M2@1', 'cur/2.M2:2,S@2')),
  );
  const report = {
    verdict: v,
    exitCode: verdictExit(v),
    log: '/l',
    logFiles: 3,
    bad: 1,
    all: true,
    verbose: true,
  };
  const text = formatText(report);
  const lines = text.trimEnd().split('\n');
  assert.is(lines[0], '2 messages delivered since 2026-01-02 in 1 mailbox (/l and 2 rotated logs)');
  assert.is(lines[1], '1 in the Maildirs, 1 no longer there (deleted or moved away by a reader)');
  assert.is(lines[2], '1 duplicate; 1 removed message still on the server');
  assert.is(lines[3], '1 line of the log could not be read (skipped)');
  assert.match(
    text,
    /^inbox: duplicate .*: 2\.M2 at \/home\/me\/Maildir\/new\/2\.M2, .*cur\/2\.M2:2,S$/m,
  );
  assert.match(
    text,
    /^inbox: removed .* still on the server: 1\.M1 at me@mail:Maildir\/new\/1\.M1$/m,
  );
  assert.match(text, /^inbox: no longer there .*: 1\.M1 at \/home\/me\/Maildir\/new\/1\.M1$/m);
  const json = JSON.parse(formatJson(report));
  assert.is(json.exitCode, 65);
  assert.equal(
    json.discrepancies.map((d: { kind: string }) => d.kind),
    ['duplicate', 'still-on-server'],
  );
});

test.run();
