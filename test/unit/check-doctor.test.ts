// `syncmail check`'s pure parts: how ssh's answers, rsync versions, listings, leftovers and the
// environment become findings, the exit code they make, and how they are printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Mailbox } from '../../src/config/types.js';
import { cronSchedule, environmentFindings } from '../../src/doctor/environment.js';
import { checkExit, type Finding, lingering, ok, problem, warn } from '../../src/doctor/finding.js';
import { formatFindings, formatJson } from '../../src/doctor/format.js';
import { leftoverFindings, spaceFindings } from '../../src/doctor/local-maildir.js';
import { securityFindings, versionFindings } from '../../src/doctor/local-rsync.js';
import { listingFindings, parseListed } from '../../src/doctor/remote-maildir.js';
import {
  classifyProbe,
  type ProbeResult,
  probeArgv,
  serverKey,
} from '../../src/doctor/ssh-probe.js';

const probe = (r: Partial<ProbeResult>) =>
  classifyProbe(
    'server mail',
    'mail',
    { exitCode: 255, stdout: '', stderr: '', timedOut: false, ...r },
    30,
  );
const only = (v: { findings: Finding[] }): Finding => {
  assert.is(v.findings.length, 1);
  return v.findings[0]!;
};

test('ssh probe: a version answer is ok and names the server rsync', () => {
  const v = probe({
    exitCode: 0,
    stdout: 'rsync  version 3.2.7  protocol version 32\nCopyright…\n',
  });
  assert.ok(v.reached);
  assert.equal(v.serverVersion, [3, 2, 7]);
  assert.is(only(v).level, 'ok');
  assert.match(only(v).text, /rsync is 3\.2\.7/);
});

test('ssh probe: stderr decides the code', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['Host key verification failed.\r\n', 77, /host key/],
    [
      '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\nHost key verification failed.\r\n',
      77,
      /host key/,
    ],
    ['root@127.0.0.1: Permission denied (publickey).\r\n', 77, /refused the ssh login/],
    [
      'ssh: Could not resolve hostname no-such-host.invalid: Name or service not known\r\n',
      78,
      /host name does not resolve/,
    ],
    [
      'ssh: Could not resolve hostname mail.example.org: Temporary failure in name resolution\r\n',
      75,
      /name server did not answer/,
    ],
    [
      'ssh: connect to host 127.0.0.1 port 2223: Connection refused\r\n',
      75,
      /cannot reach mail over ssh \(ssh: connect .*Connection refused\)/,
    ],
    ['Connection timed out during banner exchange\r\n', 75, /cannot reach/],
    ['something ssh never said before\r\n', 75, /something ssh never said before/],
  ];
  for (const [stderr, code, text] of cases) {
    const f = only(probe({ stderr }));
    assert.is(f.level, 'problem', stderr);
    assert.is(f.exitCode, code, stderr);
    assert.match(f.text, text);
    assert.ok(f.hint, stderr);
  }
  assert.not.ok(probe({ stderr: 'Host key verification failed.' }).reached);
});

test('ssh probe: no rsync on the server is a config problem, after a login', () => {
  for (const stderr of ['bash: line 1: rsync: command not found', 'sh: 1: rsync: not found']) {
    const v = probe({ exitCode: 127, stderr });
    assert.ok(v.reached);
    assert.is(only(v).exitCode, 78);
    assert.match(only(v).text, /rsync is not installed/);
  }
});

test('ssh probe: a forced command (rrsync) warns and lets the listing decide', () => {
  const v = probe({
    exitCode: 1,
    stderr: '/usr/bin/rrsync error: SSH_ORIGINAL_COMMAND does not run rsync\n',
  });
  assert.ok(v.reached);
  const f = only(v);
  assert.is(f.level, 'warn');
  assert.match(f.text, /forced command/);
  assert.match(f.text, /SSH_ORIGINAL_COMMAND does not run rsync/);
  assert.match(f.hint ?? '', /relative to the directory rrsync/);
});

test('ssh probe: a chatty login shell and an old server rsync are config problems', () => {
  const chatty = only(
    probe({ exitCode: 0, stdout: 'Welcome!\nrsync  version 3.2.7  protocol version 32\n' }),
  );
  assert.is(chatty.exitCode, 78);
  assert.match(chatty.text, /prints text.*"Welcome!"/);
  const old = only(probe({ exitCode: 0, stdout: 'rsync  version 3.0.9  protocol version 30\n' }));
  assert.is(old.exitCode, 78);
  assert.match(old.text, /3\.0\.9, too old/);
});

test('ssh probe: a timeout is transient, a missing ssh a config problem', () => {
  assert.is(only(probe({ exitCode: undefined, timedOut: true })).exitCode, 75);
  assert.is(only(probe({ exitCode: undefined, spawnError: 'spawn ssh ENOENT' })).exitCode, 78);
});

