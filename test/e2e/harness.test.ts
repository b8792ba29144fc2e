// Smoke test of the test harness itself: a real sshd, real rsync over ssh, and the maildir helpers.

import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assertExactlyOnce,
  deliver,
  expectedOf,
  makeMaildir,
  makeTempDir,
  nameKey,
  randomMessages,
  sha1,
  snapshot,
  uniqueOf,
} from '../helpers/maildir.js';
import { HOSTS, type Sshd, startSshd } from '../helpers/sshd.js';

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** uvu swallows an error thrown by a `before` hook (its tests just do not pass): print it. */
async function loud<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    console.error(`${what} failed:`, err);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------

interface Ctx {
  sshd: Sshd;
}
const e2e = suite<Ctx>('harness: real sshd + rsync', {} as Ctx);

e2e.before(async (ctx) => {
  ctx.sshd = await loud('startSshd()', () => startSshd());
  console.log(
    `\n  sshd on 127.0.0.1:${ctx.sshd.port}, one ssh round trip took ${Math.round(ctx.sshd.readyRoundTripMs)} ms`,
  );
});

e2e.after(async (ctx) => {
  if (!ctx.sshd) return;
  const { port, pid } = ctx.sshd;
  await ctx.sshd.stop();
  assert.ok(await portIsClosed(port), `port ${port} still accepts connections after stop()`);
  let alive = true;
  try {
    process.kill(pid, 0);
  } catch {
    alive = false;
  }
  assert.not.ok(alive, `sshd listener ${pid} still exists after stop()`);
});

const rsh = (sshd: Sshd) => `ssh -F ${sshd.sshConfig} -o BatchMode=yes`;

e2e('rsync moves messages byte-identical, keeping mtimes', async ({ sshd }) => {
  const base = await makeTempDir('harness');
  const server = await makeMaildir(path.join(base, 'server'));
  const local = await makeMaildir(path.join(base, 'local'));
  const messages = randomMessages(5, { minSize: 100, maxSize: 20_000, seed: 42 });
  const mtimes = new Map<string, number>();
  for (const [i, m] of messages.entries()) {
    const mtime = new Date(Date.UTC(2020, 0, i + 1, 12, 0, 0));
    mtimes.set(m.name, mtime.getTime());
    await deliver(server, m.name, m.content, { mtime });
  }

  const result = await execa(
    'rsync',
    [
      '-e',
      rsh(sshd),
      '--remove-source-files',
      '-r',
      '--times',
      `${sshd.hostAlias}:${server}/new/`,
      `${local}/new/`,
    ],
    { reject: false, stdin: 'ignore' },
  );
  assert.is(result.exitCode, 0, `rsync failed: ${result.stderr}`);

  assert.equal(await readdir(path.join(server, 'new')), [], 'server new/ should be empty');
  await assertExactlyOnce(expectedOf(messages), local);
  const after = await snapshot(local);
  for (const m of messages) {
    const entry = after.get(`new/${m.name}`);
    assert.ok(entry, `new/${m.name} missing`);
    assert.is(entry.sha1, m.sha1);
    assert.is(entry.size, m.content.length);
    assert.is(entry.mtimeMs, mtimes.get(m.name), `mtime of ${m.name}`);
  }
});

e2e('mail-server-closed fails fast: exit 255, Connection refused', async ({ sshd }) => {
  const t0 = performance.now();
  const r = await execa('ssh', [...sshd.sshArgs, HOSTS.closed, 'true'], {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
  });
  const ms = performance.now() - t0;
  assert.is(r.exitCode, 255, r.stderr);
  assert.match(r.stderr, 'Connection refused');
  assert.ok(ms < 3000, `took ${Math.round(ms)} ms`);

  const local = await makeMaildir(path.join(await makeTempDir('harness'), 'local'));
  const viaRsync = await execa(
    'rsync',
    ['-e', rsh(sshd), '-r', `${HOSTS.closed}:/nonexistent/new/`, `${local}/new/`],
    {
      reject: false,
      stdin: 'ignore',
      timeout: 10_000,
    },
  );
  // rsync 3.5.0 races here: it exits 255 (it saw ssh exit 255) or 12 (it saw the protocol stream close
  // first); 40 tries gave 255 ×26 and 12 ×14. Only ssh's own message on stderr is reliable.
  assert.ok(
    viaRsync.exitCode === 255 || viaRsync.exitCode === 12,
    `rsync exit ${viaRsync.exitCode}: ${viaRsync.stderr}`,
  );
  assert.match(viaRsync.stderr, 'Connection refused');
});

