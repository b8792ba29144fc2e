// Applies delivery plans (plan.ts) to a batch of staged messages, so that a message becomes visible at
// most once, whatever interrupts it and whatever the reader does in between:
//
//   1. decide each message's fate, comparing bytes where a unique name is already local; nothing moves;
//   2. journal an intent (I) for each message to move and an E for each already here, then fsync the
//      journal once for the batch;
//   3. move each message into new/ with rename(2), which is atomic, and journal that it is done (D).
//
// With routing rules, "new/" is the new/ (or, for a message delivered as read, the cur/) of the folder
// its rules chose, and the folders that get a copy have it linked there first: the rename is still the
// last step, so the staged copy still says whether the message became visible.
//
// A message is visible exactly when its staged copy is gone: before the rename the stage holds it, after
// it new/ does. So after a crash an intent whose staged copy is still there is finished, and one whose
// copy is gone is done (checked against the Maildir where a cleaning of tmp/ could have taken the stage
// copy instead; see settle in mailbox/steps.ts). (link(2) and unlink(2) would refuse to replace a name,
// but between the two a reader may delete the new name, and the next run could not tell that message
// from one never delivered.)
import type { OnConflict } from '../config/types.js';
import { type Destination, type Target, targetName, targetPath } from '../rules/folders.js';
import type { MaildirFs } from './fs.js';
import type { MailboxPaths } from './layout.js';
import { joinName, uniqueName } from './layout.js';
import type { LocalEntry, LocalIndex } from './local-index.js';
import type { Journal } from './pending.js';
import type { Plan } from './plan.js';
import { sameContent } from './same-content.js';

export type Delivery =
  /** In its folder as `as` (equal to `name` unless renamed after a conflict). */
  | {
      readonly kind: 'delivered';
      readonly name: Buffer;
      readonly as: Buffer;
      readonly size: number;
      readonly renamed: boolean;
      readonly changedOnServer: boolean;
      readonly dest: Destination;
      /** The copies that could not be made: their name was taken by other bytes. */
      readonly copyConflicts: readonly Buffer[];
    }
  /** The same bytes are already in a local Maildir (a leftover of an interrupted run). */
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
      readonly dest: Destination;
      /** The targets whose copy an interrupted run already made (journal C records). */
      readonly copied: readonly number[];
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

/** The mailbox's own new/, as a destination: where mail goes without rules. */
export function inboxDestination(paths: Pick<MailboxPaths, 'local'>): Destination {
  return { targets: [{ folder: 'INBOX', maildir: paths.local, info: '' }] };
}

function primary(dest: Destination): Target {
  const first = dest.targets[0];
  if (first === undefined) throw new Error('a destination has at least one target');
  return first;
}

function taken(d: Delivering, as: Buffer, dest: Destination): boolean {
  return (
    d.index.find(as).length > 0 ||
    dest.targets.some((t) => d.fs.lstat(targetPath(t, as)) !== undefined)
  );
}

/** The first NAME.syncmail-RUN-N not taken locally. */
function freshName(d: Delivering, name: Buffer, dest: Destination): Buffer {
  for (let attempt = 1; ; attempt += 1) {
    const as = renamedName(name, d.runId, attempt);
    if (!taken(d, as, dest)) return as;
  }
}

/** Reserves the name in the index, so later decisions of the batch avoid it. */
function reserve(d: Delivering, as: Buffer, dest: Destination): void {
  const t = primary(dest);
  d.index.add(t.info === '' ? 'new' : 'cur', targetName(t, as), t.maildir);
}

function move(
  d: Delivering,
  staged: Staged,
  as: Buffer,
  changedOnServer: boolean,
  dest: Destination,
  copied: readonly number[],
): Decision {
  reserve(d, as, dest);
  const renamed = !as.equals(staged.name);
  return { kind: 'move', staged, as, renamed, changedOnServer, dest, copied };
}

/**
 * Where local copies with the same bytes leave this message. In a folder its destination links a copy
 * into, and nowhere else: the run that linked it was cut short before the rename, so it goes on.
 * Anywhere else (its own folder, or a folder other rules chose before they changed): it is here.
 */
