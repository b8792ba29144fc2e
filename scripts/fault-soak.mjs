#!/usr/bin/env node
// The fault-injection scenarios of test/e2e/faults.test.ts, bigger, with a table of figures at the end.
// Shares its scenario code with the test (test/helpers/faults.ts), so it needs tsx and the build:
//
//   npm run build && node --import tsx scripts/fault-soak.mjs [options]
//
//   --runs N        runs killed per variant in scenarios 1 and 10 (default 40); rounds in scenario 4 (N/5,
//                   at least 4)
//   --messages N    messages per variant in scenarios 1 and 10 (default 1000; in 10 dealt out to 3 mailboxes)
//   --big N         multi-MB messages among them (default 10)
//   --seconds N     how long the MDA of scenario 3 delivers (default 60)
//   --repeat N      passes over the server-side faults of scenario 2 (default 3)
//   --seed N        the seed (default: SYNCMAIL_FAULT_SEED or a fresh one; printed)
//   --only LIST     comma-separated scenarios: 1a,1b,1c,1d,2,3,4,5a,5b,6,7a,7b,7c,8,9a,9b,9c,9d,10 (default
//                   all; 9 is the routing rules: 9a random kills, 9b a kill at every step, 9c rules changed
//                   after a cut, 9d a full disk; "9" runs all four; 10 is three mailboxes at once over one
//                   shared ssh connection, random kills of its master, of syncmail, its group, everything)
//   --verbose       print every kill as it happens
//
// Every scenario runs once per test rsync as the client, against the other one as the server, as in
// test/e2e/faults.test.ts (the rsyncs come from test/helpers/rsyncs.ts: the system one and .rsync/).
//
// Exit status 1 when any scenario had a problem (lost, duplicated, stranded, ...) or was skipped. Temp dirs
// are removed at the end, a failed scenario's too; SYNCMAIL_KEEP_TMP=1 keeps them all and prints their paths.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  badCount,
  CLI,
  changedVersionStillOnServer,
  collisions,
  concurrentRuns,
  formatTable,
  fullDisk,
  haveStrace,
  mdaWhileSyncing,
  pickSeed,
  Rng,
  randomKills,
  recoveryStates,
  ruleChange,
  serverFaults,
  stepKills,
  wipedTmp,
} from '../test/helpers/faults.ts';
import { RULES_A } from '../test/helpers/routed-mail.ts';
import { crossPairs, testRsyncs } from '../test/helpers/rsyncs.ts';
import { startSshd } from '../test/helpers/sshd.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    messages: { type: 'string', default: '1000' },
    big: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '60' },
    repeat: { type: 'string', default: '3' },
    seed: { type: 'string' },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: node --import tsx scripts/fault-soak.mjs [--runs N] [--messages N] [--big N] [--seconds N] [--repeat N] [--seed N] [--only 1a,2,...] [--verbose]\n',
  );
  process.exit(0);
}
const num = (name) => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`fault-soak: --${name} expects a whole number, got ${values[name]}\n`);
    process.exit(2);
  }
  return v;
};
const runs = num('runs');
const messages = num('messages');
const big = num('big');
const seconds = num('seconds');
const repeat = num('repeat');
const seed = values.seed !== undefined ? Number(values.seed) : pickSeed();
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const want = (id) => only === undefined || only.has(id) || only.has(id.replace(/[a-z]$/, ''));

if (!existsSync(CLI)) {
  process.stderr.write(`fault-soak: ${CLI} is missing; run npm run build first\n`);
  process.exit(2);
}

const log = (line) => {
  if (values.verbose || /PROBLEM|VIOLATION|SKIP|kept|KEEP_TMP|seed/.test(line))
    process.stdout.write(`${line}\n`);
};
const rng = new Rng(seed);
const seeds = Object.fromEntries(
  [
    'a',
    'b',
    'c',
    'server',
    'mda',
    'conc',
    'grow',
    'del',
    'names',
    'recovery',
    'steps',
    'changed',
    'wipe',
    'routeKills',
    'routeSteps',
    'routeChange',
    'routeDisk',
    'parallel',
  ].map((k) => [k, rng.child()]),
);
process.stdout.write(
  `fault-soak: seed ${seed}; runs ${runs}, messages ${messages} (${big} big), MDA ${seconds} s, server faults ×${repeat}\n`,
);

