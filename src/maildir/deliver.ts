// Moves complete messages from the stage into new/ with link(2): atomic, and it can never replace an
// existing name, so a local message is never overwritten. The stage keeps its link until the server copy
// is gone, which is what lets an interrupted run be finished by the next one without fetching again.
import { link, readdir, rm, stat } from 'node:fs/promises';
import type { OnConflict } from '../config/types.js';
import type { MailboxPaths } from './layout.js';
import { joinName, uniqueName } from './layout.js';
import type { LocalIndex } from './local-index.js';
import { sameContent } from './same-content.js';

export type Delivery =
  /** Linked into new/ as `as` (equal to `name` unless renamed after a conflict). */
  | { readonly kind: 'delivered'; readonly name: Buffer; readonly as: Buffer; readonly ino: number; readonly size: number; readonly renamed: boolean }
  /** The same bytes are already in the local Maildir (a leftover of an interrupted run). */
  | { readonly kind: 'exists'; readonly name: Buffer; readonly local: Buffer; readonly ino: number }
  /** Same unique name, different bytes: left on the server, nothing local touched. */
  | { readonly kind: 'conflict'; readonly name: Buffer; readonly local: Buffer }
  /** Not a message: a subdirectory or a dot-file in the server's new/. Left on the server. */
  | { readonly kind: 'not-a-message'; readonly name: Buffer; readonly what: string };

/** A fresh unique name for a message whose name is taken: NAME.syncmail-RUN-N, keeping any ":2,…" part. */
export function renamedName(name: Buffer, runId: string, attempt: number): Buffer {
  const unique = uniqueName(name);
  const info = name.subarray(unique.length);
  return Buffer.concat([unique, Buffer.from(`.syncmail-${runId}-${attempt}`), info]);
}

async function linkNew(staged: Buffer, paths: MailboxPaths, as: Buffer): Promise<boolean> {
  try {
    await link(staged, joinName(paths.new, as));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function deliverOne(
  name: Buffer,
  paths: MailboxPaths,
  index: LocalIndex,
  onConflict: OnConflict,
  runId: string,
): Promise<Delivery> {
  const staged = joinName(paths.stageNew, name);
  const info = await stat(staged);
  const existing = index.find(name);
  for (const entry of existing) {
    if (await sameContent(staged, entry.path)) return { kind: 'exists', name, local: entry.path, ino: info.ino };
  }
  if (existing.length === 0 && (await linkNew(staged, paths, name))) {
    index.add({ dir: 'new', name, path: joinName(paths.new, name) });
    return { kind: 'delivered', name, as: name, ino: info.ino, size: info.size, renamed: false };
  }
  const clash = existing[0]?.path ?? joinName(paths.new, name);
  if (onConflict === 'keep') {
    // Both copies stay (server and stage) until a person decides: the stage copy may be the only one
    // left if the server copy changed and went during an earlier remove pass.
    return { kind: 'conflict', name, local: clash };
  }
  for (let attempt = 1; ; attempt += 1) {
    const as = renamedName(name, runId, attempt);
    if (index.find(as).length === 0 && (await linkNew(staged, paths, as))) {
      index.add({ dir: 'new', name: as, path: joinName(paths.new, as) });
      return { kind: 'delivered', name, as, ino: info.ino, size: info.size, renamed: true };
    }
  }
}

/** Delivers every complete message in the stage. Idempotent: running it twice delivers nothing twice. */
export async function deliverStaged(
  paths: MailboxPaths,
  index: LocalIndex,
  onConflict: OnConflict,
  runId: string,
  only?: (name: Buffer) => boolean,
): Promise<Delivery[]> {
  const results: Delivery[] = [];
  for (const entry of await readdir(paths.stageNew, { encoding: 'buffer', withFileTypes: true })) {
    const name = entry.name;
    if (only !== undefined && !only(name)) continue;
    const what = entry.isDirectory() ? 'a directory' : !entry.isFile() ? 'not a regular file' : name[0] === 0x2e ? 'a dot-file' : undefined;
    if (what !== undefined) {
      await rm(joinName(paths.stageNew, name), { recursive: true, force: true });
      results.push({ kind: 'not-a-message', name, what });
      continue;
    }
    results.push(await deliverOne(name, paths, index, onConflict, runId));
  }
  return results;
}