const mailbox = (over: Partial<Mailbox>): Mailbox => ({
  name: 'inbox',
  remote: { kind: 'ssh', user: 'me', host: 'mail', path: 'Maildir' },
  remoteText: 'me@mail:Maildir',
  local: '/home/me/Maildir',
  ssh: ['-F', '/cfg'],
  rsyncArgs: [],
  folders: '/home/me/Maildir',
  rules: [],
  ...over,
});

test('one probe per server: same ssh words, user, host and server rsync', () => {
  const a = mailbox({ name: 'a' });
  const b = mailbox({
    name: 'b',
    remote: { kind: 'ssh', user: 'me', host: 'mail', path: 'other' },
  });
  const c = mailbox({ name: 'c', ssh: ['-p', '2222'] });
  const d = mailbox({ name: 'd', rsyncArgs: ['--rsync-path=/opt/rsync'] });
  assert.is(serverKey(a), serverKey(b));
  assert.is.not(serverKey(a), serverKey(c));
  assert.is.not(serverKey(a), serverKey(d));
  const argv = probeArgv(d, { connectTimeout: 7 });
  assert.equal(argv.slice(0, 2), ['-F', '/cfg']);
  assert.ok(argv.includes('BatchMode=yes'));
  assert.ok(argv.includes('ConnectTimeout=7'));
  assert.equal(argv.slice(-2), ['me@mail', '/opt/rsync --version']);
});

