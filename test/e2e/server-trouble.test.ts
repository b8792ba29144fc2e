// End to end, when the server (or the local Maildir's place on disk) is in a state a person must fix: issue 8,
// findings 7 to 11. The real rsync over the real test sshd, the built CLI (`node dist/cli.js`, so build first)
// as a real process, real Maildirs in temp dirs, real bind mounts.
//
//   1. a message the server account cannot read (finding 7)
//   2. a server folder the server account may not delete from: mode 0555, and a read-only mount (finding 9)
//   3. a server login shell that prints text before rsync starts (finding 9)
//   4. a server rsync older than 3.1.0, which has no --info (finding 11)
//   5. no rsync on the server, run after run (finding 10)
//   6. a server path that is not a Maildir: new/ a symlink, cur/ missing, a synced path replaced (finding 8)
//   7. the local Maildir reached through a symlink, and its tmp/ bind-mounted (finding 11, finding 9)
//
// Every run is checked for its exit code, a message on stderr that names the file or folder and says what to
// do, every delivered message exactly once in the local Maildir (nothing else in new/ or cur/, no dot-file),
// the server keeping exactly what was not moved, and a stdout that never says "no new mail" for a mailbox
// that failed; every case runs again to show that nothing is duplicated.
//
// THE SERVER ACCOUNT: the sshd helper logs in as root, who can read and delete anything. Where a case needs
// an account that cannot, the server's rsync runs as nobody (--rsync-path="setpriv --reuid=UID --regid=GID
// --clear-groups -- RSYNC") on a server Maildir that nobody owns, as scripts/capture-rsync-fixtures.ts does.
//
// Each case runs once per test rsync as the client, with the other version as the server (crossPairs, as
// faults.test.ts does). Needs root (sshd, setpriv, mount): a case that lacks what it needs fails, saying what
// is missing. Every case unmounts what it mounted and removes its temp dir, passed or failed
// (SYNCMAIL_KEEP_TMP=1 keeps the dirs).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { onExit } from 'signal-exit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { shellQuote } from '../../src/text/shell-quote.js';
import {
  assertExactlyOnce,
  deliverAll,
  expectedOf,
  type Message,
  makeMaildir,
  makeTempDir,
  randomMessages,
  uniqueOf,
} from '../helpers/maildir.js';
import { OLD_SERVER_SCRIPT } from '../helpers/rsync-fixtures.js';
import { pairsOrFailingTest, type RsyncPair, rsyncPathArg } from '../helpers/rsyncs.js';
import { type Sshd, withSshd } from '../helpers/sshd.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
/** Bound on one syncmail run: a run that hangs fails the case instead of the whole suite. */
const RUN_LIMIT_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------
// Running the CLI

