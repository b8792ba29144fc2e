// One rsync pass as syncmail runs it: spawned with the mailbox lock, stoppable by the signal guard, its
// ending classified, and a transient failure retried with doubling backoff unless a signal asked us to
// stop. The sequence of passes is sync-mailbox.ts's business; this is how any one of them runs.
import type { Config } from '../config/types.js';
import { TransientError } from '../errors.js';
import type { SignalGuard } from '../signals.js';
import { rsyncEnv } from './argv.js';
import { classifyRun, type Outcome } from './classify.js';
import type { RsyncEvent } from './events.js';
import { spawnRsync } from './run.js';

export interface PassSpec {
  readonly label: 'fetch' | 'remove' | 'listing';
  readonly argv: readonly string[];
  readonly config: Pick<Config, 'rsync' | 'retries' | 'retryDelay'>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly lockFd: number | undefined;
  readonly mailbox: string;
  readonly server: string;
  readonly guard: SignalGuard;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onEvent: (event: RsyncEvent) => void;
  /** Raw stdout lines instead of events (see run.ts). */
  readonly onStdoutLine?: (line: string) => void;
  /** Told before each retry, with the failure and the pause. */
  readonly onRetry: (message: string) => void;
}

export async function runPass(spec: PassSpec): Promise<Outcome> {
  const { config, guard } = spec;
  for (let attempt = 0; ; attempt += 1) {
    let sawChanged = false;
    const handle = spawnRsync({
      program: config.rsync,
      argv: spec.argv,
      env: rsyncEnv(spec.env),
      cwd: spec.cwd,
      ...(spec.lockFd === undefined ? {} : { lockFd: spec.lockFd }),
      ...(spec.onStdoutLine === undefined ? {} : { onStdoutLine: spec.onStdoutLine }),
      onEvent: (event) => {
        if (event.kind === 'changed') sawChanged = true;
        spec.onEvent(event);
      },
    });
    const untrack = guard.track(() => handle.terminate());
    const run = await handle.done;
    untrack();
    if (guard.forced) {
      // rsync's own complaints about the stop (broken pipe, code 20) would read like a network failure.
      return {
        ok: false,
        transient: false,
        changed: false,
        error: new TransientError(
          `${spec.mailbox}: the ${spec.label} was stopped on request; it resumes on the next run`,
        ),
      };
    }
    const outcome = classifyRun({
      run,
      mailbox: spec.mailbox,
      server: spec.server,
      rsyncProgram: config.rsync,
      sawChanged,
    });
    if (
      outcome.ok ||
      !outcome.transient ||
      attempt >= config.retries ||
      guard.pending !== undefined
    )
      return outcome;
    const delay = config.retryDelay * 1000 * 2 ** attempt;
    spec.onRetry(`${outcome.error.message}; retrying in ${delay / 1000} s`);
    await spec.sleep(delay);
    if (guard.pending !== undefined) return outcome;
  }
}
