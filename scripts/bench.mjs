#!/usr/bin/env node
// Benchmark: syncmail against the essay's bare rsync command, same messages, same sshd, same run.
//
//   npm run build
//   node --import tsx scripts/bench.mjs [--messages 10000] [--min-size 2000] [--max-size 50000] [--rounds 3] [--json]
//   node --import tsx scripts/bench.mjs --tiny 100000 [--json]     (many tiny files: is syncmail's memory bounded?)
//
// Variants, each on its own fresh copy of the same server messages (same names, bytes and mtimes):
//   A  the essay's command: rsync --ignore-existing --info=… --links --safe-links --one-file-system
//      --partial-dir=tmp --recursive --remove-source-files --times -e 'ssh -F CFG -o BatchMode=yes'
//      mail-server:SERVER/new/ LOCAL/new   (cwd = LOCAL)
//   B  syncmail: node dist/cli.js --config CFG --quiet
//   C  A plus --fsync (the naive durable variant; informative)
//   R  B with routing rules (RULES below: five rules, none of which matches these messages, so each
//      message's header block is read, parsed and every rule asked; all of them land in INBOX, as in B)
// A, B and R rotate their order every round; C runs last. Before every measured run the whole machine is `sync`ed, so
// no run pays for flushing another run's (or the setup's) dirty pages — B's `sync -f` flushes only its own.
//
// Memory, client side only (the server-side rsync and sshd are not in the measured process tree):
//   * "max-proc": /usr/bin/time -f %M, the kernel's ru_maxrss: the peak RSS of the largest single process in
//     the tree (exact, not sampled). For A that is an rsync process, for B the node process.
//   * "tree": the tree of processes under /usr/bin/time is found through /proc every 20 ms and the VmRSS of
//     all of them summed; the largest sum is reported (sampled; shared pages count once per process).
//   * per program (node, rsync, ssh): the largest VmHWM seen for one process of that program (VmHWM is
//     the kernel's own high-water mark, read every 20 ms while the process lives).
// The same 20 ms samples give syncmail's timeline: when the fetch rsync, `sync -f` and the remove rsync
// ran. Together with the transfer log's timestamps that splits syncmail's time into its phases.
//
// Everything generated lives in one temp dir, removed at the end (--keep to keep it).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomMessages } from '../test/helpers/maildir.ts';
import { startSshd } from '../test/helpers/sshd.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIME = '/usr/bin/time';
const SAMPLE_MS = 20;

const VARIANTS = {
  A: 'essay rsync',
  B: 'syncmail',
  C: 'essay rsync --fsync',
  R: 'syncmail + 5 rules',
};

/** Variant R's rules: every kind of condition, none matching the generated messages. */
const RULES = [
  'rules:',
  '  - { name: lkml, match: { list: linux-kernel.vger.kernel.org }, folder: lists.lkml }',
  '  - name: nagios',
  '    match: { from: "@monitoring.example.com", subject: { regex: "^(PROBLEM|RECOVERY)" } }',
  '    trash: true',
  '  - name: invoices',
  '    match: { any: [{ to: billing@me.example }, { header: { name: X-Invoice, exists: true } }] }',
  '    folder: finance',
  '    copy: archive',
  '  - { name: spam, match: { header: { name: X-Spam-Flag, is: "YES" } }, trash: true }',
  '  - { name: huge, match: { size: { over: 50M } }, folder: big }',
];

// ---------------------------------------------------------------------------------------------------------
// Options

