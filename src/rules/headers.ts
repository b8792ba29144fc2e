// A message's header block, read with a bounded size, as the MessageView rules look at: its fields
// unfolded here, their encoded words and address lists decoded by postal-mime (README: dependencies).
// Only the header block is read: rules never see the body.
import type * as PostalMime from 'postal-mime';
import type { FsPath, MaildirFs } from '../maildir/fs.js';
import type { MessageView } from './types.js';

/** At most this much is read: a header block that has not ended by then is not routed (see route.ts). */
export const HEADER_LIMIT = 1024 * 1024;
const CHUNK = 64 * 1024;
const FIRST_READ = 8 * 1024;
/** Reads land here and are copied out: no fresh 64 KiB buffer for each of 10,000 messages. */
const scratch = Buffer.allocUnsafe(CHUNK);

export interface HeaderBlock {
  readonly bytes: Buffer;
  /** False when the limit came before the blank line that ends the headers (and before the file's end). */
  readonly complete: boolean;
}

/** Where the headers end: just past the first empty line, or -1. */
function headerEnd(bytes: Buffer, from: number): number {
  // An empty first line: a message with no headers at all, all of it body.
  if (bytes[0] === 0x0a) return 1;
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return 2;
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
    let bytes = Buffer.alloc(0);
    // A small first read: most header blocks fit, and the body is not read for nothing.
    for (let want = FIRST_READ; ; want = CHUNK) {
      const n = fs.read(fd, scratch.subarray(0, Math.min(want, limit + 1 - bytes.length)));
      if (n === 0) return { bytes, complete: true };
      // Look again from a little before the new bytes: the empty line may straddle two reads.
      const from = Math.max(0, bytes.length - 2);
      bytes = Buffer.concat([bytes, scratch.subarray(0, n)]);
      const end = headerEnd(bytes, from);
      if (end !== -1) return { bytes: bytes.subarray(0, end), complete: true };
      if (bytes.length > limit) return { bytes: bytes.subarray(0, limit), complete: false };
    }
  } finally {
    fs.close(fd);
  }
}

type Address = { address?: string | undefined; group?: Address[] | undefined };

let postalMime: typeof PostalMime | undefined;

/**
 * Loads postal-mime, once, before the first message is routed: most runs ask no rule, and a run that
 * does not need it should not pay for loading it (the bundle keeps it in a chunk of its own).
 */
export async function loadHeaderDecoders(): Promise<void> {
  postalMime ??= await import('postal-mime');
}

function decoders(): typeof PostalMime {
  if (postalMime === undefined)
    throw new Error('loadHeaderDecoders() was not awaited before routing');
  return postalMime;
}

function flatten(list: readonly Address[], out: string[]): string[] {
  for (const a of list) {
    if (a.group !== undefined) flatten(a.group, out);
    else if (a.address) out.push(a.address.toLowerCase());
  }
  return out;
}

function decoded(value: string): string {
  try {
    return decoders().decodeWords(value);
  } catch {
    return value; // an encoded word that does not decode is matched as written
  }
}

/** A header line's name: printable ASCII but ":" (RFC 5322), so an mbox "From " line is no header. */
const FIELD_NAME = /^[!-9;-~]+$/;

/**
 * The header block's fields, unfolded (a line starting with a space or tab continues the one before; the
 * line break goes, the whitespace stays, as RFC 5322 says), name lower-cased, value as written. Bytes
 * that are not UTF-8 become U+FFFD. A line that is not "name: value" is skipped, with its continuations.
 */
export function unfold(block: Buffer): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let current: { values: string[]; at: number } | undefined;
  let skipping = false;
  for (const line of block.toString('utf8').split(/\r?\n/)) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      if (current !== undefined && !skipping) current.values[current.at] += line;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trimEnd().toLowerCase();
    skipping = !FIELD_NAME.test(name);
    if (skipping) continue;
    const values = fields.get(name) ?? [];
    if (values.length === 0) fields.set(name, values);
    values.push(line.slice(colon + 1));
    current = { values, at: values.length - 1 };
  }
  return fields;
}

/**
 * The view rules match on. The block is split into fields here (unfold); postal-mime does what is hard
 * to get right, RFC 2047 encoded words in any charset and address lists with groups, only for the
 * headers some rule asks about, once each.
 */
export function parseHeaders(block: Buffer, size: number): MessageView {
  const fields = unfold(block);
  const decodedCache = new Map<string, string[]>();
  const values = (name: string): string[] => {
    const key = name.toLowerCase();
    let known = decodedCache.get(key);
    if (known === undefined) {
      known = (fields.get(key) ?? []).map((v) => (v.includes('=?') ? decoded(v) : v).trim());
      decodedCache.set(key, known);
    }
    return known;
  };
  const addressCache = new Map<string, string[]>();
  const addresses = (kind: 'from' | 'to'): string[] => {
    let known = addressCache.get(kind);
    if (known === undefined) {
      known = [];
      for (const name of kind === 'from' ? ['from'] : ['to', 'cc']) {
        for (const value of fields.get(name) ?? []) {
          try {
            flatten(decoders().addressParser(value) as Address[], known);
          } catch {
            // An address list that does not parse has no address to match.
          }
        }
      }
      addressCache.set(kind, known);
    }
    return known;
  };
  return { values, addresses, size };
}
