// Finding the config file when no --config is given: the working directory and each directory above it up to
// the home directory (SEARCH_PLACES in each), then $XDG_CONFIG_HOME/syncmail/ (GLOBAL_PLACES). The first file
// found wins. The places are walked here rather than by a cosmiconfig explorer, whose construction reads a
// "meta config" from process.cwd() and whose global directory comes from process.env and os.homedir(): the
// search depends only on the cwd, env and homedir it is given. Walking them also means that an empty or
// unreadable file of ours stops the search with an error where it is met, instead of being passed over for a
// config further up.

import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { type Env, xdgDir } from './expand.js';
import { asConfigError, errorCode, loadFile } from './loaders.js';

/** Searched in this order in the working directory and each directory above it, up to the home directory. */
const SEARCH_PLACES = [
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
];

/** Read from $XDG_CONFIG_HOME/syncmail/ after that (cosmiconfig's global order, without config, config.ts and config.cjs). */
const GLOBAL_PLACES = ['config.json', 'config.yaml', 'config.yml', 'config.js', 'config.mjs'];

export interface Found {
  readonly filepath: string;
  readonly config: unknown;
}

export interface SearchOptions {
  /** Absolute, so that resolving it never consults process.cwd(). */
  readonly cwd: string;
  readonly env: Env;
  readonly homedir: string;
}

export function globalConfigDir(env: Env, homedir: string): string {
  return join(xdgDir(env, 'XDG_CONFIG_HOME', join(homedir, '.config')), 'syncmail');
}

/** Every file the search tries, in order. */
function candidates({ cwd, env, homedir }: SearchOptions): string[] {
  const stopDir = isAbsolute(homedir) ? resolve(homedir) : '/';
  const files: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    files.push(...SEARCH_PLACES.map((place) => join(dir, place)));
    if (dir === stopDir || dirname(dir) === dir) break;
  }
  const globalDir = globalConfigDir(env, homedir);
  return [...files, ...GLOBAL_PLACES.map((place) => join(globalDir, place))];
}

/** The text of a candidate, or undefined when there is nothing to read there. */
async function readCandidate(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    if (code !== 'EACCES' && code !== 'EPERM') throw asConfigError(error, file);
    if (basename(file) === 'package.json') return undefined; // not necessarily ours
    // Passing over it would quietly use a config further up instead of the one the user meant.
    throw new ConfigError(
      file,
      ['cannot be read: permission denied'],
      'make it readable, or remove it',
    );
  }
}

/** Searches for the config file; undefined when there is none. Throws for a broken, empty or unreadable one. */
export async function searchConfig(options: SearchOptions): Promise<Found | undefined> {
  for (const file of candidates(options)) {
    const content = await readCandidate(file);
    if (content === undefined) continue;
    const config = await loadFile(file, content, false);
    if (config !== undefined) return { filepath: file, config };
  }
  return undefined;
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
