// Turns the raw contents of a config file into a Config, or throws one ConfigError listing every problem.
// Pure: it reads no files and no process state; the environment and home directory come in as arguments.
// (Checks that need the file system, such as "local exists but is a file", are in local-paths.ts.)
//
// The config is described by a valibot schema, built for each call because ~ and $VAR expand from the env and
// home directory passed in. Problems come out in the order of the file's structure: in each mapping, first its
// unknown keys, then its keys in the order their entries are listed below, which is that of TOP_KEYS and
// MAILBOX_KEYS (at most one problem each), then the checks across its keys; and a repeated mailbox name right
// after that mailbox's other problems.

import { isAbsolute, join, resolve } from 'node:path';
import * as v from 'valibot';
import { COMMAND_NAMES } from '../command-names.js';
import { ConfigError } from '../errors.js';
import { INBOX } from '../rules/types.js';
import { type Env, type ExpandMode, expand, xdgDir } from './expand.js';
import {
  byteSize,
  choice,
  duration,
  mapping,
  missingKey,
  numberIn,
  type Outcome,
  oneProblem,
  onlyKeys,
  type Range,
  refuse,
  required,
  stringList,
  text,
  transformOrRefuse,
  yesNo,
} from './fields.js';
import { describe, isMapping, problemLines } from './problems.js';
import { checkRemotePath, type SplitRemote, splitRemote } from './remote.js';
import { checkRsyncArg } from './rsync-args.js';
import { type ConfigRule, folderProblem, parseRules, parseSize, resolveTrash } from './rules.js';
import type { Config, HookCommand, Remote } from './types.js';

export const TOP_KEYS = [
  'ssh',
  'log',
  'state',
  'onConflict',
  'connectTimeout',
  'ioTimeout',
  'maxMinutes',
  'retries',
  'retryDelay',
  'rsync',
  'jobs',
  'shareConnection',
  'folders',
  'folderStyle',
  'trashFolder',
  'rules',
  'schedule',
  'quietFailuresFor',
  'logMaxSize',
  'logMaxAge',
  'logKeep',
  'hooks',
  'notify',
  'notifyDetail',
  'mailboxes',
] as const;

export const MAILBOX_KEYS = [
  'name',
  'remote',
  'local',
  'ssh',
  'rsyncArgs',
  'folders',
  'rules',
  'hooks',
] as const;

const HOOK_KEYS = ['afterSync', 'timeout'] as const;
const MAILBOX_HOOK_KEYS = ['afterSync'] as const;

export const DEFAULTS = {
  onConflict: 'keep',
  connectTimeout: 30,
  ioTimeout: 300,
  maxMinutes: 120,
  retries: 1,
  retryDelay: 5,
  rsync: 'rsync',
  jobs: 4,
  shareConnection: true,
  folderStyle: 'maildir++',
  trashFolder: 'Trash',
  schedule: 300,
  quietFailuresFor: 3600,
  logMaxSize: 10 * 1024 * 1024,
  logMaxAge: 30 * 86_400,
  logKeep: 365 * 86_400,
  hookTimeout: 60,
  notify: false,
  notifyDetail: 'subjects',
} as const;

/**
 * At most this many mailboxes sync at once. With a shared connection each is a session on one ssh
 * connection, and OpenSSH's sshd allows 10 per connection by default (MaxSessions); a pass whose session
 * is refused fails instead of moving mail.
 */
const JOBS_MAX = 8;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_MAX = 64;
const COMMANDS: readonly string[] = COMMAND_NAMES;
const HINT = 'every setting is explained in .syncmailrc.example, which comes with syncmail';

interface Context {
  readonly env: Env;
  readonly homedir: string;
}

const missing = (advice: string): string => `missing; ${advice}`;

/** `text` with ~ and $VAR expanded as `mode` says, paired with the text as written (for messages). */
function expandedFrom(ctx: Context, mode: ExpandMode) {
  return transformOrRefuse((written: string): Outcome<{ written: string; path: string }> => {
    const expanded = expand(written, ctx.env, ctx.homedir, mode);
    return expanded.ok ? { ok: true, value: { written, path: expanded.value } } : expanded;
  });
}

/** A local path: expanded, absolute, normalized. */
function localPath(ctx: Context) {
  return oneProblem(
    v.pipe(
      text(),
      expandedFrom(ctx, 'path'),
      v.check(
        ({ path }) => !/[\0\n\r]/.test(path),
        ({ input }) =>
          `must not contain a line break or NUL character (after expanding ${JSON.stringify(input.written)})`,
      ),
      v.check(
        ({ path }) => isAbsolute(path),
        ({ input: { written, path } }) => {
          const origin = path === written ? '' : ` (from ${JSON.stringify(written)})`;
          const shown =
            path === '' ? 'an empty path' : `${JSON.stringify(path)}${origin} is a relative path`;
          return `${shown}; give an absolute path (it may start with ~/)`;
        },
      ),
      v.transform(({ path }) => resolve(path)),
    ),
  );
}

