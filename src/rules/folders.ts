// Folder names (from the config only) as directories, and a message's route as the files it becomes.
// Pure: no disk. Maildir++ keeps every folder inside one root as ".a.b"; plain nests directories.
import path from 'node:path';
import type { FolderStyle, Mailbox } from '../config/types.js';
import { uniqueName } from '../maildir/layout.js';
import { INBOX, type Route, type Rule } from './types.js';

/** One file a delivery makes: in `maildir`, under new/ (no info) or cur/ (info ":2,FLAGS"). */
export interface Target {
  readonly folder: string;
  readonly maildir: string;
  readonly info: string;
}

/** Where a message goes, as journaled before it moves: the first target is renamed into, the rest linked. */
export interface Destination {
  readonly rule?: string | undefined;
  readonly targets: readonly Target[];
}

export function folderDir(
  mailbox: Pick<Mailbox, 'local' | 'folders'>,
  style: FolderStyle,
  name: string,
): string {
  if (name === INBOX) return mailbox.local;
  if (style === 'plain') return path.join(mailbox.folders, ...name.split('/'));
  return path.join(mailbox.folders, `.${name.replaceAll('/', '.')}`);
}

/** Every folder a mailbox's rules may deliver to, INBOX not among them. */
export function ruleFolders(rules: readonly Rule[]): string[] {
  const names = rules.flatMap((r) => [...(r.folder === undefined ? [] : [r.folder]), ...r.copy]);
  return [...new Set(names)].filter((n) => n !== INBOX);
}

/** Every Maildir a mailbox delivers to: its own first, then its rules' folders. */
export function mailboxMaildirs(mailbox: Mailbox, style: FolderStyle): string[] {
  const dirs = ruleFolders(mailbox.rules).map((n) => folderDir(mailbox, style, n));
  return [...new Set([mailbox.local, ...dirs])];
}

export function destinationOf(
  mailbox: Pick<Mailbox, 'local' | 'folders'>,
  style: FolderStyle,
  route: Route,
): Destination {
  const info = route.flags.length === 0 ? '' : `:2,${route.flags.join('')}`;
  const target = (folder: string): Target => ({
    folder,
    maildir: folderDir(mailbox, style, folder),
    info,
  });
  const targets = [target(route.folder), ...route.copies.map(target)];
  // Two names for one directory (a folder named like the mailbox's own) make one target.
  const seen = new Set<string>();
  return {
    rule: route.rule,
    targets: targets.filter((t) => !seen.has(t.maildir) && seen.add(t.maildir)),
  };
}

/** The name a target's file gets: `as`, or with flags its unique part and the flags (with any it had). */
export function targetName(t: Target, as: Buffer): Buffer {
  if (t.info === '') return as;
  const unique = uniqueName(as);
  const had = as.subarray(unique.length).toString('latin1');
  const flags = new Set([...(had.startsWith(':2,') ? had.slice(3) : ''), ...t.info.slice(3)]);
  return Buffer.concat([unique, Buffer.from(`:2,${[...flags].sort().join('')}`, 'latin1')]);
}

/** The path a target's file gets for the message named `as` (raw bytes): new/ without flags, else cur/. */
export function targetPath(t: Target, as: Buffer): Buffer {
  const dir = path.join(t.maildir, t.info === '' ? 'new' : 'cur');
  return Buffer.concat([Buffer.from(`${dir}/`), targetName(t, as)]);
}
