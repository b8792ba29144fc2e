// Every failure syncmail reports is a value of one of these classes, and each class maps to exactly one
// documented exit code (sysexits.h; the README's exit-code table and `--help` list the same numbers).
// An error also carries a reason code, so outputs can say what happened without parsing the message.

export const EXIT = {
  ok: 0,
  usage: 64, // EX_USAGE: bad command line
  data: 65, // EX_DATAERR: a mailbox finished but mail stayed on the server for a data reason
  software: 70, // EX_SOFTWARE: internal error, a bug in syncmail
  ioerr: 74, // EX_IOERR: local trouble (disk full, read-only, permission denied, too many open files)
  tempfail: 75, // EX_TEMPFAIL: try again later (unreachable, ssh failure, timeout, mailbox busy)
  noperm: 77, // EX_NOPERM: the server refused us (authentication, host key): a person must act
  config: 78, // EX_CONFIG: configuration error, nothing was run
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

// With several mailboxes every one is attempted and the worst code wins. "Worst" means "needs a person
// soonest": a bug beats a broken config beats refused credentials beats a local disk problem beats data
// left on the server beats a transient failure that the next cron run will likely fix.
const SEVERITY: readonly number[] = [
  EXIT.ok,
  EXIT.tempfail,
  EXIT.data,
  EXIT.ioerr,
  EXIT.noperm,
  EXIT.usage,
  EXIT.config,
  EXIT.software,
];

export function worstExit(codes: Iterable<number>): number {
  let worst: number = EXIT.ok;
  for (const code of codes) {
    if (SEVERITY.indexOf(code) > SEVERITY.indexOf(worst)) worst = code;
  }
  return worst;
}

/** What went wrong, as a code: the transfer log's `reason`, and what outputs word their text from. */
export type ErrorReason =
  | 'usage'
  | 'config'
  | 'no-remote-maildir' // the server path does not exist
  | 'not-a-maildir' // the server path has no cur/ new/ tmp/
  | 'no-server-rsync'
  | 'old-server-rsync' // the server's rsync does not know an option it was sent (older than 3.1.0)
  | 'server-shell-output' // the server's login shell prints text, which breaks rsync's protocol
  | 'no-rsync' // the local rsync cannot be run
  | 'old-rsync'
  | 'host-key'
  | 'unknown-host' // ssh: the host name does not exist (a typo in the host or its alias)
  | 'forced-command' // the server's forced command (rrsync) refused the transfer
  | 'auth'
  | 'disk-full'
  | 'local-write'
  | 'too-many-files' // EMFILE or ENFILE: the open-files limit (ulimit -n)
  | 'local-maildir' // the local Maildir cannot be prepared or checked
  | 'lock-failed'
  | 'flush-failed'
  | 'log-failed'
  | 'unreachable'
  | 'stalled' // a pass made no progress for ioTimeout seconds
  | 'stopped' // a person forced the transfer to stop
  | 'changed' // a message changed on the server during the sync
  | 'unreadable-server-file' // the server account cannot read a message, which stays there
  | 'server-remove-denied' // the server account may not delete delivered mail from new/
  | 'rsync-failed' // rsync failed in a way syncmail does not know
  | 'bug';

export abstract class SyncmailError extends Error {
  abstract readonly exitCode: ExitCode;
  /** What the person should do next; printed on its own line after the message. */
  readonly hint: string | undefined;
  readonly reason: ErrorReason;
  constructor(message: string, hint: string | undefined, reason: ErrorReason) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
    this.reason = reason;
  }
}

export class UsageError extends SyncmailError {
  readonly exitCode = EXIT.usage;
  constructor(message: string, hint?: string) {
    super(message, hint, 'usage');
  }
}

/** A config file problem. `problems` holds one line per problem: "mailboxes[1].local: expected ...". */
export class ConfigError extends SyncmailError {
  readonly exitCode = EXIT.config;
  readonly file: string | undefined;
  readonly problems: readonly string[];
  constructor(
    file: string | undefined,
    problems: readonly string[],
    hint?: string,
    reason: ErrorReason = 'config',
  ) {
    const where = file === undefined ? 'configuration' : file;
    super(
      problems.length === 1 ? `${where}: ${problems[0]}` : `${where}:\n  ${problems.join('\n  ')}`,
      hint,
      reason,
    );
    this.file = file;
    this.problems = problems;
  }
}

export class DataError extends SyncmailError {
  readonly exitCode = EXIT.data;
}

export class TransientError extends SyncmailError {
  readonly exitCode = EXIT.tempfail;
}

export class PermissionError extends SyncmailError {
  readonly exitCode = EXIT.noperm;
}

export class LocalIoError extends SyncmailError {
  readonly exitCode = EXIT.ioerr;
}

const KEPT = 'nothing was removed from the server that is not safely on local disk';

interface Trouble {
  readonly say: (detail: string) => string;
  readonly hint: string;
  readonly reason: ErrorReason;
}

const FULL: Trouble = {
  say: (detail) => `the local disk is full (${detail})`,
  hint: `free some space; ${KEPT}`,
  reason: 'disk-full',
};
const NOT_WRITABLE: Trouble = {
  say: (detail) => `cannot write the local Maildir: ${detail}`,
  hint: 'check the permissions and mount of the local Maildir',
  reason: 'local-write',
};
const TOO_MANY_FILES: Trouble = {
  say: (detail) => `too many open files (${detail})`,
  hint: `raise the limit (ulimit -n 1024); ${KEPT}`,
  reason: 'too-many-files',
};

/** The errno codes that are the local machine's trouble (74), never a bug, and how each is told. */
const LOCAL_TROUBLE = {
  ENOSPC: FULL,
  EDQUOT: FULL,
  EROFS: NOT_WRITABLE,
  EACCES: NOT_WRITABLE,
  EPERM: NOT_WRITABLE,
  // rename() across mounts, even of one filesystem (a bind-mounted tmp/ has new/'s st_dev).
  EXDEV: {
    say: (detail) =>
      `cannot move mail from tmp/ into new/: they are on different mounts (${detail})`,
    hint: "a Maildir's tmp/, new/ and cur/ must be plain directories on one mount: undo the bind mount or symlink of tmp/",
    reason: 'local-maildir',
  },
  EMFILE: TOO_MANY_FILES,
  ENFILE: TOO_MANY_FILES,
  EIO: {
    say: (detail) => `the local disk reported an I/O error (${detail})`,
    hint: `check the disk (dmesg); ${KEPT}`,
    reason: 'local-write',
  },
} as const satisfies Record<string, Trouble>;

export type LocalErrno = keyof typeof LOCAL_TROUBLE;

export function isLocalErrno(code: string | undefined): code is LocalErrno {
  return code !== undefined && Object.hasOwn(LOCAL_TROUBLE, code);
}

/** Local trouble as an error: `detail` is what failed (an errno message, or rsync's line). */
export function localIoError(code: LocalErrno, mailbox: string, detail: string): LocalIoError {
  const t: Trouble = LOCAL_TROUBLE[code];
  return new LocalIoError(`${mailbox}: ${t.say(detail)}`, t.hint, t.reason);
}

export class InternalError extends SyncmailError {
  readonly exitCode = EXIT.software;
  constructor(message: string, hint?: string, reason: ErrorReason = 'bug') {
    super(message, hint, reason);
  }
}
