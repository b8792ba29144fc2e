// End to end, real parts: the real rsync over a real sshd on 127.0.0.1, real Maildirs in temp dirs. Every
// case runs once per client × server pair of test rsyncs (test/helpers/rsyncs.ts); its name says the pair.

import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { TEMP_DIR } from '../../src/maildir/layout.js';
import { type Io, main } from '../../src/main.js';
import { shellQuote } from '../../src/text/shell-quote.js';
import {
  assertExactlyOnce,
  deliverAll,
  expectedOf,
  makeMaildir,
  makeTempDir,
  randomMessages,
  snapshot,
} from '../helpers/maildir.js';
import { pairsOrFailingTest, type RsyncPair, rsyncPathArg } from '../helpers/rsyncs.js';
import { type Sshd, startSshd } from '../helpers/sshd.js';

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function run(
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<Captured> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: { ...process.env, ...env },
    cwd: process.cwd(),
    homedir: process.env['HOME'] ?? '/root',
    isTTY: false,
    fs: realFs,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

interface Box {
  name: string;
  server: string;
  local: string;
  rsyncArgs?: string[];
  host?: string;
}

/**
 * A config file for these mailboxes; `extra` lines (YAML) override the defaults given here. The running
 * test's rsync pair is part of every config: the client as `rsync:`, the server through --rsync-path.
 */
function writeConfig(dir: string, sshd: Sshd, boxes: Box[], extra: string[] = []): string {
  const file = path.join(dir, 'syncmail.yaml');
  const overridden = new Set(extra.map((line) => line.split(':')[0]));
  const defaults = [
    `ssh: ["-F", ${JSON.stringify(sshd.sshConfig)}]`,
    `log: ${JSON.stringify(path.join(dir, 'transfer.log'))}`,
    `state: ${JSON.stringify(path.join(dir, 'state'))}`,
    'retryDelay: 0.2',
    ...(running ? [`rsync: ${JSON.stringify(running.client.path)}`] : []),
  ].filter((line) => !overridden.has(line.split(':')[0]));
  const serverArgs = running ? [rsyncPathArg(running.server)] : [];
  const lines = [
    ...defaults,
    ...extra,
    'mailboxes:',
    ...boxes.flatMap((b) => [
      `  - name: ${b.name}`,
      `    remote: ${JSON.stringify(`${b.host ?? sshd.hostAlias}:${b.server}`)}`,
      `    local: ${JSON.stringify(b.local)}`,
      ...(b.rsyncArgs || running
        ? [`    rsyncArgs: ${JSON.stringify([...serverArgs, ...(b.rsyncArgs ?? [])])}`]
        : []),
    ]),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

function logRecords(dir: string): Array<Record<string, unknown>> {
  const file = path.join(dir, 'transfer.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const tests = suite<{ sshd: Sshd }>('sync end to end', {} as { sshd: Sshd });

tests.before(async (ctx) => {
  ctx.sshd = await startSshd();
});
tests.after(async (ctx) => {
  await ctx.sshd?.stop();
});

const PAIRS = pairsOrFailingTest('all', (title, fn) => tests(title, fn));
/**
 * The pair of the test running now (uvu runs one at a time). writeConfig() reads it, so a test body is the
 * same for every pair.
 */
let running: RsyncPair | undefined;

/** Registers the case once per client × server pair; the pair is passed too, for cases that look at it. */
function e2e(title: string, fn: (ctx: { sshd: Sshd }, pair: RsyncPair) => Promise<void>): void {
  for (const pair of PAIRS) {
    tests(`${title} [${pair.label}]`, async (ctx) => {
      running = pair;
      try {
        await fn(ctx, pair);
      } finally {
        running = undefined;
      }
    });
  }
}

async function setup(
  _sshd: Sshd,
  count: number,
  opts: { maxSize?: number; minSize?: number; seed?: number } = {},
) {
  const dir = await makeTempDir('e2e');
  const server = await makeMaildir(path.join(dir, 'server', 'inbox'));
  const local = path.join(dir, 'local', 'inbox');
  const messages = randomMessages(count, {
    seed: opts.seed ?? 7,
    ...(opts.maxSize ? { maxSize: opts.maxSize } : {}),
    ...(opts.minSize ? { minSize: opts.minSize } : {}),
  });
  const mtime = new Date('2024-03-01T10:00:00Z');
  await deliverAll(server, messages, { mtime });
  return { dir, server, local, messages, mtime };
}

e2e(
  'messages move byte-identical with mtimes kept, the server new/ is emptied, the log names each one',
  async ({ sshd }) => {
    const { dir, server, local, messages, mtime } = await setup(sshd, 40);
    const config = writeConfig(dir, sshd, [{ name: 'inbox', server, local }]);
    const result = await run(['--config', config]);
    assert.is(result.code, 0, result.err);
    assert.is(result.out, 'inbox: 40 new\n');
    assert.is(result.err, '');
    await assertExactlyOnce(expectedOf(messages), local);
    for (const m of messages) {
      assert.is(
        statSync(path.join(local, 'new', m.name)).mtimeMs,
        mtime.getTime(),
        `mtime of ${m.name}`,
      );
      assert.is(statSync(path.join(local, 'new', m.name)).mode & 0o777, 0o600);
    }
    assert.equal(await readdir(path.join(server, 'new')), []);
    assert.is(statSync(local).mode & 0o777, 0o700);
    const records = logRecords(dir);
    const delivered = new Set(
      records.filter((r) => r['event'] === 'delivered').map((r) => r['file']),
    );
    const removed = new Set(records.filter((r) => r['event'] === 'removed').map((r) => r['file']));
    for (const m of messages) {
      assert.ok(delivered.has(m.name), `delivered ${m.name}`);
      assert.ok(removed.has(m.name), `removed ${m.name}`);
    }
    const run1 = records[0]?.['run'];
    assert.ok(
      typeof run1 === 'string' &&
        records.every((r) => r['run'] === run1 && typeof r['time'] === 'string'),
    );
    assert.is(statSync(path.join(dir, 'transfer.log')).mode & 0o777, 0o600);
    assert.equal(records.at(-1)?.['event'], 'run-end');
    assert.equal(records.at(-1)?.['code'], 0);

    // A second run is a no-op.
    const before = await snapshot(local);
    const again = await run(['--config', config]);
    assert.is(again.code, 0, again.err);
    assert.is(again.out, 'inbox: no new mail\n');
    const after = await snapshot(local);
    assert.equal(
      [...after.keys()].filter((k) => !k.startsWith('tmp/')),
      [...before.keys()].filter((k) => !k.startsWith('tmp/')),
    );
    await assertExactlyOnce(expectedOf(messages), local);
  },
);

/** The binary of every live rsync process: on the client side (its argv names `dir`), and sshd's. */
function liveRsyncs(dir: string, sshd: Sshd, into: { client: Set<string>; server: Set<string> }) {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const exe = readlinkSync(`/proc/${pid}/exe`);
      if (path.basename(exe) !== 'rsync') continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
      if (!argv.some((a) => a.includes(dir))) continue;
      if (!argv.includes('--server')) {
        into.client.add(exe);
        continue;
      }
      // Only the server side runs with --server. Its environment can be unreadable for a moment
      // right after the exec: such a process is left for the next look, never counted as a client.
      const conn = /(?:^|\0)SSH_CONNECTION=\S+ \d+ \S+ (\d+)/.exec(
        readFileSync(`/proc/${pid}/environ`, 'latin1'),
      );
      if (Number(conn?.[1]) === sshd.port) into.server.add(exe);
    } catch {
      // gone meanwhile
    }
  }
}

e2e(
  'the client and the server rsync that run are the pair the test names',
  async ({ sshd }, pair) => {
    const { dir, server, local, messages } = await setup(sshd, 4, {
      minSize: 200_000,
      maxSize: 250_000,
      seed: 61,
    });
    const config = writeConfig(dir, sshd, [
      { name: 'inbox', server, local, rsyncArgs: ['--bwlimit=1000'] },
    ]);
    const seen = { client: new Set<string>(), server: new Set<string>() };
    let done = false;
    const pending = run(['--config', config, '--quiet']).finally(() => {
      done = true;
    });
    while (!done) {
      liveRsyncs(dir, sshd, seen);
      await new Promise((r) => setTimeout(r, 20));
    }
    const result = await pending;
    assert.is(result.code, 0, result.err);
    await assertExactlyOnce(expectedOf(messages), local);
    assert.equal([...seen.client], [realpathSync(pair.client.path)], 'the client rsync');
    assert.equal([...seen.server], [realpathSync(pair.server.path)], 'the server rsync');
  },
);

e2e(
  '--quiet prints nothing on success; --verbose lists each message; --json prints JSON Lines',
  async ({ sshd }) => {
    const { dir, server, local, messages } = await setup(sshd, 5, { seed: 11 });
    const config = writeConfig(dir, sshd, [{ name: 'inbox', server, local }]);
    const quiet = await run(['--config', config, '--quiet']);
    assert.is(quiet.code, 0);
    assert.is(quiet.out + quiet.err, '');
    await deliverAll(server, randomMessages(3, { seed: 12 }));
    const verbose = await run(['--config', config, '--verbose']);
    assert.is(verbose.code, 0, verbose.err);
    assert.is(verbose.out.split('\n').filter((l) => l.startsWith('inbox: + ')).length, 3);
    assert.match(verbose.out, /inbox: 3 new\n$/);
    await deliverAll(server, randomMessages(2, { seed: 13 }));
    const json = await run(['--config', config, '--json']);
    assert.is(json.code, 0, json.err);
    const lines = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.is(lines.filter((r) => r['event'] === 'delivered').length, 2);
    assert.ok(lines.every((r) => typeof r['run'] === 'string' && typeof r['event'] === 'string'));
    assert.is(messages.length, 5);
  },
);

e2e('--dry-run changes nothing anywhere and says what would move', async ({ sshd }) => {
  const { dir, server, local, messages } = await setup(sshd, 6, { seed: 21 });
  const config = writeConfig(dir, sshd, [{ name: 'inbox', server, local }]);
  const serverBefore = await snapshot(server);
  const result = await run(['--config', config, '--dry-run', '--verbose']);
  assert.is(result.code, 0, result.err);
  assert.match(result.out, /inbox: 6 would move/);
  for (const m of messages) assert.ok(result.out.includes(`would move ${m.name}`), m.name);
  assert.equal(await snapshot(server), serverBefore);
  assert.not.ok(existsSync(local), 'the local Maildir was not created');
  assert.not.ok(existsSync(path.join(dir, 'transfer.log')), 'no log was written');
});

e2e('several mailboxes, and syncing only the named ones', async ({ sshd }) => {
  const dir = await makeTempDir('multi');
  const boxes: Box[] = [];
  const sent = new Map<string, ReturnType<typeof randomMessages>>();
  for (const [i, name] of ['inbox', 'lists', 'work'].entries()) {
    const server = await makeMaildir(path.join(dir, 'server', name));
    const msgs = randomMessages(4 + i, { seed: 100 + i, host: `${name}.test` });
    await deliverAll(server, msgs);
    sent.set(name, msgs);
    boxes.push({ name, server, local: path.join(dir, 'local', name) });
  }
  const config = writeConfig(dir, sshd, boxes);
  const some = await run(['--config', config, 'lists', 'work']);
  assert.is(some.code, 0, some.err);
  assert.is(some.out, 'lists: 5 new\nwork: 6 new\n');
  assert.not.ok(existsSync(path.join(dir, 'local', 'inbox')), 'inbox was not touched');
  await assertExactlyOnce(expectedOf(sent.get('lists') ?? []), path.join(dir, 'local', 'lists'));
  const all = await run(['--config', config]);
  assert.is(all.out, 'inbox: 4 new\nlists: no new mail\nwork: no new mail\n');
  await assertExactlyOnce(expectedOf(sent.get('inbox') ?? []), path.join(dir, 'local', 'inbox'));
  const unknown = await run(['--config', config, 'nosuch']);
  assert.is(unknown.code, 64);
  assert.match(unknown.err, /no mailbox named "nosuch".*\n.*inbox, lists, work/);
});

e2e('an unreachable server gives 75 quickly and names the server', async ({ sshd }) => {
  const { dir, server, local } = await setup(sshd, 2, { seed: 31 });
  const file = writeConfig(
    dir,
    sshd,
    [{ name: 'inbox', server, local, host: 'mail-server-closed' }],
    // Every failure said under --quiet (the default holds a temporary one back for an hour).
    ['retries: 1', 'quietFailuresFor: 0'],
  );
  const started = Date.now();
  const result = await run(['--config', file, '--quiet']);
  const took = Date.now() - started;
  assert.is(result.code, 75);
  assert.match(result.err, /inbox: cannot reach mail-server-closed:.*Connection refused/);
  assert.ok(took < 20_000, `took ${took} ms`);
  const retried = logRecords(dir).filter((r) => r['event'] === 'retry');
  assert.is(retried.length, 1, 'one retry with backoff');
  assert.is(retried[0]?.['reason'], 'unreachable');
  assert.is(retried[0]?.['delayMs'], 200, 'retryDelay 0.2 s, doubled on each further retry');
  assert.is((await readdir(path.join(server, 'new'))).length, 2, 'the server keeps its mail');
});

e2e(
  'a black-hole server (TCP accepted, no SSH banner) is bounded by connectTimeout: 75',
  async ({ sshd }) => {
    const { dir, server, local } = await setup(sshd, 1, { seed: 33 });
    const file = writeConfig(
      dir,
      sshd,
      [{ name: 'inbox', server, local, host: 'mail-server-blackhole' }],
      ['connectTimeout: 2', 'retries: 0'],
    );
    const started = Date.now();
    const result = await run(['--config', file]);
    const took = Date.now() - started;
    assert.is(result.code, 75, result.err);
    assert.match(result.err, /timed out/);
    assert.ok(took < 15_000, `took ${took} ms`);
  },
);

e2e(
  'a stall mid-transfer (server frozen) is caught by the ssh keepalives, and the next run finishes the move',
  async ({ sshd }) => {
    const { dir, server, local, messages } = await setup(sshd, 6, {
      minSize: 300_000,
      maxSize: 400_000,
      seed: 35,
    });
    // Users' ssh arguments come first and win: a short keepalive makes the stall visible in seconds.
    const keepalive = `ssh: ["-F", ${JSON.stringify(sshd.sshConfig)}, "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=2"]`;
    const config = writeConfig(
      dir,
      sshd,
      [{ name: 'inbox', server, local, rsyncArgs: ['--bwlimit=300'] }],
      // Every failure said under --quiet (the default holds a temporary one back for an hour).
      ['retries: 0', 'quietFailuresFor: 0', keepalive],
    );
    const pending = run(['--config', config, '--quiet']);
    // rsync's temp dir, tmp/syncmail/FOLDER/stage/.syncmail-temp: a message is arriving once it holds a file.
    const works = path.join(local, 'tmp', 'syncmail');
    const receiving = () =>
      readdirSyncSafe(works).some(
        (key) => readdirSyncSafe(path.join(works, key, 'stage', TEMP_DIR)).length > 0,
      );
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !receiving()) await new Promise((r) => setTimeout(r, 50));
    assert.ok(receiving(), 'the transfer started');
    await sshd.pause();
    const started = Date.now();
    const result = await pending;
    const took = Date.now() - started;
    await sshd.resume();
    assert.is(result.code, 75, result.err);
    assert.ok(took < 30_000, `noticed after ${took} ms`);
    assert.match(result.err, /cannot reach|not responding|unexpectedly closed|timeout/i);
    const again = await run(['--config', config]);
    assert.is(again.code, 0, again.err);
    await assertExactlyOnce(expectedOf(messages), local);
    assert.equal(await readdir(path.join(server, 'new')), []);
  },
);

// Signals are tested end to end in signals.test.ts.

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

e2e('--print shows the exact commands, shell-quoted, and runs nothing', async ({ sshd }, pair) => {
  const { dir, server, local } = await setup(sshd, 1, { seed: 51 });
  const config = writeConfig(dir, sshd, [{ name: 'inbox', server, local }]);
  const result = await run(['--config', config, '--print']);
  assert.is(result.code, 0, result.err);
  // The configured rsync, as the shell word --print writes for it.
  const rsync = `LC_ALL=C ${shellQuote(pair.client.path)}`;
  assert.match(
    result.out,
    new RegExp(
      `^${escapeRegExp(rsync)} '--rsh=ssh -F .* -o BatchMode=yes .*' .*--temp-dir=.* -- mail-server:.*/inbox/ .*/stage/$`,
      'm',
    ),
  );
  assert.ok(
    result.out.includes(` ${shellQuote(rsyncPathArg(pair.server))} `),
    'the commands run the configured server rsync',
  );
  assert.match(
    result.out,
    /--existing --remove-source-files .* -- mail-server:.*\/inbox\/new\/ .*\/pending\/new\/$/m,
  );
  assert.not.ok(existsSync(local));
  // The printed fetch command really runs as printed.
  const fetchLine =
    result.out
      .split('\n')
      .find((l) => l.startsWith(`${rsync} `) && !l.includes('--remove-source-files')) ?? '';
  // The directories syncmail's prepare step makes (the paths hold no character the shell would quote).
  // The temp dir is relative to the stage, the fetch's destination.
  const temp = /--temp-dir=(\S+)/.exec(fetchLine)?.[1] ?? '';
  const compare = /--compare-dest=(\S+)/.exec(fetchLine)?.[1] ?? '';
  const stage = fetchLine.split(' ').at(-1) ?? '';
  assert.is(temp, TEMP_DIR, fetchLine);
  assert.ok(stage.startsWith(`${local}/tmp/syncmail/`), fetchLine);
  for (const d of [path.join(stage, temp), compare, stage]) mkdirSync(d, { recursive: true });
  const pasted = await execa('bash', ['-c', fetchLine], { reject: false });
  assert.is(pasted.exitCode, 0, String(pasted.stderr));
  assert.is((await readdir(path.join(stage, 'new'))).length, 1);
});

tests.run();