/** ssh arguments; once every item is a proper string, each gets a leading ~ or $VAR expanded. */
function sshArgs(ctx: Context) {
  const expandLeading = transformOrRefuse((arg: string) =>
    expand(arg, ctx.env, ctx.homedir, 'leading'),
  );
  return v.pipe(stringList(), v.array(v.pipe(v.string(), expandLeading)));
}

/** Extra rsync options; once every item is a proper string, each is checked against the allowlist. */
const rsyncArgs = v.pipe(stringList(), v.array(v.pipe(v.string(), refuse(checkRsyncArg))));

/** The rsync program: a name looked up in PATH, or an absolute path. */
const rsyncProgram = oneProblem(
  v.pipe(
    text(),
    v.check(
      (program) => !program.startsWith('-'),
      ({ input }) =>
        `${JSON.stringify(input)} begins with "-"; give a program name or an absolute path`,
    ),
    v.check(
      (program) => !program.includes('/') || isAbsolute(program),
      ({ input }) =>
        `${JSON.stringify(input)} is a relative path; give a program name found in PATH (like "rsync") or an absolute path`,
    ),
    v.check(
      (program) => program.includes('/') || /^[A-Za-z0-9._+-]+$/.test(program),
      ({ input }) =>
        `${JSON.stringify(input)} is not a program name; give a name found in PATH (like "rsync") or an absolute path`,
    ),
  ),
);

/** A `rules` list (config/rules.ts), its problems reported under their key paths. */
const rulesList = v.pipe(
  v.unknown(),
  v.rawTransform<unknown, ConfigRule[]>(({ dataset, addIssue, NEVER }) => {
    const { rules, problems } = parseRules(dataset.value, []);
    for (const problem of problems) {
      const path = problem.path.map((key) => ({
        type: 'object' as const,
        origin: 'value' as const,
        input: dataset.value as Record<string, unknown>,
        key,
        value: undefined,
      }));
      addIssue(
        path.length === 0
          ? { message: problem.message }
          : { message: problem.message, path: path as never },
      );
    }
    return problems.length > 0 ? NEVER : rules;
  }),
);

/** A hook's command: a shell command line, or a list of the program and its arguments. */
const hookCommand = v.union(
  [
    v.pipe(
      text(),
      v.transform((command): HookCommand => ({ kind: 'shell', command })),
    ),
    v.pipe(
      stringList(),
      v.minLength(1, 'the list is empty; give the program and its arguments'),
      v.transform((argv): HookCommand => ({ kind: 'argv', argv })),
    ),
  ],
  ({ input }) =>
    `expected a command (a string run by /bin/sh, or a list of the program and its arguments), got ${describe(input)}`,
);

function hooksOf<const E extends v.ObjectEntries>(keys: readonly string[], entries: E) {
  return v.pipe(
    mapping(`a mapping with ${keys.join(', ')}`),
    v.intersect([onlyKeys(keys), v.object(entries)]),
  );
}

const topHooks = hooksOf(HOOK_KEYS, {
  afterSync: v.optional(hookCommand),
  timeout: v.optional(numberIn({ min: 1, max: 3600, unit: 'seconds' }), DEFAULTS.hookTimeout),
} satisfies Record<(typeof HOOK_KEYS)[number], v.GenericSchema>);

const mailboxHooks = hooksOf(MAILBOX_HOOK_KEYS, {
  afterSync: v.optional(hookCommand),
} satisfies Record<(typeof MAILBOX_HOOK_KEYS)[number], v.GenericSchema>);

/** A folder name from the config (the trash folder): the same names a rule may give. */
const folderName = oneProblem(
  v.pipe(
    text(),
    refuse<string>(folderProblem),
    v.transform((name) => (name.toUpperCase() === INBOX ? INBOX : name)),
  ),
);

/** A mailbox name, used on the command line and in the log. */
const mailboxName = oneProblem(
  v.pipe(
    text(true),
    v.maxLength(
      NAME_MAX,
      ({ input }) => `is ${input.length} characters long; use at most ${NAME_MAX}`,
    ),
    v.regex(
      NAME,
      ({ input }) =>
        `${JSON.stringify(input)} may contain only letters, digits, ".", "_" and "-", and must start with a letter or digit`,
    ),
    // These words are subcommands, so `syncmail status` must never mean a mailbox.
    v.check(
      (name) => !COMMANDS.includes(name),
      ({ input }) =>
        `${JSON.stringify(input)} is a syncmail command (syncmail ${COMMANDS.join(', ')}); give the mailbox another name`,
    ),
  ),
);

