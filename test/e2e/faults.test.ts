// Fault injection, CI-sized: SIGKILLs at random moments (syncmail, its group, everything), the server side
// killed or frozen mid-transfer, an MDA delivering during syncs, concurrent runs, a full local disk, name
// collisions, hand-built recovery states, a kill before every link/rename/unlink, (9a-9d) such faults
// with routing rules delivering into folders, the rules also changed between a cut run and the next, and
// (10) random kills of mailboxes synced in parallel over one shared ssh connection, its master too. After
// each, one clean run must leave every message exactly once locally (in each folder its rules chose, and
// no other), byte-identical, and nothing anywhere else; a monitor checks all along that nothing left the
// server before it was local. The scenarios live in test/helpers/faults.ts; scripts/fault-soak.mjs runs
// them bigger.
//
// Every scenario runs once per test rsync as the client, against another one as the server (with two
// versions: client 3.2.7 / server 3.5.0, then client 3.5.0 / server 3.2.7), so each version is exercised at
// both ends without running the long scenarios for all four pairs; the routing ones (9a-9d) run for one
// pair each (see there), and so does 10. Scenarios with a local-path remote have no server rsync: rsync
// plays both ends itself.
//
// Needs the build (npm run build): the runs are real `node dist/cli.js` processes, so they can be SIGKILLed.
// SYNCMAIL_FAULT_SEED=N repeats a run's random choices (the timing of a real machine still varies).
import { mkdtemp, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  badCount,
  CLI,
  changedVersionStillOnServer,
  collisions,
  concurrentRuns,
  type Figures,
  formatTable,
  fullDisk,
  haveStrace,
  mdaWhileSyncing,
  mountTmpfs,
  pickSeed,
  Rng,
  randomKills,
  recoveryStates,
  rsyncSuffix,
  ruleChange,
  serverFaults,
  stepKills,
  wipedTmp,
} from '../helpers/faults.js';
import { RULES_A } from '../helpers/routed-mail.js';
import { pairsOrFailingTest, type RsyncPair } from '../helpers/rsyncs.js';
import { type Sshd, withSshd } from '../helpers/sshd.js';

const seed = pickSeed();
console.log(`\n  faults: seed ${seed} (SYNCMAIL_FAULT_SEED=${seed} repeats these choices)`);
const rng = new Rng(seed);
// One seed per scenario, drawn in a fixed order, so each reproduces whichever tests run.
const seeds = {
  a: rng.child(),
  b: rng.child(),
  c: rng.child(),
  server: rng.child(),
  mda: rng.child(),
  conc: rng.child(),
  grow: rng.child(),
  del: rng.child(),
  names: rng.child(),
  recovery: rng.child(),
  steps: rng.child(),
  changed: rng.child(),
  wipe: rng.child(),
  routeKills: rng.child(),
  routeSteps: rng.child(),
  routeChange: rng.child(),
  routeDisk: rng.child(),
  parallel: rng.child(),
};

const log = (line: string): void => {
  if (
    process.env['SYNCMAIL_FAULT_VERBOSE'] === '1' ||
    /PROBLEM|VIOLATION|SKIP|kept|KEEP_TMP/.test(line)
  )
    console.log(`  ${line}`);
};

/** Whether a tmpfs can be mounted here (root, and mount allowed in this container). */
async function mountProblem(): Promise<string | undefined> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'syncmail-mount-probe-'));
  try {
    const why = await mountTmpfs(dir, '1m');
    if (why === undefined) await execa('umount', [dir]);
    return why;
  } finally {
    await rmdir(dir).catch(() => undefined);
  }
}
const noMount = await mountProblem();
const noStrace = (await haveStrace()) ? undefined : 'strace is not installed';

const all: Figures[] = [];

