// The program, as a function: main(argv) returns the exit code, so tests call it directly. cli.ts is the
// only place that touches process.exit.
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { HELP, type Options, parseOptions } from './args.js';
import { loadConfig } from './config/load.js';
import type { Config, Mailbox } from './config/types.js';
import { dryRunMailbox } from './dry-run.js';
import { EXIT, InternalError, SyncmailError, UsageError, worstExit } from './errors.js';
import type { LogRecord } from './log/record.js';
import { TransferLog } from './log/transfer-log.js';
import { colorLevel, Reporter } from './output/reporter.js';
import { printCommands } from './print-commands.js';
import { rsyncEnv } from './rsync/argv.js';
import { checkRsyncVersion } from './rsync/version.js';
import { holdSignals, type SignalGuard, signalNumber } from './signals.js';
import { type MailboxResult, syncMailbox } from './sync-mailbox.js';
import { VERSION } from './version.js';

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homedir: string;
  readonly isTTY: boolean;
}

export function processIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    homedir: homedir(),
    isTTY: process.stdout.isTTY === true,
  };
}

function printError(io: Io, error: SyncmailError): void {
  io.err(`syncmail: ${error.message}\n`);
  if (error.hint !== undefined) io.err(`  ${error.hint}\n`);
}

function newRunId(now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

function selectMailboxes(config: Config, names: readonly string[]): Mailbox[] {
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

async function runMailboxes(
  options: Options,
  config: Config,
  mailboxes: readonly Mailbox[],
  io: Io,
  guard: SignalGuard,
): Promise<number> {
  const runId = newRunId(new Date());
  const reporter = new Reporter({
    quiet: options.quiet,
    verbose: options.verbose,
    dryRun: options.dryRun,
    colorLevel: colorLevel(options.color, io.env, io.isTTY),
    out: io.out,
    err: io.err,
  });
  // A dry run changes nothing anywhere, the transfer log included.
  const log = new TransferLog(
    options.dryRun ? undefined : config.log,
    runId,
    options.json ? io.out : undefined,
  );
  const emit = (record: LogRecord): void => {
    log.write(record);
    if (!options.json) reporter.handle(record);
    else if (
      record.event === 'error' ||
      record.event === 'conflict' ||
      record.event === 'nonregular'
    )
      reporter.handle(record);
  };
  emit({
    event: 'run-start',
    version: VERSION,
    dryRun: options.dryRun,
    mailboxes: mailboxes.map((m) => m.name),
  });
  const results: MailboxResult[] = [];
  const ctx = {
    config,
    runId,
    wait: options.wait,
    env: io.env,
    guard,
    log: emit,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        guard.abortSignal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      }),
  };
  for (const mailbox of mailboxes) {
    // After a signal the mailbox that was running finishes; the rest wait for the next run.
    if (guard.pending !== undefined) break;
    const started = Date.now();
    emit({
      event: 'mailbox-start',
      mailbox: mailbox.name,
      remote: mailbox.remoteText,
      local: mailbox.local,
    });
    const result = await (options.dryRun ? dryRunMailbox : syncMailbox)(mailbox, ctx);
    const { name, exitCode, ...counts } = result;
    emit({
      event: 'mailbox-end',
      mailbox: name,
      ...counts,
      code: exitCode,
      ms: Date.now() - started,
    });
    results.push(result);
  }
  const signal = guard.pending;
  const code =
    signal !== undefined ? 128 + signalNumber(signal) : worstExit(results.map((r) => r.exitCode));
  if (signal !== undefined) {
    const skipped = mailboxes.length - results.length;
    const transfer = guard.forced
      ? 'the running transfer was stopped and resumes on the next run'
      : 'the transfer that was running finished';
    io.err(
      `syncmail: interrupted by ${signal}${skipped > 0 ? `; ${skipped} mailbox(es) not synced` : ''}; ${transfer}\n`,
    );
  }
  emit({ event: 'run-end', code, ...(signal === undefined ? {} : { signal }) });
  const failure = log.close();
  if (failure !== undefined) {
    io.err(`syncmail: could not write the transfer log ${config.log}: ${failure.message}\n`);
    return signal !== undefined ? code : worstExit([code, EXIT.ioerr]);
  }
  return code;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let guard: SignalGuard | undefined;
  try {
    const options = parseOptions(argv);
    if (options.help) {
      io.out(HELP);
      return EXIT.ok;
    }
    if (options.version) {
      io.out(`syncmail ${VERSION}\n`);
      return EXIT.ok;
    }
    const config = await loadConfig({
      ...(options.config === undefined ? {} : { configPath: options.config }),
      cwd: io.cwd,
      env: io.env,
      homedir: io.homedir,
    });
    const mailboxes = selectMailboxes(config, options.mailboxes);
    if (options.print) {
      io.out(
        printCommands(
          config,
          mailboxes.map((m) => m.name),
        ),
      );
      return EXIT.ok;
    }
    await checkRsyncVersion(config.rsync, rsyncEnv(io.env));
    guard = holdSignals((message) => io.err(`syncmail: ${message}\n`));
    return await runMailboxes(options, config, mailboxes, io, guard);
  } catch (error) {
    if (error instanceof SyncmailError) {
      printError(io, error);
      return error.exitCode;
    }
    const bug = new InternalError(
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      'please report this; no message was removed from a server without being safely on local disk',
    );
    printError(io, bug);
    return bug.exitCode;
  } finally {
    guard?.release();
  }
}
