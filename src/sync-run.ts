// One sync run over the selected mailboxes, up to `jobs` at once (lanes.ts): events in, outputs out.
// Every event goes to every output (the transfer log, the terminal, --json) and to the tally of its
// mailbox, from which the mailbox's summary and exit code come; the run's code is the worst of them, or
// 128+N after a signal.
//
// After a mailbox that delivered something its afterSync hook runs, and after the last mailbox the
// run's hook and the notification (hooks/, notify/), with what was delivered. Not in a dry run, and not
// once a signal or --max-time stopped the run: it ends as soon as it can, and the next run's hook sees
// the mail anyway (a mail indexer indexes what is there). A hook's failure is reported and logged but
// does not change the exit code: the mail it is about is delivered and safe, and a hook cannot undo that.
import type { Config, Mailbox } from './config/types.js';
import { EXIT, worstExit } from './errors.js';
import type { Output, SyncEvent } from './events.js';
import { HeaderCache, runAfterSync } from './hooks/after-sync.js';
import type { DeliveredEvent } from './hooks/payload.js';
import { lanes } from './mailbox/lanes.js';
import type { RunContext } from './mailbox/mailbox-run.js';
import { type Mode, syncMailbox } from './mailbox/sequence.js';
import { notifyNewMail } from './notify/notify-new-mail.js';
import { mailboxMaildirs } from './rules/folders.js';
import { type SignalGuard, signalNumber } from './signals.js';
import { count, mailboxCode, newTally, type Tally } from './tally.js';
import { VERSION } from './version.js';

export function newRunId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  // Math.random, not crypto: the suffix only tells apart runs of the same second, and seeding the
  // crypto generator costs about 10 ms of every run's start (measured with --cpu-prof).
  const suffix = Math.floor(Math.random() * 0x1000000)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${suffix}`;
}

export interface SyncRun {
  readonly config: Config;
  readonly mailboxes: readonly Mailbox[];
  readonly mode: Mode;
  readonly runId: string;
  readonly outputs: readonly Output[];
  readonly context: Omit<RunContext, 'config' | 'runId' | 'emit' | 'guard' | 'sleep'>;
  readonly guard: SignalGuard;
  /** --max-time: the seconds the whole run may take; the caller calls guard.expire() then. */
  readonly maxTime?: number | undefined;
  /** Told when an output failed on the way (the transfer log could not be written). */
  readonly outputFailed: (error: Error) => void;
}

/** A pause that a signal cuts short: a retry's backoff must not hold a stopping run. */
function interruptibleSleep(guard: SignalGuard): (ms: number) => Promise<void> {
  return (ms) =>
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
    });
}

export async function runSync(run: SyncRun): Promise<number> {
  const { guard, outputs } = run;
  const tallies = new Map<string, Tally>();
  /** Each mailbox's delivered messages that are on disk, for its hook, the run's and the notification. */
  const delivered = new Map<string, DeliveredEvent[]>();
  // Kept only when something will read them: a large run's events are not held for nothing.
  const keep =
    run.mode === 'sync' &&
    (run.config.notify ||
      run.config.afterSync !== undefined ||
      run.mailboxes.some((m) => m.afterSync !== undefined));
  const emit = (event: SyncEvent): void => {
    if (keep && event.event === 'delivered' && event.path !== undefined) {
      const list = delivered.get(event.mailbox) ?? [];
      delivered.set(event.mailbox, list);
      list.push(event);
    }
    if ('mailbox' in event) {
      const tally = tallies.get(event.mailbox) ?? newTally();
      tallies.set(event.mailbox, tally);
      count(tally, event);
    }
    for (const output of outputs) output.write(event);
  };
  const ctx: RunContext = {
    ...run.context,
    config: run.config,
    runId: run.runId,
    guard,
    emit,
    sleep: interruptibleSleep(guard),
  };
  const headers = new HeaderCache(run.context.fs);
  const hookContext = {
    runId: run.runId,
    env: run.context.env,
    headers,
    timeoutSeconds: run.config.hookTimeout,
    track: (stop: () => void) => guard.track(stop),
  };
  const afterwards = (): boolean => run.mode === 'sync' && !guard.stopping;
  const names = run.mailboxes.map((m) => m.name);
  emit({ event: 'run-start', version: VERSION, dryRun: run.mode === 'dry-run', mailboxes: names });
  const done: string[] = [];
  const one = async (mailbox: Mailbox): Promise<void> => {
    const started = Date.now();
    emit({
      event: 'mailbox-start',
      mailbox: mailbox.name,
      remote: mailbox.remoteText,
      local: mailbox.local,
    });
    await syncMailbox(mailbox, ctx, run.mode);
    const tally = tallies.get(mailbox.name) ?? newTally();
    emit({
      event: 'mailbox-end',
      mailbox: mailbox.name,
      delivered: tally.delivered,
      removed: tally.removed,
      leftOnServer: tally.leftOnServer,
      busy: tally.busy,
      code: mailboxCode(tally),
      ms: Date.now() - started,
    });
    done.push(mailbox.name);
    const own = delivered.get(mailbox.name) ?? [];
    if (mailbox.afterSync !== undefined && own.length > 0 && afterwards())
      emit(await runAfterSync(mailbox.afterSync, mailbox.name, own, hookContext));
  };
  const style = run.config.folderStyle;
  const claims = (m: Mailbox) => [...mailboxMaildirs(m, style), `server ${m.remoteText}`];
  const queue = lanes(run.mailboxes, claims);
  // Each worker takes the next lane and syncs its mailboxes in order. After a signal the mailboxes that
  // are running finish; the rest wait for the next run.
  const worker = async (): Promise<void> => {
    for (let lane = queue.shift(); lane !== undefined; lane = queue.shift()) {
      for (const mailbox of lane) {
        if (guard.stopping) return;
        await one(mailbox);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.config.jobs, queue.length) }, worker));
  // In config order, whichever mailbox finished first.
  const all = run.mailboxes.flatMap((m) => delivered.get(m.name) ?? []);
  if (all.length > 0 && run.config.afterSync !== undefined && afterwards())
    emit(await runAfterSync(run.config.afterSync, undefined, all, hookContext));
  if (all.length > 0 && run.config.notify && afterwards())
    emit(await notifyNewMail(all, run.config, run.context.env, headers));
  const signal = guard.pending;
  let code = worstExit(done.map((name) => mailboxCode(tallies.get(name) ?? newTally())));
  const skipped = names.filter((n) => !done.includes(n));
  if (guard.expired && run.maxTime !== undefined) {
    emit({ event: 'timed-out', seconds: run.maxTime, skipped });
    code = worstExit([code, EXIT.tempfail]);
  }
  if (signal !== undefined) {
    code = 128 + signalNumber(signal);
    emit({ event: 'interrupted', signal, forced: guard.forced, skipped });
  }
  emit({ event: 'run-end', code, ...(signal === undefined ? {} : { signal }) });
  for (const output of outputs) {
    const failure = output.close?.();
    if (failure === undefined) continue;
    run.outputFailed(failure);
    if (signal === undefined) code = worstExit([code, EXIT.ioerr]);
  }
  return code;
}
