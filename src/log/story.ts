// A message's story: every record the transfer log has about one message of one mailbox (its unique
// file name on the server), in time order, each with the server it was on (the `remote` of that
// run's mailbox-start). Pure: records in, stories out.
import { type LogRecord, recordName } from './records.js';

export interface Step {
  readonly record: LogRecord;
  /** The mailbox's remote in that run (mailbox-start), when the log has it. */
  readonly remote: string | undefined;
}

export interface Story {
  readonly mailbox: string;
  /** The message's file name in the server's new/: what the story is keyed by. */
  readonly file: Buffer;
  /** Its records, in time order (ties in log order). */
  readonly steps: readonly Step[];
}

/** A record about one message: it names a mailbox and a file. */
function messageOf(r: LogRecord): { mailbox: string; file: Buffer } | undefined {
  const mailbox = r['mailbox'];
  if (typeof mailbox !== 'string') return undefined;
  const file = recordName(r, 'file');
  return file === undefined ? undefined : { mailbox, file };
}

/** The stories of every message in the records, oldest first (by their first step). */
export function stories(records: readonly LogRecord[]): Story[] {
  // First the remotes: records of concurrent runs interleave, and a file's order is not promised.
  const remotes = new Map<string, string>();
  for (const r of records) {
    const remote = r['remote'];
    if (r.event === 'mailbox-start' && typeof remote === 'string') {
      remotes.set(`${r.run}\0${String(r['mailbox'])}`, remote);
    }
  }
  const byMessage = new Map<string, { mailbox: string; file: Buffer; steps: Step[] }>();
  for (const r of records) {
    const message = messageOf(r);
    if (message === undefined) continue;
    const key = `${message.mailbox}\0${message.file.toString('base64')}`;
    let story = byMessage.get(key);
    if (story === undefined) {
      story = { ...message, steps: [] };
      byMessage.set(key, story);
    }
    story.steps.push({ record: r, remote: remotes.get(`${r.run}\0${message.mailbox}`) });
  }
  const all = [...byMessage.values()];
  // Array.prototype.sort is stable: steps of the same millisecond keep the order they were logged
  // in.
  for (const s of all) s.steps.sort((a, b) => compareTime(a.record.time, b.record.time));
  return all.sort((a, b) => compareTime(firstTime(a), firstTime(b)));
}

function firstTime(s: { steps: readonly Step[] }): string {
  return s.steps[0]?.record.time ?? '';
}

/** ISO times as logged (toISOString: same length, UTC) compare as strings. */
function compareTime(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where the message was last delivered (absolute local path), when the log says. */
export function deliveredPath(story: Story): Buffer | undefined {
  for (let i = story.steps.length - 1; i >= 0; i--) {
    const r = story.steps[i]?.record;
    if (r?.event === 'delivered') {
      const p = recordName(r, 'path');
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

/** The names it had locally: `as` when delivered under a fresh name, else its own. */
export function localNames(story: Story): Buffer[] {
  const names = [story.file];
  for (const { record } of story.steps) {
    const as = record.event === 'delivered' ? recordName(record, 'as') : undefined;
    if (as !== undefined && !names.some((n) => n.equals(as))) names.push(as);
  }
  return names;
}
