// What the transfer log says happened to each message, as `syncmail verify` checks it: which
// messages were delivered, where they were put, and which server copies the log says are gone.
// Pure: records in, a ledger out. Dry runs count for nothing (they moved nothing), whatever their
// records say.
import { type LogRecord, recordName } from '../log/records.js';
import { uniqueName } from '../maildir/layout.js';

export interface Delivered {
  readonly mailbox: string;
  /** The server's name. */
  readonly file: Buffer;
  /** The local name it was delivered under: `as` when renamed, else the server's name. */
  readonly name: Buffer;
  /** Where it was put (absolute); older logs do not say. */
  readonly path: Buffer | undefined;
  /**
   * Delivered as a new version of a message whose server copy changed: a second delivery is
   * expected.
   */
  readonly changedOnServer: boolean;
  /** Delivered under a fresh name (a renamed conflict): a message of its own. */
  readonly renamed: boolean;
  readonly time: string;
}

/** A server name the log's last word about is `removed`: no server copy may remain. */
export interface Removed {
  readonly mailbox: string;
  readonly file: Buffer;
  readonly time: string;
}

export interface Ledger {
  /** The time of the log's first record: what "since" means. */
  readonly since: string | undefined;
  readonly delivered: readonly Delivered[];
  readonly removed: readonly Removed[];
  /**
   * Local paths (latin1) where the log says other bytes already had a message's name
   * (copy-conflict): a file there with the same unique name is a different message, not a
   * duplicate.
   */
  readonly otherBytes: ReadonlySet<string>;
  /** Every mailbox the log names. */
  readonly mailboxes: ReadonlySet<string>;
}

/**
 * The events that say where a server copy stands: after `removed` it is gone; after any of the
 * others it may stay (left there, or delivered and waiting for the remove pass of a run that was
 * cut short).
 */
const SERVER_FATE = new Set([
  'delivered',
  'removed',
  'exists',
  'conflict',
  'changed',
  'nonregular',
  'not-a-message',
  'vanished',
]);

export function key(mailbox: string, name: Buffer): string {
  return `${mailbox}\0${name.toString('latin1')}`;
}

function dryRuns(records: readonly LogRecord[]): Set<unknown> {
  return new Set(
    records.filter((r) => r.event === 'run-start' && r['dryRun'] === true).map((r) => r.run),
  );
}

/** ISO times compare as strings; the rotated files need not come in order. */
function earliest(records: readonly LogRecord[]): string | undefined {
  let first: string | undefined;
  for (const r of records) if (first === undefined || r.time < first) first = r.time;
  return first;
}

export function readLedger(records: readonly LogRecord[]): Ledger {
  const dry = dryRuns(records);
  const delivered: Delivered[] = [];
  const fate = new Map<string, { event: string; mailbox: string; file: Buffer; time: string }>();
  const otherBytes = new Set<string>();
  const mailboxes = new Set<string>();
  for (const r of records) {
    if (dry.has(r.run) || r['dryRun'] === true) continue;
    const mailbox = r['mailbox'];
    if (typeof mailbox !== 'string') continue;
    mailboxes.add(mailbox);
    const file = recordName(r, 'file');
    if (file === undefined) continue;
    if (r.event === 'delivered') {
      const as = recordName(r, 'as');
      delivered.push({
        mailbox,
        file,
        name: as ?? file,
        path: recordName(r, 'path'),
        changedOnServer: r['changedOnServer'] === true,
        renamed: as !== undefined && !uniqueName(as).equals(uniqueName(file)),
        time: r.time,
      });
    }
    if (r.event === 'copy-conflict') {
      const local = recordName(r, 'local');
      if (local !== undefined) otherBytes.add(local.toString('latin1'));
    }
    if (SERVER_FATE.has(r.event))
      fate.set(key(mailbox, file), { event: r.event, mailbox, file, time: r.time });
  }
  const removed = [...fate.values()]
    .filter((f) => f.event === 'removed')
    .map(({ mailbox, file, time }) => ({ mailbox, file, time }));
  return { since: earliest(records), delivered, removed, otherBytes, mailboxes };
}
