// The few headers a hook and a notification show of a delivered message: From, Subject, Message-ID and
// Date, decoded (RFC 2047) as the rules see them (rules/headers.ts). Only the first 64 KiB are read: a
// header block larger than that still gives the fields that came before. The file may be gone by the
// time a hook runs (a mail reader moved it to cur/ or deleted it): its headers are then unknown, not an
// error, because the message was delivered all the same.
import type { MaildirFs } from '../maildir/fs.js';
import { loadHeaderDecoders, parseHeaders, readHeaderBlock } from '../rules/headers.js';

export const HEADERS_READ = 64 * 1024;

export interface MessageHeaders {
  readonly from: string | null;
  readonly subject: string | null;
  readonly messageId: string | null;
  readonly date: string | null;
}

export const UNKNOWN_HEADERS: MessageHeaders = {
  from: null,
  subject: null,
  messageId: null,
  date: null,
};

/** The headers of the message at `path`; nulls for a field it lacks, all nulls when it cannot be read. */
export async function headersOf(fs: MaildirFs, path: Buffer): Promise<MessageHeaders> {
  await loadHeaderDecoders();
  let block: Buffer;
  try {
    block = readHeaderBlock(fs, path, HEADERS_READ).bytes;
  } catch {
    // Moved, deleted or unreadable since it was delivered: nothing to say about it.
    return UNKNOWN_HEADERS;
  }
  const view = parseHeaders(block, block.length);
  const first = (name: string): string | null => view.values(name)[0] ?? null;
  return {
    from: first('from'),
    subject: first('subject'),
    messageId: first('message-id'),
    date: first('date'),
  };
}