test('rsync security: Debian backports, upstream releases, unknown builds', () => {
  const fixed = securityFindings([3, 2, 7], '3.2.7-1+deb12u6');
  assert.is(fixed.length, 1);
  assert.is(fixed[0]!.level, 'ok');
  assert.match(fixed[0]!.text, /fixed by Debian's backports \(3\.2\.7-1\+deb12u6\)/);
  assert.match(fixed[0]!.text, /CVE-2024-12084/);

  const u2 = securityFindings([3, 2, 7], '3.2.7-1+deb12u2');
  assert.equal(
    u2.map((f) => f.level),
    ['ok', 'warn'],
  );
  assert.match(u2[1]!.text, /older than 3\.4\.3: update/);

  const u1 = securityFindings([3, 2, 7], '3.2.7-1+deb12u1');
  assert.ok(u1.every((f) => f.level === 'warn'));
  assert.match(u1[0]!.text, /older than 3\.4\.0: update \(CVE-2024-12084.*a malicious server can/);

  const plain = securityFindings([3, 2, 7], undefined);
  assert.equal(
    plain.map((f) => f.level),
    ['warn', 'warn'],
  );
  assert.match(plain[0]!.hint ?? '', /update rsync/);
  assert.equal(
    securityFindings([3, 4, 1], undefined).map((f) => f.text.includes('3.4.3')),
    [true],
  );
  assert.is(securityFindings([3, 5, 0], undefined)[0]!.level, 'ok');
});

test('local rsync: cannot run, no version, too old are config problems', () => {
  const cases = [
    { stdout: undefined, failure: 'spawn rsync ENOENT' },
    { stdout: 'hello', failure: undefined },
    { stdout: 'rsync  version 3.2.3  protocol version 31', failure: undefined },
  ];
  for (const answer of cases) {
    const [f] = versionFindings('rsync', undefined, answer, undefined);
    assert.is(f?.level, 'problem');
    assert.is(f?.exitCode, 78);
  }
  const good = versionFindings(
    'rsync',
    '/usr/bin/rsync',
    { stdout: 'rsync  version 3.5.0  protocol version 32', failure: undefined },
    undefined,
  );
  assert.match(good[0]!.text, /^3\.5\.0 \(\/usr\/bin\/rsync\)$/);
});

test('lingering: older than 36 hours, not at 36 hours', () => {
  const now = 1_000_000;
  const entries = [{ mtime: now - 36 * 3600 }, { mtime: now - 36 * 3600 - 1 }, { mtime: now }];
  assert.equal(lingering(entries, now), [entries[1]]);
});

test('listing: times read as UTC, names decoded', () => {
  const e = parseListed('-rw-------             12 2026/01/02 03:04:05 tmp/a\\#040b');
  assert.equal(e?.mtime, Date.UTC(2026, 0, 2, 3, 4, 5) / 1000);
  assert.is(e?.path, 'tmp/a b');
  assert.is(e?.type, 'file');
  assert.is(parseListed('rsync: some message'), undefined);
});

test('listing: a Maildir, not a Maildir, and mail lingering in tmp/', () => {
  const now = Date.UTC(2026, 0, 10) / 1000;
  const dir = (path: string, type: 'dir' | 'symlink' = 'dir') => ({
    path,
    shown: path,
    type,
    mtime: now,
  });
  const healthy = listingFindings(
    's',
    'srv:M',
    [dir('.'), dir('cur'), dir('new'), dir('tmp')],
    now,
  );
  assert.equal(
    healthy.map((f) => f.level),
    ['ok'],
  );
  const broken = listingFindings('s', 'srv:M', [dir('cur'), dir('new', 'symlink')], now);
  assert.is(broken[0]?.exitCode, 78);
  assert.match(
    broken[0]!.text,
    /srv:M is not a Maildir \(new\/ is a symbolic link, never followed; no tmp\/\)/,
  );
  const old = {
    path: 'tmp/1.x.host',
    shown: 'tmp/1.x.host',
    type: 'file' as const,
    mtime: now - 40 * 3600,
  };
  const fresh = { ...old, path: 'tmp/2', shown: 'tmp/2', mtime: now - 3600 };
  const lingered = listingFindings(
    's',
    'srv:M',
    [dir('cur'), dir('new'), dir('tmp'), old, fresh],
    now,
  );
  assert.equal(
    lingered.map((f) => f.level),
    ['ok', 'warn'],
  );
  assert.match(
    lingered[1]!.text,
    /1 file in the server's tmp\/ older than 36 hours.*: 1\.x\.host$/,
  );
});

test('leftovers: nothing is no finding; anything is a warning the next sync finishes', () => {
  const none = { staged: 0, partial: 0, pendingRemoval: 0, interrupted: 0, renaming: false };
  assert.equal(leftoverFindings('x', none), []);
  const [f] = leftoverFindings('x', { ...none, staged: 2, pendingRemoval: 1 });
  assert.is(f?.level, 'warn');
  assert.match(f!.text, /2 messages fetched but not yet delivered, 1 delivered message whose/);
  assert.match(f!.text, /the next sync finishes them/);
  assert.equal(spaceFindings('x', 10 * 1024 ** 3), []);
  assert.is(spaceFindings('x', 1024)[0]?.level, 'warn');
});

test('environment: session bus, notify-send, cron PATH, flock', () => {
  const facts = {
    notify: true,
    sessionBus: false,
    notifySend: undefined,
    syncmail: '/opt/node/bin/syncmail',
    syncmailOnCronPath: false,
    node: '/opt/node/bin/node',
    nodeOnCronPath: false,
    flock: undefined,
    schedule: 600,
  };
  const found = environmentFindings(facts);
  assert.equal(
    found.map((f) => f.level),
    ['warn', 'warn', 'warn', 'warn', 'problem'],
  );
  assert.match(found[0]!.text, /no session bus/);
  assert.match(found[2]!.hint ?? '', /\*\/10 \* \* \* \* \/opt\/node\/bin\/syncmail --quiet$/);
  assert.match(found[3]!.hint ?? '', /PATH=\/opt\/node\/bin:\/usr\/bin:\/bin/);
  assert.is(checkExit(found), 78);
  const fine = environmentFindings({
    ...facts,
    notify: false,
    syncmailOnCronPath: true,
    nodeOnCronPath: true,
    flock: '/usr/bin/flock',
  });
  assert.equal(
    fine.map((f) => f.level),
    ['ok'],
  );
  assert.is(cronSchedule(300), '*/5 * * * *');
  assert.is(cronSchedule(3600), '0 * * * *');
  assert.is(cronSchedule(7200), '0 */2 * * *');
});

test('exit code: the worst problem; warnings alone are 0', () => {
  assert.is(checkExit([ok('a', 'x'), warn('b', 'y')]), 0);
  assert.is(checkExit([problem('a', 75, 'x'), problem('b', 77, 'y'), warn('c', 'z')]), 77);
  assert.is(checkExit([problem('a', 75, 'x'), problem('b', 78, 'y')]), 78);
});

test('format: a line per finding, hints under warnings and problems, a closing verdict', () => {
  const healthy = formatFindings([ok('config', '/c.yaml'), warn('env', 'no bus', 'set it')]);
  assert.match(healthy, /^ok {7}config: \/c\.yaml\nwarn {5}env: no bus\n {9}→ set it\n/);
  assert.match(healthy, /\nall checks passed \(1 warning\): syncmail can sync\n$/);
  const failing = formatFindings([problem('config', 78, '/c.yaml:\n  a: bad\n  b: bad', 'fix it')]);
  assert.match(failing, /PROBLEM {2}config: \/c\.yaml:\n {11}a: bad\n {11}b: bad\n {9}→ fix it\n/);
  assert.match(failing, /\n1 problem: exit 78\n$/);
  const json = JSON.parse(formatJson([problem('x', 75, 't')]));
  assert.is(json.exitCode, 75);
  assert.equal(json.findings, [{ level: 'problem', subject: 'x', text: 't', exitCode: 75 }]);
});

test.run();
