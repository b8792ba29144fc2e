// Moves complete messages into new/ with link(2): atomic, and it can never replace an existing name, so a
// local message is never overwritten. What happens to each staged file:
//
//   stage/new/X --link--> new/X            then stage/new/X --rename--> delivered/new/X   (delivered)
//   same bytes already in new/ or cur/     then stage/new/X --rename--> delivered/new/X   (exists)
//   other bytes under the same unique name: stage copy dropped, server copy kept           (conflict)
//
// Every step is idempotent, so a run killed anywhere in here is finished by the next one. The calls are
// synchronous on purpose: one message after another, no other work to overlap with, and without the
// thread-pool round trip per call the loop runs several times faster.
import {
  linkSync,
  lstatSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import type { OnConflict } from '../config/types.js';
import type { MailboxPaths } from './layout.js';
import { joinName, PARTIAL_DIR, uniqueName } from './layout.js';

const PARTIAL_NAME = Buffer.from(PARTIAL_DIR);

import type { LocalIndex } from './local-index.js';
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
  | { readonly kind: 'conflict'; readonly name: Buffer; readonly local: Buffer }
  /** Not a message: a subdirectory or a dot-file in the server's new/. Left on the server. */
  | { readonly kind: 'not-a-message'; readonly name: Buffer; readonly what: string };

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

function linkNew(source: Buffer, paths: MailboxPaths, as: Buffer): boolean {
  try {
    linkSync(source, joinName(paths.new, as));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Puts the message at `source` (a file named `name`) into new/, unless the local Maildir already has it. */
export async function deliverFile(
  source: Buffer,
  name: Buffer,
  paths: MailboxPaths,
  index: LocalIndex,
  onConflict: OnConflict,
  runId: string,
): Promise<Delivery> {
  const info = statSync(source);
  const existing = index.find(name);
  for (const entry of existing) {
    if (await sameContent(source, entry.path)) return { kind: 'exists', name, local: entry.path };
  }
  if (existing.length === 0 && linkNew(source, paths, name)) {
    index.add('new', name);
    return { kind: 'delivered', name, as: name, size: info.size, renamed: false };
  }
  const clash = existing[0]?.path ?? joinName(paths.new, name);
  if (onConflict === 'keep') return { kind: 'conflict', name, local: clash };

  for (let attempt = 1; ; attempt += 1) {
    const as = renamedName(name, runId, attempt);
    if (index.find(as).length === 0 && linkNew(source, paths, as)) {
      index.add('new', as);
      return { kind: 'delivered', name, as, size: info.size, renamed: true };
    }
  }
}

/** Delivers every complete message in stage/new and moves it on to delivered/new; reports each as it goes. */
export async function deliverStaged(
  paths: MailboxPaths,
  index: LocalIndex,
  onConflict: OnConflict,
  runId: string,
  report: (delivery: Delivery) => void,
): Promise<void> {
  for (const entry of readdirSync(paths.stageNew, { encoding: 'buffer', withFileTypes: true })) {
    const name = entry.name;
    if (name.equals(PARTIAL_NAME)) continue; // rsync's partial dir, not a message from the server
    const staged = joinName(paths.stageNew, name);
    const what = entry.isDirectory()
      ? 'a directory'
      : !entry.isFile()
        ? 'not a regular file'
        : name[0] === 0x2e
          ? 'a dot-file'
          : undefined;
    if (what !== undefined) {
      rmSync(staged, { recursive: true, force: true });
      report({ kind: 'not-a-message', name, what });
      continue;
    }
    const delivery = await deliverFile(staged, name, paths, index, onConflict, runId);
    if (delivery.kind === 'delivered' || delivery.kind === 'exists')
      renameSync(staged, joinName(paths.deliveredNew, name));
    // A conflict's stage copy goes: the server copy stays for a person to decide, and if they delete it
    // there, nothing is left behind that would report the conflict for ever.
    else unlinkSync(staged);
    report(delivery);
  }
}

/**
 * Settles removing/new after a remove pass, or at the start of the next run if one was cut short. A file
 * still linked to its delivered/new twin is just a link. Any other file is a newer version of a message
 * that rsync fetched during the remove pass (the server copy changed after the fetch): it is delivered,
 * under a fresh name when the old version holds its name. Returns those deliveries; once they are flushed,
 * promoteSettled() makes each the delivered version, so the next fetch neither sends nor delivers it again.
 */
export async function settleRemoving(
  paths: MailboxPaths,
  index: LocalIndex,
  runId: string,
): Promise<Delivery[]> {
  const results: Delivery[] = [];
  for (const name of readdirSync(paths.removingNew, { encoding: 'buffer' })) {
    const file = joinName(paths.removingNew, name);
    const mine = lstatSync(file);
    const twin = lstatSync(joinName(paths.deliveredNew, name), { throwIfNoEntry: false });
    if (twin !== undefined && twin.ino === mine.ino && twin.dev === mine.dev) continue;
    if (mine.isFile()) results.push(await deliverFile(file, name, paths, index, 'rename', runId));
  }
  return results;
}

/** After the flush: the settled newer versions replace their old delivered/new twins (still linked in new/). */
export function promoteSettled(paths: MailboxPaths, settled: readonly Delivery[]): void {
  for (const d of settled)
    renameSync(joinName(paths.removingNew, d.name), joinName(paths.deliveredNew, d.name));
}

/** Empties removing/new; only after settleRemoving(), a flush and promoteSettled(). */
export function clearRemoving(paths: MailboxPaths): void {
  for (const name of readdirSync(paths.removingNew, { encoding: 'buffer' }))
    unlinkSync(joinName(paths.removingNew, name));
}
