// Deciding what happens to each entry found in the stage (or, in a dry run, in the server's listing).
// Pure: an entry, what the local Maildir holds and what the journal knows in, a decision out; applying it
// is deliver.ts's job. Routing rules will decide here, too, which folder a message goes to.
import type { NotAMessage } from '../events.js';
import { PARTIAL_DIR } from './layout.js';
import type { LocalEntry, LocalIndex } from './local-index.js';
import type { Pending } from './pending.js';

export interface Entry {
  readonly name: Buffer;
  readonly type: 'file' | 'directory' | 'other';
  /** The staged copy's size and modification time (whole seconds): the server's, kept by rsync. */
  readonly size?: number;
  readonly mtime?: number;
  /** What the pending-removal journal knows of this name. */
  readonly pending?: Pending | undefined;
}

export type Plan =
  /** rsync's own partial dir inside the stage: not from the server. */
  | { readonly action: 'skip' }
  /** Not a message: it stays on the server, for a person to look at. */
  | { readonly action: 'leave'; readonly reason: NotAMessage }
  /** This very version is already delivered and waits for its server copy to go: nothing to do. */
  | { readonly action: 'drop' }
  /**
   * No local message has this unique name: move it into new/. `changedOnServer`: an earlier version was
   * delivered (and its server copy had not gone yet when the server's copy changed).
   */
  | { readonly action: 'deliver'; readonly changedOnServer: boolean }
  /** A local message has this unique name: the same bytes are a leftover, others a conflict. */
  | {
      readonly action: 'compare';
      readonly local: readonly LocalEntry[];
      readonly changedOnServer: boolean;
    };

const PARTIAL_NAME = Buffer.from(PARTIAL_DIR);

export function planMessage(entry: Entry, index: Pick<LocalIndex, 'find'>): Plan {
  if (entry.name.equals(PARTIAL_NAME)) return { action: 'skip' };
  if (entry.type === 'directory') return { action: 'leave', reason: 'directory' };
  if (entry.type !== 'file') return { action: 'leave', reason: 'special' };
  // A Maildir reader never shows a dot-file: it is no message, whatever it holds.
  if (entry.name[0] === 0x2e) return { action: 'leave', reason: 'dot-file' };
  const { pending } = entry;
  const same = pending?.size === entry.size && pending?.mtime === entry.mtime;
  if (pending?.visible === true && same) return { action: 'drop' };
  // A version was delivered, and the server's copy changed before it could be removed: the new version
  // is a message of its own, delivered beside the old one (which the reader may have read or deleted).
  // An intent to deliver under a fresh name, cut short, was one of those (or a renamed conflict, which
  // is delivered the same way).
  const changedOnServer =
    pending?.visible === true || (pending?.as !== undefined && !pending.as.equals(entry.name));
  const local = index.find(entry.name);
  return local.length === 0
    ? { action: 'deliver', changedOnServer }
    : { action: 'compare', local, changedOnServer };
}
