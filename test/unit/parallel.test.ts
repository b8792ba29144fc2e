// Parallel mailboxes and the shared ssh connection, without processes: which mailboxes may run at once
// (mailbox/lanes.ts), and the shared connection's choices for each pass (rsync/shared-connection.ts)
// with a fake `ssh -O` and a fake socket. The real master, killed and frozen, is in e2e/parallel.test.ts.
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Mailbox } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate.js';
import { lanes } from '../../src/mailbox/lanes.js';
import { rshOption } from '../../src/rsync/rsh.js';
import {
  muxWords,
  SharedConnections,
  SOCKET_PATH_MAX,
  serverKey,
  socketDir,
  socketPath,
} from '../../src/rsync/shared-connection.js';

const test = suite('parallel mailboxes');

const box = (name: string, claims: string[]) => ({ name, claims });

test('lanes: mailboxes sharing any claim run in one lane, in config order; lanes by first mailbox', () => {
  const boxes = [
    box('a', ['/m/a']),
    box('b', ['/m/b', '/m/shared']),
    box('c', ['/m/c']),
    box('d', ['/m/shared']),
    box('e', ['/m/c', 'server x']),
    box('f', ['server x']),
  ];
  const got = lanes(boxes, (b) => b.claims).map((lane) => lane.map((b) => b.name));
  assert.equal(got, [['a'], ['b', 'd'], ['c', 'e', 'f']]);
});

test('lanes: a claim that joins two lanes late merges them, keeping config order', () => {
  const boxes = [box('a', ['1']), box('b', ['2']), box('c', ['1', '2'])];
  assert.equal(
    lanes(boxes, (b) => b.claims).map((lane) => lane.map((b) => b.name)),
    [['a', 'b', 'c']],
  );
  assert.equal(
    lanes([], () => []),
    [],
  );
});

const env = { HOME: '/home/me' };
const mailbox = (over: Record<string, unknown> = {}): Mailbox =>
  validateConfig(
    { mailboxes: [{ name: 'in', remote: 'me@mx:Maildir', local: '/m/in', ...over }] },
    undefined,
    env,
    '/home/me',
  ).mailboxes[0] as Mailbox;

function problems(raw: Record<string, unknown>): string[] {
  try {
    validateConfig(
      { ...raw, mailboxes: [{ name: 'in', remote: 'mx:M', local: '/m' }] },
      'c.yaml',
      env,
      '/h',
    );
  } catch (error) {
    return [...(error as { problems: string[] }).problems];
  }
  return [];
}

test('config: jobs is 1 to 8 (default 4); shareConnection true or false (default true)', () => {
  const defaults = validateConfig(
    { mailboxes: [{ name: 'in', remote: 'mx:M', local: '/m' }] },
    undefined,
    env,
    '/h',
  );
  assert.is(defaults.jobs, 4);
  assert.is(defaults.shareConnection, true);
  assert.equal(problems({ jobs: 8, shareConnection: false }), []);
  assert.equal(problems({ jobs: 9 }), [
    'jobs: expected a whole number from 1 to 8 (mailboxes at once), got 9',
  ]);
  assert.equal(problems({ jobs: 0 }), [
    'jobs: expected a whole number from 1 to 8 (mailboxes at once), got 0',
  ]);
  assert.equal(problems({ shareConnection: 'yes' }), [
    'shareConnection: expected true or false, got "yes"; write true, without quotes',
  ]);
  assert.equal(problems({ shareConnection: 1 }), [
    'shareConnection: expected true or false, got 1',
  ]);
});

test('serverKey: the same ssh words, user and host share; a local remote never does', () => {
  assert.is(
    serverKey(mailbox()),
    serverKey(mailbox({ name: 'other', local: '/m/o', remote: 'me@mx:Other' })),
  );
  assert.is.not(serverKey(mailbox()), serverKey(mailbox({ remote: 'you@mx:Maildir' })));
  assert.is.not(serverKey(mailbox()), serverKey(mailbox({ ssh: ['-p', '2222'] })));
  assert.is(serverKey(mailbox({ remote: '/srv/mail' })), undefined);
});

test('socketPath: named for the process and the server, refused when too long for a socket', () => {
  assert.is(socketPath('/run/user/1000/syncmail', 4242, 3), '/run/user/1000/syncmail/4242-3');
  const long = `/${'d'.repeat(SOCKET_PATH_MAX - 5)}`;
  assert.is(socketPath(long, 1, 0), `${long}/1-0`);
  assert.is(socketPath(`${long}x`, 1, 0), undefined);
});

test("the shared options come after the user's ssh words, so a ControlPath of the user's wins", () => {
  const m = mailbox({ ssh: ['-o', 'ControlPath=/mine'] });
  const rsh = rshOption(m, { connectTimeout: 5 }, muxWords('use', '/run/s'));
  assert.ok(
    rsh.startsWith(
      'ssh -o ControlPath=/mine -o ControlMaster=no -o ControlPath=/run/s -o BatchMode=yes',
    ),
    rsh,
  );
});