const started = Date.now();
const all = [];
const pairs = crossPairs(testRsyncs());
const sshd = await startSshd();
const scenario = async (id, fn) => {
  if (!want(id)) return;
  for (const rsync of pairs) {
    const t = Date.now();
    process.stdout.write(`\n== ${id} [${rsync.label}] ...\n`);
    const fig = await fn(rsync);
    all.push(fig);
    process.stdout.write(
      `== ${id}: ${fig.skipped ? `SKIPPED (${fig.skipped})` : badCount(fig) === 0 ? 'ok' : `${fig.problems.length} PROBLEM(S)`} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`,
    );
    for (const p of fig.problems.slice(0, 40)) process.stdout.write(`   ${p}\n`);
  }
};
try {
  const killOpts = {
    sshd,
    kills: runs,
    messages,
    big,
    bigMin: 1_000_000,
    bigMax: 3_000_000,
    bwlimit: 4000,
    minDelayMs: 300,
    maxDelayMs: 4000,
    log,
  };
  await scenario('1a', (rsync) =>
    randomKills({ ...killOpts, rsync, seed: seeds.a, kind: 'syncmail' }),
  );
  await scenario('1b', (rsync) =>
    randomKills({ ...killOpts, rsync, seed: seeds.b, kind: 'group' }),
  );
  await scenario('1c', (rsync) => randomKills({ ...killOpts, rsync, seed: seeds.c, kind: 'all' }));
  await scenario('1d', (rsync) =>
    randomKills({
      ...killOpts,
      rsync,
      seed: seeds.wipe,
      kind: 'all',
      name: '1d all, tmp/ wiped',
      wipeTmp: 0.5,
    }),
  );
  await scenario('2', (rsync) =>
    serverFaults({ sshd, rsync, seed: seeds.server, repeat, messages: 60, big: 4, log }),
  );
  await scenario('3', (rsync) =>
    mdaWhileSyncing({ sshd, rsync, seed: seeds.mda, seconds, rate: 40, killChance: 0.4, log }),
  );
  await scenario('4', (rsync) =>
    concurrentRuns({
      sshd,
      rsync,
      seed: seeds.conc,
      rounds: Math.max(4, Math.round(runs / 5)),
      procs: 6,
      perRound: 40,
      log,
    }),
  );
  await scenario('5a', (rsync) =>
    fullDisk({ sshd, rsync, seed: seeds.grow, free: 'grow', big: 11, small: 40, log }),
  );
  await scenario('5b', (rsync) =>
    fullDisk({ sshd, rsync, seed: seeds.del, free: 'delete', big: 11, small: 40, log }),
  );
  await scenario('6', (rsync) => collisions({ sshd, rsync, seed: seeds.names, log }));
  await scenario('7a', (rsync) => recoveryStates({ rsync, seed: seeds.recovery, log }));
  await scenario('7b', (rsync) => changedVersionStillOnServer({ rsync, seed: seeds.changed, log }));
  await scenario('7c', (rsync) => wipedTmp({ rsync, seed: seeds.recovery, log }));
  const strace = await haveStrace();
  if (strace)
    await scenario('8', (rsync) => stepKills({ rsync, seed: seeds.steps, messages: 8, log }));
  else if (want('8')) process.stdout.write('SKIP step kills: strace is not installed\n');
  // Routing rules (test/helpers/routed-mail.ts), for every pair here (the test runs each for one).
  await scenario('9a', (rsync) =>
    randomKills({
      ...killOpts,
      rsync,
      seed: seeds.routeKills,
      kind: 'syncmail',
      kinds: ['syncmail', 'group', 'all'],
      name: '9a routed, syncmail/group/all',
      routing: RULES_A,
      targets: ['time', 'fetch', 'deliver', 'deliver', 'deliver', 'remove'],
      wipeTmp: 0.2,
    }),
  );
  if (strace) {
    await scenario('9b', (rsync) =>
      stepKills({
        rsync,
        seed: seeds.routeSteps,
        messages: 9,
        syscalls: ['link', 'rename', 'unlink', 'write', 'fsync'],
        routing: RULES_A,
        name: '9b routed, kill at every step',
        log,
      }),
    );
    await scenario('9c', (rsync) =>
      ruleChange({
        rsync,
        seed: seeds.routeChange,
        cuts: [
          { at: 'fetch' },
          ...Array.from({ length: 14 }, (_, i) => ({ at: 'rename', nth: i + 1 })),
          ...Array.from({ length: 6 }, (_, i) => ({ at: 'link', nth: i + 1 })),
        ],
        log,
      }),
    );
  } else if (want('9b') || want('9c'))
    process.stdout.write('SKIP routed step kills and rule changes: strace is not installed\n');
  await scenario('9d', (rsync) =>
    fullDisk({
      sshd,
      rsync,
      seed: seeds.routeDisk,
      free: 'delete',
      big: 11,
      small: 40,
      routing: RULES_A,
      name: '9d full disk (delete), routed',
      log,
    }),
  );
  // Parallel mailboxes over one shared ssh connection (test/e2e/faults.test.ts, scenario 10).
  await scenario('10', (rsync) =>
    randomKills({
      ...killOpts,
      rsync,
      seed: seeds.parallel,
      kind: 'master',
      kinds: ['master', 'syncmail', 'all', 'group'],
      name: '10 parallel, shared ssh',
      boxes: ['inbox', 'lists', 'work'],
      jobs: 3,
      shareConnection: true,
    }),
  );
} finally {
  await sshd.stop();
}

process.stdout.write(
  `\n${formatTable(all)}\n\nseed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s in all\n`,
);
const bad = all.filter((f) => badCount(f) > 0 || f.skipped !== undefined);
if (bad.length > 0) {
  process.stdout.write(`NOT OK: ${bad.map((f) => f.name).join(', ')}\n`);
  process.exitCode = 1;
}