/** The server Maildir: [user@]host:path over ssh, or a local path; paired with its text for messages. */
function remote(ctx: Context) {
  return oneProblem(
    v.pipe(
      text(),
      transformOrRefuse((written: string): Outcome<SplitRemote> => {
        const split = splitRemote(written);
        return split.ok ? { ok: true, value: split.remote } : split;
      }),
      // A leading ~ in an ssh path is left for the server, whose home directory is not ours.
      transformOrRefuse((split: SplitRemote): Outcome<SplitRemote> => {
        const mode = split.kind === 'ssh' ? 'remote' : 'path';
        const expanded = expand(split.path, ctx.env, ctx.homedir, mode);
        return expanded.ok ? { ok: true, value: { ...split, path: expanded.value } } : expanded;
      }),
      refuse(({ path, kind }: SplitRemote) => checkRemotePath(path, kind)),
      v.transform((split): { remote: Remote; text: string } => {
        if (split.kind === 'local')
          return { remote: { kind: 'local', path: resolve(split.path) }, text: split.path };
        const user = split.user === undefined ? '' : `${split.user}@`;
        return { remote: split, text: `${user}${split.host}:${split.path}` };
      }),
    ),
  );
}

/**
 * Reports a mailbox named like an earlier one. It runs once for every mailbox in order, even a broken one, and
 * counts them to know where it is; so it belongs to one validation of one list.
 */
function uniqueNames<T>() {
  const firstIndexOf = new Map<string, number>();
  let index = -1;
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    index += 1;
    // The name as written: a duplicate is reported even when something else in the mailbox is wrong.
    const input = dataset.value;
    if (!isMapping(input)) return;
    const name = input['name'];
    if (typeof name !== 'string' || name === '') return;
    const first = firstIndexOf.get(name);
    if (first === undefined) {
      firstIndexOf.set(name, index);
      return;
    }
    addIssue({
      message: `${JSON.stringify(name)} is already the name of mailboxes[${first}]; give each mailbox its own name`,
      path: [{ type: 'object', origin: 'value', input, key: 'name', value: name }],
    });
  });
}

function mailbox(ctx: Context) {
  const entries = {
    name: required(missing('give the mailbox a short name, like inbox'), mailboxName),
    remote: required(missing('give the server Maildir, like mail-server:Maildir'), remote(ctx)),
    local: required(missing('give the local Maildir, like ~/Maildir'), localPath(ctx)),
    ssh: v.optional(sshArgs(ctx)),
    rsyncArgs: v.optional(rsyncArgs, []),
    folders: v.optional(localPath(ctx)),
    rules: v.optional(rulesList, []),
    hooks: v.optional(mailboxHooks),
  } satisfies Record<(typeof MAILBOX_KEYS)[number], v.GenericSchema>;

  const checked = v.pipe(
    mapping('a mapping with name, remote and local'),
    v.intersect([
      onlyKeys(MAILBOX_KEYS),
      v.pipe(
        v.object(entries, missingKey(entries)),
        // Compared as normalized paths here; local-paths.ts compares the real paths too.
        v.forward(
          v.partialCheck(
            [['remote'], ['local']],
            ({ remote, local }) => remote.remote.kind !== 'local' || remote.remote.path !== local,
            ({ input }) =>
              `is the same directory as remote (${input.local}); a Maildir cannot be moved onto itself`,
          ),
          ['local'],
        ),
      ),
    ]),
  );
  return v.pipe(checked, uniqueNames<v.InferOutput<typeof checked>>());
}

