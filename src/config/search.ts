// Finding the config file when no --config is given: the working directory and each directory above it up to
// the home directory (SEARCH_PLACES in each), then $XDG_CONFIG_HOME/syncmail/ (GLOBAL_PLACES). The first file
// found wins.
//
// cosmiconfig passes over empty files and files it cannot read, and would then quietly use a config further
// up. syncmail reports them instead: after the search, the places that came before the file found are looked at
// again, and an empty or unreadable file of ours among them is an error.

import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { type Env, xdgDir } from './expand.js';
import { createExplorer, GLOBAL_PLACES, SEARCH_PLACES, withEnvironment } from './explorer.js';
import { EMPTY_HINT, makeLoaders } from './loaders.js';

export interface Found {
  readonly filepath: string;
  readonly config: unknown;
}

export interface SearchOptions {
  readonly cwd: string;
  readonly env: Env;
  readonly homedir: string;
}

/** Where the search looks: the directories from `cwd` up to `stopDir` (or /), then the global directory. */
function searchDirectories(cwd: string, stopDir: string): string[] {
  const dirs = [resolve(cwd)];
  for (let dir = dirs[0]!; dir !== stopDir; ) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dirs.push(parent);
    dir = parent;
  }
  return dirs;
}

/** Every file the search tries, in order. */
function candidates(cwd: string, stopDir: string, globalDir: string): string[] {
  const files = searchDirectories(cwd, stopDir).flatMap((dir) =>
    SEARCH_PLACES.map((place) => join(dir, place)),
  );
  return [...files, ...GLOBAL_PLACES.map((place) => join(globalDir, place))];
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** Throws for an empty or unreadable file of ours that the search passed over before reaching `found`. */
async function refusePassedOver(
  files: readonly string[],
  found: string | undefined,
): Promise<void> {
  for (const file of files) {
    if (file === found) return;
    if (basename(file) === 'package.json') continue; // not necessarily ours
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'EACCES') {
        throw new ConfigError(
          file,
          ['cannot be read: permission denied'],
          'make it readable, or remove it',
        );
      }
      continue; // not there, or a directory
    }
    if (content.trim() === '') throw new ConfigError(file, ['is empty'], EMPTY_HINT);
  }
}

/** cosmiconfig also tries these in the global directory; syncmail does not read them. */
const NOT_SEARCHED = ['config', 'config.ts', 'config.cjs'];

export function globalConfigDir(env: Env, homedir: string): string {
  return join(xdgDir(env, 'XDG_CONFIG_HOME', join(homedir, '.config')), 'syncmail');
}

/** Searches for the config file; undefined when there is none. Throws ConfigError for a broken one. */
export async function searchConfig(options: SearchOptions): Promise<Found | undefined> {
  const stopDir = isAbsolute(options.homedir) ? resolve(options.homedir) : '/';
  const configHome = xdgDir(options.env, 'XDG_CONFIG_HOME', join(options.homedir, '.config'));
  const globalDir = join(configHome, 'syncmail');
  const skip = (file: string): boolean =>
    dirname(file) === globalDir && NOT_SEARCHED.includes(basename(file));

  const explorer = createExplorer(makeLoaders({ explicit: false, skip }), stopDir);
  const result = await withEnvironment('XDG_CONFIG_HOME', configHome, () =>
    explorer.search(options.cwd),
  );
  await refusePassedOver(candidates(options.cwd, stopDir, globalDir), result?.filepath);
  if (result === null) return undefined;
  return { filepath: result.filepath, config: result.config };
}

/** Where a search looks, for the "no config file found" hint. */
export function describeSearch(options: SearchOptions): string {
  const home = isAbsolute(options.homedir) ? options.homedir : '/';
  return (
    `looked for .syncmailrc (.yaml, .yml, .json, .js, .mjs), syncmail.config.* and a "syncmail" key in package.json ` +
    `in ${resolve(options.cwd)} and the directories above it up to ${home}, then for config.yaml (.yml, .json, .js, .mjs) ` +
    `in ${globalConfigDir(options.env, options.homedir)}`
  );
}
