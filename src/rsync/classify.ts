// Turns how an rsync pass ended into success or one of syncmail's error classes. Pure. The stderr lines
// were already read once, by parse.ts, into events; a PassEnd holds what those events said. rsync's exit
// code for ssh-level failures switches between 12 and 255 from run to run, so a failure line decides,
// and the code only where no line said anything.
import {
  ConfigError,
  DataError,
  InternalError,
  localIoError,
  PermissionError,
  type SyncmailError,
  TransientError,
} from '../errors.js';
import type { FailureReason, RsyncEvent } from './events.js';
import { failureRank, PER_FILE } from './parse.js';

/** How one rsync process ended. */
export interface RsyncExit {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** The spawn itself failed (rsync not installed, ENOENT). */
  readonly spawnError: string | undefined;
}

/** What a pass's stderr events said, folded as they arrive (see notice()). */
export interface StderrSummary {
  /** The first line of each failure reason seen. */
  readonly failures: Map<FailureReason, string>;
  /**
   * What the failure lines of each reason named (the `subject` of the events: files, an option), the
   * first SUBJECTS of them, and how many lines named one.
   */
  readonly subjects: Map<FailureReason, { readonly first: string[]; count: number }>;
  /** A server file changed since the fetch and stays there (rc 23, a data reason). */
  changed: boolean;
  /**
   * How many stderr lines were neither a recognised event nor rsync's closing report of a partial
   * transfer (code 23 or 24): with none, a pass that failed for single files did all the rest.
   */
  unexplained: number;
  /** The last few other stderr lines, for a message when nothing more specific is known. */
  readonly tail: string[];
}

const TAIL_LINES = 3;
const SUBJECTS = 5;

// rsync's last line after it went on past single files: "rsync error: some files/attrs were not
// transferred (see previous errors) (code 23) at main.c(1874) [generator=3.2.7]", or the code-24 warning.
const PARTIAL_REPORT =
  /^rsync (?:error|warning): .* \(code 2[34]\) at \S+ \[[A-Za-z]+=[0-9A-Za-z.]+\]$/;

export function emptySummary(): StderrSummary {
  return { failures: new Map(), subjects: new Map(), changed: false, unexplained: 0, tail: [] };
}

/** Folds one event of a pass into its summary. */
export function notice(summary: StderrSummary, event: RsyncEvent): void {
  if (event.kind === 'changed') summary.changed = true;
  else if (event.kind === 'failure') {
    if (!summary.failures.has(event.reason)) summary.failures.set(event.reason, event.text);
    if (event.subject !== undefined) {
      const seen = summary.subjects.get(event.reason) ?? { first: [], count: 0 };
      if (seen.first.length < SUBJECTS) seen.first.push(event.subject);
      seen.count += 1;
      summary.subjects.set(event.reason, seen);
    }
    if (!PER_FILE.has(event.reason)) summary.unexplained += 1;
  } else if (event.kind === 'message' && event.stream === 'stderr' && event.text.trim() !== '') {
    if (!PARTIAL_REPORT.test(event.text)) summary.unexplained += 1;
    summary.tail.push(event.text);
    if (summary.tail.length > TAIL_LINES) summary.tail.shift();
  }
}

export type Outcome =
  | { readonly ok: true; readonly vanished: boolean }
  | {
      readonly ok: false;
      readonly error: SyncmailError;
      readonly transient: boolean;
      /** The error is that a server file changed during the sync (and stays there): a data reason. */
      readonly changed: boolean;
      /**
       * Set when the pass completed for every other file: rsync went on past the files the error names
       * (a file the server account cannot read, a message it may not delete, a file that changed), exited
       * 23, and said nothing else was wrong. What the pass's events report (the staged files, `removed`)
       * is then as complete as after a clean pass, and the steps after it may run; the error is still
       * the mailbox's result. Absent when the pass stopped or may have missed more.
       */
      readonly partial?: true;
    };

export interface PassEnd {
  readonly exit: RsyncExit;
  readonly stderr: StderrSummary;
  readonly mailbox: string;
  readonly server: string; // for messages: the remote as written
  readonly rsyncProgram: string;
}

const TRY_AGAIN = 'syncmail will try again on its next run';