function configSchema(ctx: Context) {
  const xdgState = xdgDir(ctx.env, 'XDG_STATE_HOME', join(ctx.homedir, '.local', 'state'));
  const defaultLog = join(xdgState, 'syncmail', 'transfer.log');
  const defaultState = join(xdgState, 'syncmail');
  const seconds = (min: number, max: number): Range => ({ min, max, unit: 'seconds' });

  const entries = {
    ssh: v.optional(sshArgs(ctx), []),
    // Without a home directory there is no usable default, so log must be set.
    log: isAbsolute(defaultLog)
      ? v.optional(localPath(ctx))
      : required(
          `the default (${defaultLog}) is not an absolute path because the home directory is unknown; set log`,
          localPath(ctx),
        ),
    state: isAbsolute(defaultState)
      ? v.optional(localPath(ctx))
      : required(
          `the default (${defaultState}) is not an absolute path because the home directory is unknown; set state`,
          localPath(ctx),
        ),
    onConflict: v.optional(choice(['keep', 'rename']), DEFAULTS.onConflict),
    connectTimeout: v.optional(numberIn(seconds(1, 3600)), DEFAULTS.connectTimeout),
    ioTimeout: v.optional(numberIn(seconds(10, 86400)), DEFAULTS.ioTimeout),
    maxMinutes: v.optional(numberIn({ min: 1, max: 10080, unit: 'minutes' }), DEFAULTS.maxMinutes),
    retries: v.optional(numberIn({ min: 0, max: 10 }), DEFAULTS.retries),
    retryDelay: v.optional(numberIn(seconds(0, 3600), true), DEFAULTS.retryDelay),
    rsync: v.optional(rsyncProgram, DEFAULTS.rsync),
    jobs: v.optional(numberIn({ min: 1, max: JOBS_MAX, unit: 'mailboxes at once' }), DEFAULTS.jobs),
    shareConnection: v.optional(yesNo, DEFAULTS.shareConnection),
    folders: v.optional(localPath(ctx)),
    folderStyle: v.optional(choice(['maildir++', 'plain']), DEFAULTS.folderStyle),
    trashFolder: v.optional(folderName, DEFAULTS.trashFolder),
    rules: v.optional(rulesList, []),
    schedule: v.optional(duration({ min: 60, max: 7 * 86_400 }), DEFAULTS.schedule),
    quietFailuresFor: v.optional(duration({ min: 0, max: 30 * 86_400 }), DEFAULTS.quietFailuresFor),
    logMaxSize: v.optional(byteSize({ min: 4096, max: 2 ** 40 }, parseSize), DEFAULTS.logMaxSize),
    logMaxAge: v.optional(duration({ min: 3600, max: 10 * 365 * 86_400 }), DEFAULTS.logMaxAge),
    logKeep: v.optional(duration({ min: 0, max: 100 * 365 * 86_400 }), DEFAULTS.logKeep),
    hooks: v.optional(topHooks),
    notify: v.optional(yesNo, DEFAULTS.notify),
    notifyDetail: v.optional(choice(['subjects', 'senders', 'count']), DEFAULTS.notifyDetail),
    mailboxes: required(
      missing('add a list of mailboxes, each with name, remote and local'),
      v.pipe(
        v.array(mailbox(ctx), ({ input }) => {
          const advice = isMapping(input) ? '; put "- " before each mailbox to make a list' : '';
          return `expected a list of mailboxes, got ${describe(input)}${advice}`;
        }),
        v.minLength(1, 'the list is empty; add at least one mailbox with name, remote and local'),
      ),
    ),
  } satisfies Record<(typeof TOP_KEYS)[number], v.GenericSchema>;

  return v.pipe(
    mapping('a mapping of settings (key: value) at the top of the file'),
    v.intersect([onlyKeys(TOP_KEYS), v.object(entries, missingKey(entries))]),
    v.transform(
      (top): Omit<Config, 'file'> => ({
        log: top.log ?? defaultLog,
        state: top.state ?? defaultState,
        onConflict: top.onConflict,
        connectTimeout: top.connectTimeout,
        ioTimeout: top.ioTimeout,
        maxMinutes: top.maxMinutes,
        retries: top.retries,
        retryDelay: top.retryDelay,
        rsync: top.rsync,
        jobs: top.jobs,
        shareConnection: top.shareConnection,
        folderStyle: top.folderStyle,
        schedule: top.schedule,
        quietFailuresFor: top.quietFailuresFor,
        logMaxSize: top.logMaxSize,
        logMaxAge: top.logMaxAge,
        logKeep: top.logKeep,
        ...(top.hooks?.afterSync === undefined ? {} : { afterSync: top.hooks.afterSync }),
        hookTimeout: top.hooks?.timeout ?? DEFAULTS.hookTimeout,
        notify: top.notify,
        notifyDetail: top.notifyDetail,
        mailboxes: top.mailboxes.map((mailbox) => ({
          name: mailbox.name,
          remote: mailbox.remote.remote,
          remoteText: mailbox.remote.text,
          local: mailbox.local,
          ssh: mailbox.ssh ?? top.ssh,
          rsyncArgs: mailbox.rsyncArgs,
          // Folder names are relative to the mailbox's own Maildir unless `folders` says otherwise.
          folders: mailbox.folders ?? top.folders ?? mailbox.local,
          // The mailbox's own rules first, then the ones for every mailbox.
          rules: resolveTrash([...mailbox.rules, ...top.rules], top.trashFolder),
          ...(mailbox.hooks?.afterSync === undefined ? {} : { afterSync: mailbox.hooks.afterSync }),
        })),
      }),
    ),
  );
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
  const result = v.safeParse(configSchema({ env, homedir }), raw, { abortEarly: false });
  if (!result.success) throw new ConfigError(file, problemLines(result.issues), HINT);
  return { file, ...result.output };
}
