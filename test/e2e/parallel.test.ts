// Parallel mailboxes (jobs) and the shared ssh connection (shareConnection) end to end: the built CLI as a
// real process (`node dist/cli.js -c CONFIG`), the real rsync over the real test sshd on 127.0.0.1, real
// Maildirs in a temp dir, and a fresh 0700 XDG_RUNTIME_DIR per case for the ControlMaster's socket. Each
// case checks where every message is (exactly once locally and byte-identical, or still on the server,
// never both, never twice), most with a monitor that also checks it every 10 ms while the run goes on,
// and cleans up (processes, stopped ones first SIGCONTed, and the temp dir), passed or failed.
//
//   1. 4 mailboxes × 40 messages, jobs 4, shareConnection: all 4 start at once, all delivered, the server
//      empty; sshd saw ONE connection (with 8 sessions: fetch + remove per mailbox); afterwards the
//      socket dir is empty and no ssh master is left
//   2. the same with shareConnection false (XDG_RUNTIME_DIR still set): one connection per rsync pass, 8,
//      one session each; no socket made, no ssh names the socket dir
//   3. two mailboxes delivering into the SAME local Maildir (other server folders), jobs 4: one after the
//      other (the second's mailbox-start after the first's mailbox-end), neither busy, both delivered
//   4. the master SIGKILLed mid-transfer: the passes that used it fail, their retry goes around it, and
//      so does every later pass of the run; exit 0, every message exactly once, and a second run has
//      nothing left to do
//   5. the master frozen (SIGSTOP) mid-transfer, ioTimeout 10: the pass stalls, the retry finds the master
//      not answering and bypasses it; exit 0, everything delivered exactly once, the master still frozen
//      (so nothing went through it after the freeze)
//   6. syncmail alone SIGKILLed mid-transfer, the master lives on: it holds none of syncmail's locks (no
//      fd into the state dir or a Maildir); a second run (--wait 30: the orphaned rsync may still hold
//      the lock) delivers everything exactly once, reaps the first run's master (its process is gone)
//      and ends its own
//   7. SIGINT (a Ctrl-C) during 4 mailboxes with jobs 2: the 2 running finish, the 2 not started are
//      skipped (the `interrupted` event lists them), death by SIGINT (130), nothing lost or doubled, and
//      no master left
//
// One sshd for the file; small messages, and bandwidth limits only where a case must act mid-transfer:
// the file takes about 50 s, case 5 half of it (ioTimeout cannot be below 10 s). Needs root (sshd) and
// the build (npm run build).
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/holes.js';
import { randomMessages } from '../helpers/maildir.js';
import {
  alive,
  allLocal,
  type Bench,
  type Box,
  bench,
  Monitor,
  openFiles,
  procState,
  type RunResult,
  sharedSockets,
  signal,
  sshdUse,
  told,
  untouched,
  within,
} from '../helpers/parallel.js';
import { type Sshd, withSshd } from '../helpers/sshd.js';

const CLI = path.resolve('dist/cli.js');

const tests = suite<{ sshd: Sshd }>('parallel mailboxes end to end', {} as { sshd: Sshd });
withSshd(tests, [CLI]);

// ---------------------------------------------------------------------------------------------------------
// Shared pieces

/** n small messages (200 B to 1.2 kB), names and bytes unique to `host`. */
function small(n: number, seed: number, host: string) {
  return randomMessages(n, { seed, host: `${host}.test`, minSize: 200, maxSize: 1200 });
}

/** n messages of 100 kB: with --bwlimit=200 (kB/s) each takes half a second to fetch. */
function big(n: number, seed: number, host: string) {
  return randomMessages(n, { seed, host: `${host}.test`, minSize: 100_000, maxSize: 100_000 });
}

const SLOW = ['--bwlimit=200'];

/** The transfer log's records of `event`, in order. */
function events(b: Bench, event: string): Record<string, unknown>[] {
  return b.records().filter((r) => r['event'] === event);
}

