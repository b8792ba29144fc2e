// Checks of a validated Config against the file system, run by loadConfig after validateConfig:
// - a `local` path that exists must be a directory (it need not exist yet);
// - for a remote that is a local path, remote and local must not be the same directory, compared by real path
//   (validateConfig already compared the normalized paths);
// - a `log` path that exists must not be a directory.

import { realpath, stat } from 'node:fs/promises';
import type { Config } from './types.js';

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** 'directory', 'other', or 'missing' (nothing there yet); 'blocked' when a parent is a file. */
async function kindOf(path: string): Promise<'directory' | 'other' | 'missing' | 'blocked'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if (errorCode(error) === 'ENOTDIR') return 'blocked';
    return 'missing'; // ENOENT, or unreadable: the sync reports that with a better context
  }
}

async function realpathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/** Returns one problem line per finding, in the same form as validateConfig's. */
export async function checkLocalPaths(config: Config): Promise<string[]> {
  const problems: string[] = [];

  for (const [index, mailbox] of config.mailboxes.entries()) {
    const where = `mailboxes[${index}].local`;
    const kind = await kindOf(mailbox.local);
    if (kind === 'other') {
      problems.push(
        `${where}: ${mailbox.local} exists but is not a directory; give the directory of the local Maildir`,
      );
    } else if (kind === 'blocked') {
      problems.push(
        `${where}: part of ${mailbox.local} is a file, not a directory; give the directory of the local Maildir`,
      );
    }

    if (mailbox.remote.kind === 'local' && kind === 'directory') {
      const [remoteReal, localReal] = await Promise.all([
        realpathOrUndefined(mailbox.remote.path),
        realpathOrUndefined(mailbox.local),
      ]);
      if (remoteReal !== undefined && remoteReal === localReal) {
        problems.push(
          `${where}: is the same directory as remote (both are ${remoteReal}); a Maildir cannot be moved onto itself`,
        );
      }
    }
  }

  if ((await kindOf(config.log)) === 'directory') {
    problems.push(
      `log: ${config.log} is a directory; give the path of a file (it is created if missing)`,
    );
  }
  return problems;
}
