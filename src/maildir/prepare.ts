// Makes sure the local Maildir is one, before anything is fetched or removed. Touches the disk.
import { readdirSync, rmSync } from 'node:fs';
import { lstat, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LocalIoError } from '../errors.js';
import { joinName, type MailboxPaths } from './layout.js';

async function ensureDir(dir: string, label: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await lstat(dir);
    if (info.isSymbolicLink()) {
      // A symlinked new/ or cur/ could point anywhere; delivering through it is not what anyone expects.
      throw new LocalIoError(
        `${dir} is a symbolic link, not a directory`,
        `make ${label} a real directory`,
      );
    }
    if (!info.isDirectory())
      throw new LocalIoError(
        `${dir} is not a directory`,
        `move it away so syncmail can create the Maildir`,
      );
  } catch (error) {
    if (error instanceof LocalIoError) throw error;
    throw new LocalIoError(
      `cannot create ${dir}: ${(error as Error).message}`,
      'check the path and its permissions',
    );
  }
}

/** Creates cur/ new/ tmp/ (0700) and syncmail's work dirs, and checks tmp/ shares new/'s filesystem. */
export async function prepareLocalMaildir(paths: MailboxPaths): Promise<void> {
  await ensureDir(paths.local, 'the local Maildir');
  for (const [dir, label] of [
    [paths.cur, 'cur/'],
    [paths.new, 'new/'],
    [paths.tmp, 'tmp/'],
  ] as const) {
    await ensureDir(dir, label);
  }
  const [newInfo, tmpInfo] = await Promise.all([stat(paths.new), stat(paths.tmp)]);
  if (newInfo.dev !== tmpInfo.dev) {
    // Across filesystems rename() and link() fail and rsync falls back to a copy: a half-written message
    // would be visible in new/.
    throw new LocalIoError(
      `${paths.tmp} and ${paths.new} are on different filesystems`,
      'put the whole Maildir on one filesystem (syncmail moves mail into new/ with link(), which needs that)',
    );
  }
  for (const dir of [
    paths.work,
    paths.stage,
    paths.stageNew,
    paths.deliveredNew,
    paths.removingNew,
    paths.temp,
  ])
    await ensureDir(dir, path.basename(dir));
}

/** Empties one of syncmail's own work dirs (temp files of a killed run, stale partials); under the lock. */
export function clearDir(dir: string): void {
  for (const name of readdirSync(dir, { encoding: 'buffer' }))
    rmSync(joinName(dir, name), { recursive: true, force: true });
}
