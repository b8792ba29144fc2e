// `syncmail [sync]`: load the config, pick the mailboxes, and sync them (or dry-run, or --print).
import type { Config, Mailbox } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { Output } from '../events.js';
import type { Io } from '../io.js';
import { rotateBeforeRun } from '../log/rotate.js';
import { printMailboxes } from '../mailbox/sequence.js';
import { rsyncVersionCache } from '../maildir/layout.js';
import { JsonLines } from '../outputs/json-lines.js';
import { LiveBlock } from '../outputs/live-lines.js';
import { withStatus } from '../outputs/status-outputs.js';
import { colorLevel, Terminal } from '../outputs/terminal.js';
import { TransferLog } from '../outputs/transfer-log.js';
import { rsyncEnv } from '../rsync/argv.js';
import { SharedConnections, socketDir } from '../rsync/shared-connection.js';
import { checkRsyncVersion } from '../rsync/version.js';
import { holdSignals } from '../signals.js';
import { newRunId, runSync } from '../sync-run.js';
import { VERSION } from '../version.js';
import type { Command } from './command.js';
import { commandConfig } from './command-config.js';
import { type Options, parseSyncOptions, SYNC_HELP } from './sync-options.js';

export function selectMailboxes(config: Config, names: readonly string[]): Mailbox[] {
  if (names.length === 0) return [...config.mailboxes];
  const known = new Map(config.mailboxes.map((m) => [m.name, m]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `no mailbox named ${unknown.map((n) => `"${n}"`).join(', ')} in ${config.file ?? 'the config'}`,
      `the mailboxes are: ${config.mailboxes.map((m) => m.name).join(', ')}`,
    );
  }
  return [...new Set(names)].map((n) => known.get(n) as Mailbox);
}

function outputsFor(
  options: Options,
  config: Config,
  run: { runId: string; mailboxes: readonly Mailbox[]; stopping: () => boolean },
  io: Io,
): Output[] {
  const { runId } = run;
  const outputs: Output[] = [];
  // A dry run changes nothing anywhere, the transfer log included.
  if (!options.dryRun) outputs.push(new TransferLog(config.log, runId));
  if (options.json) outputs.push(new JsonLines(io.out, runId));
  // Live lines only where a person watches: a terminal that can move its cursor, and not --quiet.
  const live =
    io.isTTY && io.env['TERM'] !== 'dumb' && !options.quiet && !options.json
      ? // A terminal that reports no width (0: a pty nobody sized, as under script(1)) counts as 80.
        new LiveBlock({ write: io.out, columns: io.columns || 80 })
      : undefined;
  const terminal = new Terminal({
    quiet: options.quiet,
    verbose: options.verbose,
    dryRun: options.dryRun,
    problemsOnly: options.json,
    colorLevel: colorLevel(options.color, io.env, io.isTTY),
    out: io.out,
    err: io.err,
    live,
  });
  // --quiet's gate in front of the terminal, and the status files (outputs/status-outputs.ts).
  outputs.push(
    ...withStatus(terminal, config, {
      ...options,
      runId,
      mailboxes: run.mailboxes.map((m) => m.name),
      stopping: run.stopping,
      out: io.out,
      err: io.err,
    }),
  );
  return outputs;
}

/**
 * Under --max-time no single step may outwait the run: ssh gives up connecting in time, and a stalled
 * transfer is not waited for longer than the run may take (the timer in run() stops the rest).
 */
function withinTime(config: Config, maxTime: number | undefined): Config {
  if (maxTime === undefined) return config;
  const seconds = Math.max(1, Math.ceil(maxTime));
  return { ...config, connectTimeout: Math.min(config.connectTimeout, seconds) };
}

export const syncCommand: Command = {
  name: 'sync',
  summary: 'move new mail from the servers to the local Maildirs (the default command)',
  help: SYNC_HELP,
  async run(argv, io) {
    const options = parseSyncOptions(argv);
    if (options.help) {
      io.out(SYNC_HELP);
      return 0;
    }
    if (options.version) {
      io.out(`syncmail ${VERSION}\n`);
      return 0;
    }
    const config = withinTime(await commandConfig(io, options.config), options.maxTime);
    const mailboxes = selectMailboxes(config, options.mailboxes);
    if (options.print) {
      io.out(printMailboxes(config, mailboxes));
      return 0;
    }
    await checkRsyncVersion(config.rsync, rsyncEnv(io.env), {
      file: rsyncVersionCache(config.state),
      remember: !options.dryRun,
    });
    const runId = newRunId(new Date());
    if (!options.dryRun) await rotateBeforeRun(config, io.err);
    const outputs = outputsFor(
      options,
      config,
      { runId, mailboxes, stopping: () => guard.stopping },
      io,
    );
    const guard = holdSignals((message) => io.err(`syncmail: ${message}\n`));
    const connections = new SharedConnections({
      dir: config.shareConnection
        ? socketDir(io.env, options.dryRun ? undefined : config.state)
        : undefined,
      env: io.env,
      connectTimeout: config.connectTimeout,
      pid: process.pid,
      mailboxes,
    });
    const timer =
      options.maxTime === undefined
        ? undefined
        : setTimeout(() => guard.expire(), options.maxTime * 1000);
    try {
      if (!options.dryRun) await connections.reapStale();
      return await runSync({
        config,
        mailboxes,
        mode: options.dryRun ? 'dry-run' : 'sync',
        runId,
        outputs,
        context: { wait: options.wait, env: io.env, fs: io.fs, connections },
        guard,
        maxTime: options.maxTime,
        outputFailed: (failure) =>
          io.err(`syncmail: could not write the transfer log ${config.log}: ${failure.message}\n`),
      });
    } finally {
      clearTimeout(timer);
      await connections.close();
      guard.release();
    }
  },
};