function check(fig: Figures): void {
  all.push(fig);
  assert.is(fig.skipped, undefined, `${fig.name} could not run: ${fig.skipped ?? ''}`);
  if (fig.problems.length > 0)
    console.log(
      `\n  ${fig.name} (seed ${fig.seed}):\n    ${fig.problems.slice(0, 30).join('\n    ')}`,
    );
  assert.equal(
    fig.problems,
    [],
    `${fig.name}: ${fig.problems.length} problem(s), seed ${fig.seed}`,
  );
  assert.is(badCount(fig), 0, `${fig.name}: lost/duplicated/stranded/junk figures`);
  assert.is(fig.lost + fig.duplicated + fig.resurrected + fig.violations, 0);
}

/**
 * What the random-kill scenarios (1a-1d, 10) share: multi-MB messages among the small ones, and a
 * bandwidth limit and kill delays that make the kills land mid-transfer.
 */
const KILL_PACE = {
  bigMin: 1_000_000,
  bigMax: 3_000_000,
  bwlimit: 2500,
  minDelayMs: 300,
  maxDelayMs: 2500,
  log,
} as const;

/** Some kills of a random-kill scenario landed in a transfer, and the reader did something. */
function checkKillsHitTransfers(fig: Figures): void {
  assert.ok(
    (fig.phases['fetch'] ?? 0) + (fig.phases['remove'] ?? 0) >= 1,
    `some kills landed in a transfer: ${JSON.stringify(fig.phases)}`,
  );
  assert.ok(fig.readerMoved + fig.readerDeleted > 0, 'the reader did something');
}

const faults = suite<{ sshd: Sshd }>('fault injection', {} as { sshd: Sshd });

withSshd(faults, [CLI]);
faults.after(() => {
  if (all.length > 0) console.log(`\n${formatTable(all)}\n`);
});

// SYNCMAIL_FAULTS_ONLY=REGEX runs only the scenarios whose title matches (for working on one of them).
const only = process.env['SYNCMAIL_FAULTS_ONLY'];
const ONLY = only === undefined || only === '' ? undefined : new RegExp(only);

const PAIRS = pairsOrFailingTest('cross', (title, fn) => faults(title, fn));

/**
 * Registers a scenario once per pair of PAIRS, or only for PAIRS[onePair] (round the list) where running
 * it for every pair would cost more CI time than what it tests depends on the rsyncs; its name says the
 * pair (`viaSsh`: false for a local-path remote).
 */
function scenario(
  title: string,
  fn: (ctx: { sshd: Sshd }, rsync: RsyncPair) => Promise<void>,
  viaSsh = true,
  onePair?: number,
): void {
  if (ONLY !== undefined && !ONLY.test(title)) return;
  const one = onePair === undefined ? undefined : PAIRS[onePair % PAIRS.length];
  for (const rsync of one === undefined ? PAIRS : [one])
    faults(`${title}${rsyncSuffix(rsync, viaSsh)}`, (ctx) => fn(ctx, rsync));
}

for (const [kind, key, label] of [
  ['syncmail', 'a', 'syncmail alone'],
  ['group', 'b', "syncmail's process group (rsync survives as an orphan holding the lock)"],
  ['all', 'c', "everything: syncmail plus rsync's session"],
] as const) {
  scenario(
    `1${key}. random SIGKILL of ${label}, a reader moving and deleting mail between runs`,
    async ({ sshd }, rsync) => {
      const fig = await randomKills({
        sshd,
        rsync,
        seed: seeds[key],
        kind,
        kills: 8,
        messages: 150,
        big: 4,
        ...KILL_PACE,
      });
      check(fig);
      assert.is(
        fig.kills[kind],
        8,
        `8 runs killed (${fig.counts['finished before the kill'] ?? 0} others ended first)`,
      );
      checkKillsHitTransfers(fig);
    },
  );
}

scenario(
  '1d. random SIGKILL of everything, and a tmp/ cleaner deleting everything under the local tmp/ at random points between runs, a reader moving and deleting mail',
  async ({ sshd }, rsync) => {
    const fig = await randomKills({
      sshd,
      rsync,
      seed: seeds.wipe,
      kind: 'all',
      name: '1d all, tmp/ wiped',
      kills: 6,
      messages: 120,
      big: 3,
      ...KILL_PACE,
      wipeTmp: 0.5,
    });
    check(fig);
    assert.is(fig.kills['all'], 6, '6 runs killed');
    assert.ok((fig.counts['tmp/ wiped'] ?? 0) >= 1, `tmp/ wiped: ${JSON.stringify(fig.counts)}`);
    assert.ok(fig.readerMoved + fig.readerDeleted > 0, 'the reader did something');
  },
);