/** A fake world: which sockets exist, and what `ssh -O` answers. */
function world() {
  const sockets = new Set<string>();
  const calls: string[] = [];
  let answers = true;
  const connections = new SharedConnections({
    dir: '/run/sm',
    env,
    connectTimeout: 5,
    pid: 7,
    mailboxes: [mailbox(), mailbox({ name: 'b', local: '/m/b', remote: 'me@mx:B' })],
    exists: (p) => sockets.has(p),
    control: async (_m, socket, command, stop) => {
      calls.push(`${command} ${socket}`);
      return command === 'open' ? opening(socket, stop) : answers;
    },
  });
  let opening: (socket: string, stop?: AbortSignal) => Promise<boolean> = async () => answers;
  return {
    connections,
    sockets,
    calls,
    refuse: () => {
      answers = false;
    },
    /** How an `ssh -N` master opened ahead goes. */
    onOpen: (how: typeof opening) => {
      opening = how;
    },
  };
}

test('the first pass makes the master; one started meanwhile waits for its socket, then uses it', async () => {
  const w = world();
  const first = w.connections.forMailbox(mailbox());
  const second = w.connections.forMailbox(mailbox({ name: 'b', local: '/m/b', remote: 'me@mx:B' }));
  assert.ok(first && second);
  assert.equal(await first.words(), muxWords('make', '/run/sm/7-0'));
  let waited: readonly string[] | undefined;
  const waiting = second.words().then((words) => {
    waited = words;
  });
  await new Promise((r) => setTimeout(r, 60));
  assert.is(waited, undefined, 'waits while the master is being made');
  w.sockets.add('/run/sm/7-0');
  await waiting;
  assert.equal(waited, muxWords('use', '/run/sm/7-0'));
  assert.equal(w.calls, ['check /run/sm/7-0'], 'the socket is checked before it is used');
  first.ended(false);
  second.ended(false);
  await w.connections.close();
  assert.equal(w.calls.at(-1), 'exit /run/sm/7-0');
});

test('a first pass that ends without a master lets the next pass try to make one', async () => {
  const w = world();
  const a = w.connections.forMailbox(mailbox());
  const b = w.connections.forMailbox(mailbox({ name: 'b', local: '/m/b' }));
  assert.ok(a && b);
  await a.words();
  const next = b.words();
  a.ended(false);
  assert.equal(await next, muxWords('make', '/run/sm/7-0'));
  b.ended(false);
  await w.connections.close();
  assert.equal(w.calls, [], 'no socket: nothing to check, nothing to end');
});

/** A world where a pass of mailbox() made the master (its socket is there) and ended. */
async function withMaster() {
  const w = world();
  const a = w.connections.forMailbox(mailbox());
  assert.ok(a);
  assert.equal(await a.words(), muxWords('make', '/run/sm/7-0'));
  w.sockets.add('/run/sm/7-0');
  a.ended(false);
  return { w, a };
}

test('a master that does not answer -O check is bypassed for the rest of the run', async () => {
  const { w, a } = await withMaster();
  w.refuse();
  assert.equal(await a.words(), muxWords('bypass', '/run/sm/7-0'));
  assert.equal(await a.words(), muxWords('bypass', '/run/sm/7-0'));
  assert.equal(w.calls, ['check /run/sm/7-0'], 'asked once; bypassed after that');
});

test('after an attempt through the master fails, the master is bypassed (it may answer and be wedged)', async () => {
  const { w, a } = await withMaster();
  assert.equal(await a.words(), muxWords('use', '/run/sm/7-0'));
  a.ended(true);
  assert.equal(await a.words(), muxWords('bypass', '/run/sm/7-0'));
  a.ended(true);
  assert.equal(w.calls, ['check /run/sm/7-0']);
});

