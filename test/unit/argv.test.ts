import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Config, Mailbox } from '../../src/config/types.js';
import { folderKey, mailboxPaths } from '../../src/maildir/layout.js';
import {
  escapeRemoteGlob,
  fetchArgv,
  listArgv,
  remoteSpec,
  removeArgv,
  rsyncEnv,
} from '../../src/rsync/argv.js';
import { quoteForRsyncSplit, rshOption } from '../../src/rsync/rsh.js';

const config = { connectTimeout: 30, ioTimeout: 300, maxMinutes: 120 } as Pick<
  Config,
  'connectTimeout' | 'ioTimeout' | 'maxMinutes'
>;
const mailbox: Mailbox = {
  name: 'inbox',
  remote: { kind: 'ssh', user: 'me', host: 'mail-server', path: 'mail/My Inbox' },
  remoteText: 'me@mail-server:mail/My Inbox',
  local: '/home/me/mail/inbox',
  ssh: ['-F', '/home/me/.ssh/my config', '-p', '2222'],
  rsyncArgs: ['--bwlimit=500'],
  folders: '/home/me/mail/inbox',
  rules: [],
};
const paths = mailboxPaths(mailbox, '/home/me/.local/state/syncmail');
// tmp/syncmail/FOLDER-KEY: keyed by the server folder, not by the mailbox's name.
const WORK = `/home/me/mail/inbox/tmp/syncmail/${folderKey(mailbox.remoteText)}`;

test('remoteSpec: host:path with a trailing slash, user@ kept, subdir appended', () => {
  assert.is(remoteSpec(mailbox.remote), 'me@mail-server:mail/My Inbox/');
  assert.is(remoteSpec(mailbox.remote, 'new'), 'me@mail-server:mail/My Inbox/new/');
  assert.is(remoteSpec({ kind: 'local', path: '/srv/mail/' }, 'new'), '/srv/mail/new/');
  // ~/ means the home directory, where the server's rsync starts, with or without a shell in between.
  assert.is(remoteSpec({ kind: 'ssh', user: undefined, host: 'h', path: '~' }), 'h:./');
  assert.is(remoteSpec({ kind: 'ssh', user: undefined, host: 'h', path: '~/' }), 'h:./');
  assert.is(
    remoteSpec({ kind: 'ssh', user: undefined, host: 'h', path: '~/Mail/a' }, 'new'),
    'h:Mail/a/new/',
  );
  assert.is(remoteSpec({ kind: 'local', path: '/x/~/y' }), '/x/~/y/');
});

test('fetch pass: stage destination, temp and partial dirs relative to (inside) the stage, no removal', () => {
  const argv = fetchArgv(mailbox, config, paths);
  assert.equal(argv.slice(-3), ['--', 'me@mail-server:mail/My Inbox/', `${WORK}/stage/`]);
  assert.ok(argv.includes('--temp-dir=.syncmail-temp'));
  assert.is(paths.temp, `${WORK}/stage/.syncmail-temp`, 'where rsync resolves it');
  assert.ok(argv.includes('--partial-dir=.syncmail-partial'));
  assert.not.ok(argv.includes('--secluded-args'), 'rrsync, the usual forced command, refuses it');
  const tick = {
    ...mailbox,
    remote: { ...mailbox.remote, path: 'mail/`hostname`' },
  } as typeof mailbox;
  for (const build of [
    fetchArgv(tick, config, paths),
    removeArgv(tick, config, paths),
    listArgv(tick, config),
  ]) {
    assert.ok(build.includes('--secluded-args'), 'a backquote never reaches the remote shell');
  }
  assert.ok(
    argv.indexOf('--filter=- /new/.syncmail-partial/') < argv.indexOf('--filter=+ /new/*'),
    "the server's own .syncmail-partial is never fetched",
  );
  for (const forbidden of [
    '--remove-source-files',
    '--links',
    '--ignore-existing',
    '--partial-dir=tmp',
    '--inplace',
    '--delete',
  ]) {
    assert.not.ok(argv.includes(forbidden), forbidden);
  }
  assert.ok(argv.includes('--times'));
  assert.ok(argv.includes('--one-file-system'));
  assert.ok(
    argv.includes(`--compare-dest=${WORK}/pending`),
    'pending messages (their placeholders) are not fetched again',
  );
  assert.ok(argv.includes('--timeout=300'));
  assert.ok(argv.includes('--stop-after=120'));
  assert.ok(argv.includes('--bwlimit=500'), 'rsyncArgs are appended');
  assert.ok(argv.indexOf('--bwlimit=500') < argv.indexOf('--'), 'rsyncArgs come before the paths');
  // only new/* and the bare Maildir directories are taken
  assert.equal(
    argv.filter((a) => a.startsWith('--filter=')),
    [
      '--filter=- /new/.syncmail-partial/',
      '--filter=+ /new/',
      '--filter=+ /new/*',
      '--filter=+ /cur/',
      '--filter=+ /tmp/',
      '--filter=- *',
    ],
  );
  // no info flag whose lines begin with a server-chosen name
  const info = argv.find((a) => a.startsWith('--info='));
  assert.is(info, '--info=NONREG1,STATS2');
});