const RRSYNC_HINT =
  "the key's forced command in the server's ~/.ssh/authorized_keys limits what rsync may do: with rrsync DIR, give the remote path relative to DIR (no leading / and no ..), and do not use rrsync's -ro, -wo or -no-del, which refuse syncmail's --remove-source-files";

/** rsync's errno words at the end of a line: `...: Permission denied (13)` → "Permission denied". */
function errnoText(line: string): string | undefined {
  return /: ([^":]+) \([0-9]+\)$/.exec(line)?.[1];
}

type Seen = { readonly first: readonly string[]; readonly count: number } | undefined;

/** How many lines named a subject, and the names: "X", "X, Y, Z", "X, Y, Z, V, W and 2 more". */
function listed(seen: Seen): { count: number; names: string } {
  const count = seen?.count ?? 1;
  const first = seen?.first ?? [];
  const more = count - first.length;
  return {
    count,
    names: first.join(', ') + (more > 0 && first.length > 0 ? ` and ${more} more` : ''),
  };
}

/** The error a failure line stands for. */
function fromFailure(reason: FailureReason, line: string, i: PassEnd, seen?: Seen): SyncmailError {
  switch (reason) {
    case 'server-shell-output':
      return new ConfigError(
        undefined,
        [
          `${i.mailbox}: the login shell on ${i.server} prints text, which rsync cannot get past (${line})`,
        ],
        'make the shell startup files on the server (~/.bashrc, ~/.profile, ...) print nothing when the shell is not interactive; test with: ssh HOST true | od -c (it must show nothing)',
        'server-shell-output',
      );
    case 'old-server-rsync': {
      const option = seen?.first[0] ?? 'an option syncmail sent';
      return new ConfigError(
        undefined,
        [`${i.mailbox}: the rsync on ${i.server} is too old: it does not know ${option}`],
        /^--info\b/.test(option)
          ? 'syncmail needs rsync 3.1.0 or newer on the server (the first with --info); upgrade it there, or point syncmail at a newer one with rsyncArgs: ["--rsync-path=/path/to/rsync"]'
          : "remove that option from the mailbox's rsyncArgs, or upgrade rsync on the server (syncmail itself needs 3.1.0 or newer there)",
        'old-server-rsync',
      );
    }
    case 'unreadable-server-file': {
      const why = errnoText(line);
      const { count, names } = listed(seen);
      return new DataError(
        `${i.mailbox}: the server account cannot read ${count === 1 ? 'a message' : `${count} messages`} on ${i.server}${why === undefined ? '' : ` (${why})`}${names === '' ? '' : `: ${names}`}; ${count === 1 ? 'it stays' : 'they stay'} on the server`,
        'fix its permissions on the server (make it readable by the account syncmail logs in as, e.g. chown it to that account or chmod u+r it), or move it out of new/; syncmail takes it on its next run',
        'unreadable-server-file',
      );
    }
    case 'server-remove-denied': {
      const why = errnoText(line);
      const folder = `${i.server.replace(/\/+$/, '')}/new/`;
      const { count, names } = listed(seen);
      return new PermissionError(
        `${i.mailbox}: the server account may not delete from ${folder}${why === undefined ? '' : ` (${why})`}; ${count === 1 ? 'a delivered message stays' : `${count} delivered messages stay`} there${names === '' ? '' : `: ${names}`}`,
        `the server account needs write permission on new/ (on a writable filesystem) to remove delivered mail; the messages are delivered and stay on the server until then`,
        'server-remove-denied',
      );
    }
    case 'unknown-host':
      return new ConfigError(
        undefined,
        [`${i.mailbox}: the server's host name does not exist: ${line}`],
        'check the host in the mailbox\'s "remote" (or its Host and HostName in ~/.ssh/config) for a typo; test with: ssh HOST true',
        'unknown-host',
      );
    case 'forced-command':
      return new ConfigError(
        undefined,
        [`${i.mailbox}: the server's forced command refused the transfer (${line})`],
        RRSYNC_HINT,
        'forced-command',
      );
    case 'host-key':
      return new PermissionError(
        `${i.mailbox}: the host key of ${i.server} is unknown or has changed`,
        `connect once by hand (ssh HOST) and check the key fingerprint with the server's admin; syncmail never accepts host keys itself`,
        'host-key',
      );
    case 'auth':
      return new PermissionError(
        `${i.mailbox}: ${i.server} refused the ssh login (authentication failed)`,
        'check that your key is authorized on the server and available without a prompt (under cron there is often no ssh-agent); test with: ssh -o BatchMode=yes HOST true',
        'auth',
      );
    case 'disk-full':
      return localIoError('ENOSPC', i.mailbox, line);
    case 'local-write':
      return localIoError('EROFS', i.mailbox, line);
    case 'no-remote-dir': {
      // rsync names the directory it looked in; under rrsync DIR that is DIR joined with the path asked.
      const looked = /"([^"]*)" failed: No such file/.exec(line)?.[1];
      return new ConfigError(
        undefined,
        [
          `${i.mailbox}: the server has no Maildir at ${i.server}${looked === undefined ? '' : ` (rsync looked in ${looked})`}`,
        ],
        `check the mailbox's "remote" in the config; if the server's authorized_keys gives the key a forced command (rrsync DIR), the path is relative to DIR`,
        'no-remote-maildir',
      );
    }
    case 'no-server-rsync':
      return new ConfigError(
        undefined,
        [`${i.mailbox}: rsync is not installed on ${i.server} (or not on its PATH)`],
        'install rsync on the server, or add rsyncArgs: ["--rsync-path=/path/to/rsync"]',
        'no-server-rsync',
      );
    case 'unreachable':
      return new TransientError(
        `${i.mailbox}: cannot reach ${i.server}: ${line}`,
        TRY_AGAIN,
        'unreachable',
      );
  }
}

