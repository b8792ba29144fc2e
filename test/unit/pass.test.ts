// One rsync pass (rsync/pass.ts) against a fake rsync program (test/fixtures/fake-rsync/rsync.mjs):
// retries with doubling backoff for transient failures only, none once a signal arrived, a forced stop
// reported as such, a missing rsync as a config error, and the lock inherited as fd 3.
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RsyncEvent } from '../../src/rsync/events.js';
import { type PassSpec, runPass } from '../../src/rsync/pass.js';
import { directoryProbe } from '../../src/rsync/watchdog.js';
import type { SignalGuard } from '../../src/signals.js';

const FAKE = fileURLToPath(new URL('../fixtures/fake-rsync/rsync.mjs', import.meta.url));

interface Attempt {
  stdout?: string[];
  stderr?: string[];
  exit?: number;
  hangMs?: number;
  grow?: { file: string; everyMs: number; times: number };
  reportFd3?: boolean;
}

class FakeGuard implements SignalGuard {
  pending: SignalGuard['pending'] = undefined;
  forced = false;
  expired = false;
  get stopping(): boolean {
    return this.pending !== undefined || this.expired;
  }
  expire(): void {
    this.expired = true;
    this.forced = true;
    for (const stop of this.stops) stop();
  }
  readonly abortSignal = new AbortController().signal;
  readonly stops = new Set<() => void>();
  track(stop: () => void): () => void {
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }
  release(): void {}
}

const pass = suite<{ dir: string }>('rsync pass', { dir: '' });
pass.before.each((ctx) => {
  ctx.dir = mkdtempSync(path.join(tmpdir(), 'syncmail-pass-'));
});
pass.after.each((ctx) => {
  rmSync(ctx.dir, { recursive: true, force: true });
});

function setup(dir: string, attempts: Attempt[], over: Partial<PassSpec> = {}) {
  const script = path.join(dir, 'script.json');
  writeFileSync(script, JSON.stringify(attempts));
  const events: RsyncEvent[] = [];
  const sleeps: number[] = [];
  const retries: Array<{ reason: string; delayMs: number }> = [];
  const guard = new FakeGuard();
  const spec: PassSpec = {
    label: 'fetch',
    argv: () => ['--fake'],
    config: { rsync: FAKE, retries: 2, retryDelay: 0.5 },
    env: { PATH: process.env['PATH'], FAKE_RSYNC_SCRIPT: script },
    cwd: dir,
    lockFds: [],
    stallMs: 60_000,
    mailbox: 'inbox',
    server: 'mail-server:Maildir',
    guard,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onEvent: (event) => events.push(event),
    onRetry: (outcome, delayMs) => retries.push({ reason: outcome.error.reason, delayMs }),
    ...over,
  };
  return { spec, events, sleeps, retries, guard };
}

const refused = { exit: 255, stderr: ['ssh: connect to host h port 22: Connection refused'] };

pass(
  'a transient failure is retried after the pause, and the next attempt succeeds',
  async ({ dir }) => {
    const t = setup(dir, [refused, { exit: 0, stdout: ['sender removed a'] }]);
    const outcome = await runPass(t.spec);
    assert.equal(outcome, { ok: true, vanished: false });
    assert.equal(t.sleeps, [500]);
    assert.equal(t.retries, [{ reason: 'unreachable', delayMs: 500 }]);
    assert.ok(t.events.some((e) => e.kind === 'removed' && e.name.equals(Buffer.from('a'))));
    assert.ok(t.events.some((e) => e.kind === 'failure' && e.reason === 'unreachable'));
  },
);

pass('the pause doubles each time, and the last failure is the outcome', async ({ dir }) => {
  const t = setup(dir, [refused], { config: { rsync: FAKE, retries: 3, retryDelay: 1 } });
  const outcome = await runPass(t.spec);
  assert.equal(t.sleeps, [1000, 2000, 4000]);
  if (outcome.ok) throw new Error('expected a failure');
  assert.is(outcome.error.exitCode, 75);
  assert.is(outcome.transient, true);
  assert.match(outcome.error.message, /inbox: cannot reach mail-server:Maildir: ssh: connect/);
});

pass('a failure a retry cannot fix is not retried', async ({ dir }) => {
  const t = setup(dir, [{ exit: 255, stderr: ['me@h: Permission denied (publickey).'] }]);
  const outcome = await runPass(t.spec);
  if (outcome.ok) throw new Error('expected a failure');
  assert.is(outcome.error.exitCode, 77);
  assert.equal(t.sleeps, []);
});

