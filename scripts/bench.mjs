#!/usr/bin/env node
// Benchmark: syncmail against the essay's bare rsync command, same messages, same sshd, same run.
//
//   npm run build
//   node --import tsx scripts/bench.mjs [--workloads W1,W2,W3,W4] [--rounds N] [--scale F] [--json]
//   node --import tsx scripts/bench.mjs --scale 0.05                  (a quick try of all four)
//   node --import tsx scripts/bench.mjs --workloads W4 --linear        (is time linear in the count?)
//   node --import tsx scripts/bench.mjs --workloads W1,W2 --netem 50   (also with 50 ms more per round trip)
//
// Workloads (default: all four; --scale F multiplies the message counts, e.g. 0.1: W1 1,000, W3 8×50,
// W4 10,000):
//   W1  10,000 new messages in one mailbox, 2–50 KB each, of which 0.5% (50) are 1–5 MB
//   W2  an empty sync: the server's new/ is empty; start-up and one connection. Also measured in the same
//       rounds: `node -e 0` (N, the start-up floor) and `node dist/cli.js --version` (V)
//   W3  8 mailboxes × 500 messages (2–50 KB) on one server, 8 server and 8 local Maildirs. A is the
//       essay's command run 8 times one after the other (the sum of the 8); syncmail runs once over all 8
//       in one config, in two configurations: "B seq" (top-level `jobs: 1`, `shareConnection: false`)
//       and "B par" (`jobs: 8`, `shareConnection: true`). Those two keys are written for W3 only: a
//       syncmail that does not know them refuses the config (exit 78), and that shows as a failed run
//   W4  100,000 tiny messages (100–1000 bytes) in one mailbox: is syncmail's memory bounded? With
//       --linear: 10k, 50k, 100k and 200k (× --scale), and the time per message at each count
//
// Contenders, each run on its own fresh copy of the same server messages (same names, bytes and mtimes):
//   A  the essay's command: rsync --ignore-existing --info=… --links --safe-links --one-file-system
//      --partial-dir=tmp --recursive --remove-source-files --times -e 'ssh -F CFG -o BatchMode=yes'
//      mail-server:SERVER/new/ LOCAL/new   (cwd = LOCAL)
//   B  syncmail: node dist/cli.js --config CFG --quiet (W3: "B seq" and "B par", above)
//   C  A plus --fsync (the naive durable variant; informative): W1 by default
//   R  B with routing rules (five rules, none of which matches these messages, so each message's header
//      block is read, parsed and every rule asked; all of them land in INBOX, as in B): with --variants
//   N, V  W2's start-up references (above)
// The contenders' order rotates every round (round 1 A,B,C; round 2 B,C,A; …). Before every measured run
// the whole machine is `sync`ed, so no run pays for flushing another run's (or the setup's) dirty pages —
// B's `sync -f` flushes only its own (W3's A: one `sync` before its 8 commands). Times are wall clock,
// spawn to exit; the table shows the median of each contender's successful runs, min–max and the ratio
// to A's median. A run that exits non-zero, or whose messages do not all arrive intact (sha1 and mtime
// of every one; the server's new/ empty), is a failed run: the table says so with its stderr's first
// line, and the script exits 1 at the end. A process a command leaves running after it exits gets one
// second, then is killed and named in the table.
// syncmail runs with XDG_RUNTIME_DIR set to a directory of its run: that is where a shared connection
// (shareConnection, on by default) keeps its ssh master's socket (without it syncmail would fall back to
// /run/user/UID or its state dir). Nothing is left in the caller's own XDG_RUNTIME_DIR.
//
// Memory, client side only (the server-side rsync and sshd are not in the measured process tree):
//   * "max-proc": /usr/bin/time -f %M, the kernel's ru_maxrss: the peak RSS of the largest single process in
//     the tree (exact, not sampled). For A that is an rsync process, for B the node process.
//   * "tree": the tree of processes under /usr/bin/time is found through /proc every 20 ms and the VmRSS of
//     all of them summed; the largest sum is reported (sampled; shared pages count once per process).
//   * per program (node, rsync, ssh): the largest VmHWM seen for one process of that program (VmHWM is
//     the kernel's own high-water mark, read every 20 ms while the process lives).
// A contender of several commands (W3's A) reports the largest of its commands. A shared connection's
// ssh master daemonizes out of the tree; it is found by the socket path in its command line and counted
// in "tree" and per program ("ssh-master/ssh"), but not in max-proc (its rusage is nobody's child's).
// The same 20 ms samples give syncmail's timeline: when the fetch rsync, `sync -f` and the remove rsync
// ran (and, with several mailboxes, how long each step's processes lived in all). Together with the
// transfer log's timestamps that splits syncmail's time into its steps.
//
// --netem MS (root; the kernel needs netem, CONFIG_NET_SCH_NETEM): W1 and W2 run once more, in a network
// namespace whose loopback delays each packet by MS/2 (so MS more per round trip); sshd and every client
// run in that namespace. Without netem a line says so and those runs are skipped.
//
// Everything generated lives in one temp dir (and the test sshd's own, and the --netem namespace), removed
// at the end, also on an error or Ctrl-C (--keep keeps the data dir and prints its path). --json prints
// one object instead of the table: environment, workloads (per workload its summary, ratios, syncmail's
// steps and every run), linear (--linear) and netem (--netem).
//
// scripts/bench/: contenders.mjs (what each contender runs), data.mjs (the messages, the check),
// run.mjs (one measured run), sampler.mjs (the /proc sampler), breakdown.mjs (syncmail's steps),
// report.mjs (summaries, the table), netem.mjs (the namespace), util.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSshd } from '../test/helpers/sshd.ts';
import { contender } from './bench/contenders.mjs';
import { makeMaster } from './bench/data.mjs';
import { probe, removeNamespace, runInside, stopSync } from './bench/netem.mjs';
import { linearity, renderTable, summarize } from './bench/report.mjs';
import { killActive, runOnce, TIME } from './bench/run.mjs';
import { SAMPLE_MS } from './bench/sampler.mjs';
import { alive, firstLine, mb, median, note, pauseSync } from './bench/util.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = fileURLToPath(import.meta.url);

