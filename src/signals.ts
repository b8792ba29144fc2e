// Holds termination signals while a sync runs, so a Ctrl-C, a logout or a shutdown never cuts a transfer
// in half.
//
// The essay used blocksig (a blocked signal mask inherited by rsync), but rsync unblocks and re-handles
// INT/TERM/HUP at start, so the mask protects nothing. Instead every rsync runs in its own session
// (rsync/run.ts) and syncmail itself listens for the signals: the first is remembered, the running
// mailboxes finish, and the run then ends by that signal (main() returns 128+N and cli.ts re-raises it,
// so a parent sees a death by that signal, never exit 0).
//
// Only a person insisting stops a transfer half-way: the same interactive signal (Ctrl-C's SIGINT, or
// Ctrl-\'s SIGQUIT) three times within a few seconds. Signals from different sources never add up to
// that: a closed terminal during a Ctrl-C, or a shutdown's TERM and HUP, are all held. A forced stop
// sends SIGTERM to each running rsync's process group; the partial file is kept and resumed next run.
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

/** The signals a terminal sends when a person presses a key (Ctrl-C, Ctrl-\). */
const INTERACTIVE: ReadonlySet<HeldSignal> = new Set(['SIGINT', 'SIGQUIT']);
/** How many of the same interactive signal force a stop, and within how long. */
export const FORCE_COUNT = 3;
export const FORCE_WINDOW_MS = 5000;

const KEY: Partial<Record<HeldSignal, string>> = { SIGINT: 'Ctrl-C', SIGQUIT: 'Ctrl-\\' };

export type Verdict =
  /** The first signal: the run stops once the running transfers are done. */
  | { readonly kind: 'stop-after' }
  /** Held, and it brings a forced stop no closer. */
  | { readonly kind: 'held' }
  /** An interactive signal again: `more` of the same within the window force the stop. */
  | { readonly kind: 'insisting'; readonly more: number }
  | { readonly kind: 'force' };

export interface Arrival {
  readonly signal: HeldSignal;
  readonly at: number; // ms
}

/**
 * Pure: what the newest arrival (the last element) means, given every signal received so far, oldest
 * first. Forcing needs FORCE_COUNT arrivals of one interactive signal inside FORCE_WINDOW_MS, with no
 * other signal needed or counted.
 */
export function judge(arrivals: readonly Arrival[]): Verdict {
  const last = arrivals.at(-1);
  if (last === undefined || arrivals.length === 1) return { kind: 'stop-after' };
  if (!INTERACTIVE.has(last.signal)) return { kind: 'held' };
  const recent = arrivals.filter(
    (a) => a.signal === last.signal && last.at - a.at <= FORCE_WINDOW_MS,
  ).length;
  return recent >= FORCE_COUNT
    ? { kind: 'force' }
    : { kind: 'insisting', more: FORCE_COUNT - recent };
}

/** What a person is told about a verdict while transfers run. */
export function explain(signal: HeldSignal, verdict: Verdict): string {
  const key = KEY[signal] ?? signal;
  switch (verdict.kind) {
    case 'stop-after':
      return INTERACTIVE.has(signal)
        ? `${signal}: finishing the running transfer, then stopping (press ${key} ${FORCE_COUNT - 1} more times quickly to stop it now)`
        : `${signal}: finishing the running transfer, then stopping`;
    case 'held':
      return `${signal}: held; the running transfer finishes first`;
    case 'insisting':
      return `${signal}: still finishing; press ${key} ${verdict.more === 1 ? 'once more' : `${verdict.more} more times`} to stop the transfer now (it resumes next run)`;
    case 'force':
      return `${signal}: stopping the transfer now`;
  }
}

export interface SignalGuard {
  /** The first signal received, if any: the run ends by it. */
  readonly pending: HeldSignal | undefined;
  /** A person forced the running transfers to stop, or the run's time limit did. */
  readonly forced: boolean;
  /** The run's time limit (--max-time) ran out: the running transfers were stopped. */
  readonly expired: boolean;
  /** A signal came or the time ran out: start nothing new (no next mailbox, no retry). */
  readonly stopping: boolean;
  /** Ends the run's time: stops the running transfers now, as a forced stop (they resume next run). */
  expire(): void;
  /** Aborted at the first signal: for waits that should give up at once (a busy lock, a retry pause). */
  readonly abortSignal: AbortSignal;
  /** Registers a running transfer's stop function (called on a forced stop); returns its un-register. */
  track(stop: () => void): () => void;
  release(): void;
}

export function signalNumber(signal: string): number {
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

/** Where the signals come from: the process, or a test's stand-in. */
export type SignalSource = Pick<NodeJS.Process, 'on' | 'off'>;

export function holdSignals(
  say: (message: string) => void,
  now: () => number = Date.now,
  source: SignalSource = process,
): SignalGuard {
  const arrivals: Arrival[] = [];
  const running = new Set<() => void>();
  let forced = false;
  let expired = false;
  const controller = new AbortController();
  const listeners = HELD_SIGNALS.map((signal) => {
    const listener = (): void => {
      arrivals.push({ signal, at: now() });
      const verdict = judge(arrivals);
      if (verdict.kind === 'stop-after') controller.abort();
      if (running.size === 0) return; // nothing to finish or to stop: the run ends at its next step
      say(explain(signal, verdict));
      if (verdict.kind === 'force') {
        forced = true;
        for (const stop of running) stop();
      }
    };
    source.on(signal, listener);
    return [signal, listener] as const;
  });
  return {
    get pending() {
      return arrivals[0]?.signal;
    },
    get forced() {
      return forced;
    },
    get expired() {
      return expired;
    },
    get stopping() {
      return arrivals.length > 0 || expired;
    },
    expire() {
      if (expired) return;
      expired = true;
      forced = true;
      controller.abort();
      for (const stop of running) stop();
    },
    abortSignal: controller.signal,
    track(stop) {
      running.add(stop);
      return () => running.delete(stop);
    },
    release() {
      for (const [signal, listener] of listeners) source.off(signal, listener);
    },
  };
}
