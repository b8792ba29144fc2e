// One measured run of scripts/bench.mjs: a fresh copy of the workload's server mailboxes, `sync`, then the
// contender's commands one after the other, each under /usr/bin/time with the /proc sampler watching its
// tree; then every mailbox is verified and the run's directory removed (unless --keep).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { breakdown, steps as stepBreakdown } from './breakdown.mjs';
import { mergeVerify, verify } from './data.mjs';
import { TreeSampler } from './sampler.mjs';
import { firstLine, maxOf } from './util.mjs';

export const TIME = '/usr/bin/time';

/** The samplers of the commands running now: killAll() on Ctrl-C. */
const active = new Set();

/** SIGKILLs whatever measured command is running (the benchmark is being interrupted); returns the pids. */
export function killActive() {
  return [...active].flatMap((sampler) => sampler.killAll());
}

const clip = (text, max = 2000) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Runs one command under /usr/bin/time, its tree sampled; stdout and stderr kept apart. */
async function measure(step, dir, index) {
  const timeFile = path.join(dir, `time-${index}.out`);
  const outFile = path.join(dir, `stdout-${index}.txt`);
  const errFile = path.join(dir, `stderr-${index}.txt`);
  const out = fs.openSync(outFile, 'w');
  const err = fs.openSync(errFile, 'w');
  let env = process.env;
  let adopt;
  if (step.runtime) {
    fs.mkdirSync(step.runtime, { recursive: true, mode: 0o700 });
    env = { ...process.env, XDG_RUNTIME_DIR: step.runtime };
    // A shared connection's ssh master daemonizes out of the tree; its command line names the socket.
    adopt = (argv) => argv.some((a) => a.includes(step.runtime));
  }
  const t0 = performance.now();
  const t0Epoch = Date.now();
  const child = spawn(TIME, ['-o', timeFile, '-f', '%e %M', ...step.argv], {
    cwd: step.cwd,
    env,
    stdio: ['ignore', out, err],
  });
  fs.closeSync(out);
  fs.closeSync(err);
  const sampler = new TreeSampler(child.pid, t0, adopt);
  active.add(sampler);
  const exit = await new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error: error.message }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const wallMs = performance.now() - t0;
  sampler.stop();
  // Anything the command left running (a shared connection's master it did not end, an orphaned rsync)
  // gets a second to go, then is killed and reported.
  let left = sampler.living();
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = sampler.living();
  }
  if (left.length > 0) sampler.killAll();
  sampler.stop();
  active.delete(sampler);
  const timeLines = fs.existsSync(timeFile)
    ? fs.readFileSync(timeFile, 'utf8').trim().split('\n')
    : [];
  // GNU time prints "Command exited with non-zero status N" before the format line.
  const [elapsed, maxRss] = (timeLines.at(-1) ?? '').split(' ').map(Number);
  const peaks = sampler.peaks();
  const result = {
    exitCode: exit.code,
    signal: exit.signal ?? null,
    spawnError: exit.error,
    wallMs,
    elapsedS: Number.isFinite(elapsed) ? elapsed : null,
    maxProcRssKb: Number.isFinite(maxRss) ? maxRss : null,
    treePeakRssKb: sampler.peakSum,
    peakHwmKb: { node: peaks.node ?? null, rsync: peaks.rsync ?? null, ssh: peaks.ssh ?? null },
    peakHwmKbByRole: sampler.peaksByLabel(),
    samples: sampler.samples,
    stdout: fs.readFileSync(outFile, 'utf8'),
    stderr: fs.readFileSync(errFile, 'utf8'),
    leftRunning: left.map((p) => `${p.label}/${p.comm}`),
  };
  if (step.syncmail) {
    const spans = sampler.spans();
    result.breakdown = breakdown(spans, wallMs, step.log, t0Epoch);
    result.steps = stepBreakdown(spans, wallMs, step.log, t0Epoch);
  }
  return result;
}

