// A message's header block, read with a bounded size and parsed by postal-mime (README: dependencies),
// as the MessageView rules look at. Only the header block is read: rules never see the body.
import PostalMime, { addressParser, decodeWords } from 'postal-mime';
import type { FsPath, MaildirFs } from '../maildir/fs.js';
import type { MessageView } from './types.js';

/** At most this much is read: a header block that has not ended by then is not routed (see route.ts). */
export const HEADER_LIMIT = 1024 * 1024;
const CHUNK = 64 * 1024;

export interface HeaderBlock {
  readonly bytes: Buffer;
  /** False when the limit came before the blank line that ends the headers (and before the file's end). */
  readonly complete: boolean;
}

/** Where the headers end: just past the first empty line, or -1. */
function headerEnd(bytes: Buffer, from: number): number {
  for (let i = bytes.indexOf(0x0a, from); i !== -1; i = bytes.indexOf(0x0a, i + 1)) {
    const next = bytes[i + 1];
    if (next === 0x0a) return i + 2;
    if (next === 0x0d && bytes[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

export function readHeaderBlock(fs: MaildirFs, path: FsPath, limit = HEADER_LIMIT): HeaderBlock {
  const fd = fs.open(path);
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(CHUNK, limit + 1 - length));
      const n = fs.read(fd, chunk);
      if (n === 0) return { bytes: Buffer.concat(chunks, length), complete: true };
      chunks.push(chunk.subarray(0, n));
      // Look again from a little before the new bytes: the empty line may straddle two reads.
      const from = Math.max(0, length - 2);
      length += n;
      const bytes = Buffer.concat(chunks, length);
      const end = headerEnd(bytes, from);
      if (end !== -1) return { bytes: bytes.subarray(0, end), complete: true };
      if (length > limit) return { bytes: bytes.subarray(0, limit), complete: false };
      chunks.splice(0, chunks.length, bytes);
    }
  } finally {
    fs.close(fd);
  }
}

type Address = { address?: string | undefined; group?: Address[] | undefined };

function flatten(list: readonly Address[], out: string[]): string[] {
  for (const a of list) {
    if (a.group !== undefined) flatten(a.group, out);
    else if (a.address) out.push(a.address.toLowerCase());
  }
  return out;
}

function decoded(value: string): string {
  try {
    return decodeWords(value);
  } catch {
    return value; // an encoded word that does not decode is matched as written
  }
}

/** The view rules match on. A mbox "From " line or any other junk is just a header of no use. */
export async function parseHeaders(block: Buffer, size: number): Promise<MessageView> {
  // The blank line tells postal-mime the headers are over, so it never waits for a body.
  const parsed = await PostalMime.parse(Buffer.concat([block, Buffer.from('\r\n\r\n')]));
  const byName = new Map<string, string[]>();
  const raw = new Map<string, string[]>();
  for (const { key, value } of parsed.headers) {
    const name = key.toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), decoded(value)]);
    raw.set(name, [...(raw.get(name) ?? []), value]);
  }
  const addresses = (names: readonly string[]): string[] => {
    const out: string[] = [];
    for (const name of names) {
      for (const value of raw.get(name) ?? []) {
        try {
          flatten(addressParser(value) as Address[], out);
        } catch {
          // An address list that does not parse has no address to match.
        }
      }
    }
    return out;
  };
  const from = addresses(['from']);
  const to = addresses(['to', 'cc']);
  return {
    values: (name) => byName.get(name.toLowerCase()) ?? [],
    addresses: (kind) => (kind === 'from' ? from : to),
    size,
  };
}
