// Where syncmail keeps its working files for one mailbox. The stage, rsync's temp files and the
// placeholders live inside the local Maildir's own tmp/, which Maildir readers ignore and which must be on
// the same filesystem as new/: that is what makes the final rename into new/ atomic, and rsync's
// temp-to-stage rename atomic too. They are keyed by the server folder, not by the mailbox's name, so two
// mailboxes (or two configs) naming one server folder share them and one name used for two servers
// does not. What must survive a cleaning of tmp/ (the pending removals, the server folder's lock) lives
// in the state directory instead.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Mailbox } from '../config/types.js';

/** The name of rsync's partial dir inside the stage's new/ (never a message: it starts with a dot). */
export const PARTIAL_DIR = '.syncmail-partial';

/**
 * rsync's temp dir, inside the stage (the fetch's destination): given to rsync relative to it, because
 * rsync 3.4+ resolves every component of an absolute --temp-dir again for each file it receives (41
 * opens per file against 14, measured with 3.5.0; 3.2.7 opens 3 either way). A dot-name: never one of
 * the server's cur/ new/ tmp/, which the fetch's filters are limited to.
 */
export const TEMP_DIR = '.syncmail-temp';

export interface MailboxPaths {
  readonly local: string;
  readonly cur: string;
  readonly new: string;
  readonly tmp: string;
  /** tmp/syncmail/FOLDER-KEY: private to this server folder, 0700. */
  readonly work: string;
  /** The fetch destination, a copy of the server Maildir's shape: stage/new holds complete, undelivered messages. */
  readonly stage: string;
  readonly stageNew: string;
  /**
   * rsync --partial-dir (relative, see rsync/argv.ts): stage/new/.syncmail-partial holds a file cut short
   * by an interruption, so the next run resumes it.
   */
  readonly partial: string;
  /** rsync --temp-dir (TEMP_DIR): files being received. At the start of a run anything here is an orphan. */
  readonly temp: string;
  /**
   * pending/new: a sparse placeholder (the server copy's size and mtime, no data) for each message whose
   * server copy waits to be removed, rebuilt from the journal every run: the fetch compares against them
   * (--compare-dest) and the remove pass takes exactly them.
   */
  readonly pending: string;
  readonly pendingNew: string;
  /**
   * Present while a batch of messages is being moved into new/: after a crash it tells that a staged
   * copy which is gone was moved (and then deleted by the reader), not wiped by a cleaning of tmp/,
   * which takes this file too (its mtime is older than any staged message of the batch).
   */
  readonly renaming: string;
  /**
   * Room on the local disk held during the fetch and given back before the delivery: a fetch that fills
   * the disk must not leave the delivery without the few blocks that new/, pending/new and the journal
   * may need to grow, or the mailbox would fill up again every run without delivering.
   */
  readonly reserve: string;
  /** The pending-removal journal (maildir/pending.ts), in the state directory. */
  readonly journal: string;
  /** The lock that keeps two syncs of this server folder apart, in the state directory. */
  readonly folderLock: string;
}

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A file name for a server folder: readable, and unique by the hash of the remote as written. */
export function folderKey(remoteText: string): string {
  const slug = remoteText
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 40);
  return `${slug}-${hash(remoteText, 12)}`;
}

/**
 * `realLocal`: the local Maildir's real path (symlinks resolved), which names its journal, so that one
 * Maildir reached through a symlink and through its own path keeps one book. --print, which reads no
 * disk, names it by the path as written.
 */
export function mailboxPaths(
  mailbox: Pick<Mailbox, 'local' | 'remoteText'>,
  state: string,
  realLocal: string = mailbox.local,
): MailboxPaths {
  const { local } = mailbox;
  const key = folderKey(mailbox.remoteText);
  const tmp = path.join(local, 'tmp');
  const work = path.join(tmp, 'syncmail', key);
  const stage = path.join(work, 'stage');
  const pending = path.join(work, 'pending');
  return {
    local,
    cur: path.join(local, 'cur'),
    new: path.join(local, 'new'),
    tmp,
    work,
    stage,
    stageNew: path.join(stage, 'new'),
    partial: path.join(stage, 'new', PARTIAL_DIR),
    temp: path.join(stage, TEMP_DIR),
    pending,
    pendingNew: path.join(pending, 'new'),
    renaming: path.join(work, 'renaming'),
    reserve: path.join(work, 'reserve'),
    // Per local Maildir and server folder: each local Maildir gets its own copy of the folder's mail.
    journal: path.join(
      state,
      'pending',
      `${key}-${hash(`${realLocal}\0${mailbox.remoteText}`, 16)}.journal`,
    ),
    folderLock: path.join(state, 'locks', `${key}.lock`),
  };
}

/** A Maildir message's unique name is everything before the first ':' (the rest is flags, "2,S"). */
export function uniqueName(name: Buffer): Buffer {
  const colon = name.indexOf(0x3a);
  return colon === -1 ? name : name.subarray(0, colon);
}

/** Joins a directory (a normal string) and a file name (raw bytes) into a Buffer path for node:fs. */
export function joinName(dir: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(dir.endsWith('/') ? dir : `${dir}/`), name]);
}

/** Which local rsync was last checked, and its version (rsync/version.ts), in the state directory. */
export function rsyncVersionCache(state: string): string {
  return path.join(state, 'rsync-version.json');
}
