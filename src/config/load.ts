// loadConfig: find or open the config file, check that only you can change it, parse it, validate it, and
// check its paths against the file system. Every failure is a ConfigError (exit 78) naming the file.
// The result depends only on the options and the files: no process.cwd(), process.env or os.homedir().

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, InternalError } from '../errors.js';
import { shippedFile } from '../package-files.js';
import { shellCommand } from '../text/shell-quote.js';
import type { Env } from './expand.js';
import { asConfigError, errorCode, loadFile } from './loaders.js';
import { checkLocalPaths } from './local-paths.js';
import { describeSearch, type Found, globalConfigDir, searchConfig } from './search.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';

export interface LoadOptions {
  /** --config FILE: load exactly this file (relative to cwd) instead of searching. */
  configPath?: string;
  /** Where the search starts and what a relative configPath is relative to. Must be absolute. */
  cwd: string;
  /** Used for $VAR expansion and the XDG directories, instead of process.env. */
  env: Record<string, string | undefined>;
  /** Used for ~ and as the default base of the XDG directories, instead of os.homedir(). */
  homedir: string;
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

  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    throw asConfigError(error, file);
  }
  return { filepath: file, config: await loadFile(file, content, true) };
}

async function search(options: LoadOptions): Promise<Found> {
  const found = await searchConfig(options);
  if (found !== undefined) return found;
  const dir = globalConfigDir(options.env, options.homedir);
  throw new ConfigError(
    undefined,
    ['no config file found'],
    `${describeSearch(options)}; ${startHint(dir, shippedFile('.syncmailrc.example'))}`,
  );
}

/** How to make a first config: by copying the example that came with this syncmail, when it is found. */
export function startHint(dir: string, example: string | undefined): string {
  const file = `${dir}/config.yaml`;
  if (example === undefined)
    return `create ${file} (start from .syncmailrc.example), or pass --config FILE`;
  return (
    `create ${file}, or pass --config FILE; to start from the example that came with syncmail, ` +
    `which explains every setting:\n    ${shellCommand(['mkdir', '-p', dir])} && ` +
    shellCommand(['cp', example, file])
  );
}

/** Finds (or opens --config), checks, parses and validates the config. Throws ConfigError. */
export async function loadConfig(opts: LoadOptions): Promise<Config> {
  // Resolving a relative cwd would consult process.cwd().
  if (!isAbsolute(opts.cwd))
    throw new InternalError(`loadConfig: cwd must be absolute, got ${JSON.stringify(opts.cwd)}`);
  const found =
    opts.configPath === undefined
      ? await search(opts)
      : await loadExplicit(resolve(opts.cwd, opts.configPath), opts.env, opts.homedir);
  const config = validateConfig(found.config, found.filepath, opts.env, opts.homedir);
  const problems = await checkLocalPaths(config);
  if (problems.length > 0) throw new ConfigError(found.filepath, problems);
  return config;
}
