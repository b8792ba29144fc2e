// Where syncmail keeps its working files for one mailbox. Everything lives inside the local Maildir's own
// tmp/, which Maildir readers ignore and which must be on the same filesystem as new/: that is what makes
// the final link() into new/ atomic, and rsync's temp-to-stage rename atomic too.
import path from 'node:path';

/** The name of rsync's partial dir inside the stage's new/ (never a message: it starts with a dot). */
export const PARTIAL_DIR = '.syncmail-partial';

export interface MailboxPaths {
  readonly local: string;
  readonly cur: string;
  readonly new: string;
  readonly tmp: string;
  /** tmp/syncmail/NAME: private to this mailbox, 0700. */
  readonly work: string;
  /** The kernel lock (flock) that keeps two syncs of this mailbox apart. */
  readonly lock: string;
  /** The fetch destination, a copy of the server Maildir's shape: stage/new holds complete, undelivered messages. */
  readonly stage: string;
  readonly stageNew: string;
  /**
   * delivered/new: messages already linked into the local new/, kept until their server copy is gone. rsync
   * never writes here: the fetch only compares against it (--compare-dest), so a message delivered by an
   * interrupted run is neither fetched nor delivered again, even after the reader deleted it.
   */
  readonly delivered: string;
  readonly deliveredNew: string;
  /**
   * removing/new: hard links to delivered/new made just before the remove pass, which is the only rsync that
   * writes here (when a server file changed after the fetch, rsync sends the new version before removing
   * it). A file here whose inode differs from its delivered/new twin is such a version, still undelivered.
   */
  readonly removingNew: string;
  /** rsync --temp-dir: files being received. Anything here at the start of a run is an orphan: removed. */
  readonly temp: string;
  /**
   * rsync --partial-dir (relative, see rsync/argv.ts): stage/new/.syncmail-partial holds a file cut short
   * by an interruption, so the next run resumes it.
   */
  readonly partial: string;
}

export function mailboxPaths(local: string, mailboxName: string): MailboxPaths {
  const tmp = path.join(local, 'tmp');
  const work = path.join(tmp, 'syncmail', mailboxName);
  const stage = path.join(work, 'stage');
  return {
    local,
    cur: path.join(local, 'cur'),
    new: path.join(local, 'new'),
    tmp,
    work,
    lock: path.join(work, 'lock'),
    stage,
    stageNew: path.join(stage, 'new'),
    delivered: path.join(work, 'delivered'),
    deliveredNew: path.join(work, 'delivered', 'new'),
    removingNew: path.join(work, 'removing', 'new'),
    temp: path.join(work, 'temp'),
    partial: path.join(stage, 'new', PARTIAL_DIR),
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
