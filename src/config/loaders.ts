// The file loaders syncmail gives cosmiconfig, replacing its defaults:
// - every config file is checked by checkConfigFileSafety before it is parsed, and a .js/.mjs config before it runs;
// - JSON and YAML syntax errors become `file:LINE:COL: reason` (ConfigSyntaxError);
// - a package.json that is not ours (no "syncmail" key) is passed over even if it is broken: an unrelated
//   project's package.json must never stop a sync. Only with --config is a broken package.json reported;
// - a file with no settings (only comments, or `null`) is an error rather than silently skipped;
// - cosmiconfig's `$import` (which would read further files) is refused;
// - TypeScript configs are refused (Node 20 cannot load them without the typescript package at run time).

import { basename, extname } from 'node:path';
import { defaultLoaders, type Loader, type Loaders } from 'cosmiconfig';
import { ConfigError } from '../errors.js';
import { checkConfigFileSafety } from './file-safety.js';
import { isMapping } from './problems.js';
import { fromYamlError, parseJson } from './syntax.js';

export interface LoaderOptions {
  /** True for --config FILE: the user named this file, so a broken package.json is an error, not skipped. */
  readonly explicit: boolean;
  /** Files a search passes over without reading (returns true to skip). */
  readonly skip: (file: string) => boolean;
}

export const EMPTY_HINT = 'a config needs at least a list of mailboxes; see .syncmailrc.example';

/** What a loader hands back to cosmiconfig, after the checks every loaded file gets. */
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

const loadYaml: Loader = (file, content) => {
  try {
    return defaultLoaders['.yaml']!(file, content);
  } catch (error) {
    const syntax = fromYamlError(file, error);
    if (syntax !== undefined) throw syntax;
    throw new ConfigError(file, [
      `is not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
};

const loadJs: Loader = async (file, content) => {
  try {
    return await defaultLoaders['.js']!(file, content);
  } catch (error) {
    throw new ConfigError(file, [
      `could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
};

export function makeLoaders(options: LoaderOptions): Loaders {
  /** Wraps a parser with the skip, safety and settings checks. */
  const own =
    (parse: Loader): Loader =>
    async (file, content) => {
      if (options.skip(file)) return null;
      await checkConfigFileSafety(file);
      return settingsOf(file, await parse(file, content));
    };

  const packageJson: Loader = async (file, content) => {
    let parsed: unknown;
    if (options.explicit) parsed = parseJson(file, content);
    else {
      try {
        parsed = JSON.parse(content.replace(/^\uFEFF/, ''));
      } catch {
        return {}; // not ours to judge; cosmiconfig finds no "syncmail" key and searches on
      }
    }
    if (!isMapping(parsed) || parsed['syncmail'] === undefined) return {};
    await checkConfigFileSafety(file);
    settingsOf(file, parsed['syncmail']);
    return parsed;
  };

  const ownJson = own((file, content) => parseJson(file, content));
  const json: Loader = (file, content) =>
    basename(file) === 'package.json' ? packageJson(file, content) : ownJson(file, content);

  const typescript: Loader = (file) => {
    if (!options.explicit) return null;
    throw new ConfigError(file, [
      `${extname(file)} config files are not supported; use .yaml, .json, .js or .mjs`,
    ]);
  };

  const yaml = own(loadYaml);
  const js = own(loadJs);
  return {
    '.json': json,
    '.yaml': yaml,
    '.yml': yaml,
    noExt: yaml,
    default: yaml, // any other extension given with --config, e.g. .syncmailrc.example
    '.js': js,
    '.mjs': js,
    '.cjs': js,
    '.ts': typescript,
    '.mts': typescript,
    '.cts': typescript,
  };
}
