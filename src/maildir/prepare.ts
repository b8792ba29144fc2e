// Makes sure the local Maildir is one, before anything is fetched or removed.
import path from 'node:path';
import { LocalIoError } from '../errors.js';
import type { MaildirFs } from './fs.js';
import { joinName, type MailboxPaths } from './layout.js';

/** `follow`: a symlink to a directory is fine here (a Maildir root on another disk, as readers allow). */
function ensureDir(fs: MaildirFs, dir: string, label: string, follow = false): void {
  try {
    fs.mkdir(dir, 0o700);
  } catch (error) {
    if (typeof (error as NodeJS.ErrnoException).code !== 'string') throw error;
    throw new LocalIoError(
      `cannot create ${dir}: ${(error as Error).message}`,
      'check the path and its permissions',
      'local-maildir',
    );
  }
  const link = fs.lstat(dir);
  const info = follow && link?.isSymbolicLink() ? fs.stat(dir) : link;
  if (info?.isSymbolicLink()) {
    // A symlinked new/, cur/ or tmp/ (or a work dir in it) could point anywhere, even out of the Maildir's
    // filesystem; delivering through it is not what anyone expects.
    throw new LocalIoError(
      `${dir} is a symbolic link, not a directory`,
      `make ${label} a real directory`,
      'local-maildir',
    );
  }
  if (info === undefined || !info.isDirectory()) {
    throw new LocalIoError(
      `${dir} is not a directory`,
      'move it away so syncmail can create the Maildir',
      'local-maildir',
    );
  }
}

/** Creates cur/ new/ tmp/ (0700) and syncmail's work dirs, and checks tmp/ shares new/'s filesystem. */
export function prepareLocalMaildir(fs: MaildirFs, paths: MailboxPaths): void {
  ensureDir(fs, paths.local, 'the local Maildir', true);
  ensureDir(fs, paths.cur, 'cur/');
  ensureDir(fs, paths.new, 'new/');
  ensureDir(fs, paths.tmp, 'tmp/');
  if (fs.stat(paths.new).dev !== fs.stat(paths.tmp).dev) {
    // Across filesystems rename() and link() fail and rsync falls back to a copy: a half-written message
    // would be visible in new/.
    throw new LocalIoError(
      `${paths.tmp} and ${paths.new} are on different filesystems`,
      'put the whole Maildir on one filesystem (syncmail moves mail from tmp/ into new/ with rename(), which needs that)',
      'local-maildir',
    );
  }
  for (const dir of [paths.work, paths.stageNew, paths.pendingNew, paths.temp]) {
    ensureDir(fs, dir, path.basename(dir));
  }
}

/** The device a path is on, or would be created on: that of its nearest existing ancestor. */
function deviceOf(fs: MaildirFs, dir: string): number {
  let existing = dir;
  while (fs.lstat(existing) === undefined && path.dirname(existing) !== existing)
    existing = path.dirname(existing);
  return fs.stat(existing).dev;
}

function filesystemProblem(fs: MaildirFs, dir: string, dev: number): string | undefined {
  if (deviceOf(fs, dir) === dev) return undefined;
  return `${dir} is on another filesystem than the mailbox's Maildir; syncmail moves mail into folders with rename(), which needs one filesystem`;
}

/** For a dry run, which creates nothing: the folders that a real run would refuse as on another filesystem. */
export function folderFilesystemProblems(
  fs: MaildirFs,
  local: string,
  dirs: readonly string[],
): string[] {
  const dev = deviceOf(fs, local);
  return dirs.flatMap((dir) => filesystemProblem(fs, dir, dev) ?? []);
}

/**
 * Makes a folder a rule delivers to a Maildir (cur/ new/ tmp/, 0700; Maildir++ readers also want a
 * `maildirfolder` file in a subfolder) and checks it is on the stage's filesystem, without which the
 * final rename could not be atomic. Returns a problem to report, or undefined.
 */
export function prepareFolder(
  fs: MaildirFs,
  dir: string,
  stageDev: number,
  maildirPlusPlus: boolean,
): string | undefined {
  // Nothing is created on the wrong filesystem.
  const problem = filesystemProblem(fs, dir, stageDev);
  if (problem !== undefined) return problem;
  ensureDir(fs, dir, `the folder ${dir}`, true);
  for (const sub of ['cur', 'new', 'tmp']) ensureDir(fs, path.join(dir, sub), `${sub}/`);
  if (maildirPlusPlus && path.basename(dir).startsWith('.')) {
    const marker = path.join(dir, 'maildirfolder');
    if (fs.lstat(marker) === undefined) fs.replace(marker, '');
  }
  return undefined;
}

/** Empties one of syncmail's own work dirs (temp files of a killed run); only under the lock. */
export function clearDir(fs: MaildirFs, dir: string): void {
  for (const name of fs.names(dir)) fs.remove(joinName(dir, name));
}
