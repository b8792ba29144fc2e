// Deciding what happens to each entry found in the stage (or, in a dry run, in the server's listing).
// Pure: an entry and what the local Maildir holds in, a decision out; applying it is deliver.ts's job.
// Routing rules will decide here, too, which folder a message goes to.
import type { NotAMessage } from '../events.js';
import { PARTIAL_DIR } from './layout.js';
import type { LocalEntry, LocalIndex } from './local-index.js';

export interface Entry {
  readonly name: Buffer;
  readonly type: 'file' | 'directory' | 'other';
}

export type Plan =
  /** rsync's own partial dir inside the stage: not from the server. */
  | { readonly action: 'skip' }
  /** Not a message: it stays on the server, for a person to look at. */
  | { readonly action: 'leave'; readonly reason: NotAMessage }
  /** No local message has this unique name: link it into new/. */
  | { readonly action: 'deliver' }
  /** A local message has this unique name: the same bytes are a leftover, others a conflict. */
  | { readonly action: 'compare'; readonly local: readonly LocalEntry[] };

const PARTIAL_NAME = Buffer.from(PARTIAL_DIR);

export function planMessage(entry: Entry, index: Pick<LocalIndex, 'find'>): Plan {
  if (entry.name.equals(PARTIAL_NAME)) return { action: 'skip' };
  if (entry.type === 'directory') return { action: 'leave', reason: 'directory' };
  if (entry.type !== 'file') return { action: 'leave', reason: 'special' };
  // A Maildir reader never shows a dot-file: it is no message, whatever it holds.
  if (entry.name[0] === 0x2e) return { action: 'leave', reason: 'dot-file' };
  const local = index.find(entry.name);
  return local.length === 0 ? { action: 'deliver' } : { action: 'compare', local };
}
