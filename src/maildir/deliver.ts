// Applies delivery plans (plan.ts) to a batch of staged messages, so that a message becomes visible at
// most once, whatever interrupts it and whatever the reader does in between:
//
//   1. decide each message's fate, comparing bytes where a unique name is already local; nothing moves;
//   2. journal an intent (I) for each message to move and an E for each already here, then fsync the
//      journal once for the batch;
//   3. move each message into new/ with rename(2), which is atomic, and journal that it is done (D).
//
// A message is visible exactly when its staged copy is gone: before the rename the stage holds it, after
// it new/ does. So after a crash an intent whose staged copy is still there is finished, and one whose
// copy is gone is done (checked against the Maildir where a cleaning of tmp/ could have taken the stage
// copy instead; see settle in mailbox/steps.ts). (link(2) and unlink(2) would refuse to replace a name,
// but between the two a reader may delete the new name, and the next run could not tell that message
// from one never delivered.)
import type { OnConflict } from '../config/types.js';
import type { MaildirFs } from './fs.js';
import type { MailboxPaths } from './layout.js';
import { joinName, uniqueName } from './layout.js';
import type { LocalIndex } from './local-index.js';
import type { Journal } from './pending.js';
import type { Plan } from './plan.js';
import { sameContent } from './same-content.js';

export type Delivery =
  /** In new/ as `as` (equal to `name` unless renamed after a conflict). */
  | {
      readonly kind: 'delivered';
      readonly name: Buffer;
      readonly as: Buffer;
      readonly size: number;
      readonly renamed: boolean;
      readonly changedOnServer: boolean;
    }
  /** The same bytes are already in the local Maildir (a leftover of an interrupted run). */
  | { readonly kind: 'exists'; readonly name: Buffer; readonly local: Buffer }
  /** Same unique name, different bytes: left on the server, nothing local touched. */
  | { readonly kind: 'conflict'; readonly name: Buffer; readonly local: Buffer };

export interface Delivering {
  readonly paths: MailboxPaths;
  readonly index: LocalIndex;
  readonly onConflict: OnConflict;
  readonly runId: string;
  readonly fs: MaildirFs;
  readonly journal: Journal;
}

/** A complete message in the stage, with its server copy's size and mtime (whole seconds). */
export interface Staged {
  readonly path: Buffer;
  readonly name: Buffer;
  readonly size: number;
  readonly mtime: number;
}

export type Decision =
  | {
      readonly kind: 'move';
      readonly staged: Staged;
      readonly as: Buffer;
      readonly renamed: boolean;
      readonly changedOnServer: boolean;
    }
  | { readonly kind: 'exists'; readonly staged: Staged; readonly local: Buffer }
  | { readonly kind: 'conflict'; readonly staged: Staged; readonly local: Buffer }
  | { readonly kind: 'drop'; readonly staged: Staged };

const NAME_MAX = 255;

/**
 * A fresh unique name for a message whose name is taken: NAME.syncmail-RUN-N, keeping any ":2,…" part.
 * Still at most 255 bytes (NAME_MAX): the unique part is shortened, and a very long info part dropped.
 */
export function renamedName(name: Buffer, runId: string, attempt: number): Buffer {
  const suffix = Buffer.from(`.syncmail-${runId}-${attempt}`);
  let unique = uniqueName(name);
  let info = name.subarray(unique.length);
  if (
    unique.length + suffix.length + info.length > NAME_MAX &&
    NAME_MAX - suffix.length - info.length < 16
  )
    info = Buffer.alloc(0);
  unique = unique.subarray(0, Math.max(0, NAME_MAX - suffix.length - info.length));
  return Buffer.concat([unique, suffix, info]);
}

function taken(d: Delivering, as: Buffer): boolean {
  return d.index.find(as).length > 0 || d.fs.lstat(joinName(d.paths.new, as)) !== undefined;
}

/** The first NAME.syncmail-RUN-N not taken locally. */
function freshName(d: Delivering, name: Buffer): Buffer {
  for (let attempt = 1; ; attempt += 1) {
    const as = renamedName(name, d.runId, attempt);
    if (!taken(d, as)) return as;
  }
}

/** Moves to `as`, reserving the name in the index so later decisions of the batch avoid it. */
function move(d: Delivering, staged: Staged, as: Buffer, changedOnServer: boolean): Decision {
  d.index.add('new', as);
  return { kind: 'move', staged, as, renamed: !as.equals(staged.name), changedOnServer };
}