function sameBytes(d: Delivering, staged: Staged, local: readonly LocalEntry[], dest: Destination) {
  const same = local.filter((e) => sameContent(d.fs, staged.path, e.path));
  if (same.length === 0) return { kind: 'none' } as const;
  const copies = dest.targets.slice(1).map((t) => t.maildir);
  const onlyCopies = same.every((e) => copies.includes(e.maildir));
  const first = same[0] as LocalEntry;
  return onlyCopies
    ? ({ kind: 'copies', as: uniqueName(first.name) } as const)
    : ({ kind: 'here', local: first.path } as const);
}

/**
 * Step 1: where one staged message goes. Reads (compares bytes), changes nothing. `dest`: the folders
 * its rules chose (or an interrupted run journaled); the mailbox's own new/ without rules.
 */
export function decide(
  d: Delivering,
  staged: Staged,
  plan: Extract<Plan, { action: 'drop' | 'deliver' | 'compare' }>,
  dest: Destination = inboxDestination(d.paths),
  copied: readonly number[] = [],
): Decision {
  if (plan.action === 'drop') return { kind: 'drop', staged };
  const local = plan.action === 'compare' ? plan.local : [];
  const same = sameBytes(d, staged, local, dest);
  if (same.kind === 'here') return { kind: 'exists', staged, local: same.local };
  if (same.kind === 'copies') return move(d, staged, same.as, plan.changedOnServer, dest, copied);
  if (local.length === 0 && !taken(d, staged.name, dest))
    return move(d, staged, staged.name, plan.changedOnServer, dest, copied);
  // A version of ours that changed on the server is always taken, under a fresh name beside the old one.
  if (d.onConflict === 'keep' && !plan.changedOnServer) {
    return {
      kind: 'conflict',
      staged,
      local: local[0]?.path ?? targetPath(primary(dest), staged.name),
    };
  }
  return move(d, staged, freshName(d, staged.name, dest), plan.changedOnServer, dest, copied);
}

/** The DEST an intent is journaled with: none for just the mailbox's own new/. */
function journaledDest(d: Delivering, dest: Destination): Destination | undefined {
  const t = primary(dest);
  const plain = dest.targets.length === 1 && t.info === '' && t.maildir === d.paths.local;
  return plain ? undefined : dest;
}

/** Step 2: the journal records for a batch of decisions, durable before anything moves. */
export function journalBatch(d: Delivering, decisions: readonly Decision[]): void {
  for (const x of decisions) {
    const { name, size, mtime } = x.staged;
    if (x.kind === 'move') d.journal.intend(name, size, mtime, x.as, journaledDest(d, x.dest));
    else if (x.kind === 'exists') d.journal.exists(name, size, mtime);
  }
  d.journal.sync();
}

/** The sparse stand-in for a pending message that both rsync passes compare against (layout.ts). */
export function placeholder(d: Delivering, name: Buffer, size: number, mtime: number): void {
  d.fs.placeholder(joinName(d.paths.pendingNew, name), size, mtime);
}

/**
 * The stand-in for a message just made visible as `at`, for this run's remove pass: a hard link to it,
 * which has its size and mtime for one link(2), where a sparse placeholder costs a new inode and three
 * more calls (measured: about 100 µs a message here, most of the delivery). Made after the rename, so a
 * stand-in only ever exists for a visible message. The remove pass removes it with the server copy; if
 * that pass does not get there, the next run's settle rebuilds pending/new from the journal as sparse
 * files. So a reader who rewrites a message in place can at worst make the remove pass see it as
 * changed and leave the server copy for the next run.
 * The sparse placeholder where there is no link to be had (the reader moved it already, or no links).
 */
function standIn(d: Delivering, staged: Staged, at: Buffer): void {
  const to = joinName(d.paths.pendingNew, staged.name);
  try {
    try {
      d.fs.link(at, to);
    } catch (error) {
      // The stand-in of an earlier version still pending (it changed on the server): this one replaces it.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      d.fs.unlink(to);
      d.fs.link(at, to);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code !== 'ENOENT' && !NO_LINK.has(code)) throw error;
    placeholder(d, staged.name, staged.size, staged.mtime);
  }
}

