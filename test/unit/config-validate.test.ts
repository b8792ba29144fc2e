import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMAND_NAMES } from '../../src/command-names.js';
import { validateConfig } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';

const home = '/home/me';
const env = { HOME: '/env/home', MAILDIR: '/data/mail', KEYS: '/keys' };
const inbox = { name: 'inbox', remote: 'mail-server:Maildir', local: '~/Maildir' };

/** The problem lines validateConfig reports for `raw`. */
function problemsOf(raw: unknown, environment: Record<string, string | undefined> = env): string[] {
  try {
    validateConfig(raw, '/c/config.yaml', environment, home);
  } catch (error) {
    assert.instance(error, ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('validateConfig accepted the config');
}

test('defaults for everything optional', () => {
  const config = validateConfig({ mailboxes: [inbox] }, '/c/config.yaml', env, home);
  assert.equal(config, {
    file: '/c/config.yaml',
    log: '/home/me/.local/state/syncmail/transfer.log',
    state: '/home/me/.local/state/syncmail',
    onConflict: 'keep',
    connectTimeout: 30,
    ioTimeout: 300,
    maxMinutes: 120,
    retries: 1,
    retryDelay: 5,
    rsync: 'rsync',
    jobs: 4,
    shareConnection: true,
    folderStyle: 'maildir++',
    schedule: 300,
    quietFailuresFor: 3600,
    logMaxSize: 10 * 1024 * 1024,
    logMaxAge: 30 * 86_400,
    logKeep: 365 * 86_400,
    hookTimeout: 60,
    notify: false,
    notifyDetail: 'subjects',
    mailboxes: [
      {
        name: 'inbox',
        remote: { kind: 'ssh', user: undefined, host: 'mail-server', path: 'Maildir' },
        remoteText: 'mail-server:Maildir',
        local: '/home/me/Maildir',
        ssh: [],
        rsyncArgs: [],
        folders: '/home/me/Maildir',
        rules: [],
      },
    ],
  });
});

test('the default log follows XDG_STATE_HOME from the env passed in', () => {
  const config = validateConfig(
    { mailboxes: [inbox] },
    undefined,
    { XDG_STATE_HOME: '/state' },
    home,
  );
  assert.is(config.log, '/state/syncmail/transfer.log');
  assert.is(config.file, undefined);
  const relative = validateConfig(
    { mailboxes: [inbox] },
    undefined,
    { XDG_STATE_HOME: 'state' },
    home,
  );
  assert.is(relative.log, '/home/me/.local/state/syncmail/transfer.log');
});

test('every key set, with ~ and $VAR expanded', () => {
  const config = validateConfig(
    {
      ssh: ['-F', '~/.ssh/config', '-i', '$KEYS/id', '-oIdentityFile=~/x'],
      log: '$MAILDIR/../log/t.log',
      onConflict: 'rename',
      connectTimeout: 1,
      ioTimeout: 86400,
      maxMinutes: 10080,
      retries: 0,
      retryDelay: 0.25,
      rsync: '/opt/rsync/bin/rsync',
      mailboxes: [
        {
          ...inbox,
          remote: 'me@h:$MAILDIR/in box',
          local: '${MAILDIR}/inbox/',
          rsyncArgs: ['--bwlimit=5'],
        },
        { name: 'b', remote: '/srv/b/', local: '/data/b', ssh: ['-p', '2222'] },
        { name: 'c', remote: 'h:c', local: '/data/c', ssh: [] },
      ],
    },
    '/c/config.yaml',
    env,
    home,
  );
  assert.is(config.log, '/data/log/t.log');
  assert.is(config.onConflict, 'rename');
  assert.equal(
    [config.connectTimeout, config.ioTimeout, config.maxMinutes, config.retries, config.retryDelay],
    [1, 86400, 10080, 0, 0.25],
  );
  assert.is(config.rsync, '/opt/rsync/bin/rsync');
  const [a, b, c] = config.mailboxes;
  assert.equal(a!.ssh, ['-F', '/home/me/.ssh/config', '-i', '/keys/id', '-oIdentityFile=~/x']);
  assert.equal(a!.remote, { kind: 'ssh', user: 'me', host: 'h', path: '/data/mail/in box' });
  assert.is(a!.remoteText, 'me@h:/data/mail/in box');
  assert.is(a!.local, '/data/mail/inbox');
  assert.equal(a!.rsyncArgs, ['--bwlimit=5']);
  assert.equal(b!.ssh, ['-p', '2222'], 'a mailbox ssh list replaces the top-level one');
  assert.equal(b!.remote, { kind: 'local', path: '/srv/b' });
  assert.equal(c!.ssh, [], 'an empty mailbox ssh list means no extra arguments');
});

test('all problems are reported at once, in file order, one line each', () => {
  const problems = problemsOf({
    colour: 'red',
    retries: 'two',
    mailboxes: [
      { name: 'a b', remote: 'h::x', local: 42 },
      'inbox',
      { ...inbox, rsyncArgs: ['--delete'] },
    ],
  });
  assert.equal(problems, [
    'colour: unknown key; known keys are: ssh, log, state, onConflict, connectTimeout, ioTimeout, maxMinutes, retries, retryDelay, rsync, jobs, shareConnection, folders, folderStyle, trashFolder, rules, schedule, quietFailuresFor, logMaxSize, logMaxAge, logKeep, hooks, notify, notifyDetail, mailboxes',
    'retries: expected a whole number from 0 to 10, got "two"',
    'mailboxes[0].name: "a b" may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit',
    'mailboxes[0].remote: "host::path" is rsync daemon syntax, which syncmail does not support; use host:path (one colon) to go over ssh',
    'mailboxes[0].local: expected a string, got 42',
    'mailboxes[1]: expected a mapping with name, remote and local, got "inbox"',
    'mailboxes[2].rsyncArgs[0]: "--delete" is not allowed: it would delete local mail',
  ]);
  for (const line of problems) assert.not.match(line, '\n');
});

test('the error message lists the file and every problem; exit code 78', () => {
  try {
    validateConfig({ retries: -1 }, '/c/config.yaml', env, home);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConfigError);
    const config = error as ConfigError;
    assert.is(config.exitCode, 78);
    assert.is(config.file, '/c/config.yaml');
    assert.is(
      config.message,
      '/c/config.yaml:\n  retries: expected a whole number from 0 to 10, got -1\n  mailboxes: missing; add a list of mailboxes, each with name, remote and local',
    );
    assert.match(config.hint ?? '', '.syncmailrc.example');
  }
});

test('duplicate names name both indexes, even when the mailbox has other problems', () => {
  assert.equal(
    problemsOf({
      mailboxes: [
        inbox,
        { ...inbox, local: 'rel' },
        { ...inbox, name: 'x' },
        { ...inbox, name: 'x' },
      ],
    }),
    [
      'mailboxes[1].local: "rel" is a relative path; give an absolute path (it may start with ~/)',
      'mailboxes[1].name: "inbox" is already the name of mailboxes[0]; give each mailbox its own name',
      'mailboxes[3].name: "x" is already the name of mailboxes[2]; give each mailbox its own name',
    ],
  );
});

test('a value gets one problem, the first; checks across keys still run when another key is wrong', () => {
  assert.equal(problemsOf({ mailboxes: [{ ...inbox, name: 'a b'.repeat(30) }] }), [
    'mailboxes[0].name: is 90 characters long; use at most 64',
  ]);
  assert.equal(problemsOf({ mailboxes: [inbox], rsync: '-r sync' }), [
    'rsync: "-r sync" begins with "-"; give a program name or an absolute path',
  ]);
  assert.equal(problemsOf({ mailboxes: [inbox], connectTimeout: 0.5 }), [
    'connectTimeout: expected a whole number from 1 to 3600 (seconds), got 0.5',
  ]);
  assert.equal(
    problemsOf({ mailboxes: [{ name: 'a b', remote: '/m/inbox/', local: '/m/inbox', x: 1 }] }),
    [
      'mailboxes[0].x: unknown key; known keys are: name, remote, local, ssh, rsyncArgs, folders, rules, hooks',
      'mailboxes[0].name: "a b" may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit',
      'mailboxes[0].local: is the same directory as remote (/m/inbox); a Maildir cannot be moved onto itself',
    ],
  );
});

test('a list is looked at item by item only once every item is a string', () => {
  assert.equal(problemsOf({ mailboxes: [inbox], ssh: ['-p', 2222, '$UNSET'] }), [
    'ssh[1]: expected a string, got 2222',
  ]);
  assert.equal(problemsOf({ mailboxes: [{ ...inbox, rsyncArgs: ['', '--delete'] }] }), [
    'mailboxes[0].rsyncArgs[0]: must not be empty',
  ]);
  assert.equal(problemsOf({ mailboxes: [inbox], ssh: ['$UNSET', '${X', '-p'] }), [
    'ssh[0]: $UNSET is not set; set it in the environment or write the value out',
    'ssh[1]: "${" at position 1 has no closing "}"',
  ]);
});

test('a repeated name is reported right after that mailbox, before the next one', () => {
  assert.equal(problemsOf({ mailboxes: [inbox, inbox, { ...inbox, name: 'c', local: 'rel' }] }), [
    'mailboxes[1].name: "inbox" is already the name of mailboxes[0]; give each mailbox its own name',
    'mailboxes[2].local: "rel" is a relative path; give an absolute path (it may start with ~/)',
  ]);
});

test('without a home directory the default log and state are refused where they belong, unless set', () => {
  try {
    validateConfig(
      { ssh: 5, retries: -1, mailboxes: [{ ...inbox, local: '/m' }] },
      undefined,
      {},
      '',
    );
    assert.unreachable('accepted');
  } catch (error) {
    assert.equal((error as ConfigError).problems, [
      'ssh: expected a list of strings, got 5',
      'log: the default (.local/state/syncmail/transfer.log) is not an absolute path because the home directory is unknown; set log',
      'state: the default (.local/state/syncmail) is not an absolute path because the home directory is unknown; set state',
      'retries: expected a whole number from 0 to 10, got -1',
    ]);
  }
  const config = validateConfig(
    { log: '/var/log/s.log', state: '/var/lib/s', mailboxes: [{ ...inbox, local: '/m' }] },
    undefined,
    {},
    '',
  );
  assert.is(config.log, '/var/log/s.log');
  assert.is(config.state, '/var/lib/s');
});

test('names: allowed characters and length', () => {
  const ok = validateConfig(
    { mailboxes: [{ ...inbox, name: 'A0._-z'.padEnd(64, 'x') }] },
    undefined,
    env,
    home,
  );
  assert.is(ok.mailboxes[0]!.name.length, 64);
  assert.equal(problemsOf({ mailboxes: [{ ...inbox, name: 'x'.repeat(65) }] }), [
    'mailboxes[0].name: is 65 characters long; use at most 64',
  ]);
  assert.match(
    problemsOf({ mailboxes: [{ ...inbox, name: '-x' }] })[0]!,
    'must start with a letter or digit',
  );
  assert.match(
    problemsOf({ mailboxes: [{ ...inbox, name: 'a/b' }] })[0]!,
    'may contain only letters',
  );
});

test('a mailbox may not be named like a syncmail command; other names are fine', () => {
  const commands = COMMAND_NAMES.join(', ');
  for (const name of COMMAND_NAMES) {
    assert.equal(problemsOf({ mailboxes: [{ ...inbox, name }] }), [
      `mailboxes[0].name: "${name}" is a syncmail command (syncmail ${commands}); give the mailbox another name`,
    ]);
  }
  const names = ['Status', 'sync2', 'logs', 'help-desk'];
  const ok = validateConfig(
    { mailboxes: names.map((name, i) => ({ ...inbox, name, local: `/m/${i}` })) },
    undefined,
    env,
    home,
  );
  assert.equal(
    ok.mailboxes.map((m) => m.name),
    names,
  );
});

test('a server path starting with ~user is refused, also when a variable puts it there', () => {
  assert.equal(
    problemsOf(
      {
        mailboxes: [
          { ...inbox, remote: 'h:~bob/Maildir' },
          { ...inbox, name: 'b', remote: 'me@h:$BOX', local: '/m/b' },
          { ...inbox, name: 'c', remote: 'h:~', local: '/m/c' },
          { ...inbox, name: 'd', remote: 'h:~/Maildir', local: '/m/d' },
        ],
      },
      { ...env, BOX: '~alice/mail' },
    ),
    [
      'mailboxes[0].remote: "~bob/Maildir": ~user is not expanded on the server; write the full path',
      'mailboxes[1].remote: "~alice/mail": ~user is not expanded on the server; write the full path',
    ],
  );
});

test('values from JS configs and YAML oddities are described plainly', () => {
  assert.equal(problemsOf({ mailboxes: [inbox], log: () => 'x' }), [
    'log: expected a string, got a function',
  ]);
  assert.equal(problemsOf({ mailboxes: [{ ...inbox, name: new Date('2024-01-02T00:00:00Z') }] }), [
    'mailboxes[0].name: expected a string, got a date (2024-01-02); put it in quotes to make it text',
  ]);
  assert.equal(problemsOf({ mailboxes: [inbox], ssh: null }), [
    'ssh: expected a list of strings, got null (an empty value)',
  ]);
  assert.match(
    problemsOf({ mailboxes: [inbox], rsync: 'r sync' })[0]!,
    'rsync: "r sync" is not a program name',
  );
  assert.match(problemsOf({ mailboxes: [inbox], rsync: '-rsync' })[0]!, 'begins with "-"');
});

test('a key whose value is undefined (JS config) counts as absent', () => {
  const config = validateConfig(
    { mailboxes: [{ ...inbox, ssh: undefined }], retries: undefined },
    undefined,
    env,
    home,
  );
  assert.is(config.retries, 1);
  assert.equal(config.mailboxes[0]!.ssh, []);
  assert.equal(problemsOf({ mailboxes: [{ name: 'a', remote: 'h:x', local: undefined }] }), [
    'mailboxes[0].local: missing; give the local Maildir, like ~/Maildir',
  ]);
});

test('local paths: relative, empty, unset variable, variable making it relative', () => {
  assert.equal(problemsOf({ mailboxes: [{ ...inbox, local: '' }] }), [
    'mailboxes[0].local: must not be empty',
  ]);
  assert.equal(problemsOf({ mailboxes: [{ ...inbox, local: '$REL/x' }] }, { REL: 'mail' }), [
    'mailboxes[0].local: "mail/x" (from "$REL/x") is a relative path; give an absolute path (it may start with ~/)',
  ]);
  assert.equal(problemsOf({ mailboxes: [{ ...inbox, local: '$NOPE/x' }] }), [
    'mailboxes[0].local: $NOPE is not set; set it in the environment or write the value out',
  ]);
  assert.equal(problemsOf({ mailboxes: [{ ...inbox, local: '$NL' }] }, { NL: '/a\nb' }), [
    'mailboxes[0].local: must not contain a line break or NUL character (after expanding "$NL")',
  ]);
});

test('a local remote that is the same directory as local is refused (normalized paths)', () => {
  assert.equal(
    problemsOf({ mailboxes: [{ ...inbox, remote: '/m/inbox/', local: '/m/x/../inbox' }] }),
    [
      'mailboxes[0].local: is the same directory as remote (/m/inbox); a Maildir cannot be moved onto itself',
    ],
  );
  assert.equal(
    problemsOf({ mailboxes: [{ ...inbox, remote: '~/Maildir', local: '/home/me/Maildir' }] })
      .length,
    1,
  );
});

test('validateConfig is pure: no file system checks, same answer twice, input untouched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncmail-validate-'));
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const raw = Object.freeze({
      mailboxes: Object.freeze([Object.freeze({ ...inbox, local: file })]),
    });
    const first = validateConfig(raw, undefined, env, home);
    const second = validateConfig(raw, undefined, env, home);
    assert.equal(first, second);
    assert.is(
      first.mailboxes[0]!.local,
      file,
      'the "exists but is a file" check belongs to loadConfig',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the top level must be a mapping', () => {
  assert.equal(problemsOf([inbox]), [
    'expected a mapping of settings (key: value) at the top of the file, got a list',
  ]);
  assert.equal(problemsOf(42), [
    'expected a mapping of settings (key: value) at the top of the file, got 42',
  ]);
  assert.equal(problemsOf(null), [
    'expected a mapping of settings (key: value) at the top of the file, got null (an empty value)',
  ]);
});

test('without a file the message says "configuration"', () => {
  try {
    validateConfig({}, undefined, env, home);
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.is(
      (error as ConfigError).message,
      'configuration: mailboxes: missing; add a list of mailboxes, each with name, remote and local',
    );
  }
});

test.run();