function assertNoProblems(problems: readonly string[], what: string): void {
  assert.equal(problems, [], `${what}:\n  ${problems.join('\n  ')}`);
}

/** Every box all local (new/, once, byte-identical), its server new/ empty. */
function assertAllLocal(boxes: readonly Box[], what: string): void {
  assertNoProblems(
    boxes.flatMap((b) => allLocal(b)),
    what,
  );
}

/**
 * Waits (at most 3 s: `ssh -O exit` is answered before the master is gone) until no ssh process names the
 * socket dir and the dir is empty, then asserts both. `left`: a master the case left running on purpose
 * (its pid and socket), or a dead master's socket (no pid), which are not counted.
 */
async function assertNoMaster(
  b: Bench,
  left: { pid?: number; socket?: string } = {},
): Promise<void> {
  const procs = () => b.sshProcs().filter((p) => p.pid !== left.pid);
  const sockets = () => b.sockets().filter((s) => path.join(b.socketDir, s) !== left.socket);
  await waitFor(() => procs().length === 0 && sockets().length === 0, 3000, 20);
  assert.equal(
    procs().map((p) => `${p.pid} ${p.argv.join(' ')}`),
    [],
    'no ssh master (or client) of the run is left',
  );
  assert.equal(sockets(), [], 'the socket dir is empty');
}