test('reapStale: the sockets of runs whose process is gone are ended, or removed when nobody answers', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-reap-'));
  try {
    // pid 1 lives; 2^22 + 1 is above Linux's pid_max, so it never does.
    const dead = 2 ** 22 + 1;
    for (const name of [`${dead}-0`, `${dead}-1`, '1-0', `${process.pid}-0`, 'notes.txt']) {
      writeFileSync(path.join(dir, name), '');
    }
    const asked: string[] = [];
    const connections = new SharedConnections({
      dir,
      env,
      connectTimeout: 5,
      pid: process.pid,
      mailboxes: [],
      control: async (m, socket, command) => {
        asked.push(
          `${command} ${path.basename(socket)} ${m === undefined ? 'no mailbox' : m.name}`,
        );
        return socket.endsWith('-1'); // the -1 master answers and ends; the -0 one is stale
      },
    });
    await connections.reapStale();
    assert.equal(asked.sort(), [`exit ${dead}-0 no mailbox`, `exit ${dead}-1 no mailbox`]);
    assert.equal(
      readdirSync(dir).sort(),
      ['1-0', `${dead}-1`, `${process.pid}-0`, 'notes.txt'].sort(),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no socket dir, or a local remote: the passes connect on their own', () => {
  const none = new SharedConnections({
    dir: undefined,
    env,
    connectTimeout: 5,
    pid: 1,
    mailboxes: [mailbox(), mailbox({ name: 'b', local: '/m/b' })],
  });
  assert.is(none.forMailbox(mailbox()), undefined);
  assert.is(world().connections.forMailbox(mailbox({ remote: '/srv/m' })), undefined);
});

test('a server only one mailbox uses: its passes connect on their own until a master is opened ahead', async () => {
  const w = world();
  const lone = mailbox({ remote: 'other@mx:Maildir' });
  const c = w.connections.forMailbox(lone);
  assert.ok(c);
  assert.equal(await c.words(), [], 'the fetch: no master, the user ssh settings decide');
  c.ended(false);
  assert.equal(w.calls, [], 'nothing asked, nothing opened');
  await w.connections.close();
  assert.equal(w.calls, [], 'and nothing to end');
});

test('openAhead: the next pass waits for the master being opened, then uses it; it is ended at the end', async () => {
  const w = world();
  const lone = mailbox({ remote: 'other@mx:Maildir' });
  const c = w.connections.forMailbox(lone);
  assert.ok(c);
  let open: (ok: boolean) => void = () => undefined;
  w.onOpen(
    (socket) =>
      new Promise((resolve) => {
        open = (ok) => {
          if (ok) w.sockets.add(socket);
          resolve(ok);
        };
      }),
  );
  w.connections.openAhead(lone);
  w.connections.openAhead(lone);
  let words: readonly string[] | undefined;
  const waiting = c.words().then((x) => {
    words = x;
  });
  await new Promise((r) => setTimeout(r, 30));
  assert.is(words, undefined, 'waits while the master logs in');
  open(true);
  await waiting;
  assert.equal(words, muxWords('use', '/run/sm/7-0'));
  assert.equal(w.calls, ['open /run/sm/7-0', 'check /run/sm/7-0'], 'opened once');
  await w.connections.close();
  assert.equal(w.calls.at(-1), 'exit /run/sm/7-0');
});

test('openAhead that fails: the pass connects on its own, with the user ssh settings', async () => {
  const w = world();
  const lone = mailbox({ remote: 'other@mx:Maildir' });
  const c = w.connections.forMailbox(lone);
  assert.ok(c);
  w.onOpen(async () => false);
  w.connections.openAhead(lone);
  assert.equal(await c.words(), []);
  await w.connections.close();
  assert.equal(w.calls, ['open /run/sm/7-0'], 'no master to end');
});

test('close() stops a master still logging in instead of waiting for it', async () => {
  const w = world();
  const lone = mailbox({ remote: 'other@mx:Maildir' });
  assert.ok(w.connections.forMailbox(lone));
  let stopped = false;
  w.onOpen(
    (_socket, stop) =>
      new Promise((r) =>
        stop?.addEventListener('abort', () => {
          stopped = true;
          r(false);
        }),
      ),
  );
  w.connections.openAhead(lone);
  await w.connections.close();
  assert.ok(stopped, 'the login was stopped');
  assert.equal(w.calls, ['open /run/sm/7-0']);
});

test('openAhead does nothing for a server two mailboxes share (their first pass makes the master)', async () => {
  const w = world();
  w.connections.forMailbox(mailbox());
  w.connections.openAhead(mailbox());
  assert.equal(w.calls, []);
});

test('socketDir: $XDG_RUNTIME_DIR/syncmail, made 0700; a directory others can use is passed over', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'syncmail-sockets-'));
  try {
    const runtime = path.join(root, 'runtime');
    const state = path.join(root, 'state');
    mkdirSync(runtime);
    mkdirSync(state);
    assert.is(socketDir({ XDG_RUNTIME_DIR: runtime }, state), path.join(runtime, 'syncmail'));
    assert.is(statSync(path.join(runtime, 'syncmail')).mode & 0o777, 0o700);
    chmodSync(path.join(runtime, 'syncmail'), 0o755);
    const fallback = socketDir({ XDG_RUNTIME_DIR: runtime }, state);
    assert.is.not(fallback, path.join(runtime, 'syncmail'), 'not a directory others can use');
    // Without a usable runtime dir: the login's /run/user/UID if there is one, else the state dir.
    const login = path.join('/run/user', String(process.getuid?.()), 'syncmail');
    assert.ok(fallback === login || fallback === path.join(state, 'run'), String(fallback));
    assert.is(socketDir({ XDG_RUNTIME_DIR: 'relative' }, state), fallback);
    if (fallback !== login) {
      assert.is(socketDir({}, undefined), undefined, 'a dry run makes no state dir of its own');
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