/**
 * Makes the staged message visible as `target` with rename(2), which is atomic: the message is in the
 * stage or in its folder, never in both or neither, so a crash leaves nothing to guess. False when the
 * name is taken. rename(2) would replace a name created after this check; only syncmail writes server
 * names here, under the local Maildirs' locks, and other Maildir writers make unique names of their own.
 */
function publish(d: Delivering, from: Buffer, target: Buffer): boolean {
  if (d.fs.lstat(target) !== undefined) return false;
  d.fs.rename(from, target);
  return true;
}

/** Errors of a filesystem that has no hard links (or not between these two directories). */
const NO_LINK = new Set(['EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV']);

/**
 * A copy for a folder the rules also chose: a hard link to the staged file, or, where the filesystem
 * has none, a durable copy made in the work dir and renamed into place. False when the name is taken
 * by other bytes (the copy is then not made; the message itself is still delivered).
 */
function linkCopy(d: Delivering, staged: Staged, t: Target, as: Buffer): boolean {
  const to = targetPath(t, as);
  if (d.fs.lstat(to) !== undefined) return sameContent(d.fs, staged.path, to);
  // Made by a run cut short before its C record, and moved to cur/ by the reader since.
  const unique = uniqueName(as);
  const moved = d.index
    .find(as)
    .some(
      (e) =>
        e.maildir === t.maildir &&
        uniqueName(e.name).equals(unique) &&
        sameContent(d.fs, staged.path, e.path),
    );
  if (moved) return true;
  try {
    d.fs.link(staged.path, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    // Made since the check by another writer: the same bytes are this copy, others a conflict.
    if (code === 'EEXIST') return sameContent(d.fs, staged.path, to);
    if (!NO_LINK.has(code)) throw error;
    const temp = joinName(d.paths.temp, Buffer.from('copy'));
    d.fs.remove(temp);
    d.fs.copyFile(staged.path, temp);
    if (!publish(d, temp, to)) {
      d.fs.remove(temp);
      return sameContent(d.fs, staged.path, to);
    }
  }
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
      const { dest } = x;
      const copyConflicts: Buffer[] = [];
      for (const [k, t] of dest.targets.entries()) {
        // The copies first, each journaled once made: one the reader then moves or deletes is not
        // made again when an interrupted delivery resumes.
        if (k === 0 || x.copied.includes(k)) continue;
        if (linkCopy(d, staged, t, as)) d.journal.copied(staged.name, k);
        else copyConflicts.push(targetPath(t, as));
      }
      while (!publish(d, staged.path, targetPath(primary(dest), as))) {
        // Taken since the decision (another writer): the same bytes are a leftover; others are a
        // conflict, or, as decided for conflicts, delivered under a fresh name journaled first.
        const target = targetPath(primary(dest), as);
        if (sameContent(d.fs, staged.path, target)) {
          d.journal.undo(staged.name);
          d.journal.exists(staged.name, staged.size, staged.mtime);
          return apply(d, { kind: 'exists', staged, local: target });
        }
        if (d.onConflict === 'keep' && !x.changedOnServer) {
          d.journal.undo(staged.name);
          return apply(d, { kind: 'conflict', staged, local: target });
        }
        // The name just found taken is in its folder now, so the search goes past it.
        as = freshName(d, staged.name, dest);
        reserve(d, as, dest);
        d.journal.intend(staged.name, staged.size, staged.mtime, as, journaledDest(d, dest));
        d.journal.sync();
      }
      d.journal.delivered(staged.name);
      standIn(d, staged, targetPath(primary(dest), as));
      return {
        kind: 'delivered',
        name: staged.name,
        as,
        size: staged.size,
        renamed: !as.equals(staged.name),
        changedOnServer: x.changedOnServer,
        dest,
        copyConflicts,
      };
    }
  }
}
