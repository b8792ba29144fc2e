// Applies a delivery plan (plan.ts): moves a complete message into new/ with link(2), which is atomic
// and can never replace an existing name, so a local message is never overwritten. What happens to each
// staged file:
//
//   stage/new/X --link--> new/X            then stage/new/X --rename--> delivered/new/X   (delivered)
//   same bytes already in new/ or cur/     then stage/new/X --rename--> delivered/new/X   (exists)
//   other bytes under the same unique name: stage copy dropped, server copy kept           (conflict)
//
// Every step is idempotent, so a run killed anywhere in here is finished by the next one.
import type { OnConflict } from '../config/types.js';
import type { FsPath, MaildirFs } from './fs.js';
import type { MailboxPaths } from './layout.js';
import { joinName, uniqueName } from './layout.js';
import type { LocalIndex } from './local-index.js';
import { type Plan, planMessage } from './plan.js';
import { sameContent } from './same-content.js';

export type Delivery =
  /** Linked into new/ as `as` (equal to `name` unless renamed after a conflict). */
  | {
      readonly kind: 'delivered';
      readonly name: Buffer;
      readonly as: Buffer;
      readonly size: number;
      readonly renamed: boolean;
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
}

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

function linkNew(d: Delivering, source: FsPath, as: Buffer): boolean {
  try {
    d.fs.link(source, joinName(d.paths.new, as));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Puts the message at `source` (a file named `name`) into new/, as `plan` says. */
export function deliverFile(
  d: Delivering,
  source: FsPath,
  name: Buffer,
  plan: Extract<Plan, { action: 'deliver' | 'compare' }>,
  onConflict: OnConflict = d.onConflict,
): Delivery {
  const size = d.fs.stat(source).size;
  const existing = plan.action === 'compare' ? plan.local : [];
  for (const entry of existing) {
    if (sameContent(d.fs, source, entry.path)) return { kind: 'exists', name, local: entry.path };
  }
  if (existing.length === 0 && linkNew(d, source, name)) {
    d.index.add('new', name);
    return { kind: 'delivered', name, as: name, size, renamed: false };
  }
  const clash = existing[0]?.path ?? joinName(d.paths.new, name);
  if (onConflict === 'keep') return { kind: 'conflict', name, local: clash };

  for (let attempt = 1; ; attempt += 1) {
    const as = renamedName(name, d.runId, attempt);
    if (d.index.find(as).length === 0 && linkNew(d, source, as)) {
      d.index.add('new', as);
      return { kind: 'delivered', name, as, size, renamed: true };
    }
  }
}

/** After a delivery: the stage copy moves on to delivered/ (or, for a conflict, goes). */
export function retireStaged(d: Delivering, staged: FsPath, delivery: Delivery): void {
  if (delivery.kind === 'conflict') {
    // The server copy stays for a person to decide; if they delete it there, nothing is left behind
    // that would report the conflict for ever.
    d.fs.unlink(staged);
  } else d.fs.rename(staged, joinName(d.paths.deliveredNew, delivery.name));
}

/**
 * Settles removing/new after a remove pass, or at the start of the next run if one was cut short. A file
 * still linked to its delivered/new twin is just a link. Any other file is a newer version of a message
 * that rsync fetched during the remove pass (the server copy changed after the fetch): it is delivered,
 * under a fresh name when the old version holds its name. Returns those deliveries; once they are flushed,
 * promoteSettled() makes each the delivered version, so the next fetch neither sends nor delivers it again.
 */
export function settleRemoving(d: Delivering): Delivery[] {
  const results: Delivery[] = [];
  for (const name of d.fs.names(d.paths.removingNew)) {
    const file = joinName(d.paths.removingNew, name);
    const mine = d.fs.lstat(file);
    const twin = d.fs.lstat(joinName(d.paths.deliveredNew, name));
    if (mine === undefined || !mine.isFile()) continue;
    if (twin !== undefined && twin.ino === mine.ino && twin.dev === mine.dev) continue;
    const plan = planMessage({ name, type: 'file' }, d.index);
    if (plan.action === 'deliver' || plan.action === 'compare') {
      results.push(deliverFile(d, file, name, plan, 'rename'));
    }
  }
  return results;
}

/** After the flush: the settled newer versions replace their old delivered/new twins (still linked in new/). */
export function promoteSettled(d: Delivering, settled: readonly Delivery[]): void {
  for (const s of settled) {
    d.fs.rename(joinName(d.paths.removingNew, s.name), joinName(d.paths.deliveredNew, s.name));
  }
}

/** Empties removing/new; only after settleRemoving(), a flush and promoteSettled(). */
export function clearRemoving(d: Delivering): void {
  for (const name of d.fs.names(d.paths.removingNew))
    d.fs.remove(joinName(d.paths.removingNew, name));
}
