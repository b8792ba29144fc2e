// Turns the raw contents of a config file into a Config, or throws one ConfigError listing every problem.
// Pure: it reads no files and no process state; the environment and home directory come in as arguments.
// (Checks that need the file system, such as "local exists but is a file", are in local-paths.ts.)

import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { type Env, expand, xdgDir } from './expand.js';
import {
  has,
  readChoice,
  readInteger,
  readMapping,
  readNumber,
  readString,
  readStringList,
  reportMissing,
} from './fields.js';
import { describe, isMapping, keyPath, Problems } from './problems.js';
import { checkRemotePath, splitRemote } from './remote.js';
import { checkRsyncArg } from './rsync-args.js';
import type { Config, Mailbox, OnConflict, Remote } from './types.js';

export const TOP_KEYS = [
  'ssh',
  'log',
  'onConflict',
  'connectTimeout',
  'ioTimeout',
  'maxMinutes',
  'retries',
  'retryDelay',
  'rsync',
  'mailboxes',
] as const;

export const MAILBOX_KEYS = ['name', 'remote', 'local', 'ssh', 'rsyncArgs'] as const;

export const DEFAULTS = {
  onConflict: 'keep',
  connectTimeout: 30,
  ioTimeout: 300,
  maxMinutes: 120,
  retries: 1,
  retryDelay: 5,
  rsync: 'rsync',
} as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_MAX = 64;
const HINT = 'every setting is explained in .syncmailrc.example, which comes with syncmail';

interface Context {
  readonly env: Env;
  readonly homedir: string;
  readonly problems: Problems;
}

/** Runs `read` on `mapping[key]` if the key is present; undefined when absent (or invalid: then it is reported). */
function optional<T>(
  mapping: Record<string, unknown>,
  parent: string,
  key: string,
  read: (value: unknown, path: string) => T | undefined,
): T | undefined {
  return has(mapping, key) ? read(mapping[key], keyPath(parent, key)) : undefined;
}

function expandOrReport(
  text: string,
  path: string,
  mode: 'path' | 'remote' | 'leading',
  ctx: Context,
): string | undefined {
  const expanded = expand(text, ctx.env, ctx.homedir, mode);
  if (expanded.ok) return expanded.value;
  ctx.problems.add(path, expanded.problem);
  return undefined;
}

/** A local path: expanded, absolute, normalized. */
function readLocalPath(value: unknown, path: string, ctx: Context): string | undefined {
  const text = readString(value, path, ctx.problems);
  if (text === undefined) return undefined;
  const expanded = expandOrReport(text, path, 'path', ctx);
  if (expanded === undefined) return undefined;
  if (/[\0\n\r]/.test(expanded)) {
    ctx.problems.add(
      path,
      `must not contain a line break or NUL character (after expanding ${JSON.stringify(text)})`,
    );
    return undefined;
  }
  if (!isAbsolute(expanded)) {
    const origin = expanded === text ? '' : ` (from ${JSON.stringify(text)})`;
    const shown =
      expanded === '' ? 'an empty path' : `${JSON.stringify(expanded)}${origin} is a relative path`;
    ctx.problems.add(path, `${shown}; give an absolute path (it may start with ~/)`);
    return undefined;
  }
  return resolve(expanded);
}

function readSshArgs(value: unknown, path: string, ctx: Context): string[] | undefined {
  const args = readStringList(value, path, ctx.problems);
  if (args === undefined) return undefined;
  const expanded = args.map((arg, index) =>
    expandOrReport(arg, keyPath(path, index), 'leading', ctx),
  );
  return expanded.every((arg) => arg !== undefined) ? (expanded as string[]) : undefined;
}

function readRsyncArgs(value: unknown, path: string, ctx: Context): string[] | undefined {
  const args = readStringList(value, path, ctx.problems);
  if (args === undefined) return undefined;
  let ok = true;
  args.forEach((arg, index) => {
    const problem = checkRsyncArg(arg);
    if (problem === undefined) return;
    ctx.problems.add(keyPath(path, index), problem);
    ok = false;
  });
  return ok ? args : undefined;
}