function usage() {
  return [
    'usage: node --import tsx scripts/bench.mjs [options]',
    '  --messages N      messages per run (default 10000)',
    '  --min-size B      smallest message (default 2000; 100 with --tiny)',
    '  --max-size B      largest message (default 50000; 1000 with --tiny)',
    '  --rounds N        rounds (default 3; 1 with --tiny)',
    '  --tiny N[,N…]     tiny-file workload(s) instead: N files of 100–1000 bytes each (e.g. 100000)',
    '  --variants ABC    which variants to run, from ABCR (default ABC; AB with --tiny)',
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
      messages: { type: 'string' },
      'min-size': { type: 'string' },
      'max-size': { type: 'string' },
      rounds: { type: 'string' },
      tiny: { type: 'string' },
      variants: { type: 'string' },
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
  const tiny =
    values.tiny === undefined
      ? undefined
      : values.tiny.split(',').map((v) => intOption(v, 'tiny', 1));
  const minSize = intOption(values['min-size'], 'min-size', 0) ?? (tiny ? 100 : 2000);
  const maxSize = intOption(values['max-size'], 'max-size', 0) ?? (tiny ? 1000 : 50000);
  if (maxSize < minSize) throw new Error('--max-size is below --min-size');
  const variants = (values.variants ?? (tiny ? 'AB' : 'ABC')).toUpperCase();
  if (!/^[ABCR]+$/.test(variants) || new Set(variants).size !== variants.length)
    throw new Error(`--variants: letters from ABCR, got ${variants}`);
  return {
    workloads: (tiny ?? [intOption(values.messages, 'messages', 1) ?? 10000]).map((count) => ({
      kind: tiny ? 'tiny' : 'messages',
      count,
      minSize,
      maxSize,
    })),
    rounds: intOption(values.rounds, 'rounds', 1) ?? (tiny ? 1 : 3),
    variants: [...variants],
    seed: intOption(values.seed, 'seed', 0) ?? 1,
    cli: path.resolve(values.cli ?? path.join(ROOT, 'dist', 'cli.js')),
    keep: values.keep,
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};
const mb = (kb) => (kb == null ? null : Math.round((kb / 1024) * 10) / 10);
const ratio = (a, b) =>
  a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100;
const note = (text) => process.stderr.write(`bench: ${text}\n`);

/** Runs fn over items with at most `limit` in flight. */
async function pool(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function newestUnder(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestUnder(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------------------
// Process-tree sampler (/proc)

function readStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function readStatus(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const field = (name) => {
    const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text);
    return m ? m[1] : undefined;
  };
  const kb = (name) => {
    const v = field(name);
    return v === undefined ? 0 : Number.parseInt(v, 10);
  };
  return {
    name: field('Name') ?? '?',
    state: (field('State') ?? '?')[0],
    rss: kb('VmRSS'),
    hwm: kb('VmHWM'),
  };
}

function readCmdline(pid) {
  try {
    return fs
      .readFileSync(`/proc/${pid}/cmdline`, 'latin1')
      .split('\0')
      .filter((s) => s !== '');
  } catch {
    return [];
  }
}

/** What a process is, for the timeline: a pass of syncmail's rsync, its ssh, sync -f, … */
function labelOf(proc, tree) {
  if (proc.comm === 'rsync') {
    if (proc.argv.includes('--remove-source-files')) return 'remove';
    if (proc.argv.includes('--version')) return 'rsync-version';
    if (proc.argv.some((a) => a.startsWith('--compare-dest='))) return 'fetch';
    return 'rsync';
  }
  if (proc.comm === 'ssh') {
    const parent = tree.get(proc.ppid);
    return parent ? `${labelOf(parent, tree)}` : 'ssh';
  }
  return proc.comm;
}

class TreeSampler {
  constructor(rootPid, t0) {
    this.root = rootPid;
    this.t0 = t0;
    /** pid → { ppid, comm, argv, first, last, ended, hwm (of the exec'd program), rss } */
    this.tree = new Map();
    this.outside = new Set();
    this.peakSum = 0;
    this.samples = 0;
    this.timer = setInterval(() => this.tick(), SAMPLE_MS);
    this.tick();
  }

  tick() {
    const now = performance.now() - this.t0;
    this.samples += 1;
    let entries;
    try {
      entries = fs.readdirSync('/proc');
    } catch {
      return;
    }
    const pids = entries
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .sort((a, b) => a - b);
    for (const pid of pids) {
      if (this.tree.has(pid) || this.outside.has(pid)) continue;
      if (pid === this.root) {
        this.tree.set(pid, {
          pid,
          ppid: 0,
          comm: '',
          argv: [],
          first: now,
          last: now,
          ended: false,
          hwm: 0,
          rss: 0,
        });
        continue;
      }
      const st = readStat(pid);
      if (st && this.tree.has(st.ppid)) {
        this.tree.set(pid, {
          pid,
          ppid: st.ppid,
          comm: '',
          argv: [],
          first: now,
          last: now,
          ended: false,
          hwm: 0,
          rss: 0,
        });
      } else {
        this.outside.add(pid);
      }
    }
    let sum = 0;
    for (const proc of this.tree.values()) {
      if (proc.ended) continue;
      const status = readStatus(proc.pid);
      if (!status || status.state === 'Z' || status.state === 'X') {
        proc.ended = true;
        proc.rss = 0;
        continue;
      }
      proc.last = now;
      if (status.name !== proc.comm) {
        // exec'd (or first look): a new program, a fresh high-water mark
        proc.comm = status.name;
        proc.hwm = 0;
        proc.argv = readCmdline(proc.pid);
      }
      const parent = this.tree.get(proc.ppid);
      // A child forked by node that has not exec'd yet still looks like node: not a program of its own.
      proc.preExec = parent !== undefined && parent.comm === proc.comm && proc.comm === 'node';
      proc.hwm = Math.max(proc.hwm, status.hwm);
      proc.rss = status.rss;
      if (proc.comm !== 'time' && !proc.preExec) sum += status.rss;
    }
    this.peakSum = Math.max(this.peakSum, sum);
  }

  stop() {
    clearInterval(this.timer);
  }

  /** Largest VmHWM of one process per program name (node: the main process only). */
  peaks() {
    const out = {};
    for (const proc of this.tree.values()) {
      if (proc.comm === '' || proc.preExec) continue;
      out[proc.comm] = Math.max(out[proc.comm] ?? 0, proc.hwm);
    }
    return out;
  }

  /** "label/program" → largest VmHWM, e.g. fetch/rsync, remove/rsync, fetch/ssh, node/node. */
  peaksByLabel() {
    const out = {};
    for (const proc of this.tree.values()) {
      if (proc.comm === '' || proc.preExec || proc.comm === 'time') continue;
      const key = `${labelOf(proc, this.tree)}/${proc.comm}`;
      out[key] = Math.max(out[key] ?? 0, proc.hwm);
    }
    return out;
  }

  /** label → { start, end } in ms after spawn (first and last sample that saw it alive). */
  spans() {
    const spans = {};
    for (const proc of this.tree.values()) {
      if (proc.comm === '' || proc.preExec) continue;
      const label = labelOf(proc, this.tree);
      const span = spans[label];
      if (span === undefined) spans[label] = { start: proc.first, end: proc.last, processes: 1 };
      else {
        span.start = Math.min(span.start, proc.first);
        span.end = Math.max(span.end, proc.last);
        span.processes += 1;
      }
    }
    return spans;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Data

/** Writes the master copy of the messages (mtime = the time in the name) and returns what to expect. */
async function makeMaster(dir, workload, seed) {
  const newDir = path.join(dir, 'new');
  await fsp.mkdir(newDir, { recursive: true });
  let messages = randomMessages(workload.count, {
    minSize: workload.minSize,
    maxSize: workload.maxSize,
    seed,
    host: 'bench.test',
  });
  const expected = new Map();
  let bytes = 0;
  await pool(messages, 32, async (m) => {
    const file = path.join(newDir, m.name);
    const seconds = Number(m.name.slice(0, m.name.indexOf('.')));
    await fsp.writeFile(file, m.content, { flag: 'wx' });
    await fsp.utimes(file, seconds, seconds);
    expected.set(m.name, { sha1: m.sha1, size: m.content.length, mtime: seconds });
    bytes += m.content.length;
  });
  messages = undefined;
  return { newDir, expected, bytes };
}

async function sha1File(file) {
  return createHash('sha1')
    .update(await fsp.readFile(file))
    .digest('hex');
}

/** All messages in local new/, byte-identical (sha1 of every one) with the server's mtime; server new/ empty. */
async function verify(local, server, expected) {
  const names = await fsp.readdir(path.join(local, 'new'));
  const extra = [];
  let identical = 0;
  let wrongContent = 0;
  let wrongMtime = 0;
  await pool(names, 16, async (name) => {
    const want = expected.get(name);
    if (want === undefined) {
      extra.push(name);
      return;
    }
    const file = path.join(local, 'new', name);
    const st = await fsp.lstat(file);
    if (!st.isFile() || st.size !== want.size || (await sha1File(file)) !== want.sha1) {
      wrongContent += 1;
      return;
    }
    if (Math.floor(st.mtimeMs / 1000) !== want.mtime) wrongMtime += 1;
    identical += 1;
  });
  const leftOnServer = (await fsp.readdir(path.join(server, 'new'))).length;
  const missing = expected.size - identical - wrongContent;
  const ok =
    identical === expected.size &&
    extra.length === 0 &&
    wrongContent === 0 &&
    wrongMtime === 0 &&
    leftOnServer === 0;
  return {
    ok,
    identical,
    missing,
    wrongContent,
    wrongMtime,
    extra: extra.length,
    extraSample: extra.slice(0, 5),
    leftOnServer,
  };
}

// ---------------------------------------------------------------------------------------------------------
// One measured run

function essayArgv(sshd, server, local, fsync) {
  return [
    'rsync',
    '--ignore-existing',
    '--info=BACKUP1,COPY1,DEL1,MOUNT1,NONREG1,SKIP1,SYMSAFE1',
    '--links',
    '--safe-links',
    '--one-file-system',
    '--partial-dir=tmp',
    '--recursive',
    '--remove-source-files',
    '--times',
    ...(fsync ? ['--fsync'] : []),
    '-e',
    `ssh -F ${sshd.sshConfig} -o BatchMode=yes`,
    `${sshd.hostAlias}:${server}/new/`,
    `${local}/new`,
  ];
}

function writeSyncmailConfig(dir, sshd, server, local, rules = []) {
  const file = path.join(dir, 'syncmail.yaml');
  const text = [
    ...rules,
    `ssh: ["-F", ${JSON.stringify(sshd.sshConfig)}]`,
    `log: ${JSON.stringify(path.join(dir, 'transfer.log'))}`,
    `state: ${JSON.stringify(path.join(dir, 'state'))}`,
    'mailboxes:',
    '  - name: inbox',
    `    remote: ${JSON.stringify(`${sshd.hostAlias}:${server}`)}`,
    `    local: ${JSON.stringify(local)}`,
    '',
  ].join('\n');
  fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** Phases of a syncmail run, in ms: from the process timeline, cross-checked with the transfer log. */
function breakdown(spans, wallMs, logFile, t0Epoch) {
  const records = fs.existsSync(logFile)
    ? fs
        .readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const at = (r) => Date.parse(r.time) - t0Epoch;
  const first = (event) => records.find((r) => r.event === event);
  const last = (event) => records.findLast((r) => r.event === event);
  const log = {
    runStart: first('run-start') && at(first('run-start')),
    fetchStats: first('stats') && at(first('stats')),
    firstDelivered: first('delivered') && at(first('delivered')),
    lastDelivered: last('delivered') && at(last('delivered')),
    firstRemoved: first('removed') && at(first('removed')),
    lastRemoved: last('removed') && at(last('removed')),
    mailboxEnd: first('mailbox-end') && at(first('mailbox-end')),
    runEnd: first('run-end') && at(first('run-end')),
    records: records.length,
  };
  const fetch = spans.fetch;
  const remove = spans.remove;
  const sync = spans.sync;
  const round = (x) => (x == null ? null : Math.round(x));
  const phases = {
    // node start, config, lock (flock), local scan, rsync --version check if any, up to the fetch rsync
    startup: round(fetch?.start),
    fetch: round(fetch && fetch.end - fetch.start),
    // fetch end → sync -f: readdir(stage), journal each batch (fsync), rename each message into new/,
    // its placeholder in pending/new, log records
    deliver: round(fetch && sync && sync.start - fetch.end),
    'sync -f': round(sync && sync.end - sync.start),
    // sync -f end → remove rsync: the journal's fsync, the pending placeholders listed
    'remove prep': round(sync && remove && remove.start - sync.end),
    // when sync -f finished between two samples, deliver + sync -f + prep together:
    'deliver..remove start': round(fetch && remove && remove.start - fetch.end),
    remove: round(remove && remove.end - remove.start),
    // remove end → exit: forget the removed in the journal (and compact it), close the log, node exit
    finish: round(remove && wallMs - remove.end),
  };
  const fromLog = {
    // stats is logged when the fetch pass returns; delivered records all come after the rename loop ends
    'rename loop (log)': round(
      log.fetchStats != null && log.firstDelivered != null
        ? log.firstDelivered - log.fetchStats
        : null,
    ),
    'delivered records written (log)': round(
      log.firstDelivered != null ? log.lastDelivered - log.firstDelivered : null,
    ),
    'first removed after last delivered (log)': round(
      log.lastDelivered != null && log.firstRemoved != null
        ? log.firstRemoved - log.lastDelivered
        : null,
    ),
    'removed records span (log)': round(
      log.firstRemoved != null ? log.lastRemoved - log.firstRemoved : null,
    ),
  };
  return { phases, fromLog, log };
}

async function runOnce(ctx, variant, round) {
  const { base, master, sshd, cli } = ctx;
  const dir = path.join(base, `run-${ctx.workloadIndex}-${round}-${variant}`);
  const server = path.join(dir, 'server', 'inbox');
  const local = path.join(dir, 'local', 'inbox');
  for (const sub of ['cur', 'new', 'tmp']) {
    fs.mkdirSync(path.join(server, sub), { recursive: true });
    fs.mkdirSync(path.join(local, sub), { recursive: true, mode: 0o700 });
  }
  fs.chmodSync(local, 0o700);
  // A fresh copy of the same messages: same names, bytes and mtimes.
  execFileSync('cp', ['-a', '--', `${master.newDir}/.`, `${server}/new/`]);
  // Nothing dirty left from the setup or an earlier run: each run flushes (or not) only its own writes.
  spawnSync('sync');

  let argv;
  let cwd;
  if (variant === 'B' || variant === 'R') {
    const config = writeSyncmailConfig(dir, sshd, server, local, variant === 'R' ? RULES : []);
    argv = [process.execPath, cli, '--config', config, '--quiet'];
    cwd = ROOT;
  } else {
    argv = essayArgv(sshd, server, local, variant === 'C');
    cwd = local;
  }
  const timeFile = path.join(dir, 'time.out');
  const outFile = path.join(dir, 'output.txt');
  const out = fs.openSync(outFile, 'w');
  const t0 = performance.now();
  const t0Epoch = Date.now();
  const child = spawn(TIME, ['-o', timeFile, '-f', '%e %M', ...argv], {
    cwd,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const sampler = new TreeSampler(child.pid, t0);
  const exit = await new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error: error.message }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const wallMs = performance.now() - t0;
  sampler.stop();

  const timeLines = fs.existsSync(timeFile)
    ? fs.readFileSync(timeFile, 'utf8').trim().split('\n')
    : [];
  const [elapsed, maxRss] = (timeLines.at(-1) ?? '').split(' ').map(Number);
  const output = fs.readFileSync(outFile, 'utf8');
  const check = await verify(local, server, master.expected);
  const peaks = sampler.peaks();
  const result = {
    variant,
    round,
    exitCode: exit.code,
    ok: exit.code === 0 && check.ok,
    wallMs: Math.round(wallMs),
    timeElapsedS: elapsed,
    maxProcRssKb: Number.isFinite(maxRss) ? maxRss : null,
    treePeakRssKb: sampler.peakSum,
    peakHwmKb: { node: peaks.node ?? null, rsync: peaks.rsync ?? null, ssh: peaks.ssh ?? null },
    peakHwmKbByRole: sampler.peaksByLabel(),
    samples: sampler.samples,
    verify: check,
    output: output.length > 2000 ? `${output.slice(0, 2000)}…` : output,
  };
  if (variant === 'B' || variant === 'R')
    result.breakdown = breakdown(sampler.spans(), wallMs, path.join(dir, 'transfer.log'), t0Epoch);
  if (!ctx.keep) fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Summaries and output

/** How many messages a run moved (every run of a workload moves the same ones). */
function summaryCount(runs) {
  return runs[0]?.verify?.identical ?? Number.NaN;
}

function summarize(runs, variants) {
  const summary = {};
  for (const v of variants) {
    const rs = runs.filter((r) => r.variant === v);
    const walls = rs.map((r) => r.wallMs);
    summary[v] = {
      name: VARIANTS[v],
      runs: rs.length,
      ok: rs.every((r) => r.ok),
      wallMsMedian: median(walls),
      wallMsMin: Math.min(...walls),
      wallMsMax: Math.max(...walls),
      maxProcRssKbMedian: median(rs.map((r) => r.maxProcRssKb)),
      treePeakRssKbMedian: median(rs.map((r) => r.treePeakRssKb)),
      nodeHwmKbMedian: median(rs.map((r) => r.peakHwmKb.node)),
      rsyncHwmKbMedian: median(rs.map((r) => r.peakHwmKb.rsync)),
      sshHwmKbMedian: median(rs.map((r) => r.peakHwmKb.ssh)),
      byRoleKbMedian: Object.fromEntries(
        [...new Set(rs.flatMap((r) => Object.keys(r.peakHwmKbByRole)))]
          .sort()
          .map((k) => [k, median(rs.map((r) => r.peakHwmKbByRole[k]))]),
      ),
    };
  }
  const ratios = {};
  for (const [v, base] of [
    ['B', 'A'],
    ['C', 'A'],
    ['R', 'A'],
    ['R', 'B'],
  ]) {
    if (!summary[v] || !summary[base]) continue;
    ratios[`${v}/${base}`] = {
      time: ratio(summary[v].wallMsMedian, summary[base].wallMsMedian),
      maxProcRss: ratio(summary[v].maxProcRssKbMedian, summary[base].maxProcRssKbMedian),
      treePeakRss: ratio(summary[v].treePeakRssKbMedian, summary[base].treePeakRssKbMedian),
    };
  }
  const breakdownOf = (variant) => {
    const bs = runs.filter((r) => r.variant === variant && r.breakdown);
    if (bs.length === 0) return undefined;
    const out = { phases: {}, fromLog: {} };
    for (const part of ['phases', 'fromLog']) {
      for (const key of Object.keys(bs[0].breakdown[part])) {
        out[part][key] = median(bs.map((r) => r.breakdown[part][key]));
      }
    }
    return out;
  };
  const breakdownMedian = breakdownOf('B');
  const breakdownMedianR = breakdownOf('R');
  // What routing costs: R's delivery phase over B's, per message and against the fetch pass.
  let routing;
  const dR = breakdownMedianR?.phases.deliver;
  const dB = breakdownMedian?.phases.deliver;
  const fetch = breakdownMedian?.phases.fetch;
  if (dR != null && dB != null && fetch) {
    const extra = dR - dB;
    routing = {
      extraDeliverMs: extra,
      perMessageUs: Math.round((extra * 1000) / summaryCount(runs)),
      ofFetch: ratio(extra, fetch),
    };
  }
  return { summary, ratios, breakdownMedian, breakdownMedianR, routing };
}

function pad(text, width, right = false) {
  const s = String(text);
  return right ? s.padStart(width) : s.padEnd(width);
}

function renderTable(result) {
  const lines = [];
  const e = result.environment;
  lines.push(
    `rsync ${e.rsync}, node ${e.node}, ${e.cpus} CPUs, ${e.memGb} GB RAM; ssh round trip (ssh mail-server true) median ${e.sshRoundTripMs} ms`,
  );
  lines.push(
    `memory: max-proc = /usr/bin/time %M (largest single process, exact); tree = peak sum of VmRSS over the client process tree, /proc every ${SAMPLE_MS} ms; node/rsync/ssh = largest VmHWM of one such process`,
  );
  for (const w of result.workloads) {
    lines.push('');
    lines.push(
      `workload: ${w.count} ${w.kind === 'tiny' ? 'tiny files' : 'messages'}, ${w.minSize}–${w.maxSize} B (${(w.totalBytes / 1e6).toFixed(1)} MB), ${w.rounds} round(s), orders: ${w.orders.map((o) => o.join('')).join(' | ')}`,
    );
    const head = [
      'variant',
      'wall median (min–max) s',
      'max-proc MB',
      'tree MB',
      'node MB',
      'rsync MB',
      'ssh MB',
      'verified',
    ];
    const widths = [24, 24, 12, 9, 9, 9, 8, 9];
    lines.push(head.map((h, i) => pad(h, widths[i], i > 0 && i < 7)).join('  '));
    for (const [v, s] of Object.entries(w.summary)) {
      const secs = (ms) => (ms / 1000).toFixed(2);
      lines.push(
        [
          `${v} ${s.name}`,
          `${secs(s.wallMsMedian)} (${secs(s.wallMsMin)}–${secs(s.wallMsMax)})`,
          mb(s.maxProcRssKbMedian) ?? '-',
          mb(s.treePeakRssKbMedian) ?? '-',
          mb(s.nodeHwmKbMedian) ?? '-',
          mb(s.rsyncHwmKbMedian) ?? '-',
          mb(s.sshHwmKbMedian) ?? '-',
          s.ok ? `ok ×${s.runs}` : 'FAILED',
        ]
          .map((c, i) => pad(c, widths[i], i > 0 && i < 7))
          .join('  '),
      );
    }
    if (w.summary.B) {
      const roles = Object.entries(w.summary.B.byRoleKbMedian).filter(([k]) =>
        /^(node|fetch|remove)\//.test(k),
      );
      lines.push(
        `syncmail peak per process (VmHWM, median): ${roles.map(([k, v]) => `${k} ${mb(v)} MB`).join(', ')}`,
      );
    }
    for (const [name, r] of Object.entries(w.ratios)) {
      lines.push(
        `${name}: time ×${r.time}, max-proc RSS ×${r.maxProcRss}, tree RSS ×${r.treePeakRss}`,
      );
    }
    for (const [label, b] of [
      ['syncmail', w.breakdownMedian],
      ['syncmail + rules', w.breakdownMedianR],
    ]) {
      if (!b) continue;
      const p = b.phases;
      const f = b.fromLog;
      const ms = (x) => (x == null ? 'n.a.' : x === 0 ? `<${SAMPLE_MS} ms` : `${x} ms`);
      lines.push(
        `${label} phases (median, ±${SAMPLE_MS} ms): startup ${ms(p.startup)} | fetch pass ${ms(p.fetch)} | deliver (rename loop) ${ms(p.deliver)} | sync -f ${ms(p['sync -f'])} | remove prep ${ms(p['remove prep'])} (these three: ${ms(p['deliver..remove start'])}) | remove pass ${ms(p.remove)} | finish ${ms(p.finish)}`,
      );
      lines.push(
        `  from the transfer log: rename loop ${ms(f['rename loop (log)'])}, writing the delivered records ${ms(f['delivered records written (log)'])}, last delivered → first removed ${ms(f['first removed after last delivered (log)'])}, removed records span ${ms(f['removed records span (log)'])}`,
      );
    }
    if (w.routing) {
      lines.push(
        `routing (R's deliver phase − B's): ${w.routing.extraDeliverMs} ms, ${w.routing.perMessageUs} µs per message, ×${w.routing.ofFetch} of B's fetch pass`,
      );
    }
    for (const r of w.runs.filter((x) => !x.ok)) {
      lines.push(
        `FAILED: round ${r.round} ${r.variant}: exit ${r.exitCode}, ${JSON.stringify(r.verify)}; output: ${r.output.trim().slice(0, 500)}`,
      );
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------

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

  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'syncmail-bench-'));
  let sshd;
  const cleanup = () => {
    if (!opts.keep) fs.rmSync(base, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    sshd = await startSshd();
    const roundTrips = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      spawnSync('ssh', [...sshd.sshArgs, sshd.hostAlias, 'true'], { stdio: 'ignore' });
      roundTrips.push(performance.now() - t);
    }
    const environment = {
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
    };

    const workloads = [];
    for (const [workloadIndex, workload] of opts.workloads.entries()) {
      note(
        `workload ${workload.count} × ${workload.minSize}–${workload.maxSize} B: writing the master copy…`,
      );
      const masterDir = path.join(base, `master-${workloadIndex}`);
      const master = await makeMaster(masterDir, workload, opts.seed);
      const ctx = { base, master, sshd, cli: opts.cli, keep: opts.keep, workloadIndex };
      const runs = [];
      const orders = [];
      for (let round = 1; round <= opts.rounds; round++) {
        const ab = opts.variants.filter((v) => v !== 'C');
        const shift = (round - 1) % ab.length;
        const order = [
          ...ab.slice(shift),
          ...ab.slice(0, shift),
          ...opts.variants.filter((v) => v === 'C'),
        ];
        orders.push(order);
        for (const variant of order) {
          const r = await runOnce(ctx, variant, round);
          runs.push(r);
          note(
            `round ${round} ${variant}: ${(r.wallMs / 1000).toFixed(2)} s, max-proc ${mb(r.maxProcRssKb)} MB, tree ${mb(r.treePeakRssKb)} MB, node ${mb(r.peakHwmKb.node) ?? '-'} MB, rsync ${mb(r.peakHwmKb.rsync)} MB, ${r.ok ? 'verified' : `FAILED ${JSON.stringify(r.verify)} exit ${r.exitCode}`}`,
          );
        }
      }
      fs.rmSync(masterDir, { recursive: true, force: true });
      workloads.push({
        ...workload,
        totalBytes: master.bytes,
        rounds: opts.rounds,
        orders,
        ...summarize(runs, opts.variants),
        runs,
      });
    }
    const result = { environment, workloads };
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