const ALL_WORKLOADS = ['W1', 'W2', 'W3', 'W4'];
/** W1's big messages: this share of the count (at least one from 100 messages on), of these sizes. */
const BIG = { share: 0.005, minSize: 1_000_000, maxSize: 5_000_000 };
const W3_MAILBOXES = 8;
const LINEAR_COUNTS = [10_000, 50_000, 100_000, 200_000];

// ---------------------------------------------------------------------------------------------------------
// Options

function usage() {
  return [
    'usage: node --import tsx scripts/bench.mjs [options]',
    '  --workloads LIST  which workloads, from W1,W2,W3,W4 (default all four; --messages alone selects',
    '                    W1, --tiny or --linear alone W4)',
    '  --rounds N        rounds of every workload (default 3; W4 1)',
    '  --scale F         multiply the default message counts (W1 10000, W3 8×500, W4 100000 and the',
    '                    --linear counts) by F, e.g. 0.1 for a quick try',
    "  --messages N      W1's message count, exactly (default 10000 × scale)",
    '  --min-size B      smallest message of W1 and W3 (default 2000)',
    '  --max-size B      largest message of W1 and W3 (default 50000)',
    "  --tiny N[,N…]     W4's tiny-message count(s), exactly (default 100000 × scale)",
    '  --linear          W4 at 10k, 50k, 100k and 200k (× scale), time per message at each',
    '  --variants LETTERS  contenders, from ABCR (default: W1 ABC, W2 AB, W3 AB, W4 AB; W2 always adds',
    '                    N and V; in W3, B is "B seq" and "B par", and R is not run)',
    '  --netem MS        also run W1 and W2 with MS ms more per round trip (netem in a network',
    '                    namespace; root, and a kernel with netem)',
    '  --seed N          message generator seed (default 1)',
    '  --cli PATH        the syncmail CLI (default dist/cli.js)',
    '  --keep            keep the generated data (its path is printed)',
    '  --json            print one JSON object instead of the table',
  ].join('\n');
}

