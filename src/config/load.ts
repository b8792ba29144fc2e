// loadConfig: find or open the config file, check that only you can change it, parse it, validate it, and
// check its paths against the file system. Every failure is a ConfigError (exit 78) naming the file.

import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Env } from './expand.js';
import { createExplorer } from './explorer.js';
import { EMPTY_HINT, makeLoaders } from './loaders.js';
import { checkLocalPaths } from './local-paths.js';
import { describeSearch, type Found, globalConfigDir, searchConfig } from './search.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';

export interface LoadOptions {
  /** --config FILE: load exactly this file (relative to cwd) instead of searching. */
  configPath?: string;
  /** Where the search starts and what a relative configPath is relative to. */
  cwd: string;
  /** Used for $VAR expansion and the XDG directories, instead of process.env. */
  env: Record<string, string | undefined>;
  /** Used for ~ and as the default base of the XDG directories, instead of os.homedir(). */
  homedir: string;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** Any error from reading or loading `file` as a ConfigError. */
function asConfigError(error: unknown, file: string | undefined): ConfigError {
  if (error instanceof ConfigError) return error;
  const where =
    error instanceof Error && 'filepath' in error && typeof error.filepath === 'string'
      ? error.filepath
      : file;
  const code = errorCode(error);
  if (code === 'EACCES' || code === 'EPERM')
    return new ConfigError(where, ['cannot be read: permission denied']);
  if (code === 'EISDIR') return new ConfigError(where, ['is a directory, not a config file']);
  const message = error instanceof Error ? error.message : String(error);
  return new ConfigError(where, [`cannot be read: ${message}`]);
}

async function loadExplicit(file: string, env: Env, homedir: string): Promise<Found> {
  const usual = `${globalConfigDir(env, homedir)}/config.yaml`;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ConfigError(
        file,
        ['no such file'],
        `check the path given to --config, or leave --config out to use ${usual}`,
      );
    }
    throw asConfigError(error, file);
  }
  if (info.isDirectory()) {
    throw new ConfigError(
      file,
      ['is a directory, not a config file'],
      `give the path of the file itself, e.g. ${usual}`,
    );
  }
  if (!info.isFile()) throw new ConfigError(file, ['is not a regular file']);

  const explorer = createExplorer(makeLoaders({ explicit: true, skip: () => false }), '/');
  let result: Awaited<ReturnType<typeof explorer.load>>;
  try {
    result = await explorer.load(file);
  } catch (error) {
    throw asConfigError(error, file);
  }
  if (result === null) {
    throw new ConfigError(
      file,
      ['has no "syncmail" key'],
      'put the settings under "syncmail" in package.json',
    );
  }
  if (result.isEmpty === true) throw new ConfigError(file, ['is empty'], EMPTY_HINT);
  return { filepath: result.filepath, config: result.config };
}

async function search(options: LoadOptions): Promise<Found> {
  let found: Found | undefined;
  try {
    found = await searchConfig(options);
  } catch (error) {
    throw asConfigError(error, undefined);
  }
  if (found !== undefined) return found;
  throw new ConfigError(
    undefined,
    ['no config file found'],
    `${describeSearch(options)}; create ${globalConfigDir(options.env, options.homedir)}/config.yaml (start from .syncmailrc.example), or pass --config FILE`,
  );
}

/** Finds (or opens --config), checks, parses and validates the config. Throws ConfigError. */
export async function loadConfig(opts: LoadOptions): Promise<Config> {
  const found =
    opts.configPath === undefined
      ? await search(opts)
      : await loadExplicit(resolve(opts.cwd, opts.configPath), opts.env, opts.homedir);
  const file = isAbsolute(found.filepath) ? found.filepath : resolve(opts.cwd, found.filepath);
  const config = validateConfig(found.config, file, opts.env, opts.homedir);
  const problems = await checkLocalPaths(config);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}
