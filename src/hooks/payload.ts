// The JSON document a hook reads on stdin: which run, for which scope (a mailbox's own hook, or the
// run's), and the messages it delivered, each with where it is now and the headers a script most often
// wants. Paths are file names on disk: `path` holds the name, plus `path_b64` with the exact bytes when
// they are not UTF-8 (as in the transfer log, name-fields.ts).
import type { SyncEvent } from '../events.js';
import { nameFields } from '../outputs/name-fields.js';
import type { MessageHeaders } from './headers-of.js';

export type DeliveredEvent = Extract<SyncEvent, { event: 'delivered' }>;

/** A delivered message, with the headers read from it after its mailbox was done. */
export interface DeliveredMessage {
  readonly event: DeliveredEvent;
  readonly headers: MessageHeaders;
}

export interface PayloadMessage {
  readonly mailbox: string;
  readonly path: string;
  readonly path_b64?: string;
  /** The folder a rule chose, "INBOX" for the mailbox's own Maildir. */
  readonly folder: string;
  readonly from: string | null;
  readonly subject: string | null;
  readonly messageId: string | null;
  readonly date: string | null;
}

export interface HookPayload {
  readonly run: string;
  /** The mailbox whose hook this is, or "run" for the top-level hook. */
  readonly scope: string;
  readonly messages: readonly PayloadMessage[];
}

/** The messages that have a place on disk (a dry run's do not, and hooks never run in one). */
export function payloadOf(
  runId: string,
  scope: string,
  delivered: readonly DeliveredMessage[],
): HookPayload {
  const messages: PayloadMessage[] = [];
  for (const { event, headers } of delivered) {
    if (event.path === undefined) continue;
    const name = nameFields(event.path);
    messages.push({
      mailbox: event.mailbox,
      path: name.file,
      ...('file_b64' in name ? { path_b64: name.file_b64 } : {}),
      folder: event.folder ?? 'INBOX',
      from: headers.from,
      subject: headers.subject,
      messageId: headers.messageId,
      date: headers.date,
    });
  }
  return { run: runId, scope, messages };
}

/** The payload as the hook's stdin: one JSON document and a newline. */
export function payloadText(payload: HookPayload): string {
  return `${JSON.stringify(payload)}\n`;
}