function intOption(value, name, min) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} wants a whole number >= ${min}, got ${value}`);
  return n;
}

function options() {
  const { values } = parseArgs({
    options: {
      workloads: { type: 'string' },
      rounds: { type: 'string' },
      scale: { type: 'string' },
      messages: { type: 'string' },
      'min-size': { type: 'string' },
      'max-size': { type: 'string' },
      tiny: { type: 'string' },
      linear: { type: 'boolean', default: false },
      variants: { type: 'string' },
      netem: { type: 'string' },
      // internal: this process is the --netem run inside the namespace
      'netem-inside': { type: 'string' },
      seed: { type: 'string' },
      cli: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    process.exit(0);
  }
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(Number.isFinite(scale) && scale > 0))
    throw new Error(`--scale wants a number above 0, got ${values.scale}`);
  const tiny =
    values.tiny === undefined
      ? undefined
      : values.tiny.split(',').map((v) => intOption(v, 'tiny', 1));
  if (tiny && values.linear)
    throw new Error('--tiny and --linear both set the W4 counts: pick one');
  let workloads;
  if (values.workloads !== undefined) {
    workloads = values.workloads
      .split(',')
      .map((w) => w.trim().toUpperCase())
      .filter(Boolean);
    const bad = workloads.filter((w) => !ALL_WORKLOADS.includes(w));
    if (bad.length || workloads.length === 0)
      throw new Error(
        `--workloads: a list from ${ALL_WORKLOADS.join(',')}, got ${values.workloads}`,
      );
    workloads = ALL_WORKLOADS.filter((w) => workloads.includes(w));
  } else if (values.messages !== undefined || tiny || values.linear) {
    workloads = [
      ...(values.messages !== undefined ? ['W1'] : []),
      ...(tiny || values.linear ? ['W4'] : []),
    ];
  } else workloads = ALL_WORKLOADS;
  const minSize = intOption(values['min-size'], 'min-size', 0) ?? 2000;
  const maxSize = intOption(values['max-size'], 'max-size', 0) ?? 50000;
  if (maxSize < minSize) throw new Error('--max-size is below --min-size');
  let variants;
  if (values.variants !== undefined) {
    variants = values.variants.toUpperCase();
    if (!/^[ABCR]+$/.test(variants) || new Set(variants).size !== variants.length)
      throw new Error(`--variants: letters from ABCR, got ${values.variants}`);
  }
  const netem = values.netem === undefined ? undefined : Number(values.netem);
  if (netem !== undefined && !(Number.isFinite(netem) && netem > 0))
    throw new Error(`--netem wants milliseconds above 0, got ${values.netem}`);
  return {
    workloads,
    rounds: intOption(values.rounds, 'rounds', 1),
    scale,
    messages: intOption(values.messages, 'messages', 1),
    minSize,
    maxSize,
    tiny,
    linear: values.linear,
    variants,
    netem,
    netemInside: values['netem-inside'] === undefined ? undefined : Number(values['netem-inside']),
    seed: intOption(values.seed, 'seed', 0) ?? 1,
    cli: path.resolve(values.cli ?? path.join(ROOT, 'dist', 'cli.js')),
    keep: values.keep,
    json: values.json,
    raw: values,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Workloads

/** The contenders of a workload: its default letters or --variants, mapped to its own contenders. */
function contendersOf(key, opts) {
  const defaults = { W1: 'ABC', W2: 'AB', W3: 'AB', W4: 'AB' };
  const letters = [...(opts.variants ?? defaults[key])];
  const keys = letters.flatMap((l) => {
    if (key === 'W3') return l === 'B' ? ['B seq', 'B par'] : l === 'R' ? [] : [l];
    return [l];
  });
  if (key === 'W2') keys.push('N', 'V');
  return keys.map((k) => contender(k, key === 'W3' ? W3_MAILBOXES : 1));
}

const scaled = (n, opts) => Math.max(1, Math.round(n * opts.scale));
const sizes = (spec) => `${spec.minSize}–${spec.maxSize} B`;

/** Every workload to run, in order: { key, title, short, mailboxes: [{ name, spec, seed }], contenders, rounds }. */
function workloadsOf(opts) {
  const out = [];
  const common = (key) => ({
    key,
    contenders: contendersOf(key, opts),
    rounds: opts.rounds ?? (key === 'W4' ? 1 : 3),
  });
  for (const key of opts.workloads) {
    if (key === 'W1') {
      const count = opts.messages ?? scaled(10_000, opts);
      const big = Math.min(count, Math.max(count >= 100 ? 1 : 0, Math.round(count * BIG.share)));
      const spec = { count, minSize: opts.minSize, maxSize: opts.maxSize, host: 'bench.test' };
      spec.big = { count: big, minSize: BIG.minSize, maxSize: BIG.maxSize };
      out.push({
        ...common(key),
        title: `${count} messages in one mailbox: ${count - big} of ${sizes(spec)}${big ? ` + ${big} of ${BIG.minSize / 1e6}–${BIG.maxSize / 1e6} MB` : ''}`,
        short: `${count} msgs`,
        mailboxes: [{ name: 'inbox', spec, seed: opts.seed }],
      });
    } else if (key === 'W2') {
      out.push({
        ...common(key),
        title: "empty sync: nothing in the server's new/ (start-up + one connection)",
        short: 'empty sync',
        mailboxes: [
          {
            name: 'inbox',
            spec: { count: 0, minSize: 0, maxSize: 0, host: 'bench.test' },
            seed: opts.seed,
          },
        ],
      });
    } else if (key === 'W3') {
      const count = scaled(500, opts);
      const spec = { count, minSize: opts.minSize, maxSize: opts.maxSize };
      out.push({
        ...common(key),
        title: `${W3_MAILBOXES} mailboxes × ${count} messages of ${sizes(spec)} on one server; A runs once per mailbox, B once over all ${W3_MAILBOXES}`,
        short: `${W3_MAILBOXES}×${count} msgs`,
        mailboxes: Array.from({ length: W3_MAILBOXES }, (_, i) => ({
          name: `box${i + 1}`,
          spec: { ...spec, host: `box${i + 1}.bench.test` },
          seed: opts.seed + 100 * (i + 1),
        })),
      });
    } else {
      const counts =
        opts.tiny ?? (opts.linear ? LINEAR_COUNTS : [100_000]).map((n) => scaled(n, opts));
      for (const count of counts) {
        const spec = { count, minSize: 100, maxSize: 1000, host: 'bench.test' };
        out.push({
          ...common(key),
          title: `${count} tiny messages of ${sizes(spec)} in one mailbox`,
          short: `${count} tiny`,
          mailboxes: [{ name: 'inbox', spec, seed: opts.seed }],
        });
      }
    }
  }
  return out;
}

/** The arguments of the --netem run inside the namespace: this run's, for W1 and W2 only. */
function netemArgv(opts) {
  const chosen = opts.workloads.filter((w) => w === 'W1' || w === 'W2');
  const pass = ['rounds', 'scale', 'messages', 'min-size', 'max-size', 'variants', 'seed', 'cli'];
  return [
    '--import',
    'tsx',
    SCRIPT,
    '--workloads',
    (chosen.length ? chosen : ['W1', 'W2']).join(','),
    '--netem-inside',
    String(opts.netem),
    '--json',
    ...(opts.keep ? ['--keep'] : []),
    ...pass.flatMap((k) => (opts.raw[k] === undefined ? [] : [`--${k}`, opts.raw[k]])),
  ];
}

// ---------------------------------------------------------------------------------------------------------

function newestUnder(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function describeRun(r) {
  const mem = `max-proc ${mb(r.maxProcRssKb) ?? '-'} MB, tree ${mb(r.treePeakRssKb)} MB, node ${mb(r.peakHwmKb.node) ?? '-'} MB, rsync ${mb(r.peakHwmKb.rsync) ?? '-'} MB`;
  return `${(r.wallMs / 1000).toFixed(3)} s, ${mem}, ${r.ok ? (r.verify ? 'verified' : 'ok') : `FAILED ${r.failure}`}`;
}

async function runWorkload(ctx, w, index) {
  const total = w.mailboxes.reduce((n, m) => n + m.spec.count, 0);
  note(`${w.key} (${w.title}): writing the master copies…`);
  const masterDir = path.join(ctx.base, `master-${index}`);
  for (const m of w.mailboxes)
    m.master = await makeMaster(path.join(masterDir, m.name), m.spec, m.seed);
  const bytes = w.mailboxes.reduce((n, m) => n + m.master.bytes, 0);
  const runs = [];
  const orders = [];
  for (let round = 1; round <= w.rounds; round++) {
    const shift = (round - 1) % w.contenders.length;
    const order = [...w.contenders.slice(shift), ...w.contenders.slice(0, shift)];
    orders.push(order.map((c) => c.key));
    for (const c of order) {
      const r = await runOnce(ctx, { key: `${index}-${w.key}`, mailboxes: w.mailboxes }, c, round);
      runs.push(r);
      note(`${w.key} round ${round} ${c.key}: ${describeRun(r)}`);
    }
  }
  fs.rmSync(masterDir, { recursive: true, force: true });
  for (const m of w.mailboxes) m.master = undefined;
  return {
    key: w.key,
    title: bytes > 0 ? `${w.title} (${(bytes / 1e6).toFixed(1)} MB)` : w.title,
    short: w.short,
    mailboxes: w.mailboxes.length,
    messages: total,
    totalBytes: bytes,
    rounds: w.rounds,
    netem: ctx.netem,
    orders,
    contenders: w.contenders.map((c) => ({ key: c.key, name: c.name })),
    ...summarize(runs, w.contenders),
    runs,
  };
}

async function main() {
  const opts = options();
  if (!fs.existsSync(opts.cli))
    throw new Error(`${opts.cli} not found: run \`npm run build\` first`);
  if (!fs.existsSync(TIME))
    throw new Error(`${TIME} not found (GNU time); this script does not install anything`);
  if (
    opts.cli === path.join(ROOT, 'dist', 'cli.js') &&
    newestUnder(path.join(ROOT, 'src')) > fs.statSync(opts.cli).mtimeMs
  ) {
    note(
      'warning: some src/ file is newer than dist/cli.js; run `npm run build` to measure the current code',
    );
  }
  const plan = workloadsOf(opts);

  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'syncmail-bench-'));
  let sshd;
  let namespace;
  let netemChild;
  const cleanup = () => {
    if (namespace) removeNamespace(namespace);
    namespace = undefined;
    if (!opts.keep) fs.rmSync(base, { recursive: true, force: true });
  };
  let stopping = false;
  const onSignal = (signal) => {
    if (stopping) return;
    stopping = true;
    note(`${signal}: stopping the running command and cleaning up`);
    // The measured command (and what it started, rsync in its own session too), then the netem run;
    // the test sshd and its temp dir go with the helper's exit hook (process.exit below).
    const killed = killActive();
    for (let i = 0; i < 100 && killed.some(alive); i++) pauseSync(20);
    stopSync(netemChild);
    cleanup();
    process.exit(128 + (os.constants.signals[signal] ?? 15));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);

  try {
    let netem;
    if (opts.netem !== undefined && opts.netemInside === undefined) {
      const p = probe(opts.netem);
      namespace = p.ok ? p.name : undefined;
      netem = { ms: opts.netem, available: p.ok, note: p.note };
      note(`netem: ${p.note}`);
    }
    sshd = await startSshd();
    const roundTrips = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      spawnSync('ssh', [...sshd.sshArgs, sshd.hostAlias, 'true'], { stdio: 'ignore' });
      roundTrips.push(performance.now() - t);
    }
    const version = spawnSync(process.execPath, [opts.cli, '--version'], { encoding: 'utf8' });
    const environment = {
      syncmail: firstLine(version.stdout) || `? (--version: exit ${version.status})`,
      rsync:
        /version\s+(\S+)/.exec(
          spawnSync('rsync', ['--version'], { encoding: 'utf8' }).stdout,
        )?.[1] ?? '?',
      node: process.version,
      cpus: os.cpus().length,
      memGb: Math.round(os.totalmem() / 2 ** 30),
      sshRoundTripMs: Math.round(median(roundTrips)),
      memoryMethod: `/usr/bin/time %M (ru_maxrss of the largest process) + /proc VmRSS/VmHWM sampling every ${SAMPLE_MS} ms`,
      cli: opts.cli,
      tempDir: base,
      ...(opts.netemInside !== undefined ? { netemMs: opts.netemInside } : {}),
    };

    const ctx = { base, sshd, cli: opts.cli, root: ROOT, keep: opts.keep, netem: opts.netemInside };
    const workloads = [];
    for (const [index, w] of plan.entries()) workloads.push(await runWorkload(ctx, w, index));
    await sshd.stop();
    sshd = undefined;

    if (namespace) {
      note(`netem: running W1/W2 inside ${namespace}…`);
      const inside = await runInside(namespace, netemArgv(opts), ROOT, (child) => {
        netemChild = child;
      });
      workloads.push(...inside.result.workloads);
      netem.sshRoundTripMs = inside.result.environment.sshRoundTripMs;
      netem.note += `; ssh round trip there: ${netem.sshRoundTripMs} ms`;
    }

    const result = {
      environment,
      ...(netem ? { netem } : {}),
      workloads,
    };
    // W4 at several counts (--linear, or --tiny N,N,…): the time per message at each.
    const linear = linearity(workloads.filter((w) => !w.netem));
    if (linear) result.linear = linear;
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${renderTable(result)}\n`);
    if (opts.keep) note(`data kept in ${base}`);
    if (workloads.some((w) => w.runs.some((r) => !r.ok))) process.exitCode = 1;
  } finally {
    await sshd?.stop();
    cleanup();
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 2;
});