pass('once a signal arrived there is no retry', async ({ dir }) => {
  const t = setup(dir, [refused, { exit: 0 }]);
  t.guard.pending = 'SIGTERM';
  const outcome = await runPass(t.spec);
  assert.is(outcome.ok, false);
  assert.equal(t.sleeps, []);
});

pass('a signal during the pause ends the pass without another attempt', async ({ dir }) => {
  const t = setup(dir, [refused, { exit: 0 }]);
  t.spec = {
    ...t.spec,
    sleep: async () => {
      t.guard.pending = 'SIGINT';
    },
  } as PassSpec;
  const outcome = await runPass(t.spec);
  assert.is(outcome.ok, false);
});

pass(
  'a forced stop terminates rsync and says it was stopped on request, not a network failure',
  async ({ dir }) => {
    const t = setup(dir, [{ exit: 0, hangMs: 30_000 }]);
    const started = Date.now();
    const pending = runPass(t.spec);
    while (t.guard.stops.size === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    t.guard.forced = true;
    for (const stop of t.guard.stops) stop();
    const outcome = await pending;
    assert.ok(Date.now() - started < 10_000, 'rsync stopped promptly');
    if (outcome.ok) throw new Error('expected a failure');
    assert.is(outcome.error.reason, 'stopped');
    assert.match(
      outcome.error.message,
      /the fetch was stopped on request; it resumes on the next run/,
    );
    assert.is(t.guard.stops.size, 0, 'untracked once it ended');
  },
);

pass("the run's time limit stops rsync, says so, and retries nothing", async ({ dir }) => {
  const t = setup(dir, [{ exit: 0, hangMs: 30_000 }], {
    config: { rsync: FAKE, retries: 3, retryDelay: 0 },
  });
  const pending = runPass(t.spec);
  while (t.guard.stops.size === 0) await new Promise((r) => setTimeout(r, 10));
  t.guard.expire();
  const outcome = await pending;
  if (outcome.ok) throw new Error('expected a failure');
  assert.is(outcome.error.reason, 'stopped');
  assert.is(outcome.error.exitCode, 75);
  assert.match(outcome.error.message, /stopped at the time limit \(--max-time\); it resumes/);
  assert.equal(t.retries, [], 'no retry after the time ran out');
});

pass(
  'a pass with no output and no progress on disk for stallMs is stopped as stalled',
  async ({ dir }) => {
    const t = setup(dir, [{ exit: 0, hangMs: 30_000 }], {
      config: { rsync: FAKE, retries: 0, retryDelay: 1 },
      stallMs: 500,
      progress: directoryProbe([dir], []),
    });
    const started = Date.now();
    const outcome = await runPass(t.spec);
    assert.ok(Date.now() - started < 10_000, 'stopped long before rsync would have ended');
    if (outcome.ok) throw new Error('expected a failure');
    assert.is(outcome.error.reason, 'stalled');
    assert.is(outcome.transient, true, 'the next run resumes');
    assert.match(outcome.error.message, /the fetch made no progress for 1 s \(ioTimeout\)/);
  },
);

pass('a silent pass whose files keep growing is not stalled', async ({ dir }) => {
  const growing = path.join(dir, 'temp');
  mkdirSync(growing);
  const file = path.join(growing, 'message');
  const t = setup(dir, [{ exit: 0, grow: { file, everyMs: 100, times: 20 } }], {
    stallMs: 500,
    progress: directoryProbe([growing], []),
  });
  const outcome = await runPass(t.spec);
  assert.is(outcome.ok, true, 'two seconds of silence, but the file grew all along');
  assert.is(statSync(file).size, 20);
});

pass('an rsync that cannot be run is a config error, not retried', async ({ dir }) => {
  const t = setup(dir, [{ exit: 0 }], {
    config: { rsync: path.join(dir, 'no-such-rsync'), retries: 2, retryDelay: 1 },
  });
  const outcome = await runPass(t.spec);
  if (outcome.ok) throw new Error('expected a failure');
  assert.is(outcome.error.exitCode, 78);
  assert.is(outcome.error.reason, 'no-rsync');
  assert.equal(t.sleeps, []);
});

pass('the mailbox lock is passed to rsync as fd 3', async ({ dir }) => {
  const lock = path.join(dir, 'lock');
  const fd = openSync(lock, 'a');
  try {
    const t = setup(dir, [{ exit: 0, reportFd3: true }], { lockFds: [fd] });
    await runPass(t.spec);
    const line = `fd 3 inode ${statSync(lock).ino}`;
    assert.ok(
      t.events.some((e) => e.kind === 'message' && e.text === line),
      JSON.stringify(t.events),
    );
  } finally {
    closeSync(fd);
  }
});

pass.run();