e2e('mail-server-badkey: Permission denied', async ({ sshd }) => {
  const r = await execa('ssh', [...sshd.sshArgs, HOSTS.badKey, 'true'], {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
  });
  assert.is(r.exitCode, 255, r.stderr);
  assert.match(r.stderr, 'Permission denied');
});

e2e('mail-server-unknownhost: Host key verification failed', async ({ sshd }) => {
  const r = await execa('ssh', [...sshd.sshArgs, HOSTS.unknownHost, 'true'], {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
  });
  assert.is(r.exitCode, 255, r.stderr);
  assert.match(r.stderr, 'Host key verification failed');
});

e2e('mail-server-blackhole accepts TCP but never speaks', async ({ sshd }) => {
  const r = await execa(
    'ssh',
    [...sshd.sshArgs, '-o', 'ConnectTimeout=1', HOSTS.blackHole, 'true'],
    {
      reject: false,
      stdin: 'ignore',
      timeout: 10_000,
    },
  );
  assert.is(r.exitCode, 255, r.stderr);
  assert.match(r.stderr, 'banner exchange');
});

e2e('pause() freezes the server, resume() brings it back', async ({ sshd }) => {
  await sshd.pause();
  try {
    const r = await execa(
      'ssh',
      [...sshd.sshArgs, '-o', 'ConnectTimeout=1', sshd.hostAlias, 'true'],
      {
        reject: false,
        stdin: 'ignore',
        timeout: 10_000,
      },
    );
    assert.is(r.exitCode, 255, r.stderr);
    assert.match(r.stderr, 'timed out');
  } finally {
    await sshd.resume();
  }
  const ok = await execa('ssh', [...sshd.sshArgs, sshd.hostAlias, 'true'], {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
  });
  assert.is(ok.exitCode, 0, ok.stderr);
});

e2e(
  'killServerSide() drops live connections and their remote processes, not the listener',
  async ({ sshd }) => {
    const marker = `syncmail-harness-${process.pid}-${Date.now()}`;
    // `exec -a` names the remote process so that only it matches (the local ssh's command line is longer).
    const session = execa('ssh', [...sshd.sshArgs, sshd.hostAlias, `exec -a ${marker} sleep 60`], {
      reject: false,
      stdin: 'ignore',
      timeout: 30_000,
    });
    const remoteAlive = async () =>
      (await execa('pgrep', ['-f', '-x', `${marker} 60`], { reject: false })).exitCode === 0;
    const deadline = Date.now() + 10_000;
    while (!(await remoteAlive())) {
      assert.ok(Date.now() < deadline, 'remote sleep never started');
      await sleep(50);
    }
    const t0 = performance.now();
    await sshd.killServerSide();
    const r = await session;
    assert.is(r.exitCode, 255, `ssh should see the connection drop: ${r.stderr}`);
    assert.ok(performance.now() - t0 < 5000);
    assert.not.ok(await remoteAlive(), 'remote process survived killServerSide()');
    const ok = await execa('ssh', [...sshd.sshArgs, sshd.hostAlias, 'true'], {
      reject: false,
      stdin: 'ignore',
      timeout: 10_000,
    });
    assert.is(ok.exitCode, 0, `listener should still serve: ${ok.stderr}`);
    assert.match(sshd.log(), 'Accepted publickey');
  },
);

e2e.run();

// ---------------------------------------------------------------------------------------------------------

const helpers = suite('harness: maildir helpers');

