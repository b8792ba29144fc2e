// --quiet's failure reports (quiet-policy.ts decides): in front of the terminal output, it holds back
// a mailbox's temporary errors (code 75) while the mailbox runs, and at its end lets them through or
// drops them, and prints the policy's line (the failure has lasted; it is over). An error a person must
// fix goes through at once, with what was held before it. Every other event passes straight on, so the
// terminal's order and counts stay its own.
import { EXIT } from '../errors.js';
import type { Output, SyncEvent } from '../events.js';
import { decideQuiet } from '../status/quiet-policy.js';
import type { MailboxStatus } from '../status/record.js';

export interface QuietGateOptions {
  readonly inner: Output;
  /** Each mailbox's status when the run started. */
  readonly previous: ReadonlyMap<string, MailboxStatus | undefined>;
  readonly quietFailuresFor: number;
  /** Where the "failing for" line goes (stderr), and the "syncing again" line (stdout). */
  readonly err: (text: string) => void;
  readonly out: (text: string) => void;
  readonly now?: () => Date;
}

export class QuietGate implements Output {
  readonly #o: QuietGateOptions;
  /** Per running mailbox, its temporary errors not shown yet. */
  readonly #held = new Map<string, SyncEvent[]>();
  /** Mailboxes whose problems go through at once: they had an error a person must fix. */
  readonly #open = new Set<string>();
  readonly #reported = new Set<string>();

  constructor(options: QuietGateOptions) {
    this.#o = options;
  }

  /** Whether this run told a person about the mailbox's failure (for the status file). */
  reported(mailbox: string): boolean {
    return this.#reported.has(mailbox);
  }

  write(e: SyncEvent): void {
    if (e.event === 'error' && !this.#open.has(e.mailbox)) {
      if (e.code === EXIT.tempfail) {
        this.#held.set(e.mailbox, [...(this.#held.get(e.mailbox) ?? []), e]);
        return;
      }
      this.#open.add(e.mailbox);
      this.#release(e.mailbox);
    }
    if (e.event === 'mailbox-end') {
      this.#end(e);
      return;
    }
    // Nothing may be lost silently: what a mailbox without an end left held goes out at the run's end.
    if (e.event === 'run-end') for (const mailbox of [...this.#held.keys()]) this.#release(mailbox);
    this.#o.inner.write(e);
  }

  close(): Error | undefined {
    return this.#o.inner.close?.();
  }

  #end(e: Extract<SyncEvent, { event: 'mailbox-end' }>): void {
    const verdict = decideQuiet({
      mailbox: e.mailbox,
      prev: this.#o.previous.get(e.mailbox),
      code: e.code,
      busy: e.busy,
      now: (this.#o.now ?? (() => new Date()))(),
      quietFailuresFor: this.#o.quietFailuresFor,
    });
    if (verdict.show) this.#release(e.mailbox);
    else this.#held.delete(e.mailbox);
    this.#open.delete(e.mailbox);
    if (verdict.reported) this.#reported.add(e.mailbox);
    this.#o.inner.write(e);
    if (verdict.line !== undefined) {
      (verdict.reported ? this.#o.err : this.#o.out)(`${verdict.line}\n`);
    }
  }

  #release(mailbox: string): void {
    const held = this.#held.get(mailbox) ?? [];
    this.#held.delete(mailbox);
    for (const e of held) this.#o.inner.write(e);
  }
}
