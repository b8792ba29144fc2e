// Reading one config file into its raw settings. cosmiconfig's defaultLoaders parse YAML (with js-yaml) and load
// .js/.mjs configs (with import()); around them syncmail adds:
// - every config file is checked by checkConfigFileSafety before it is parsed, and a .js/.mjs config before it runs;
// - JSON and YAML syntax errors become `file:LINE:COL: reason` (ConfigSyntaxError);
// - a package.json that is not ours (no "syncmail" key) is passed over by the search even if it is broken: an
//   unrelated project's package.json must never stop a sync. Only with --config is a broken package.json reported;
// - an empty file, or one with no settings (only comments, or `null`), is an error rather than silently skipped;
// - a `$import` key (cosmiconfig's way of reading further files) is refused with its own message;
// - TypeScript configs are refused (Node 20 cannot load them without the typescript package at run time).

import { basename, extname } from 'node:path';
import { defaultLoaders } from 'cosmiconfig';
import { ConfigError } from '../errors.js';
import { checkConfigFileSafety } from './file-safety.js';
import { isMapping } from './problems.js';
import { fromYamlError, parseJson } from './syntax.js';

export const EMPTY_HINT = 'a config needs at least a list of mailboxes; see .syncmailrc.example';

export function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** Any error from reading or loading `file` as a ConfigError. */
export function asConfigError(error: unknown, file: string): ConfigError {
  if (error instanceof ConfigError) return error;
  const code = errorCode(error);
  if (code === 'EACCES' || code === 'EPERM')
    return new ConfigError(file, ['cannot be read: permission denied']);
  if (code === 'EISDIR') return new ConfigError(file, ['is a directory, not a config file']);
  const message = error instanceof Error ? error.message : String(error);
  return new ConfigError(file, [`cannot be read: ${message}`]);
}

/** The settings a file yields, after the checks every loaded file gets. */
function settingsOf(file: string, loaded: unknown): unknown {
  if (loaded === null || loaded === undefined) {
    throw new ConfigError(
      file,
      ['contains no settings (it is empty, or only has comments)'],
      EMPTY_HINT,
    );
  }
  if (isMapping(loaded) && Object.hasOwn(loaded, '$import')) {
    throw new ConfigError(file, [
      '$import: not supported; syncmail reads settings from one file only',
    ]);
  }
  return loaded;
}

async function parseYaml(file: string, content: string): Promise<unknown> {
  try {
    return await defaultLoaders['.yaml']!(file, content);
  } catch (error) {
    const syntax = fromYamlError(file, error);
    if (syntax !== undefined) throw syntax;
    throw new ConfigError(file, [
      `is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
}

async function runJs(file: string, content: string): Promise<unknown> {
  try {
    return await defaultLoaders['.js']!(file, content);
  } catch (error) {
    throw new ConfigError(file, [
      `could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
}

type Parser = (file: string, content: string) => unknown;

/** Parsers by extension, as cosmiconfig chooses them; YAML for any other (.syncmailrc, .syncmailrc.example). */
const PARSERS: Readonly<Record<string, Parser>> = {
  '.json': parseJson,
  '.js': runJs,
  '.mjs': runJs,
  '.cjs': runJs,
};

function parserFor(file: string): Parser {
  const extension = extname(file);
  if (['.ts', '.mts', '.cts'].includes(extension)) {
    throw new ConfigError(file, [
      `${extension} config files are not supported; use .yaml, .json, .js or .mjs`,
    ]);
  }
  return PARSERS[extension] ?? parseYaml;
}

async function loadPackageJson(file: string, content: string, explicit: boolean): Promise<unknown> {
  let parsed: unknown;
  if (explicit) parsed = parseJson(file, content);
  else {
    try {
      parsed = JSON.parse(content.replace(/^\uFEFF/, ''));
    } catch {
      return undefined; // not ours to judge
    }
  }
  if (!isMapping(parsed) || parsed['syncmail'] === undefined) {
    if (!explicit) return undefined;
    throw new ConfigError(
      file,
      ['has no "syncmail" key'],
      'put the settings under "syncmail" in package.json',
    );
  }
  await checkConfigFileSafety(file);
  return settingsOf(file, parsed['syncmail']);
}

/**
 * The raw settings in `file` (absolute), whose text is `content`. `explicit` is true for --config FILE: the user
 * named this file, so a package.json without our key is an error. Without it, such a package.json yields
 * undefined and the search goes on. Throws ConfigError.
 */
export async function loadFile(file: string, content: string, explicit: boolean): Promise<unknown> {
  const isPackageJson = basename(file) === 'package.json';
  if (content.trim() === '') {
    if (isPackageJson && !explicit) return undefined;
    throw new ConfigError(file, ['is empty'], EMPTY_HINT);
  }
  try {
    if (isPackageJson) return await loadPackageJson(file, content, explicit);
    const parse = parserFor(file);
    await checkConfigFileSafety(file);
    return settingsOf(file, await parse(file, content));
  } catch (error) {
    throw asConfigError(error, file);
  }
}