helpers('randomMessages is deterministic and Maildir-shaped', () => {
  const a = randomMessages(20, { minSize: 10, maxSize: 300, seed: 7 });
  const b = randomMessages(20, { minSize: 10, maxSize: 300, seed: 7 });
  const c = randomMessages(20, { minSize: 10, maxSize: 300, seed: 8 });
  assert.equal(
    a.map((m) => [m.name, m.sha1]),
    b.map((m) => [m.name, m.sha1]),
  );
  assert.is(new Set(a.map((m) => m.name)).size, 20);
  assert.not.equal(a[0]!.name, c[0]!.name);
  for (const m of a) {
    assert.match(m.name, /^\d+\.M\d+P\d+Q\d+\.mx\.test$/);
    assert.ok(m.content.length >= 10 && m.content.length <= 300, `size ${m.content.length}`);
    assert.is(m.sha1, sha1(m.content));
  }
});

helpers('snapshot keeps non-UTF-8 names; uniqueOf cuts at the first colon', async () => {
  const md = await makeMaildir(path.join(await makeTempDir('helpers'), 'md'));
  const weird = Buffer.concat([
    Buffer.from('1700000000.M1P2Q3.h'),
    Buffer.from([0xff, 0x5c]),
    Buffer.from(':2,S'),
  ]);
  await deliver(md, weird, 'x');
  const snap = await snapshot(md);
  const key = `new/${nameKey(weird)}`;
  assert.is(key, 'new/1700000000.M1P2Q3.h\\xff\\x5c:2,S');
  const entry = snap.get(key);
  assert.ok(entry, [...snap.keys()].join(', '));
  assert.ok(entry.rawPath.equals(Buffer.concat([Buffer.from('new/'), weird])));
  assert.is(entry.type, 'file');
  assert.is(snap.get('new')?.type, 'dir');
  assert.is(snap.get('tmp')?.type, 'dir');
  assert.is(uniqueOf(weird), '1700000000.M1P2Q3.h\\xff\\x5c');
  assert.is(uniqueOf('a.b.c:2,S:x'), 'a.b.c');
  assert.is(nameKey(Buffer.from('plain-é')), 'plain-é');
});

helpers('assertExactlyOnce reports lost, duplicated, corrupted and extra', async () => {
  const md = await makeMaildir(path.join(await makeTempDir('helpers'), 'md'));
  const [ok, lost, dup, bad] = randomMessages(4, { seed: 3 });
  const expected = expectedOf([ok!, lost!, dup!, bad!]);
  await deliver(md, ok!.name, ok!.content);
  await deliver(md, dup!.name, dup!.content);
  await mkdir(path.join(md, 'cur'), { recursive: true });
  await writeFile(path.join(md, 'cur', `${dup!.name}:2,S`), dup!.content);
  await deliver(md, bad!.name, 'not the right content');
  await writeFile(path.join(md, 'new', 'junk'), 'junk');
  await writeFile(path.join(md, 'new', '.hidden-rsync-temp'), 'ignored');

  let message = '';
  try {
    await assertExactlyOnce(expected, md);
  } catch (err) {
    message = (err as Error).message;
  }
  assert.match(message, `lost (1):\n    ${lost!.name}`);
  assert.match(message, `duplicated (1):\n    ${dup!.name} ×2`);
  assert.match(message, `corrupted (1):\n    new/${bad!.name}: 21 bytes`);
  assert.match(message, 'extra (1):\n    new/junk');
  assert.match(message, 'dot-files (1):\n    new/.hidden-rsync-temp');

  // Fixing it all makes the check pass; a flagged copy in cur/ counts as the message.
  await rename(path.join(md, 'cur', `${dup!.name}:2,S`), path.join(md, 'tmp', 'moved-away'));
  await writeFile(path.join(md, 'new', bad!.name), bad!.content);
  await rename(path.join(md, 'new', 'junk'), path.join(md, 'tmp', 'junk'));
  await rename(
    path.join(md, 'new', '.hidden-rsync-temp'),
    path.join(md, 'tmp', '.hidden-rsync-temp'),
  );
  await deliver(md, `${lost!.name}`, lost!.content);
  await rename(path.join(md, 'new', lost!.name), path.join(md, 'cur', `${lost!.name}:2,S`));
  await assertExactlyOnce(expected, md);
});

helpers.run();
