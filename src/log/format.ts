// A message's story as `syncmail log` prints it: a block of text per message, or one JSON object.
// Pure. Names are shown with displayName (terminal-safe, any bytes); times in local time.
import { nameFields } from '../outputs/name-fields.js';
import { displayName } from '../text/display-name.js';
import type { Headers } from './query.js';
import { type LogRecord, recordName } from './records.js';
import type { Step, Story } from './story.js';

/** What the command found out about the message on disk. */
export interface Found {
  readonly headers: Headers | undefined;
  /** The last delivered path the log has, and where the file is now (undefined: not found). */
  readonly logged: Buffer | undefined;
  readonly now: Buffer | undefined;
}

const SHOWN = 70;

/**
 * Text from a log or a header, on one line, controls flattened (a log could be edited by anyone).
 */
function flat(text: string, max = Number.POSITIVE_INFINITY): string {
  const one = text.replace(/[\0-\x1f\x7f-\x9f]+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * 2026-12-01T10:00:01.234Z → "2026-12-01 11:00:01" in local time (the logged text if it is no
 * time).
 */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return flat(iso);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

function name(r: LogRecord, key: string): string | undefined {
  const bytes = recordName(r, key);
  return bytes === undefined ? undefined : displayName(bytes);
}

function str(r: LogRecord, key: string): string | undefined {
  const v = r[key];
  return typeof v === 'string' ? flat(v) : undefined;
}

function delivered(r: LogRecord): string {
  const where = name(r, 'path') ?? name(r, 'as') ?? name(r, 'file') ?? '?';
  const as = name(r, 'as');
  const parts = [`delivered → ${where}`];
  const why = [
    str(r, 'folder') === undefined ? undefined : `folder ${str(r, 'folder')}`,
    str(r, 'rule') === undefined ? undefined : `rule ${str(r, 'rule')}`,
  ].filter((p) => p !== undefined);
  if (why.length > 0) parts.push(`(${why.join(', ')})`);
  if (as !== undefined && r['path'] === undefined) parts.push('under a fresh name');
  const copies = r['copies'];
  if (Array.isArray(copies) && copies.length > 0) {
    parts.push(`copies in ${copies.map((c) => flat(String(c))).join(', ')}`);
  }
  if (typeof r['flags'] === 'string' && r['flags'] !== '') parts.push(`flags ${flat(r['flags'])}`);
  if (r['changedOnServer'] === true) parts.push('(it changed on the server after the fetch)');
  return parts.join('  ');
}

/** One step in words. */
export function describeStep(step: Step): string {
  const r = step.record;
  const server = step.remote === undefined ? 'the server' : flat(step.remote);
  const local = name(r, 'local');
  switch (r.event) {
    case 'delivered':
      return delivered(r);
    case 'removed':
      return `removed from ${server}`;
    case 'exists':
      return `already delivered${local === undefined ? '' : ` as ${local}`} (same bytes)`;
    case 'conflict':
      return `conflict: other bytes have its name at ${local ?? '?'}; left on ${server}`;
    case 'copy-conflict':
      return `copy not made: other bytes have its name at ${local ?? '?'}`;
    case 'unrouted':
      return 'not routed (its header block is too large): delivered to INBOX';
    case 'nonregular':
      return `not a regular file: left on ${server}`;
    case 'not-a-message':
      return `not a message (${str(r, 'reason') ?? '?'}): left on ${server}`;
    case 'vanished':
      return `gone from ${server} before it was sent (a reader there moved it)`;
    case 'changed':
      return `changed on ${server} during the sync: left there`;
    default:
      return flat(r.event);
  }
}

function nowLine(found: Found): string | undefined {
  if (found.logged === undefined) return undefined;
  if (found.now === undefined) return 'now: not in that Maildir any more (moved or deleted)';
  if (found.now.equals(found.logged)) return undefined;
  return `now: ${displayName(found.now)}`;
}

export function formatStoryText(story: Story, found: Found): string {
  const head = [`${displayName(story.file)}  (${flat(story.mailbox)})`];
  const h = found.headers;
  if (h?.subject != null) head.push(`Subject: ${flat(h.subject, SHOWN)}`);
  if (h?.messageId != null) head.push(`Message-ID: ${flat(h.messageId)}`);
  const lines = [head.join('  ')];
  for (const step of story.steps) {
    const r = step.record;
    lines.push(`  ${localTime(r.time)}  run ${flat(r.run)}  ${describeStep(step)}`);
  }
  const now = nowLine(found);
  if (now !== undefined) lines.push(`  ${now}`);
  return `${lines.join('\n')}\n`;
}

/** The story as one JSON object: the steps are the log's records, without the mailbox and file. */
export function formatStoryJson(story: Story, found: Found): string {
  const steps = story.steps.map(({ record, remote }) => {
    const { mailbox: _m, file: _f, file_b64: _b, ...rest } = record;
    return remote === undefined ? rest : { ...rest, remote };
  });
  const now = found.now === undefined ? { now: null } : renamed(nameFields(found.now), 'now');
  return `${JSON.stringify({
    mailbox: story.mailbox,
    ...nameFields(story.file),
    subject: found.headers?.subject ?? null,
    messageId: found.headers?.messageId ?? null,
    ...now,
    steps,
  })}\n`;
}

function renamed(fields: { file: string; file_b64?: string }, key: string): Record<string, string> {
  const out: Record<string, string> = { [key]: fields.file };
  if (fields.file_b64 !== undefined) out[`${key}_b64`] = fields.file_b64;
  return out;
}
