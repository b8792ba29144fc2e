// Building a cosmiconfig explorer without its two surprises (see libraries.md §3, cosmiconfig 9):
// 1. The cosmiconfig() call itself reads package.json and .config/config.* in process.cwd() looking for a
//    "meta config". A broken unrelated file there makes it throw, and a `cosmiconfig` key there can redirect it
//    to another file. So the explorer is built while the process sits in a new, empty directory.
// 2. Its 'global' step looks in env-paths' config directory, which comes from process.env.XDG_CONFIG_HOME and
//    os.homedir(), not from the environment syncmail was given. So XDG_CONFIG_HOME is set to the directory
//    computed from that environment for the duration of a search.

import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosmiconfig, type Loaders, type PublicExplorer } from 'cosmiconfig';

export const MODULE_NAME = 'syncmail';

/** Searched in this order in the working directory and each directory above it, up to the home directory. */
export const SEARCH_PLACES = [
  'package.json', // its "syncmail" key
  '.syncmailrc', // YAML
  '.syncmailrc.json',
  '.syncmailrc.yaml',
  '.syncmailrc.yml',
  '.syncmailrc.js',
  '.syncmailrc.mjs',
  'syncmail.config.js',
  'syncmail.config.mjs',
  'syncmail.config.json',
  'syncmail.config.yaml',
  'syncmail.config.yml',
] as const;

/** Read from $XDG_CONFIG_HOME/syncmail/ after that (cosmiconfig's order; it also tries config, config.ts and config.cjs, which syncmail skips). */
export const GLOBAL_PLACES = [
  'config.json',
  'config.yaml',
  'config.yml',
  'config.js',
  'config.mjs',
] as const;

export function createExplorer(loaders: Loaders, stopDir: string): PublicExplorer {
  const neutral = mkdtempSync(join(tmpdir(), 'syncmail-'));
  let previous: string | undefined;
  try {
    previous = process.cwd();
  } catch {
    previous = undefined; // the working directory was deleted; there is nothing to go back to
  }
  try {
    process.chdir(neutral);
    return cosmiconfig(MODULE_NAME, {
      searchStrategy: 'global',
      stopDir,
      searchPlaces: [...SEARCH_PLACES],
      loaders,
      cache: false,
      ignoreEmptySearchPlaces: true, // see search.ts: empty files of ours are reported there
    });
  } finally {
    process.chdir(previous ?? '/');
    rmdirSync(neutral);
  }
}

/** Runs `work` with process.env[name] set to `value`, then puts the old value back. */
export async function withEnvironment<T>(
  name: string,
  value: string,
  work: () => Promise<T>,
): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}