export function classifyPass(i: PassEnd): Outcome {
  const { exit, stderr } = i;
  if (exit.spawnError !== undefined) {
    const error = new ConfigError(
      undefined,
      [`cannot run ${i.rsyncProgram}: ${exit.spawnError}`],
      'install rsync (apt-get install rsync) or set "rsync" in the config to its full path',
      'no-rsync',
    );
    return { ok: false, transient: false, changed: false, error };
  }
  if (exit.exitCode === 0) return { ok: true, vanished: false };
  // 24: files vanished on the server between listing and sending (a reader on the server moved them).
  if (exit.exitCode === 24) return { ok: true, vanished: true };
  // rsync went on past single files and said nothing else: every other file went as in a clean pass.
  const partial =
    exit.exitCode === 23 && stderr.unexplained === 0 ? { partial: true as const } : {};
  const [first] = [...stderr.failures.keys()].sort((a, b) => failureRank(a) - failureRank(b));
  if (first !== undefined) {
    const error = fromFailure(
      first,
      stderr.failures.get(first) ?? '',
      i,
      stderr.subjects.get(first),
    );
    return {
      ok: false,
      transient: first === 'unreachable',
      changed: false,
      error,
      // A per-file reason ranks last: when it decides, every failure line was about single files.
      ...(PER_FILE.has(first) ? partial : {}),
    };
  }
  if (exit.exitCode === 23 && stderr.changed) {
    const error = new DataError(
      `${i.mailbox}: a message changed on the server during the sync; it stays there`,
      'this happens when the server writes into new/ directly; syncmail takes it on a later run',
      'changed',
    );
    return { ok: false, transient: false, changed: true, error, ...partial };
  }
  const detail = stderr.tail.join(' / ');
  const how =
    exit.signal !== undefined
      ? `was killed by ${exit.signal}`
      : `exited with code ${exit.exitCode}`;
  const said = `${i.mailbox}: rsync ${how}${detail ? `: ${detail}` : ''}`;
  // rsync's own codes for transport trouble, when stderr said nothing recognisable.
  if (exit.signal !== undefined || [10, 12, 20, 30, 35, 255].includes(exit.exitCode ?? -1)) {
    return {
      ok: false,
      transient: true,
      changed: false,
      error: new TransientError(said, TRY_AGAIN, 'unreachable'),
    };
  }
  return {
    ok: false,
    transient: false,
    changed: false,
    error: new InternalError(
      said,
      'see the transfer log; if this repeats, please report it',
      'rsync-failed',
    ),
  };
}