scenario(
  '2. server side killed during a fetch and a remove pass, and frozen (black hole): exit 75 or 0, then a clean run fixes it',
  async ({ sshd }, rsync) => {
    const fig = await serverFaults({
      sshd,
      rsync,
      seed: seeds.server,
      repeat: 1,
      messages: 25,
      big: 3,
      log,
    });
    check(fig);
    assert.ok((fig.kills['server'] ?? 0) >= 3, `server side killed: ${JSON.stringify(fig.kills)}`);
    assert.ok((fig.kills['blackhole'] ?? 0) >= 1, `server frozen: ${JSON.stringify(fig.kills)}`);
    assert.ok((fig.exitCodes['75'] ?? 0) >= 2, `exit 75 seen: ${JSON.stringify(fig.exitCodes)}`);
  },
);

scenario(
  '3. an MDA delivers on the server continuously while syncs run, some killed: all mail arrives exactly once',
  async ({ sshd }, rsync) => {
    const fig = await mdaWhileSyncing({
      sshd,
      rsync,
      seed: seeds.mda,
      seconds: 15,
      rate: 25,
      killChance: 0.4,
      log,
    });
    check(fig);
    assert.ok(fig.messages >= 100, `the MDA delivered ${fig.messages}`);
    assert.ok(fig.runs >= 6, `${fig.runs} runs`);
  },
);

scenario(
  '4. four syncmail processes at once on two mailboxes: losers exit 75 silently under --quiet, with --wait all exit 0',
  async ({ sshd }, rsync) => {
    const fig = await concurrentRuns({
      sshd,
      rsync,
      seed: seeds.conc,
      rounds: 4,
      procs: 4,
      perRound: 15,
      log,
    });
    check(fig);
    assert.ok(
      (fig.counts['busy (75)'] ?? 0) >= 1,
      `no run was ever busy: ${JSON.stringify(fig.exitCodes)}`,
    );
    assert.ok((fig.exitCodes['0'] ?? 0) >= 8, 'the --wait rounds all exit 0');
  },
);

if (noMount !== undefined) {
  console.log(`  SKIP full-disk: ${noMount}`);
  faults.skip('5. full local disk (SKIPPED: cannot mount a tmpfs here)', () => undefined);
} else {
  scenario(
    '5a. full local disk (3 MB tmpfs): exit 74 naming the full disk, nothing removed that is not local; after the disk grows a clean run finishes',
    async ({ sshd }, rsync) => {
      const fig = await fullDisk({
        sshd,
        rsync,
        seed: seeds.grow,
        free: 'grow',
        big: 11,
        small: 20,
        log,
      });
      check(fig);
      assert.is(fig.exitCodes['74'], 1);
    },
  );
  scenario(
    '5b. full local disk: after the reader deletes the local mail, later runs finish the move',
    async ({ sshd }, rsync) => {
      const fig = await fullDisk({
        sshd,
        rsync,
        seed: seeds.del,
        free: 'delete',
        big: 11,
        small: 20,
        log,
      });
      check(fig);
      assert.ok((fig.exitCodes['74'] ?? 0) >= 1);
    },
  );
}

scenario(
  '6. name collisions: same content → removed from the server ("exists"); different → kept there, 65 ("conflict"); onConflict rename → fresh name',
  async ({ sshd }, rsync) => {
    const fig = await collisions({ sshd, rsync, seed: seeds.names, log });
    check(fig);
    assert.ok((fig.exitCodes['65'] ?? 0) >= 2);
    assert.ok((fig.counts['exists records'] ?? 0) >= 3);
    assert.ok((fig.counts['conflict records'] ?? 0) >= 4);
  },
);

scenario(
  '7. recovery states built by hand: staged, journaled intents with and without the renaming marker, delivered-then-deleted, changed on the server, a torn journal line, stale temp and partial files',
  async (_ctx, rsync) => {
    const fig = await recoveryStates({ rsync, seed: seeds.recovery, log });
    check(fig);
  },
  false,
);