test('remove pass: only the placeholders in pending/new, never a write, no recursion, no name list, removal confirmed by REMOVE1', () => {
  const argv = removeArgv(mailbox, config, paths);
  for (const flag of ['--dirs', '--existing', '--remove-source-files', '--info=REMOVE1,NONREG0']) {
    assert.ok(argv.includes(flag), flag);
  }
  assert.not.ok(
    argv.some(
      (a) => a.startsWith('--files-from') || a === '--ignore-existing' || a.startsWith('--delete'),
    ),
  );
  assert.equal(argv.slice(-2), ['me@mail-server:mail/My Inbox/new/', `${WORK}/pending/new/`]);
  assert.not.ok(argv.includes('--recursive'));
  assert.ok(argv.includes('--temp-dir=/proc/sys'), 'a changed server file cannot be received');
});

test('list pass (dry run) never writes: --list-only and no destination', () => {
  const argv = listArgv(mailbox, config);
  assert.ok(argv.includes('--list-only'));
  assert.is(argv.at(-1), 'me@mail-server:mail/My Inbox/');
  assert.not.ok(argv.some((a) => a.startsWith('--bwlimit')));
});

test('local remote: no --rsh at all', () => {
  const local: Mailbox = {
    ...mailbox,
    remote: { kind: 'local', path: '/srv/m' },
    remoteText: '/srv/m',
  };
  const argv = fetchArgv(local, config, paths);
  assert.not.ok(argv.some((a) => a.startsWith('--rsh')));
  assert.is(argv.at(-2), '/srv/m/');
});

test('rsh: user ssh args first (ssh keeps the first value), then BatchMode and timeouts', () => {
  const rsh = rshOption(mailbox, config);
  assert.is(
    rsh,
    "ssh -F '/home/me/.ssh/my config' -p 2222 -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4",
  );
  assert.ok(fetchArgv(mailbox, config, paths).includes(`--rsh=${rsh}`));
});

test("quoteForRsyncSplit: rsync's splitter groups quoted words and reads '' as a quote", () => {
  assert.is(quoteForRsyncSplit('plain-word'), 'plain-word');
  assert.is(quoteForRsyncSplit('two words'), "'two words'");
  assert.is(quoteForRsyncSplit("it's"), "'it''s'");
  assert.is(quoteForRsyncSplit(''), "''");
  assert.is(quoteForRsyncSplit('$(rm -rf ~)'), "'$(rm -rf ~)'");
});

test('rsyncEnv: LC_ALL=C, RSYNC_* and locale variables gone, the rest kept', () => {
  const env = rsyncEnv({
    PATH: '/bin',
    HOME: '/h',
    RSYNC_OLD_ARGS: '1',
    RSYNC_PROTECT_ARGS: '1',
    RSYNC_PARTIAL_DIR: 'x',
    RSYNC_RSH: 'evil',
    LANG: 'de_DE.UTF-8',
    LC_CTYPE: 'x',
    SSH_AUTH_SOCK: '/s',
    UNSET: undefined,
  });
  assert.equal(env, { PATH: '/bin', HOME: '/h', SSH_AUTH_SOCK: '/s', LC_ALL: 'C' });
});

test("wildcards in a server path are made literal for the server rsync's glob; local paths are untouched", () => {
  assert.is(escapeRemoteGlob('mail/box[a]/x*y?z\\w'), 'mail/box\\[a]/x\\*y\\?z\\w');
  assert.is(
    remoteSpec({ kind: 'ssh', user: undefined, host: 'h', path: 'm/box*' }, 'new'),
    'h:m/box\\*/new/',
  );
  assert.is(remoteSpec({ kind: 'local', path: '/m/box*' }, 'new'), '/m/box*/new/');
});

test.run();