interface Run {
  readonly label: string;
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

function shown(r: Run): string {
  return `${r.label}: exit ${r.code}\n--- stdout ---\n${r.out}\n--- stderr ---\n${r.err}\n---`;
}

async function syncmail(config: string, label: string): Promise<Run> {
  const r = await execa(process.execPath, [CLI, '--config', config], {
    reject: false,
    stdin: 'ignore',
    cwd: path.dirname(config),
    env: { NO_COLOR: '1' },
    timeout: RUN_LIMIT_MS,
  });
  if (r.timedOut)
    throw new Error(`${label}: syncmail did not finish within ${RUN_LIMIT_MS} ms\n${r.stderr}`);
  return {
    label,
    code: r.exitCode ?? -1,
    out: String(r.stdout),
    err: `${String(r.stderr)}${r.signal ? `\n(killed by ${r.signal})` : ''}`,
  };
}

function expectExit(r: Run, code: number): void {
  assert.is(r.code, code, `expected exit ${code}\n${shown(r)}`);
}

function expectStderr(r: Run, pattern: RegExp | string, what: string): void {
  const ok = typeof pattern === 'string' ? r.err.includes(pattern) : pattern.test(r.err);
  assert.ok(ok, `stderr should ${what} (${String(pattern)})\n${shown(r)}`);
}

/** A mailbox that failed may have new mail on the server: stdout must not tell the reader there is none. */
function expectNoFalseAllClear(r: Run): void {
  assert.not.ok(
    /no new mail/.test(r.out),
    `stdout says "no new mail" for a mailbox that failed\n${shown(r)}`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Maildirs on both sides

function names(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The server's new/ holds exactly these messages (what was not moved). */
function assertServerHolds(server: string, messages: readonly Message[], label: string): void {
  assert.equal(
    names(path.join(server, 'new')),
    messages.map((m) => m.name).sort(),
    `${label}: the server's new/ holds exactly what was not moved`,
  );
}

/**
 * The local Maildir holds each of these exactly once, byte for byte, and nothing else visible: no other
 * entry and no dot-file in new/ or cur/, nothing but cur/ new/ tmp/ at its top. A Maildir that does not exist
 * holds nothing.
 */
async function assertLocalHolds(
  local: string,
  messages: readonly Message[],
  label: string,
): Promise<void> {
  if (!existsSync(local)) {
    assert.is(messages.length, 0, `${label}: the local Maildir ${local} does not exist`);
    return;
  }
  const top = readdirSync(local).filter((n) => !['cur', 'new', 'tmp'].includes(n));
  assert.equal(top, [], `${label}: nothing but cur/ new/ tmp/ at the top of the local Maildir`);
  try {
    await assertExactlyOnce(expectedOf(messages), local);
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`);
  }
}

/**
 * After a run that could not deliver everything: whatever is local is there exactly once and whole, with
 * nothing else visible, and every message is local or still on the server. Returns the local ones.
 */
async function assertNothingLost(
  local: string,
  server: string,
  messages: readonly Message[],
  label: string,
): Promise<Message[]> {
  const here = new Set(
    [...names(path.join(local, 'new')), ...names(path.join(local, 'cur'))].map((n) => uniqueOf(n)),
  );
  const delivered = messages.filter((m) => here.has(m.name));
  await assertLocalHolds(local, delivered, label);
  const onServer = new Set(names(path.join(server, 'new')));
  const known = new Set(messages.map((m) => m.name));
  assert.equal(
    [...onServer].filter((n) => !known.has(n)),
    [],
    `${label}: nothing new on the server`,
  );
  assert.equal(
    messages.filter((m) => !here.has(m.name) && !onServer.has(m.name)).map((m) => m.name),
    [],
    `${label}: lost (neither local nor on the server)`,
  );
  return delivered;
}

/** A server Maildir at DIR/server/NAME holding `count` fresh messages, and where its local Maildir goes. */
async function serverWith(
  dir: string,
  count: number,
  seed: number,
): Promise<{ server: string; local: string; messages: Message[] }> {
  const server = await makeMaildir(path.join(dir, 'server', 'inbox'));
  const messages = randomMessages(count, { seed, host: `seed${seed}.test` });
  await deliverAll(server, messages, { mtime: new Date('2024-03-01T10:00:00Z') });
  return { server, local: path.join(dir, 'local', 'inbox'), messages };
}

/** Writes messages straight into DIR (no tmp/ needed: for a server path that is not a Maildir). */
function writeMessages(dir: string, messages: readonly Message[]): void {
  mkdirSync(dir, { recursive: true });
  for (const m of messages) writeFileSync(path.join(dir, m.name), m.content);
}

// ---------------------------------------------------------------------------------------------------------
// Root's tools: the server account, mounts

interface Account {
  readonly uid: number;
  readonly gid: number;
}

function needRoot(what: string): void {
  if (process.getuid?.() !== 0)
    throw new Error(
      `${what} needs root (uid 0), the tests run as uid ${process.getuid?.()}: run them as root`,
    );
}

/** nobody, whom setpriv can switch to; throws, saying what is missing, when it cannot. */
function serverAccount(): Account {
  needRoot('running the server rsync as an unprivileged account (setpriv)');
  const id = (flag: string): number => {
    const r = spawnSync('id', [flag, 'nobody'], { encoding: 'latin1' });
    const n = Number(r.stdout.trim());
    if (r.status !== 0 || !Number.isInteger(n) || n === 0)
      throw new Error(`this case needs a "nobody" account: \`id ${flag} nobody\` said ${r.stderr}`);
    return n;
  };
  const account = { uid: id('-u'), gid: id('-g') };
  const probe = spawnSync(
    'setpriv',
    [`--reuid=${account.uid}`, `--regid=${account.gid}`, '--clear-groups', '--', 'true'],
    { encoding: 'latin1' },
  );
  if (probe.status !== 0)
    throw new Error(
      `this case needs setpriv (util-linux) to run the server rsync as nobody, as root: ${probe.error?.message ?? probe.stderr}`,
    );
  return account;
}

/** The --rsync-path that runs the pair's server rsync as the account. */
function asAccount(account: Account, pair: RsyncPair): string {
  return `--rsync-path=setpriv --reuid=${account.uid} --regid=${account.gid} --clear-groups -- ${shellQuote(pair.server.path)}`;
}

/** Hands a tree to the account, as its own Maildir. */
function chownTree(dir: string, account: Account): void {
  chownSync(dir, account.uid, account.gid);
  for (const name of readdirSync(dir)) {
    const entry = path.join(dir, name);
    if (lstatSync(entry).isDirectory()) chownTree(entry, account);
    else chownSync(entry, account.uid, account.gid);
  }
}

/** Mount points made by the running process, unmounted lazily at exit if a case could not (last resort). */
const liveMounts = new Set<string>();
onExit(() => {
  for (const m of [...liveMounts].reverse()) spawnSync('umount', ['-l', m]);
});

async function unmount(target: string): Promise<string | undefined> {
  let last = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const r = await execa('umount', [target], { reject: false });
    if (r.exitCode === 0) {
      liveMounts.delete(target);
      return undefined;
    }
    last = String(r.stderr);
    await sleep(100);
  }
  const lazy = await execa('umount', ['-l', target], { reject: false });
  if (lazy.exitCode === 0) {
    liveMounts.delete(target);
    return `umount ${target} failed (${last}); detached it with umount -l`;
  }
  return `cannot unmount ${target}: ${last} / ${String(lazy.stderr)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Cases

interface Case {
  readonly dir: string;
  readonly sshd: Sshd;
  readonly pair: RsyncPair;
  /** Bind-mounts source on target (read-only if asked); unmounted at the end of the case. */
  bind(source: string, target: string, readOnly: boolean): Promise<void>;
  /** Unmounts one of this case's mounts now. */
  unmount(target: string): Promise<void>;
}

interface BoxOptions {
  server: string;
  local: string;
  /** Replaces the pair's --rsync-path (the server rsync as another account, a banner, a wrapper). */
  rsyncPath?: string;
}

/** The case's config: its pair's client as `rsync:`, its server through --rsync-path, all state in the case's dir. */
function writeConfig(c: Case, box: BoxOptions): string {
  const file = path.join(c.dir, 'syncmail.yaml');
  const lines = [
    `ssh: ["-F", ${JSON.stringify(c.sshd.sshConfig)}]`,
    `log: ${JSON.stringify(path.join(c.dir, 'transfer.log'))}`,
    `state: ${JSON.stringify(path.join(c.dir, 'state'))}`,
    // No retry: a failure classified as transient once must show, not be hidden by a second attempt.
    'retries: 0',
    `rsync: ${JSON.stringify(c.pair.client.path)}`,
    'mailboxes:',
    '  - name: inbox',
    `    remote: ${JSON.stringify(`${c.sshd.hostAlias}:${box.server}`)}`,
    `    local: ${JSON.stringify(box.local)}`,
    `    rsyncArgs: ${JSON.stringify([box.rsyncPath ?? rsyncPathArg(c.pair.server)])}`,
  ];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

const tests = suite<{ sshd: Sshd }>('server trouble', {} as { sshd: Sshd });

withSshd(tests, [CLI]);

const PAIRS = pairsOrFailingTest('cross', (title, fn) => tests(title, fn));

/** Registers a case once per pair; its temp dir (0711: the server account must reach its Maildir) and mounts go at its end. */
function trouble(title: string, fn: (c: Case) => Promise<void>): void {
  for (const pair of PAIRS) {
    tests(`${title} [${pair.label}]`, async (ctx) => {
      assert.ok(ctx.sshd, 'the test sshd is running (see the error printed by the before hook)');
      const dir = await makeTempDir('server-trouble');
      chmodSync(dir, 0o711);
      const mounts: string[] = [];
      const c: Case = {
        dir,
        sshd: ctx.sshd,
        pair,
        async bind(source, target, readOnly) {
          needRoot('a bind mount');
          const bound = await execa('mount', ['--bind', source, target], { reject: false });
          if (bound.exitCode !== 0)
            throw new Error(
              `this case needs root and permission to mount (mount --bind ${source} ${target}): ${bound.stderr}`,
            );
          mounts.push(target);
          liveMounts.add(target);
          if (!readOnly) return;
          const ro = await execa('mount', ['-o', 'remount,ro,bind', target], { reject: false });
          if (ro.exitCode !== 0)
            throw new Error(
              `this case needs to remount a bind mount read-only (mount -o remount,ro,bind ${target}): ${ro.stderr}`,
            );
        },
        async unmount(target) {
          const i = mounts.lastIndexOf(target);
          if (i !== -1) mounts.splice(i, 1);
          const problem = await unmount(target);
          if (problem !== undefined) throw new Error(problem);
        },
      };
      const problems: string[] = [];
      try {
        await fn(c);
      } finally {
        for (const target of mounts.splice(0).reverse()) {
          const problem = await unmount(target);
          if (problem !== undefined) problems.push(problem);
        }
        if (process.env['SYNCMAIL_KEEP_TMP'] !== '1' && liveMounts.size === 0)
          rmSync(dir, { recursive: true, force: true });
      }
      // Reached only when the case itself passed: a failed case's own error says more.
      if (problems.length > 0) throw new Error(problems.join('\n'));
    });
  }
}

// 1 -------------------------------------------------------------------------------------------------------

trouble(
  'finding 7: a message the server account cannot read is named (65), the five readable ones are delivered and removed in that same run; fixed, it comes too',
  async (c) => {
    const account = serverAccount();
    const { server, local, messages } = await serverWith(c.dir, 6, 701);
    const readable = messages.slice(0, 5);
    const secret = messages[5] as Message;
    chownTree(server, account);
    const secretFile = path.join(server, 'new', secret.name);
    chownSync(secretFile, 0, 0);
    chmodSync(secretFile, 0o600);
    const config = writeConfig(c, { server, local, rsyncPath: asAccount(account, c.pair) });

    for (const label of ['run 1', 'run 2 (still unreadable)']) {
      const r = await syncmail(config, label);
      expectExit(r, 65);
      expectStderr(r, secret.name, 'name the unreadable file');
      expectStderr(r, /cannot read/, 'say the server account cannot read it');
      expectStderr(r, /chmod|chown|permission/, 'say what to do (fix its permissions)');
      expectNoFalseAllClear(r);
      await assertLocalHolds(local, readable, label);
      assertServerHolds(server, [secret], label);
    }

    chownSync(secretFile, account.uid, account.gid);
    const fixed = await syncmail(config, 'run 3 (file made readable)');
    expectExit(fixed, 0);
    await assertLocalHolds(local, messages, fixed.label);
    assertServerHolds(server, [], fixed.label);
  },
);

// 2 -------------------------------------------------------------------------------------------------------

/** Runs twice against a server folder that refuses removal, then once after `fix()`. */
async function refusedRemoval(
  s: { server: string; local: string; messages: Message[] },
  config: string,
  fix: () => Promise<void>,
): Promise<void> {
  const { server, local, messages } = s;
  for (const label of ['run 1', 'run 2 (still refused)']) {
    const r = await syncmail(config, label);
    expectExit(r, 77);
    expectStderr(r, `${server}/new`, "name the server's new/");
    expectStderr(r, /write permission on new\//, 'give the hint about write permission on new/');
    expectNoFalseAllClear(r);
    await assertLocalHolds(local, messages, label);
    assertServerHolds(server, messages, label);
  }
  await fix();
  const fixed = await syncmail(config, 'run 3 (folder writable again)');
  expectExit(fixed, 0);
  await assertLocalHolds(local, messages, fixed.label);
  assertServerHolds(server, [], fixed.label);
}

trouble(
  'finding 9: the server account may not delete from new/ (mode 0555): delivered once, 77 with the hint, the server keeps them; writable again, they leave',
  async (c) => {
    const account = serverAccount();
    const s = await serverWith(c.dir, 4, 921);
    chownTree(s.server, account);
    const serverNew = path.join(s.server, 'new');
    chmodSync(serverNew, 0o555);
    const config = writeConfig(c, { ...s, rsyncPath: asAccount(account, c.pair) });
    await refusedRemoval(s, config, async () => chmodSync(serverNew, 0o755));
  },
);

trouble(
  "finding 9: the server's new/ is on a read-only mount: delivered once, 77 with the hint, the server keeps them; remounted writable, they leave",
  async (c) => {
    const s = await serverWith(c.dir, 4, 922);
    const serverNew = path.join(s.server, 'new');
    await c.bind(serverNew, serverNew, true);
    assert.throws(
      () => writeFileSync(path.join(serverNew, 'probe'), ''),
      /EROFS/,
      "the server's new/ is read-only",
    );
    const config = writeConfig(c, s);
    await refusedRemoval(s, config, () => c.unmount(serverNew));
  },
);

// 3 -------------------------------------------------------------------------------------------------------

trouble(
  'finding 9: a server login shell that prints text before rsync: 78, saying so; nothing delivered, nothing removed',
  async (c) => {
    const { server, local, messages } = await serverWith(c.dir, 3, 931);
    const config = writeConfig(c, {
      server,
      local,
      rsyncPath: `--rsync-path=echo hello; ${shellQuote(c.pair.server.path)}`,
    });
    for (const label of ['run 1', 'run 2']) {
      const r = await syncmail(config, label);
      expectExit(r, 78);
      expectStderr(r, /login shell .*prints text/, 'say that the login shell prints text');
      expectStderr(r, /print nothing|startup file/, 'say what to do about it');
      expectNoFalseAllClear(r);
      await assertLocalHolds(local, [], label);
      assertServerHolds(server, messages, label);
    }
  },
);

// 4 -------------------------------------------------------------------------------------------------------

trouble(
  'finding 11: a server rsync older than 3.1.0 (no --info): 78 naming 3.1.0; nothing moved',
  async (c) => {
    const { server, local, messages } = await serverWith(c.dir, 3, 941);
    const script = path.join(c.dir, 'rsync-3.0.9');
    writeFileSync(script, OLD_SERVER_SCRIPT, { mode: 0o755 });
    const config = writeConfig(c, {
      server,
      local,
      rsyncPath: `--rsync-path=${shellQuote(script)}`,
    });
    for (const label of ['run 1', 'run 2']) {
      const r = await syncmail(config, label);
      expectExit(r, 78);
      expectStderr(r, /too old/, 'say the server rsync is too old');
      expectStderr(r, /3\.1\.0/, 'name 3.1.0, the version needed');
      expectNoFalseAllClear(r);
      await assertLocalHolds(local, [], label);
      assertServerHolds(server, messages, label);
    }
  },
);

// 5 -------------------------------------------------------------------------------------------------------

trouble(
  'finding 10: rsync missing on the server is 78 with a hint naming --rsync-path, every time (6 runs)',
  async (c) => {
    const { server, local, messages } = await serverWith(c.dir, 2, 951);
    const config = writeConfig(c, { server, local, rsyncPath: '--rsync-path=/nonexistent/rsync' });
    const runs: Run[] = [];
    for (let i = 1; i <= 6; i++) runs.push(await syncmail(config, `run ${i}`));
    assert.equal(
      runs.map((r) => r.code),
      [78, 78, 78, 78, 78, 78],
      `exit codes of the 6 runs\n${runs
        .filter((r) => r.code !== 78)
        .map(shown)
        .join('\n')}`,
    );
    for (const r of runs) {
      expectStderr(
        r,
        /rsync is not installed|rsync.*not found/,
        'say there is no rsync on the server',
      );
      expectStderr(r, /--rsync-path/, 'name --rsync-path in the hint');
      expectNoFalseAllClear(r);
      await assertLocalHolds(local, [], r.label);
      assertServerHolds(server, messages, r.label);
    }
  },
);

// 6 -------------------------------------------------------------------------------------------------------

trouble(
  "finding 8: the server's new/ is a symlink to a directory holding mail: not 0, the mail stays there, nothing local",
  async (c) => {
    const server = path.join(c.dir, 'server', 'inbox');
    for (const sub of ['cur', 'tmp']) mkdirSync(path.join(server, sub), { recursive: true });
    const elsewhere = await makeMaildir(path.join(c.dir, 'server', 'elsewhere'));
    const messages = randomMessages(3, { seed: 961, host: 'seed961.test' });
    await deliverAll(elsewhere, messages);
    symlinkSync(path.join(elsewhere, 'new'), path.join(server, 'new'));
    const local = path.join(c.dir, 'local', 'inbox');
    const config = writeConfig(c, { server, local });
    for (const label of ['run 1', 'run 2']) {
      const r = await syncmail(config, label);
      assert.ok(r.code !== 0, `exit code must not be 0\n${shown(r)}`);
      assert.ok(r.code !== 70, `an environment problem is not a bug (70)\n${shown(r)}`);
      expectStderr(r, server, 'name the server path');
      expectStderr(r, /new\//, 'name new/');
      expectNoFalseAllClear(r);
      await assertLocalHolds(local, [], label);
      assert.ok(lstatSync(path.join(server, 'new')).isSymbolicLink(), 'new/ is still the symlink');
      assertServerHolds(server, messages, label); // through the symlink: the directory it points to
    }
  },
);

trouble(
  "finding 8: the server's cur/ is missing: 78 before anything is delivered; nothing visible locally",
  async (c) => {
    const server = path.join(c.dir, 'server', 'inbox');
    for (const sub of ['new', 'tmp']) mkdirSync(path.join(server, sub), { recursive: true });
    const messages = randomMessages(3, { seed: 962, host: 'seed962.test' });
    await deliverAll(server, messages);
    const local = path.join(c.dir, 'local', 'inbox');
    const config = writeConfig(c, { server, local });
    for (const label of ['run 1', 'run 2']) {
      const r = await syncmail(config, label);
      expectExit(r, 78);
      expectStderr(r, server, 'name the server path');
      expectStderr(r, /not a Maildir/, 'say it is not a Maildir');
      expectStderr(r, /cur\//, 'name the missing cur/');
      expectNoFalseAllClear(r);
      await assertLocalHolds(local, [], label);
      assertServerHolds(server, messages, label);
    }
  },
);

trouble(
  'finding 8: a mailbox synced once, then its server path replaced by a directory with only new/: 78, nothing moved',
  async (c) => {
    const { server, local, messages } = await serverWith(c.dir, 3, 963);
    const config = writeConfig(c, { server, local });
    const first = await syncmail(config, 'run 1 (a Maildir)');
    expectExit(first, 0);
    await assertLocalHolds(local, messages, first.label);
    assertServerHolds(server, [], first.label);

    rmSync(server, { recursive: true, force: true });
    const later = randomMessages(3, { seed: 964, host: 'seed964.test' });
    writeMessages(path.join(server, 'new'), later);
    for (const label of ['run 2 (not a Maildir)', 'run 3 (still not)']) {
      const r = await syncmail(config, label);
      expectExit(r, 78);
      expectStderr(r, server, 'name the server path');
      expectStderr(r, /not a Maildir/, 'say it is not a Maildir');
      expectNoFalseAllClear(r);
      await assertLocalHolds(local, messages, label);
      assertServerHolds(server, later, label);
    }
  },
);

// 7 -------------------------------------------------------------------------------------------------------

trouble(
  'finding 11: a local Maildir path that is a symlink to a directory on the same filesystem is followed (0)',
  async (c) => {
    const { server, messages } = await serverWith(c.dir, 4, 971);
    const real = await makeMaildir(path.join(c.dir, 'disk', 'Maildir'));
    mkdirSync(path.join(c.dir, 'home'));
    const local = path.join(c.dir, 'home', 'Maildir');
    symlinkSync(real, local);
    const config = writeConfig(c, { server, local });
    for (const label of ['run 1', 'run 2 (nothing new)']) {
      const r = await syncmail(config, label);
      expectExit(r, 0);
      assert.is(r.err, '', `nothing on stderr\n${shown(r)}`);
      assert.ok(lstatSync(local).isSymbolicLink(), `${label}: the local path is still the symlink`);
      await assertLocalHolds(real, messages, label);
      assertServerHolds(server, [], label);
    }
  },
);

trouble(
  "finding 11: the local Maildir's tmp/ bind-mounted from the same filesystem (rename gives EXDEV): 74 saying so, nothing lost or half-visible; unmounted, the next run delivers all once",
  async (c) => {
    const { server, local, messages } = await serverWith(c.dir, 4, 972);
    await makeMaildir(local);
    const other = path.join(c.dir, 'other-tmp');
    mkdirSync(other, { mode: 0o700 });
    const tmp = path.join(local, 'tmp');
    await c.bind(other, tmp, false);
    assert.is(
      statSync(tmp).dev,
      statSync(path.join(local, 'new')).dev,
      'tmp/ and new/ show the same st_dev (the case this is about)',
    );
    const config = writeConfig(c, { server, local });
    for (const label of ['run 1', 'run 2 (still bind-mounted)']) {
      const r = await syncmail(config, label);
      expectExit(r, 74);
      expectStderr(r, /different mounts/, 'say that tmp/ and new/ are on different mounts');
      expectStderr(r, /tmp\//, 'name tmp/');
      expectStderr(r, /new\//, 'name new/');
      expectNoFalseAllClear(r);
      await assertNothingLost(local, server, messages, label);
    }
    await c.unmount(tmp);
    const fixed = await syncmail(config, 'run 3 (unmounted)');
    expectExit(fixed, 0);
    await assertLocalHolds(local, messages, fixed.label);
    assertServerHolds(server, [], fixed.label);
  },
);

tests.run();