function readRsyncProgram(value: unknown, path: string, ctx: Context): string | undefined {
  const text = readString(value, path, ctx.problems);
  if (text === undefined) return undefined;
  let problem: string | undefined;
  if (text.startsWith('-'))
    problem = `${JSON.stringify(text)} begins with "-"; give a program name or an absolute path`;
  else if (text.includes('/') && !isAbsolute(text)) {
    problem = `${JSON.stringify(text)} is a relative path; give a program name found in PATH (like "rsync") or an absolute path`;
  } else if (!text.includes('/') && !/^[A-Za-z0-9._+-]+$/.test(text)) {
    problem = `${JSON.stringify(text)} is not a program name; give a name found in PATH (like "rsync") or an absolute path`;
  }
  if (problem === undefined) return text;
  ctx.problems.add(path, problem);
  return undefined;
}

function readName(value: unknown, path: string, ctx: Context): string | undefined {
  const name = readString(value, path, ctx.problems, true);
  if (name === undefined) return undefined;
  if (name.length > NAME_MAX) {
    ctx.problems.add(path, `is ${name.length} characters long; use at most ${NAME_MAX}`);
    return undefined;
  }
  if (!NAME.test(name)) {
    ctx.problems.add(
      path,
      `${JSON.stringify(name)} may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit`,
    );
    return undefined;
  }
  return name;
}

function readRemote(
  value: unknown,
  path: string,
  ctx: Context,
): { remote: Remote; text: string } | undefined {
  const text = readString(value, path, ctx.problems);
  if (text === undefined) return undefined;
  const split = splitRemote(text);
  if (!split.ok) {
    ctx.problems.add(path, split.problem);
    return undefined;
  }
  const { remote } = split;
  const expanded = expandOrReport(
    remote.path,
    path,
    remote.kind === 'ssh' ? 'remote' : 'path',
    ctx,
  );
  if (expanded === undefined) return undefined;
  const problem = checkRemotePath(expanded, remote.kind);
  if (problem !== undefined) {
    ctx.problems.add(path, problem);
    return undefined;
  }
  if (remote.kind === 'local')
    return { remote: { kind: 'local', path: resolve(expanded) }, text: expanded };
  const user = remote.user === undefined ? '' : `${remote.user}@`;
  return {
    remote: { kind: 'ssh', user: remote.user, host: remote.host, path: expanded },
    text: `${user}${remote.host}:${expanded}`,
  };
}

function readMailbox(
  value: unknown,
  path: string,
  topSsh: readonly string[],
  ctx: Context,
): Mailbox | undefined {
  const mailbox = readMapping(
    value,
    path,
    MAILBOX_KEYS,
    'a mapping with name, remote and local',
    ctx.problems,
  );
  if (mailbox === undefined) return undefined;

  const required = <T>(
    key: string,
    advice: string,
    read: (value: unknown, path: string) => T | undefined,
  ): T | undefined => {
    if (has(mailbox, key)) return read(mailbox[key], keyPath(path, key));
    reportMissing(keyPath(path, key), advice, ctx.problems);
    return undefined;
  };
  const name = required('name', 'give the mailbox a short name, like inbox', (v, p) =>
    readName(v, p, ctx),
  );
  const remote = required('remote', 'give the server Maildir, like mail-server:Maildir', (v, p) =>
    readRemote(v, p, ctx),
  );
  const local = required('local', 'give the local Maildir, like ~/Maildir', (v, p) =>
    readLocalPath(v, p, ctx),
  );
  const ssh = optional(mailbox, path, 'ssh', (v, p) => readSshArgs(v, p, ctx));
  const rsyncArgs = optional(mailbox, path, 'rsyncArgs', (v, p) => readRsyncArgs(v, p, ctx));

  if (remote?.remote.kind === 'local' && local !== undefined && remote.remote.path === local) {
    ctx.problems.add(
      keyPath(path, 'local'),
      `is the same directory as remote (${local}); a Maildir cannot be moved onto itself`,
    );
    return undefined;
  }
  if (name === undefined || remote === undefined || local === undefined) return undefined;
  if (has(mailbox, 'ssh') && ssh === undefined) return undefined;
  if (has(mailbox, 'rsyncArgs') && rsyncArgs === undefined) return undefined;
  return {
    name,
    remote: remote.remote,
    remoteText: remote.text,
    local,
    ssh: ssh ?? topSsh,
    rsyncArgs: rsyncArgs ?? [],
  };
}