/** Step 1: where one staged message goes. Reads (compares bytes), changes nothing. */
export function decide(
  d: Delivering,
  staged: Staged,
  plan: Extract<Plan, { action: 'drop' | 'deliver' | 'compare' }>,
): Decision {
  if (plan.action === 'drop') return { kind: 'drop', staged };
  const local = plan.action === 'compare' ? plan.local : [];
  for (const entry of local) {
    if (sameContent(d.fs, staged.path, entry.path))
      return { kind: 'exists', staged, local: entry.path };
  }
  if (local.length === 0 && !taken(d, staged.name))
    return move(d, staged, staged.name, plan.changedOnServer);
  // A version of ours that changed on the server is always taken, under a fresh name beside the old one.
  if (d.onConflict === 'keep' && !plan.changedOnServer) {
    return {
      kind: 'conflict',
      staged,
      local: local[0]?.path ?? joinName(d.paths.new, staged.name),
    };
  }
  return move(d, staged, freshName(d, staged.name), plan.changedOnServer);
}

/** Step 2: the journal records for a batch of decisions, durable before anything moves. */
export function journalBatch(d: Delivering, decisions: readonly Decision[]): void {
  for (const x of decisions) {
    const { name, size, mtime } = x.staged;
    if (x.kind === 'move') d.journal.intend(name, size, mtime, x.as);
    else if (x.kind === 'exists') d.journal.exists(name, size, mtime);
  }
  d.journal.sync();
}

/** The sparse stand-in for a pending message that both rsync passes compare against (layout.ts). */
export function placeholder(d: Delivering, name: Buffer, size: number, mtime: number): void {
  d.fs.placeholder(joinName(d.paths.pendingNew, name), size, mtime);
}

/**
 * Makes the staged message visible as `target` with rename(2), which is atomic: the message is in the
 * stage or in new/, never in both or neither, so a crash leaves nothing to guess. False when the name is
 * taken. rename(2) would replace a name created after this check; only syncmail writes server names
 * here, under the local Maildir's lock, and other Maildir writers make unique names of their own.
 */
function publish(d: Delivering, from: Buffer, target: Buffer): boolean {
  if (d.fs.lstat(target) !== undefined) return false;
  d.fs.rename(from, target);
  return true;
}

/** Step 3 for one decision: the move (or the stage copy's removal), and what it became. */
export function apply(d: Delivering, x: Decision): Delivery | undefined {
  const { staged } = x;
  switch (x.kind) {
    case 'drop':
      d.fs.unlink(staged.path);
      return undefined;
    case 'conflict':
      // The server copy stays for a person to decide; if they delete it there, nothing is left behind
      // that would report the conflict for ever.
      d.fs.unlink(staged.path);
      return { kind: 'conflict', name: staged.name, local: x.local };
    case 'exists':
      placeholder(d, staged.name, staged.size, staged.mtime);
      d.fs.unlink(staged.path);
      return { kind: 'exists', name: staged.name, local: x.local };
    case 'move': {
      let as = x.as;
      while (!publish(d, staged.path, joinName(d.paths.new, as))) {
        // Taken since the decision (another writer): the same bytes are a leftover; others are a
        // conflict, or, as decided for conflicts, delivered under a fresh name journaled first.
        const target = joinName(d.paths.new, as);
        if (sameContent(d.fs, staged.path, target)) {
          d.journal.undo(staged.name);
          d.journal.exists(staged.name, staged.size, staged.mtime);
          return apply(d, { kind: 'exists', staged, local: target });
        }
        if (d.onConflict === 'keep' && !x.changedOnServer) {
          d.journal.undo(staged.name);
          return apply(d, { kind: 'conflict', staged, local: target });
        }
        // The name just found taken is in new/ now, so the search goes past it.
        as = freshName(d, staged.name);
        d.index.add('new', as);
        d.journal.intend(staged.name, staged.size, staged.mtime, as);
        d.journal.sync();
      }
      d.journal.delivered(staged.name);
      placeholder(d, staged.name, staged.size, staged.mtime);
      return {
        kind: 'delivered',
        name: staged.name,
        as,
        size: staged.size,
        renamed: !as.equals(staged.name),
        changedOnServer: x.changedOnServer,
      };
    }
  }
}
