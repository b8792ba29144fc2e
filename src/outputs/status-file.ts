// Keeps each mailbox's status file (status/store.ts) from its events: the worst error's reason and
// message, and at its end its code and what it delivered. Written at each mailbox's end, so `syncmail
// status` is right while a long run goes on. Not installed in a dry run (it changes nothing anywhere).
//
// Two ends are not recorded, as neither is an outcome of the mailbox's sync:
// - busy: another syncmail is syncing it; that one writes the mailbox's status, and a write of ours
//   could put an older streak over its newer one. Not a success, and not a failure either.
// - cut short: a signal or --max-time stopped the run before the mailbox could finish (or while it
//   waited for its lock); the next run finds out how the mailbox is.
import { type ErrorReason, worstExit } from '../errors.js';
import type { Output, SyncEvent } from '../events.js';
import { nextStatus } from '../status/record.js';
import { readStatus, statusPath, writeStatus } from '../status/store.js';

export interface StatusFileOptions {
  readonly state: string;
  readonly runId: string;
  /** The run is stopping (a signal, --max-time): a mailbox's end is not its outcome. */
  readonly stopping: () => boolean;
  /** --quiet's gate: whether this run reported the mailbox's failure; absent without --quiet. */
  readonly reported?: ((mailbox: string) => boolean) | undefined;
  /** Told once when a status file cannot be written (the sync itself goes on unharmed). */
  readonly warn: (text: string) => void;
  readonly now?: () => Date;
}

interface Worst {
  readonly code: number;
  readonly reason: ErrorReason;
  readonly message: string;
}

export class StatusFile implements Output {
  readonly #o: StatusFileOptions;
  readonly #worst = new Map<string, Worst>();
  #warned = false;

  constructor(options: StatusFileOptions) {
    this.#o = options;
  }

  write(e: SyncEvent): void {
    if (e.event === 'error') {
      const worst = this.#worst.get(e.mailbox);
      // The first error of the worst code: the one a person must act on first.
      if (
        worst === undefined ||
        (worstExit([worst.code, e.code]) === e.code && e.code !== worst.code)
      )
        this.#worst.set(e.mailbox, { code: e.code, reason: e.reason, message: e.message });
      return;
    }
    if (e.event !== 'mailbox-end') return;
    const worst = this.#worst.get(e.mailbox);
    this.#worst.delete(e.mailbox);
    if (e.busy || this.#o.stopping()) return;
    // Read again rather than kept from the start: another syncmail may have synced it meanwhile.
    const prev = readStatus(this.#o.state, e.mailbox);
    const next = nextStatus(
      prev,
      {
        runId: this.#o.runId,
        code: e.code,
        reason: worst?.reason ?? null,
        message: worst?.message ?? null,
        delivered: e.delivered,
        leftOnServer: e.leftOnServer,
        reported: this.#o.reported?.(e.mailbox),
      },
      (this.#o.now ?? (() => new Date()))(),
    );
    try {
      writeStatus(this.#o.state, e.mailbox, next);
    } catch (error) {
      if (this.#warned) return;
      this.#warned = true;
      const file = statusPath(this.#o.state, e.mailbox);
      this.#o.warn(
        `syncmail: could not write the status file ${file}: ${(error as Error).message}\n` +
          '  the mail is synced; `syncmail status` and --quiet lag behind until the state ' +
          'directory is writable\n',
      );
    }
  }
}
