// Holds termination signals while a sync runs, so a Ctrl-C or a kill never cuts a transfer in half.
//
// The essay used blocksig (a blocked signal mask inherited by rsync), but rsync unblocks and re-handles
// INT/TERM/HUP at start, so the mask protects nothing. Instead rsync runs in its own session (run.ts) and
// syncmail itself listens for the signals: the first is remembered and the running mailbox finishes; the
// second says how to force a stop; the third forces it (SIGTERM to rsync's group: the partial file is
// kept and resumed by the next run). After the run, main() returns 128+N and cli.ts re-raises the signal,
// so the parent sees a death by that signal, never exit 0.
//
// Plain process.on listeners, not signal-exit: signal-exit is an exit hook ("one shot" per signal) that
// cannot defer a second signal, and it does not hook SIGUSR1, which with no listener starts Node's
// inspector instead of stopping.
import { constants } from 'node:os';

export const HELD_SIGNALS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
] as const;
export type HeldSignal = (typeof HELD_SIGNALS)[number];

export interface SignalGuard {
  /** The first signal received, if any. */
  readonly pending: HeldSignal | undefined;
  /** A third signal forced the running transfer to stop. */
  readonly forced: boolean;
  /** Aborted at the first signal: for waits that should give up at once (a busy lock). */
  readonly abortSignal: AbortSignal;
  /** Called at the third signal: stop the running transfer now. */
  setForce(force: (() => void) | undefined): void;
  release(): void;
}

export function signalNumber(signal: string): number {
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

export function holdSignals(say: (message: string) => void): SignalGuard {
  let pending: HeldSignal | undefined;
  let count = 0;
  let force: (() => void) | undefined;
  let forced = false;
  const controller = new AbortController();
  const listeners = HELD_SIGNALS.map((signal) => {
    const listener = (): void => {
      count += 1;
      if (pending === undefined) {
        pending = signal;
        controller.abort();
        if (force !== undefined) say(`${signal}: finishing the running transfer, then stopping`);
      } else if (count === 2 && force !== undefined) {
        say(
          `${signal}: still finishing; send it once more to stop the transfer now (it resumes next run)`,
        );
      } else if (count >= 3 && force !== undefined) {
        say(`${signal}: stopping the transfer now`);
        forced = true;
        force();
      }
    };
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return {
    get pending() {
      return pending;
    },
    get forced() {
      return forced;
    },
    abortSignal: controller.signal,
    setForce(f) {
      force = f;
    },
    release() {
      for (const [signal, listener] of listeners) process.off(signal, listener);
    },
  };
}