scenario(
  '7b. delivered, then changed on the server before the remove pass: the new version arrives once beside the old, exit 0',
  async (_ctx, rsync) => {
    const fig = await changedVersionStillOnServer({ rsync, seed: seeds.changed, log });
    check(fig);
    assert.is(fig.counts['local copies of v2'], 1);
  },
  false,
);

scenario(
  '7c. intents journaled, then everything under tmp/ wiped by a cleaner: undone and fetched again, none lost',
  async (_ctx, rsync) => {
    const fig = await wipedTmp({ rsync, seed: seeds.recovery, log });
    check(fig);
  },
  false,
);

if (noStrace !== undefined) {
  console.log(`  SKIP step kills: ${noStrace}`);
  faults.skip(
    '8. a SIGKILL before every rename, journal write, fsync and unlink (SKIPPED: no strace)',
    () => undefined,
  );
} else {
  scenario(
    '8. a SIGKILL before every rename, journal write, fsync and unlink syncmail makes, and a failing flush; the reader reads and deletes every delivered message in between',
    async (_ctx, rsync) => {
      const fig = await stepKills({ rsync, seed: seeds.steps, messages: 4, log });
      check(fig);
      for (const s of ['rename', 'write', 'fsync', 'unlink'])
        assert.ok((fig.phases[s] ?? 0) >= 3, `kills before ${s}: ${JSON.stringify(fig.phases)}`);
    },
    false,
  );
}

// Routing rules (routed-mail.ts: five folders, a copy with and one without seen, the trash, INBOX): the
// same faults with mail delivered into folders. Where a message goes is syncmail's own work, the same
// whichever rsyncs move it, so each of these runs for one pair only (both pairs are covered, two
// scenarios each), which keeps them within CI's time; scripts/fault-soak.mjs runs them for every pair.
scenario(
  '9a. routing rules: random SIGKILL of syncmail alone and of its process group while rules route mail into five folders (copies, seen, trash), a reader moving and deleting in every folder',
  async ({ sshd }, rsync) => {
    const fig = await randomKills({
      sshd,
      rsync,
      seed: seeds.routeKills,
      kind: 'syncmail',
      kinds: ['syncmail', 'group'],
      name: '9a routed, syncmail/group',
      routing: RULES_A,
      // Half the kills aimed at the delivery, where the copies are linked and the messages renamed.
      targets: ['time', 'fetch', 'deliver', 'deliver', 'deliver', 'remove'],
      kills: 6,
      messages: 70,
      big: 2,
      bigMin: 800_000,
      bigMax: 1_500_000,
      bwlimit: 2500,
      minDelayMs: 200,
      maxDelayMs: 2000,
      log,
    });
    check(fig);
    assert.is((fig.kills['syncmail'] ?? 0) + (fig.kills['group'] ?? 0), 6, '6 runs killed');
    assert.ok((fig.kills['group'] ?? 0) >= 3, `group kills: ${JSON.stringify(fig.kills)}`);
    assert.ok(fig.readerMoved + fig.readerDeleted > 0, 'the reader did something');
  },
  true,
  0,
);

