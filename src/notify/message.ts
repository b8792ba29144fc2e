// What a new-mail notification says: one per run, however many messages came. One message is named by
// its sender, with its subject; a few are listed, a sender and subject a line; many are counted per
// mailbox. notifyDetail keeps subjects (senders) or everything but the counts (count) off a screen that
// others may see. The body is in the notification server's markup (a small subset of HTML), so text
// from a message is escaped there; the summary is plain text.
import type { NotifyDetail } from '../config/types.js';
import type { DeliveredMessage } from '../hooks/payload.js';

/** Up to this many messages are listed one by one; more are counted. */
export const LISTED = 5;
/** A sender or subject longer than this is cut, with "…". */
const TEXT_MAX = 80;

export interface Notice {
  readonly summary: string;
  readonly body: string;
}

/** Control characters and runs of white space become one space; long text is cut. */
export function tidy(text: string): string {
  const flat = text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();
  const chars = [...flat];
  return chars.length <= TEXT_MAX ? flat : `${chars.slice(0, TEXT_MAX - 1).join('')}…`;
}

/** Text for the body's markup: notify-send passes it on as is, and "<" would start a tag. */
export function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function unquote(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"'))
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1');
  return trimmed;
}

/**
 * Who a From header says sent it, as a person reads it: the display name ("Alice" of
 * `"Alice" <alice@example.org>` or of `alice@example.org (Alice)`), else the address.
 */
export function senderName(from: string | null): string {
  const value = from?.trim() ?? '';
  if (value === '') return 'unknown sender';
  const angle = /^(.*?)\s*<([^<>]*)>\s*$/.exec(value);
  if (angle !== null) {
    const name = unquote(angle[1] ?? '');
    return tidy(name !== '' ? name : (angle[2] ?? value));
  }
  const comment = /^(\S+@\S+)\s*\((.+)\)\s*$/.exec(value);
  if (comment !== null) return tidy(comment[2] ?? value);
  return tidy(value);
}

function messages(n: number): string {
  return n === 1 ? '1 new message' : `${n} new messages`;
}

/** "inbox: 3" a line, in the order the mailboxes first delivered. */
function perMailbox(delivered: readonly DeliveredMessage[]): string {
  const counts = new Map<string, number>();
  for (const { event } of delivered)
    counts.set(event.mailbox, (counts.get(event.mailbox) ?? 0) + 1);
  return [...counts].map(([mailbox, n]) => escapeMarkup(`${mailbox}: ${n}`)).join('\n');
}

/** The senders in order, each once, with how many when more than one: "Alice (2)". */
function senders(delivered: readonly DeliveredMessage[]): string {
  const counts = new Map<string, number>();
  for (const { headers } of delivered) {
    const name = senderName(headers.from);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => escapeMarkup(n === 1 ? name : `${name} (${n})`)).join('\n');
}

function subjectOf(message: DeliveredMessage): string {
  const subject = tidy(message.headers.subject ?? '');
  return subject === '' ? '(no subject)' : subject;
}

/** The notification for a run's delivered messages; undefined when there are none. */
export function noticeOf(
  delivered: readonly DeliveredMessage[],
  detail: NotifyDetail,
): Notice | undefined {
  const n = delivered.length;
  const first = delivered[0];
  if (first === undefined) return undefined;
  if (detail === 'count') return { summary: messages(n), body: perMailbox(delivered) };
  if (n === 1) {
    const summary = `New mail from ${senderName(first.headers.from)}`;
    return { summary, body: detail === 'subjects' ? escapeMarkup(subjectOf(first)) : '' };
  }
  if (n > LISTED) return { summary: messages(n), body: perMailbox(delivered) };
  if (detail === 'senders') return { summary: messages(n), body: senders(delivered) };
  const lines = delivered.map((m) =>
    escapeMarkup(`${senderName(m.headers.from)}: ${subjectOf(m)}`),
  );
  return { summary: messages(n), body: lines.join('\n') };
}
