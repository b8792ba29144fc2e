// Turns how an rsync pass ended into success or one of syncmail's error classes. Pure. The stderr lines
// were already read once, by parse.ts, into events; a PassEnd holds what those events said. rsync's exit
// code for ssh-level failures switches between 12 and 255 from run to run, so a failure line decides,
// and the code only where no line said anything.
import {
  ConfigError,
  DataError,
  InternalError,
  LocalIoError,
  PermissionError,
  type SyncmailError,
  TransientError,
} from '../errors.js';
import type { FailureReason, RsyncEvent } from './events.js';
import { failureRank } from './parse.js';

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
  /** "Skipping sender remove for changed file" was seen (rc 23, a data reason). */
  changed: boolean;
  /** The last few other stderr lines, for a message when nothing more specific is known. */
  readonly tail: string[];
}

const TAIL_LINES = 3;

export function emptySummary(): StderrSummary {
  return { failures: new Map(), changed: false, tail: [] };
}

/** Folds one event of a pass into its summary. */
export function notice(summary: StderrSummary, event: RsyncEvent): void {
  if (event.kind === 'changed') summary.changed = true;
  else if (event.kind === 'failure') {
    if (!summary.failures.has(event.reason)) summary.failures.set(event.reason, event.text);
  } else if (event.kind === 'message' && event.stream === 'stderr' && event.text.trim() !== '') {
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
      readonly changed: boolean;
    };

export interface PassEnd {
  readonly exit: RsyncExit;
  readonly stderr: StderrSummary;
  readonly mailbox: string;
  readonly server: string; // for messages: the remote as written
  readonly rsyncProgram: string;
}

const TRY_AGAIN = 'syncmail will try again on its next run';

/** The error a failure line stands for. */
function fromFailure(reason: FailureReason, line: string, i: PassEnd): SyncmailError {
  switch (reason) {
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
      return new LocalIoError(
        `${i.mailbox}: the local disk is full (${line})`,
        'free some space; nothing was removed from the server that is not safely on local disk',
        'disk-full',
      );
    case 'local-write':
      return new LocalIoError(
        `${i.mailbox}: cannot write the local Maildir: ${line}`,
        'check the permissions and mount of the local Maildir',
        'local-write',
      );
    case 'no-remote-dir':
      return new ConfigError(
        undefined,
        [`${i.mailbox}: the server has no Maildir at ${i.server}`],
        'check the mailbox\'s "remote" in the config',
        'no-remote-maildir',
      );
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
  const [first] = [...stderr.failures.keys()].sort((a, b) => failureRank(a) - failureRank(b));
  if (first !== undefined) {
    const error = fromFailure(first, stderr.failures.get(first) ?? '', i);
    return { ok: false, transient: first === 'unreachable', changed: false, error };
  }
  if (exit.exitCode === 23 && stderr.changed) {
    const error = new DataError(
      `${i.mailbox}: a message changed on the server during the sync; it stays there`,
      'this happens when the server writes into new/ directly; syncmail takes it on a later run',
      'changed',
    );
    return { ok: false, transient: false, changed: true, error };
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
