// `syncmail [sync] [options] [MAILBOX...]`, parsed into plain data. Pure: no process access, so it is
// unit-tested directly.
import { parseArgs } from 'node:util';
import { COMMAND_NAMES } from '../command-names.js';
import { UsageError } from '../errors.js';
import { badCommandLine, USAGE_HINT } from './command.js';

export interface Options {
  readonly config: string | undefined;
  readonly dryRun: boolean;
  readonly print: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Seconds to wait for a busy mailbox lock; 0 means skip a busy mailbox at once. */
  readonly wait: number;
  /** Seconds the whole run may take (--max-time), connecting and retries included. */
  readonly maxTime: number | undefined;
  readonly color: boolean | undefined; // undefined: decide from the terminal and NO_COLOR
  readonly help: boolean;
  readonly version: boolean;
  readonly mailboxes: readonly string[];
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  'dry-run': { type: 'boolean', short: 'n' },
  print: { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  wait: { type: 'string', short: 'w' },
  'max-time': { type: 'string', short: 't' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export function parseSyncOptions(argv: readonly string[]): Options {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (error) {
    throw badCommandLine(error);
  }
  const v = parsed.values;
  if (v.quiet && v.verbose)
    throw new UsageError('--quiet and --verbose cannot be used together', USAGE_HINT);
  if (v.json && v.print)
    throw new UsageError('--json and --print cannot be used together', USAGE_HINT);
  let wait = 0;
  if (v.wait !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(v.wait) || Number(v.wait) > 86_400) {
      throw new UsageError(
        `--wait expects a number of seconds from 0 to 86400, got "${v.wait}"`,
        USAGE_HINT,
      );
    }
    wait = Number(v.wait);
  }
  let maxTime: number | undefined;
  if (v['max-time'] !== undefined) {
    const t = v['max-time'];
    if (!/^\d+(\.\d+)?$/.test(t) || Number(t) < 1 || Number(t) > 86_400) {
      throw new UsageError(
        `--max-time expects a number of seconds from 1 to 86400, got "${t}"`,
        USAGE_HINT,
      );
    }
    maxTime = Number(t);
  }
  if (v.config === '')
    throw new UsageError('--config expects a file name, got an empty string', USAGE_HINT);
  for (const name of parsed.positionals) {
    if (name.startsWith('-') || name === '')
      throw new UsageError(`not a mailbox name: "${name}"`, USAGE_HINT);
    if ((COMMAND_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(
        `"${name}" is a syncmail command, not a mailbox`,
        `put it first, before any option: syncmail ${name} …`,
      );
    }
  }
  return {
    config: v.config,
    dryRun: v['dry-run'] ?? false,
    print: v.print ?? false,
    json: v.json ?? false,
    quiet: v.quiet ?? false,
    verbose: v.verbose ?? false,
    wait,
    maxTime,
    color: v['no-color'] ? false : v.color ? true : undefined,
    help: v.help ?? false,
    version: v.version ?? false,
    mailboxes: parsed.positionals,
  };
}

export const SYNC_HELP = `Usage: syncmail [sync] [options] [MAILBOX...]

Move new mail from the server Maildirs named in the config to local Maildirs,
with rsync over ssh. With MAILBOX names, only those mailboxes are synced.

Options:
  -c, --config FILE   use exactly this config file (default: search, see README)
  -n, --dry-run       change nothing anywhere; say what would move
      --print         print the exact commands that would run, shell-quoted
      --json          print transfer events as JSON Lines instead of text
  -q, --quiet         print nothing unless something went wrong (for cron); a
                      temporary failure once it has lasted quietFailuresFor
  -v, --verbose       list every message
  -w, --wait SECONDS  wait up to SECONDS for a mailbox another syncmail is syncing
  -t, --max-time SECONDS
                      end the whole run within about SECONDS, connecting and
                      retries included: what is moving then stops and resumes
                      on the next run (exit 75); for a sync right before mutt
      --no-color      never colour the output (NO_COLOR is honoured too)
  -h, --help          show this help
  -V, --version       show the version

Exit codes:
  0   every selected mailbox synced
  64  bad command line
  65  mail stayed on the server for a data reason (name conflict, symlink,
      non-regular file, changed during the sync)
  70  internal error (a bug: please report it)
  74  local disk trouble (full, read-only, permission denied)
  75  temporary failure, try again later (unreachable, timeout, mailbox busy)
  77  the server refused us (authentication, host key): a person must act
  78  configuration error; nothing was run
  128+N  stopped by signal N after the running transfer finished

Ctrl-C, SIGTERM or SIGHUP let the running transfer finish, then stop. Press
Ctrl-C three times within 5 seconds to stop the transfer itself; it resumes
on the next run. Signals from different sources never force a stop.
`;
