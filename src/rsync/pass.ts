// One rsync pass as syncmail runs it: spawned with the mailbox lock, stoppable by the signal guard, its
// ending classified, and a transient failure retried with doubling backoff unless a signal asked us to
// stop. Which passes run, and in what order, is the mailbox sequence's business (mailbox/steps.ts).
import type { Config } from '../config/types.js';
import { TransientError } from '../errors.js';
import type { PassLabel } from '../events.js';
import type { SignalGuard } from '../signals.js';
import { rsyncEnv } from './argv.js';
import { classifyPass, emptySummary, notice, type Outcome } from './classify.js';
import type { RsyncEvent } from './events.js';
import { type RsyncHandle, spawnRsync } from './run.js';
import type { PassConnection } from './shared-connection.js';
import { Watchdog } from './watchdog.js';

export interface PassSpec {
  readonly label: PassLabel;
  /** The command line, given the shared connection's ssh options for this attempt (none without one). */
  readonly argv: (shared: readonly string[]) => readonly string[];
  /** The run's shared ssh connection to this server (shared-connection.ts), if it has one. */
  readonly connection?: PassConnection | undefined;
  readonly config: Pick<Config, 'rsync' | 'retries' | 'retryDelay'>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Open file descriptors rsync inherits (as fd 3, 4): the locks, so an orphaned rsync keeps them. */
  readonly lockFds: readonly number[];
  readonly mailbox: string;
  readonly server: string;
  readonly guard: SignalGuard;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onEvent: (event: RsyncEvent) => void;
  /** Raw stdout lines instead of events (see run.ts). */
  readonly onStdoutLine?: (line: string) => void;
  /** No output and no change in `progress()` for this long stops the pass (a transient failure). */
  readonly stallMs: number;
  /** A fingerprint of what the pass has written locally so far (watchdog.ts). */
  readonly progress?: (() => string) | undefined;
  /** Told before each retry, with the failure and the pause. */
  readonly onRetry: (outcome: Extract<Outcome, { ok: false }>, delayMs: number) => void;
}

export async function runPass(spec: PassSpec): Promise<Outcome> {
  const { config, guard } = spec;
  for (let attempt = 0; ; attempt += 1) {
    const stderr = emptySummary();
    const watchdog = new Watchdog(spec.stallMs, Date.now, spec.progress);
    const { onStdoutLine } = spec;
    const shared = (await spec.connection?.words()) ?? [];
    const handle = spawnOrRelease(spec.connection, () =>
      spawnRsync({
        program: config.rsync,
        argv: spec.argv(shared),
        env: rsyncEnv(spec.env),
        cwd: spec.cwd,
        lockFds: spec.lockFds,
        onStdoutLine:
          onStdoutLine === undefined
            ? undefined
            : (line) => {
                watchdog.touch();
                onStdoutLine(line);
              },
        onEvent: (event) => {
          watchdog.touch();
          notice(stderr, event);
          spec.onEvent(event);
        },
      }),
    );
    const untrack = guard.track(() => handle.terminate());
    let stalled = false;
    const timer = setInterval(
      () => {
        if (stalled || !watchdog.stalled()) return;
        stalled = true;
        handle.terminate();
      },
      Math.min(5000, Math.max(100, spec.stallMs / 4)),
    );
    timer.unref();
    const exit = await handle.done;
    clearInterval(timer);
    untrack();
    if (guard.forced) {
      spec.connection?.ended(false);
      // rsync's own complaints about the stop (broken pipe, code 20) would read like a network failure.
      const why = guard.expired ? 'at the time limit (--max-time)' : 'on request';
      const error = new TransientError(
        `${spec.mailbox}: the ${spec.label} was stopped ${why}; it resumes on the next run`,
        undefined,
        'stopped',
      );
      return { ok: false, transient: false, changed: false, error };
    }
    const outcome: Outcome = stalled
      ? {
          ok: false,
          transient: true,
          changed: false,
          error: new TransientError(
            `${spec.mailbox}: the ${spec.label} made no progress for ${Math.round(spec.stallMs / 1000)} s (ioTimeout), so it was stopped; ${spec.server} or the network is stuck`,
            'nothing is lost: the next run resumes; raise ioTimeout if the server is just slow',
            'stalled',
          ),
        }
      : classifyPass({
          exit,
          stderr,
          mailbox: spec.mailbox,
          server: spec.server,
          rsyncProgram: config.rsync,
        });
    // A connection that failed this attempt is not trusted with the next (shared-connection.ts).
    spec.connection?.ended(!outcome.ok && outcome.transient);
    if (outcome.ok || !outcome.transient) return outcome;
    if (attempt >= config.retries || guard.stopping) return outcome;
    const delay = config.retryDelay * 1000 * 2 ** attempt;
    spec.onRetry(outcome, delay);
    await spec.sleep(delay);
    if (guard.stopping) return outcome;
  }
}

/**
 * Spawns rsync; if the spawn itself throws (no descriptors left), the shared connection still hears
 * that the attempt is over: other passes may be waiting for the master this one was to make.
 */
function spawnOrRelease(
  connection: PassConnection | undefined,
  spawn: () => RsyncHandle,
): RsyncHandle {
  try {
    return spawn();
  } catch (error) {
    connection?.ended(false);
    throw error;
  }
}
