// A config decides which programs run (rsync, ssh and their arguments; a .js config is itself a program) and
// where mail goes. So syncmail refuses a config file that someone else could change: one not owned by the
// current user or root, one writable by group or others, or one in a directory (or any directory above it)
// writable by group or others. A sticky directory owned by root, like /tmp, is fine: there nobody can
// replace another user's file.

import { realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { shellQuote } from './problems.js';

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;
const HINT =
  'syncmail reads only config files that nobody but you (or root) can change, because a config decides which commands run';

function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function writers(mode: number): string {
  if ((mode & GROUP_OR_OTHER_WRITE) === GROUP_OR_OTHER_WRITE) return 'group and others';
  return mode & 0o020 ? 'group' : 'others';
}

/** The directories from `dir` up to and including /. */
function directoriesUp(dir: string): string[] {
  const dirs = [dir];
  for (let parent = dirname(dir); parent !== dirs[dirs.length - 1]; parent = dirname(parent))
    dirs.push(parent);
  return dirs;
}

async function checkDirectory(dir: string, problems: string[]): Promise<void> {
  const info = await stat(dir);
  if ((info.mode & GROUP_OR_OTHER_WRITE) === 0) return;
  if ((info.mode & STICKY) !== 0 && info.uid === 0) return;
  problems.push(
    `the directory ${dir} is writable by ${writers(info.mode)} (mode ${modeText(info.mode)}), so others could replace the config file; run: chmod go-w ${shellQuote(dir)}`,
  );
}

/**
 * Throws a ConfigError when `file` (absolute) could be changed by someone other than the current user or root.
 * Both the path as given and its real path (through symbolic links) are checked. Does nothing on Windows.
 */
export async function checkConfigFileSafety(file: string): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) return;

  const problems: string[] = [];
  const info = await stat(file);
  if (!info.isFile()) problems.push('is not a regular file');
  if (info.uid !== uid && info.uid !== 0) {
    problems.push(
      `is owned by user id ${info.uid}, not by you (user id ${uid}) or root; run: chown ${uid} ${shellQuote(file)}`,
    );
  }
  if ((info.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    problems.push(
      `is writable by ${writers(info.mode)} (mode ${modeText(info.mode)}); run: chmod go-w ${shellQuote(file)}`,
    );
  }

  const real = await realpath(file);
  const dirs = new Set([...directoriesUp(dirname(resolve(file))), ...directoriesUp(dirname(real))]);
  for (const dir of dirs) await checkDirectory(dir, problems);

  if (problems.length > 0) throw new ConfigError(file, problems, HINT);
}
