// Every event of a run, as one discriminated union: the transfer log's schema as code (the README's
// event table lists the same). A run emits these and nothing else; each output (the transfer log, the
// terminal, --json, and later progress, notifications and hooks) turns them into what it shows, and a
// mailbox's counts are folded from them (tally.ts). Events carry reason codes, not sentences: the words
// are the outputs' business. File names are raw bytes (Buffers).
import type { ErrorReason } from './errors.js';
import type { HeldSignal } from './signals.js';

/** Why an entry of the server's new/ is not a message: it is left there. */
export type NotAMessage = 'directory' | 'dot-file' | 'special';

export type PassLabel = 'fetch' | 'remove' | 'listing';

export type SyncEvent =
  | {
      readonly event: 'run-start';
      readonly version: string;
      readonly dryRun: boolean;
      readonly mailboxes: readonly string[];
    }
  | {
      readonly event: 'mailbox-start';
      readonly mailbox: string;
      readonly remote: string;
      readonly local: string;
    }
  /** In the local new/ (durable before any `removed`); `as` when delivered under a fresh name. */
  | {
      readonly event: 'delivered';
      readonly mailbox: string;
      readonly file: Buffer;
      readonly size?: number;
      readonly as?: Buffer;
      /** Where it is now: the absolute path in the local new/ (or cur/); absent in a dry run. */
      readonly path?: Buffer;
      /** Delivered by the remove pass: the server copy changed after the fetch. */
      readonly changedOnServer?: true;
      /** With routing rules: the folder it went to (INBOX: the mailbox's own), and the rule that chose it. */
      readonly folder?: string;
      readonly rule?: string;
      /** The folders that also got it (hard links). */
      readonly copies?: readonly string[];
      /** The Maildir flags it was delivered with (in cur/): "S" read, "F" flagged. */
      readonly flags?: string;
      readonly dryRun?: true;
      /** A dry run cannot say where rules put a message that is not fetched yet: they read its headers. */
      readonly routedWhenFetched?: true;
    }
  /** A copy a rule asked for was not made: other bytes have the name there. The message itself is delivered. */
  | {
      readonly event: 'copy-conflict';
      readonly mailbox: string;
      readonly file: Buffer;
      readonly local: Buffer;
    }
  /** The rules could not be asked (its header block is larger than syncmail reads): it went to INBOX. */
  | {
      readonly event: 'unrouted';
      readonly mailbox: string;
      readonly file: Buffer;
      readonly reason: 'header-too-large';
    }
  /** rsync confirmed the server copy is gone: the move is complete. */
  | { readonly event: 'removed'; readonly mailbox: string; readonly file: Buffer }
  /** The same bytes are already in the local Maildir (`local`); the server copy is removed. */
  | {
      readonly event: 'exists';
      readonly mailbox: string;
      readonly file: Buffer;
      /** Absent in a dry run, which compares names only. */
      readonly local?: Buffer;
      readonly dryRun?: true;
    }
  /** Same unique name, different bytes: left on the server. */
  | {
      readonly event: 'conflict';
      readonly mailbox: string;
      readonly file: Buffer;
      readonly local: Buffer;
    }
  /** A symlink, FIFO, socket or device in the server's new/: left there. */
  | { readonly event: 'nonregular'; readonly mailbox: string; readonly file: Buffer }
  | {
      readonly event: 'not-a-message';
      readonly mailbox: string;
      readonly file: Buffer;
      readonly reason: NotAMessage;
      readonly dryRun?: true;
    }
  /** Gone from the server before it was sent (a reader there moved it): not an error. */
  | { readonly event: 'vanished'; readonly mailbox: string; readonly file: Buffer }
  /** It changed on the server during the sync: left there. */
  | { readonly event: 'changed'; readonly mailbox: string; readonly file: Buffer }
  /** Another syncmail holds this mailbox: waiting up to `seconds` (--wait) for it; `holders` its pids. */
  | {
      readonly event: 'waiting';
      readonly mailbox: string;
      readonly seconds: number;
      readonly holders: readonly number[];
    }
  /** Another syncmail holds this mailbox: skipped. */
  | { readonly event: 'busy'; readonly mailbox: string }
  /** A pass failed for a transient reason and runs again after `delayMs`. */
  | {
      readonly event: 'retry';
      readonly mailbox: string;
      readonly pass: PassLabel;
      readonly reason: ErrorReason;
      readonly message: string;
      readonly delayMs: number;
    }
  /** Something rsync or ssh said on stderr that is not otherwise understood. */
  | {
      readonly event: 'warning';
      readonly mailbox: string;
      readonly pass: PassLabel;
      readonly message: string;
    }
  | {
      readonly event: 'error';
      readonly mailbox: string;
      readonly class: string;
      readonly code: number;
      readonly reason: ErrorReason;
      readonly message: string;
      readonly hint?: string;
      readonly dryRun?: true;
    }
  /** rsync's end-of-pass counts (STATS2), e.g. "regular files transferred". */
  | {
      readonly event: 'stats';
      readonly mailbox: string;
      readonly pass: PassLabel;
      readonly counts: Readonly<Record<string, number>>;
    }
  | {
      readonly event: 'mailbox-end';
      readonly mailbox: string;
      readonly delivered: number;
      readonly removed: number;
      readonly leftOnServer: number;
      readonly busy: boolean;
      readonly code: number;
      readonly ms: number;
    }
  /** A hook ran (hooks.afterSync): for one mailbox, or for the run (no mailbox). */
  | {
      readonly event: 'hook';
      readonly hook: 'afterSync';
      readonly scope: string; // the mailbox's name, or "run"
      readonly command: string;
      readonly delivered: number;
      /** The exit code, or null when it was killed (timedOut) or could not be started (failed). */
      readonly code: number | null;
      readonly timedOut?: true;
      readonly failed?: string;
      readonly output: string;
      readonly ms: number;
    }
  /** A desktop notification was sent (or could not be: `failed`). */
  | {
      readonly event: 'notified';
      readonly messages: number;
      readonly failed?: string;
    }
  /** The run's time limit (--max-time) ran out: running transfers stopped, `skipped` did not run. */
  | {
      readonly event: 'timed-out';
      readonly seconds: number;
      readonly skipped: readonly string[];
    }
  /** A signal stopped the run: the running mailbox finished (or was forced), `skipped` did not run. */
  | {
      readonly event: 'interrupted';
      readonly signal: HeldSignal;
      readonly forced: boolean;
      readonly skipped: readonly string[];
    }
  | { readonly event: 'run-end'; readonly code: number; readonly signal?: HeldSignal };

export type EventName = SyncEvent['event'];

/** The events of one mailbox. */
export type MailboxEvent = Extract<SyncEvent, { mailbox: string }>;

/** A mailbox's event as the code inside that mailbox emits it: the mailbox is filled in for it. */
export type Scoped = MailboxEvent extends infer E
  ? E extends MailboxEvent
    ? Omit<E, 'mailbox'>
    : never
  : never;

/** Where events go: each output decides what it shows. */
export interface Output {
  write(event: SyncEvent): void;
  /** Called once at the end of the run; returns a failure to report (a log that could not be written). */
  close?(): Error | undefined;
}