function readMailboxes(value: unknown, topSsh: readonly string[], ctx: Context): Mailbox[] {
  if (!Array.isArray(value)) {
    const advice = isMapping(value) ? '; put "- " before each mailbox to make a list' : '';
    ctx.problems.add('mailboxes', `expected a list of mailboxes, got ${describe(value)}${advice}`);
    return [];
  }
  if (value.length === 0) {
    ctx.problems.add(
      'mailboxes',
      'the list is empty; add at least one mailbox with name, remote and local',
    );
    return [];
  }
  const mailboxes: Mailbox[] = [];
  const firstIndexOf = new Map<string, number>();
  value.forEach((item: unknown, index) => {
    const path = keyPath('mailboxes', index);
    const mailbox = readMailbox(item, path, topSsh, ctx);
    // Duplicate names are checked even when something else in the mailbox is wrong.
    const name = isMapping(item) ? item['name'] : undefined;
    if (typeof name === 'string' && name !== '') {
      const first = firstIndexOf.get(name);
      if (first === undefined) firstIndexOf.set(name, index);
      else {
        ctx.problems.add(
          keyPath(path, 'name'),
          `${JSON.stringify(name)} is already the name of mailboxes[${first}]; give each mailbox its own name`,
        );
      }
    }
    if (mailbox !== undefined) mailboxes.push(mailbox);
  });
  return mailboxes;
}

function defaultLog(ctx: Context): string | undefined {
  const state = xdgDir(ctx.env, 'XDG_STATE_HOME', join(ctx.homedir, '.local', 'state'));
  const log = join(state, 'syncmail', 'transfer.log');
  if (isAbsolute(log)) return log;
  ctx.problems.add(
    'log',
    `the default (${log}) is not an absolute path because the home directory is unknown; set log`,
  );
  return undefined;
}

/**
 * Validates and expands raw config contents. `file` is only used in the error; `env` and `homedir` are used for
 * `~`, `$VAR` and the default log location. Throws a ConfigError that lists every problem found.
 */
export function validateConfig(
  raw: unknown,
  file: string | undefined,
  env: Env,
  homedir: string,
): Config {
  const problems = new Problems();
  const ctx: Context = { env, homedir, problems };
  const top = readMapping(
    raw,
    '',
    TOP_KEYS,
    'a mapping of settings (key: value) at the top of the file',
    problems,
  );
  if (top === undefined) throw new ConfigError(file, problems.lines, HINT);

  const seconds = (min: number, max: number) => ({ min, max, unit: 'seconds' });
  const ssh = optional(top, '', 'ssh', (v, p) => readSshArgs(v, p, ctx)) ?? [];
  const log = has(top, 'log') ? readLocalPath(top['log'], 'log', ctx) : defaultLog(ctx);
  const onConflict = optional(top, '', 'onConflict', (v, p) =>
    readChoice<OnConflict>(v, p, ['keep', 'rename'], problems),
  );
  const connectTimeout = optional(top, '', 'connectTimeout', (v, p) =>
    readInteger(v, p, seconds(1, 3600), problems),
  );
  const ioTimeout = optional(top, '', 'ioTimeout', (v, p) =>
    readInteger(v, p, seconds(10, 86400), problems),
  );
  const maxMinutes = optional(top, '', 'maxMinutes', (v, p) =>
    readInteger(v, p, { min: 1, max: 10080, unit: 'minutes' }, problems),
  );
  const retries = optional(top, '', 'retries', (v, p) =>
    readInteger(v, p, { min: 0, max: 10 }, problems),
  );
  const retryDelay = optional(top, '', 'retryDelay', (v, p) =>
    readNumber(v, p, seconds(0, 3600), problems),
  );
  const rsync = optional(top, '', 'rsync', (v, p) => readRsyncProgram(v, p, ctx));
  let mailboxes: Mailbox[] = [];
  if (has(top, 'mailboxes')) mailboxes = readMailboxes(top['mailboxes'], ssh, ctx);
  else
    reportMissing(
      'mailboxes',
      'add a list of mailboxes, each with name, remote and local',
      problems,
    );

  if (problems.count > 0 || log === undefined) throw new ConfigError(file, problems.lines, HINT);
  return {
    file,
    log,
    onConflict: onConflict ?? DEFAULTS.onConflict,
    connectTimeout: connectTimeout ?? DEFAULTS.connectTimeout,
    ioTimeout: ioTimeout ?? DEFAULTS.ioTimeout,
    maxMinutes: maxMinutes ?? DEFAULTS.maxMinutes,
    retries: retries ?? DEFAULTS.retries,
    retryDelay: retryDelay ?? DEFAULTS.retryDelay,
    rsync: rsync ?? DEFAULTS.rsync,
    mailboxes,
  };
}
