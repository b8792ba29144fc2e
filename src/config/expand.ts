// Expansion of `~` and `$VAR` / `${VAR}` in config values, from the environment and home directory that
// were passed in (never from process.env), so the result depends only on the arguments.
//
//   ~  or  ~/…     the home directory, only at the very start
//   $NAME ${NAME}  the variable NAME ([A-Za-z_][A-Za-z0-9_]*); an unset variable is an error
//   $ followed by anything else is kept as it is ("price$" stays "price$")

import { isAbsolute } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * - `path`: a local path: a leading `~`, and variables anywhere.
 * - `remote`: the path part of an ssh remote: variables anywhere; a leading `~` is left for the server, whose home
 *   directory is not ours.
 * - `leading`: an ssh argument: only a leading `~` or one leading variable; the rest is passed on as written.
 */
export type ExpandMode = 'path' | 'remote' | 'leading';

export type Expanded =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly problem: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

type Piece =
  | { readonly ok: true; readonly value: string; readonly end: number }
  | { readonly ok: false; readonly problem: string };

/** Expands the `$…` that starts at `text[at]`. */
function variableAt(text: string, at: number, env: Env): Piece {
  let name: string;
  let end: number;
  if (text[at + 1] === '{') {
    const close = text.indexOf('}', at + 2);
    if (close === -1)
      return { ok: false, problem: `"\${" at position ${at + 1} has no closing "}"` };
    name = text.slice(at + 2, close);
    end = close + 1;
    if (NAME.exec(name)?.[0] !== name)
      return { ok: false, problem: `"\${${name}}" is not a valid variable name` };
  } else {
    const match = NAME.exec(text.slice(at + 1));
    if (match === null) return { ok: true, value: '$', end: at + 1 }; // a lone '$' is just a character
    name = match[0];
    end = at + 1 + name.length;
  }
  const value = env[name];
  if (value === undefined) {
    return {
      ok: false,
      problem: `$${name} is not set; set it in the environment or write the value out`,
    };
  }
  return { ok: true, value, end };
}

/** Expands a leading `~`; returns the expanded start and where the rest begins, or undefined when there is none. */
function tildeAt(text: string, homedir: string, mode: ExpandMode): Piece | undefined {
  if (!text.startsWith('~')) return undefined;
  if (text === '~' || text.startsWith('~/')) return { ok: true, value: homedir, end: 1 };
  if (mode === 'leading') return undefined; // ssh arguments are the user's business
  const user = text.slice(0, Math.max(text.indexOf('/'), 0) || text.length);
  return {
    ok: false,
    problem: `"${user}" is not supported; write the full path, or use ~/ for your own home`,
  };
}

export function expand(text: string, env: Env, homedir: string, mode: ExpandMode): Expanded {
  let result = '';
  let at = 0;

  if (mode !== 'remote') {
    const tilde = tildeAt(text, homedir, mode);
    if (tilde !== undefined) {
      if (!tilde.ok) return tilde;
      result = tilde.value;
      at = tilde.end;
    }
  }

  if (mode === 'leading') {
    if (at === 0 && text.startsWith('$')) {
      const piece = variableAt(text, 0, env);
      if (!piece.ok) return piece;
      return { ok: true, value: piece.value + text.slice(piece.end) };
    }
    return { ok: true, value: result + text.slice(at) };
  }

  while (at < text.length) {
    const dollar = text.indexOf('$', at);
    if (dollar === -1) break;
    result += text.slice(at, dollar);
    const piece = variableAt(text, dollar, env);
    if (!piece.ok) return piece;
    result += piece.value;
    at = piece.end;
  }
  return { ok: true, value: result + text.slice(at) };
}

/** The XDG base directory `variable` (e.g. XDG_STATE_HOME) if set to an absolute path, else `fallback`. */
export function xdgDir(env: Env, variable: string, fallback: string): string {
  const value = env[variable];
  return value !== undefined && isAbsolute(value) ? value : fallback;
}