/** Why a command failed, in one line (its stderr's first line), or undefined. */
function failureOf(m) {
  if (m.spawnError) return `cannot run: ${m.spawnError}`;
  if (m.exitCode === 0) return undefined;
  const how = m.signal ? `signal ${m.signal}` : `exit ${m.exitCode}`;
  const why = firstLine(m.stderr) || firstLine(m.stdout) || '(no output)';
  return `${how}: ${why}`;
}

/**
 * One run of a contender over a workload. ctx: { base, sshd, cli, root, keep }; workload: { key,
 * mailboxes: [{ name, master }] }. Never throws for a command that fails: the run is reported failed.
 */
export async function runOnce(ctx, workload, contender, round) {
  const slug = contender.key.replace(/[^A-Za-z0-9]/g, '');
  const dir = path.join(ctx.base, `run-${workload.key}-${round}-${slug}`);
  fs.mkdirSync(dir, { recursive: true });
  const boxes = contender.mail
    ? workload.mailboxes.map((m) => ({
        name: m.name,
        master: m.master,
        server: path.join(dir, 'server', m.name),
        local: path.join(dir, 'local', m.name),
      }))
    : [];
  for (const b of boxes) {
    for (const sub of ['cur', 'new', 'tmp']) {
      fs.mkdirSync(path.join(b.server, sub), { recursive: true });
      fs.mkdirSync(path.join(b.local, sub), { recursive: true, mode: 0o700 });
    }
    fs.chmodSync(b.local, 0o700);
    // A fresh copy of the same messages: same names, bytes and mtimes.
    if (b.master.expected.size > 0)
      execFileSync('cp', ['-a', '--', `${b.master.newDir}/.`, `${b.server}/new/`]);
  }
  // Nothing dirty left from the setup or an earlier run: each run flushes (or not) only its own writes.
  spawnSync('sync');

  const commands = contender.steps({ ...ctx, dir, boxes });
  const measured = [];
  for (const [i, step] of commands.entries()) measured.push(await measure(step, dir, i));

  const checks = [];
  for (const b of boxes) checks.push(await verify(b.local, b.server, b.master.expected));
  const check = contender.mail ? mergeVerify(checks) : undefined;
  const failures = measured.map(failureOf).filter((f) => f !== undefined);
  let failure = failures[0];
  if (failure === undefined && check && !check.ok)
    failure = `not verified: ${JSON.stringify(check)}`;
  const sum = (f) => measured.reduce((n, m) => n + (f(m) ?? 0), 0);
  const roles = {};
  for (const m of measured)
    for (const [k, v] of Object.entries(m.peakHwmKbByRole)) roles[k] = Math.max(roles[k] ?? 0, v);
  const syncmailRun = measured.find((m) => m.breakdown);
  const result = {
    variant: contender.key,
    round,
    commands: measured.length,
    exitCode: measured.find((m) => m.exitCode !== 0)?.exitCode ?? 0,
    ok: failure === undefined,
    failure,
    wallMs: Math.round(sum((m) => m.wallMs)),
    timeElapsedS: Math.round(sum((m) => m.elapsedS) * 100) / 100,
    maxProcRssKb: maxOf(measured.map((m) => m.maxProcRssKb)),
    treePeakRssKb: maxOf(measured.map((m) => m.treePeakRssKb)),
    peakHwmKb: Object.fromEntries(
      ['node', 'rsync', 'ssh'].map((p) => [p, maxOf(measured.map((m) => m.peakHwmKb[p]))]),
    ),
    peakHwmKbByRole: roles,
    samples: sum((m) => m.samples),
    leftRunning: measured.flatMap((m) => m.leftRunning),
    verify: check,
    stdout: clip(measured.map((m) => m.stdout).join('')),
    stderr: clip(measured.map((m) => m.stderr).join('')),
  };
  if (syncmailRun) {
    result.breakdown = syncmailRun.breakdown;
    result.steps = syncmailRun.steps;
  }
  if (!ctx.keep) fs.rmSync(dir, { recursive: true, force: true });
  return result;
}