/** Runs with the monitor on, asserts it saw nothing wrong, and returns the run's result. */
async function monitored(b: Bench, run: Promise<RunResult>): Promise<RunResult> {
  const monitor = new Monitor(b.boxes);
  try {
    const result = await run;
    assertNoProblems(monitor.stop(), 'seen during the run');
    return result;
  } finally {
    monitor.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1, 2: one connection for the whole run, or one per pass

async function fourBoxes(b: Bench): Promise<void> {
  for (const [i, name] of ['a', 'b', 'c', 'd'].entries())
    await b.box({ name }, small(40, 100 + i, name));
}

tests(
  '1 four mailboxes at once over ONE ssh connection; the master is gone afterwards',
  ({ sshd }) =>
    bench(sshd, 'par1', async (b) => {
      await fourBoxes(b);
      b.configure({ jobs: 4, shareConnection: true });
      const from = sshd.log().length;
      const r = await monitored(b, b.run());
      assert.is(r.code, 0, told(r));
      assertAllLocal(b.boxes, 'after the run');
      // jobs 4: every mailbox started before any ended.
      const kinds = b
        .records()
        .map((x) => x['event'])
        .filter((e) => e === 'mailbox-start' || e === 'mailbox-end');
      assert.equal(kinds.slice(0, 4), Array(4).fill('mailbox-start'), 'the 4 ran at once');
      const use = sshdUse(sshd, from);
      assert.is(use.connections.length, 1, `one ssh connection for the run:\n${use.text}`);
      // Each mailbox's fetch and remove pass is a session of that one connection.
      assert.equal([...use.sessions.entries()], [[use.connections[0], 8]], use.text);
      await assertNoMaster(b);
    }),
);

tests('2 shareConnection false: one ssh connection per rsync pass (8)', ({ sshd }) =>
  bench(sshd, 'par2', async (b) => {
    await fourBoxes(b);
    b.configure({ jobs: 4, shareConnection: false });
    const from = sshd.log().length;
    const r = await monitored(b, b.run());
    assert.is(r.code, 0, told(r));
    assertAllLocal(b.boxes, 'after the run');
    const use = sshdUse(sshd, from);
    assert.is(new Set(use.connections).size, 8, `8 connections:\n${use.text}`);
    for (const port of use.connections)
      assert.is(use.sessions.get(port), 1, `one session per connection:\n${use.text}`);
    assert.equal(b.sockets(), [], 'no socket was made');
    assert.equal(b.sshProcs(), [], 'no ssh names the socket dir');
  }),
);

// ---------------------------------------------------------------------------------------------------------
// 3: a shared local Maildir means one lane

tests(
  '3 two mailboxes into the same local Maildir run one after the other, neither busy',
  ({ sshd }) =>
    bench(sshd, 'par3', async (b) => {
      const local = path.join(b.dir, 'local', 'shared');
      const first = await b.box({ name: 'work', local }, small(30, 301, 'work'));
      const second = await b.box({ name: 'home', local }, small(30, 302, 'home'));
      b.configure({ jobs: 4 });
      const r = await monitored(b, b.run());
      assert.is(r.code, 0, told(r));
      assert.equal(events(b, 'busy'), [], 'no mailbox was busy');
      const ends = events(b, 'mailbox-end');
      assert.equal(
        ends.map((e) => [e['mailbox'], e['busy'], e['delivered']]),
        [
          ['work', false, 30],
          ['home', false, 30],
        ],
      );
      const order = b
        .records()
        .filter((x) => x['event'] === 'mailbox-start' || x['event'] === 'mailbox-end')
        .map((x) => `${x['event']} ${x['mailbox']}`);
      assert.equal(
        order,
        ['mailbox-start work', 'mailbox-end work', 'mailbox-start home', 'mailbox-end home'],
        'the second mailbox starts after the first ended',
      );
      assertNoProblems(
        [...allLocal(first, [second]), ...allLocal(second, [first])],
        'after the run',
      );
    }),
);

// ---------------------------------------------------------------------------------------------------------
// 4-7: the master, or syncmail, killed or frozen mid-transfer

/** Two mailboxes of 4 × 100 kB each, fetched at 200 kB/s: about 2 s per fetch. */
async function twoSlowBoxes(b: Bench, seed: number): Promise<Box[]> {
  return [
    await b.box({ name: 'a', rsyncArgs: SLOW }, big(4, seed, 'a')),
    await b.box({ name: 'b', rsyncArgs: SLOW }, big(4, seed + 1, 'b')),
  ];
}

tests(
  '4 the master SIGKILLed mid-transfer: the retry goes around it, exit 0, nothing lost or doubled',
  ({ sshd }) =>
    bench(sshd, 'par4', async (b) => {
      const boxes = await twoSlowBoxes(b, 401);
      b.configure({ jobs: 4, retries: 1, retryDelay: 0.2 });
      const monitor = new Monitor(boxes);
      try {
        const from = sshd.log().length;
        const run = b.start();
        const master = await b.untilMidTransfer(run, boxes);
        signal(master.pid, 'SIGKILL');
        const r = await run.done;
        // 0, not 75: the passes cut by the master's death fail as a dropped connection (transient), and
        // their one retry finds the socket dead (`ssh -O check` fails), connects on its own and completes;
        // the mailboxes then finish (deliver, remove) like any other.
        assert.is(r.code, 0, told(r));
        const retries = events(b, 'retry');
        assert.equal(
          retries.map((x) => [x['mailbox'], x['pass']]).sort(),
          [
            ['a', 'fetch'],
            ['b', 'fetch'],
          ],
          'both fetches were cut and retried',
        );
        // The master's connection carried the two fetches; the two retries and the two remove passes went
        // around it, each on a connection of its own.
        const use = sshdUse(sshd, from);
        assert.is(use.connections.length, 5, `5 connections:\n${use.text}`);
        assert.equal(
          use.connections.map((port) => use.sessions.get(port)),
          [2, 1, 1, 1, 1],
          use.text,
        );
        // Every message exactly once: the first run ended 0, so every one is local and none on the server.
        assertAllLocal(boxes, 'after the run');
        b.configure({ jobs: 4, retries: 1, retryDelay: 0.2 }, []);
        const again = await b.run();
        assert.is(again.code, 0, told(again));
        assert.equal(
          events(b, 'mailbox-end')
            .slice(2)
            .map((x) => [x['mailbox'], x['delivered'], x['removed']])
            .sort(),
          [
            ['a', 0, 0],
            ['b', 0, 0],
          ],
          'the second run had nothing left to do',
        );
        assertAllLocal(boxes, 'after a second run');
        assertNoProblems(monitor.stop(), 'seen during the runs');
        assert.not.ok(alive(master.pid), 'the killed master is gone');
        // The second run made and ended a master of its own. (The killed one's socket file stays: a
        // SIGKILLed ssh cannot remove it, and `ssh -O exit` at the end of the run finds no master there.)
        await assertNoMaster(b, { socket: master.socket });
      } finally {
        monitor.stop();
      }
    }),
);

// At a044bc8 this case fails: the stalled passes never end while the master is frozen (see the message).
tests(
  '5 the master frozen mid-transfer (ioTimeout 10): the retry bypasses it, everything delivered once',
  ({ sshd }) =>
    bench(sshd, 'par5', async (b) => {
      const boxes = await twoSlowBoxes(b, 501);
      b.configure({ jobs: 4, retries: 1, retryDelay: 0.2, ioTimeout: 10 });
      const monitor = new Monitor(boxes);
      let frozen: number | undefined;
      try {
        const run = b.start();
        const master = await b.untilMidTransfer(run, boxes);
        frozen = master.pid;
        signal(master.pid, 'SIGSTOP');
        // The passes the freeze caught: both fetches, through the master (rsync and its receiver).
        const rsyncs = b.rsyncsUsing(master.socket);
        const caught = rsyncs.map((p) => p.pid);
        assert.equal(
          boxes.map((x) => rsyncs.some((p) => p.argv.some((a) => a.includes(x.server)))),
          [true, true],
          'both fetches go through the master',
        );
        // Their watchdog stops them after ioTimeout (10 s without progress, checked every 2.5 s).
        assert.ok(
          await waitFor(() => run.exited || caught.every((pid) => !alive(pid)), 30_000, 50),
          'the stalled passes were stopped',
        );
        // A stopped pass is a transient failure, retried at once (its pause is 0.2 s): 5 s is plenty.
        const retried = () => events(b, 'retry').length >= boxes.length;
        if (!(await waitFor(() => run.exited || retried(), 5000, 20))) {
          // Stuck: say on what. The stalled passes' rsync is gone, yet they never end: the frozen master
          // holds the other end of syncmail's pipes (ssh hands a mux client's stdin, stdout and stderr to
          // the master, and rsync's stderr is syncmail's pipe), so syncmail never sees them close.
          const held = await sharedSockets(master.pid, run.pid);
          signal(master.pid, 'SIGCONT');
          const thawed = await waitFor(retried, 5000, 20);
          assert.unreachable(
            `the stalled passes' rsync exited, but no retry came within 5 s while the master (pid ${master.pid}) was frozen: the run hangs. The frozen master holds syncmail's sockets: ${held.join(', ') || '(ss not available)'}; after a SIGCONT of the master ${thawed ? 'the retries came at once' : 'still no retry'}`,
          );
          return;
        }
        const r = await within(run.done, 30_000);
        assert.ok(r !== undefined, 'the run ended (30 s after the retries)');
        assert.is(r?.code, 0, r && told(r));
        assert.equal(
          events(b, 'retry')
            .map((x) => [x['mailbox'], x['pass'], x['reason']])
            .sort(),
          [
            ['a', 'fetch', 'stalled'],
            ['b', 'fetch', 'stalled'],
          ],
          'the two fetches stalled and were retried',
        );
        assertAllLocal(boxes, 'after the run');
        assertNoProblems(monitor.stop(), 'seen during the run');
        // Still stopped: every byte after the freeze went around the master.
        assert.is(procState(master.pid), 'T', 'the master stayed frozen through the run');
      } finally {
        monitor.stop();
        if (frozen !== undefined) {
          signal(frozen, 'SIGCONT');
          signal(frozen, 'SIGKILL');
          const pid = frozen;
          await waitFor(() => !alive(pid), 3000);
        }
      }
      assert.not.ok(alive(frozen as number), 'the frozen master is gone');
      // The run's only master was the frozen one; no other ssh of it is left.
      await waitFor(() => b.sshProcs().length === 0, 3000, 20);
      assert.equal(b.sshProcs(), [], 'no ssh of the run is left');
    }),
);

tests(
  '6 syncmail SIGKILLed mid-transfer: the master holds no lock; the next run delivers everything once',
  ({ sshd }) =>
    bench(sshd, 'par6', async (b) => {
      const boxes = await twoSlowBoxes(b, 601);
      b.configure({ jobs: 4, retries: 1, retryDelay: 0.2 });
      const monitor = new Monitor(boxes);
      let master: number | undefined;
      try {
        const run = b.start();
        const m = await b.untilMidTransfer(run, boxes);
        master = m.pid;
        signal(run.pid, 'SIGKILL'); // node alone: rsync, in its own session, and the master live on
        const killed = await run.done;
        assert.is(killed.signal, 'SIGKILL', told(killed));
        assert.ok(alive(m.pid), 'the master outlives syncmail');
        assert.ok(
          b.sshProcs().some((p) => p.pid === m.pid),
          'the /proc scan finds the master by its socket',
        );
        const mine = [b.stateDir, ...boxes.flatMap((x) => [x.local, x.server])];
        const held = openFiles(m.pid).filter((f) =>
          mine.some((d) => f === d || f.startsWith(`${d}/`)),
        );
        assert.equal(held, [], "the master holds none of syncmail's files (locks)");
        b.configure({ jobs: 4, retries: 1, retryDelay: 0.2 }, []);
        const r = await b.run(['--wait', '30']);
        assert.is(r.code, 0, told(r));
        assertAllLocal(boxes, 'after the second run');
        assertNoProblems(monitor.stop(), 'seen during the runs');
        // The second run ended its own master, and the first run's too: its process is gone, so the
        // second run reaped its socket (ssh -O exit) before it began.
        await waitFor(() => !alive(m.pid), 3000, 20);
        assert.not.ok(alive(m.pid), "the first run's master was reaped by the second run");
        await assertNoMaster(b);
      } finally {
        monitor.stop();
        if (master !== undefined) signal(master, 'SIGKILL');
      }
      const pid = master as number;
      await waitFor(() => !alive(pid), 3000);
      assert.not.ok(alive(pid), 'the leftover master is gone');
    }),
);

tests(
  '7 SIGINT with jobs 2: the 2 running mailboxes finish, the 2 others are skipped, no master left',
  ({ sshd }) =>
    bench(sshd, 'par7', async (b) => {
      const boxes: Box[] = [];
      for (const [i, name] of ['a', 'b', 'c', 'd'].entries())
        boxes.push(await b.box({ name, rsyncArgs: SLOW }, big(4, 701 + i, name)));
      const [a, bb, c, d] = boxes as [Box, Box, Box, Box];
      b.configure({ jobs: 2, retries: 1, retryDelay: 0.2 });
      const monitor = new Monitor(boxes);
      try {
        const run = b.start();
        await b.untilMidTransfer(run, [a, bb]);
        process.kill(-run.pid, 'SIGINT'); // what a terminal's Ctrl-C does
        const r = await run.done;
        assert.is(r.signal, 'SIGINT', `death by SIGINT (130): ${told(r)}`);
        const end = events(b, 'run-end');
        assert.equal(
          end.map((x) => [x['code'], x['signal']]),
          [[130, 'SIGINT']],
        );
        const interrupted = events(b, 'interrupted');
        assert.equal(
          interrupted.map((x) => [x['signal'], x['forced'], x['skipped']]),
          [['SIGINT', false, ['c', 'd']]],
        );
        assert.equal(
          events(b, 'mailbox-start').map((x) => x['mailbox']),
          ['a', 'b'],
          'c and d never started',
        );
        assertNoProblems([...allLocal(a), ...allLocal(bb)], 'the 2 running mailboxes finished');
        assertNoProblems([...untouched(c), ...untouched(d)], 'the 2 skipped are untouched');
        assertNoProblems(monitor.stop(), 'seen during the run');
        await assertNoMaster(b);
      } finally {
        monitor.stop();
      }
    }),
);

tests.run();
