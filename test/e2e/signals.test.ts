// Signals end to end, with real processes: a run that is signalled while rsync moves mail finishes the
// transfer and ends by the first signal; only the same interactive signal, quickly repeated, stops the
// transfer itself (and then the next run finishes the move). Every case ends with the exactly-once check.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TEMP_DIR } from '../../src/maildir/layout.js';
import { makeMessages, Rng, type Running, rsyncSuffix, World } from '../helpers/faults.js';
import { randomMessages } from '../helpers/maildir.js';
import { pairsOrFailingTest, type RsyncPair } from '../helpers/rsyncs.js';
import { type Sshd, startSshd } from '../helpers/sshd.js';

const signals = suite<{ sshd: Sshd }>('signals end to end', {} as { sshd: Sshd });
signals.before(async (ctx) => {
  ctx.sshd = await startSshd();
});
signals.after(async (ctx) => {
  await ctx.sshd?.stop();
});

// Each rsync version once as the client, the other as the server: how rsync takes a stop differs.
const PAIRS = pairsOrFailingTest('cross', (title, fn) => signals(title, fn));

function each(title: string, fn: (sshd: Sshd, rsync: RsyncPair) => Promise<void>): void {
  for (const rsync of PAIRS)
    signals(`${title}${rsyncSuffix(rsync, true)}`, ({ sshd }) => fn(sshd, rsync));
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Waits until rsync is receiving a file (its temp dir is not empty); fails the test if it never is. */
async function untilReceiving(world: World, run: Running): Promise<void> {
  const temp = path.join(world.box.work, 'stage', TEMP_DIR);
  const deadline = Date.now() + 20_000;
  while (entries(temp).length === 0) {
    assert.ok(!run.exited, 'the run ended before a transfer was under way');
    assert.ok(Date.now() < deadline, 'no transfer under way after 20 s');
    await sleep(20);
  }
}

async function checked(world: World): Promise<void> {
  await world.verify('after the runs');
  const figures = await world.finish();
  assert.equal(figures.problems, [], figures.problems.join('\n'));
}

/** Puts big messages (and `small` small ones) on the server, starts a slowed run, waits for a transfer. */
async function slowRun(
  world: World,
  big: { count: number; size: readonly [number, number]; seed: number },
  o: { small?: number; kbPerSecond: number; args?: string[] },
): Promise<Running> {
  const messages = randomMessages(big.count, {
    seed: big.seed,
    host: 'big.test',
    minSize: big.size[0],
    maxSize: big.size[1],
  });
  const small = o.small === undefined ? [] : makeMessages(new Rng(big.seed), 'small', o.small);
  await world.addMail(world.box, [...small, ...messages]);
  world.configure({ rsyncArgs: [`--bwlimit=${o.kbPerSecond}`] });
  world.startMonitor();
  const run = world.syncmail(o.args ?? []);
  await untilReceiving(world, run);
  return run;
}

/** The server's new/ is empty: every message moved in the signalled run itself. */
function allMoved(world: World): void {
  assert.equal(entries(path.join(world.box.server, 'new')), [], 'every message moved in that run');
  world.checkOnce();
}

each(
  'a Ctrl-C to the process group, then SIGTERM and SIGHUP to syncmail: the transfer finishes, exit by SIGINT',
  async (sshd, rsync) => {
    const world = await World.create({ name: 'signals-mixed', seed: 1, sshd, rsync });
    // A 6 MB message among small ones, slowed down: the signals land while it is in flight.
    const run = await slowRun(
      world,
      { count: 1, size: [6_000_000, 6_000_000], seed: 61 },
      { small: 8, kbPerSecond: 2000 },
    );
    process.kill(-run.pid, 'SIGINT'); // what a terminal's Ctrl-C does
    await sleep(200);
    process.kill(run.pid, 'SIGTERM'); // a logout or a shutdown
    await sleep(200);
    process.kill(run.pid, 'SIGHUP'); // the terminal closing
    const result = await run.done;
    assert.is(result.signal, 'SIGINT', `exit ${result.code}: ${result.err}`);
    assert.match(result.err, /SIGINT: finishing the running transfer, then stopping/);
    assert.match(result.err, /SIGTERM: held; the running transfer finishes first/);
    assert.match(result.err, /SIGHUP: held; the running transfer finishes first/);
    assert.not.match(result.err, /stopping the transfer now/);
    assert.match(result.err, /interrupted by SIGINT/);
    allMoved(world);
    await checked(world);
  },
);

each(
  'SIGTERM three times (a shutdown, systemd) never stops the transfer: it finishes, exit by SIGTERM',
  async (sshd, rsync) => {
    const world = await World.create({ name: 'signals-terms', seed: 2, sshd, rsync });
    const run = await slowRun(
      world,
      { count: 2, size: [2_500_000, 3_000_000], seed: 62 },
      { kbPerSecond: 2000, args: ['--quiet'] },
    );
    for (let i = 0; i < 3; i += 1) {
      process.kill(run.pid, 'SIGTERM');
      await sleep(150);
    }
    const result = await run.done;
    assert.is(result.signal, 'SIGTERM', `exit ${result.code}: ${result.err}`);
    assert.not.match(result.err, /stopping the transfer now/);
    allMoved(world);
    await checked(world);
  },
);

each(
  'Ctrl-C three times within seconds stops the transfer; the partial is kept and the next run finishes',
  async (sshd, rsync) => {
    const world = await World.create({ name: 'signals-forced', seed: 3, sshd, rsync });
    const run = await slowRun(
      world,
      { count: 3, size: [2_000_000, 2_500_000], seed: 63 },
      { kbPerSecond: 1000 },
    );
    for (let i = 0; i < 3; i += 1) {
      process.kill(-run.pid, 'SIGINT');
      await sleep(300);
    }
    const stopping = Date.now();
    const result = await run.done;
    assert.ok(Date.now() - stopping < 10_000, 'the forced stop is prompt');
    assert.is(result.signal, 'SIGINT', `exit ${result.code}: ${result.err}`);
    assert.match(result.err, /press Ctrl-C once more to stop the transfer now/);
    assert.match(result.err, /stopping the transfer now/);
    assert.match(result.err, /stopped on request; it resumes on the next run/);
    assert.not.match(result.err, /cannot reach/);
    assert.ok(entries(path.join(world.box.server, 'new')).length > 0, 'what did not move stays');
    const partial = path.join(world.box.work, 'stage', 'new', '.syncmail-partial');
    assert.ok(entries(partial).length > 0, 'the partial is kept');
    await world.run(['--quiet'], [0], 'the run after the forced stop');
    world.checkOnce();
    await checked(world);
  },
);

signals.run();