if (noStrace !== undefined) {
  console.log(`  SKIP routed step kills and rule changes: ${noStrace}`);
  faults.skip(
    '9b/9c. routing rules: kills at every link and rename, rules changed after a cut (SKIPPED: no strace)',
    () => undefined,
  );
} else {
  scenario(
    '9b. routing rules: a SIGKILL before every link and rename syncmail makes (folders created, copies linked, messages renamed into their folders); the reader reads everything and deletes in every folder in between',
    async (_ctx, rsync) => {
      const fig = await stepKills({
        rsync,
        seed: seeds.routeSteps,
        messages: 5,
        syscalls: ['link', 'rename'],
        routing: RULES_A,
        name: '9b routed, kill at every step',
        log,
      });
      check(fig);
      // Two copies linked; five folders' maildirfolder files and four messages renamed into place.
      assert.ok((fig.phases['link'] ?? 0) >= 2, `kills before link: ${JSON.stringify(fig.phases)}`);
      assert.ok(
        (fig.phases['rename'] ?? 0) >= 9,
        `kills before rename: ${JSON.stringify(fig.phases)}`,
      );
    },
    false,
    1,
  );
  scenario(
    '9c. routing rules changed between a cut run and the next: what was journaled finishes where its intent said, the rest goes where the new rules say, never in two folders',
    async (_ctx, rsync) => {
      const fig = await ruleChange({
        rsync,
        seed: seeds.routeChange,
        cuts: [
          { at: 'fetch' },
          { at: 'rename', nth: 1 },
          { at: 'rename', nth: 6 },
          { at: 'link', nth: 1 },
          { at: 'link', nth: 3 },
        ],
        log,
      });
      check(fig);
      assert.is(fig.kills['cut'], 5, `every cut landed: ${JSON.stringify(fig.counts)}`);
      assert.ok((fig.counts['journaled, not yet delivered'] ?? 0) >= 4, JSON.stringify(fig.counts));
      assert.ok((fig.counts['routed by the new rules'] ?? 0) >= 8, JSON.stringify(fig.counts));
    },
    false,
    0,
  );
}

if (noMount !== undefined) {
  faults.skip(
    '9d. routing rules on a full local disk (SKIPPED: cannot mount a tmpfs here)',
    () => undefined,
  );
} else {
  scenario(
    '9d. routing rules on a full local disk (3 MB tmpfs): exit 74, nothing removed that is not in its folder; after the reader deletes in every folder, later runs finish the move',
    async ({ sshd }, rsync) => {
      const fig = await fullDisk({
        sshd,
        rsync,
        seed: seeds.routeDisk,
        free: 'delete',
        big: 11,
        small: 20,
        routing: RULES_A,
        name: '9d full disk (delete), routed',
        log,
      });
      check(fig);
      assert.ok((fig.exitCodes['74'] ?? 0) >= 1);
    },
    true,
    1,
  );
}

// Parallel mailboxes (jobs) over the shared ssh connection (shareConnection: one master for the run's
// passes to a server). The world's XDG_RUNTIME_DIR is in its temp dir, so the master's socket, and so its
// title, name that dir: the kills of everything reach it, and the final check counts it if it is left.
// Syncmail's own work, the same whichever rsyncs move the mail, so one pair only.
scenario(
  '10. parallel mailboxes over one shared ssh connection: three mailboxes of one server at once (jobs 3), random SIGKILLs of the ssh master mid-transfer (the run goes around it, exit 0), of syncmail alone (the master lives on until the next run reaps it), of its group and of everything; a reader in every mailbox',
  async ({ sshd }, rsync) => {
    const kinds = ['master', 'syncmail', 'all', 'group'] as const;
    const fig = await randomKills({
      sshd,
      rsync,
      seed: seeds.parallel,
      kind: 'master',
      kinds,
      // Short: the world's dir is in the master's socket path, which must stay within 89 bytes.
      name: '10 parallel, shared ssh',
      boxes: ['inbox', 'lists', 'work'],
      jobs: 3,
      shareConnection: true,
      kills: 8,
      messages: 180,
      big: 5,
      ...KILL_PACE,
    });
    check(fig);
    for (const kind of kinds)
      assert.is(
        fig.kills[kind],
        2,
        `2 kills of ${kind}: ${JSON.stringify(fig.kills)} (${fig.counts['finished before the kill'] ?? 0} runs ended first)`,
      );
    // Else nothing was shared (a socket path too long, say) and the master kills never happened.
    assert.ok(
      (fig.counts['ssh masters seen'] ?? 0) >= 2,
      `ssh masters seen: ${JSON.stringify(fig.counts)}`,
    );
    // The passes the dead master cut failed, and their retry went around it.
    assert.ok(
      (fig.counts['retries (transfer log)'] ?? 0) >= 1,
      `retries after the master kills: ${JSON.stringify(fig.counts)}`,
    );
    checkKillsHitTransfers(fig);
  },
  true,
  1,
);

faults.run();
