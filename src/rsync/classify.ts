// Turns how an rsync process ended into one of syncmail's error classes. Pure. rsync's exit code for
// ssh-level failures switches between 12 and 255 from run to run (rsync-facts §6), so the stderr text
// decides, and the code only where the text says nothing.
import {
  ConfigError,
  DataError,
  InternalError,
  LocalIoError,
  PermissionError,
  type SyncmailError,
  TransientError,
} from '../errors.js';
import type { RsyncRun } from './run.js';

export type Outcome =
  | { readonly ok: true; readonly vanished: boolean }
  | {
      readonly ok: false;
      readonly error: SyncmailError;
      readonly transient: boolean;
      readonly changed: boolean;
    };

export interface ClassifyInput {
  readonly run: RsyncRun;
  readonly mailbox: string;
  readonly server: string; // for messages: the remote as written
  readonly rsyncProgram: string;
  /** The pass saw "Skipping sender remove for changed file" (rc 23, a data reason). */
  readonly sawChanged: boolean;
}

const rules: ReadonlyArray<{
  readonly pattern: RegExp;
  readonly make: (i: ClassifyInput, line: string) => SyncmailError;
  readonly transient: boolean;
}> = [
  {
    pattern:
      /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/,
    transient: false,
    make: (i) =>
      new PermissionError(
        `${i.mailbox}: the host key of ${i.server} is unknown or has changed`,
        `connect once by hand (ssh HOST) and check the key fingerprint with the server's admin; syncmail never accepts host keys itself`,
      ),
  },
  {
    pattern: /Permission denied \((publickey|password|keyboard-interactive|gssapi)/,
    transient: false,
    make: (i) =>
      new PermissionError(
        `${i.mailbox}: ${i.server} refused the ssh login (authentication failed)`,
        'check that your key is authorized on the server and available without a prompt (under cron there is often no ssh-agent); test with: ssh -o BatchMode=yes HOST true',
      ),
  },
  {
    pattern: /No space left on device|Disk quota exceeded/,
    transient: false,
    make: (i, line) =>
      new LocalIoError(
        `${i.mailbox}: the local disk is full (${line.trim()})`,
        'free some space; nothing was removed from the server that is not safely on local disk',
      ),
  },
  {
    pattern:
      /\[(receiver|generator|Receiver)\].*(Permission denied \(13\)|Read-only file system \(30\))/,
    transient: false,
    make: (i, line) =>
      new LocalIoError(
        `${i.mailbox}: cannot write the local Maildir: ${line.trim()}`,
        'check the permissions and mount of the local Maildir',
      ),
  },
  {
    pattern:
      /\[sender\] change_dir .* failed: No such file or directory|link_stat .* failed: No such file or directory/,
    transient: false,
    make: (i) =>
      new ConfigError(
        undefined,
        [`${i.mailbox}: the server has no Maildir at ${i.server}`],
        'check the mailbox\'s "remote" in the config',
      ),
  },
  {
    pattern:
      /remote command not found|rsync: (command )?not found|No such file or directory \(code 127\)/,
    transient: false,
    make: (i) =>
      new ConfigError(
        undefined,
        [`${i.mailbox}: rsync is not installed on ${i.server} (or not on its PATH)`],
        'install rsync on the server, or add rsyncArgs: ["--rsync-path=/path/to/rsync"]',
      ),
  },
  {
    pattern:
      /Connection refused|Connection timed out|timed out during banner exchange|Could not resolve hostname|Network is unreachable|No route to host|Connection reset|Connection closed by|not responding|io timeout|stopping at requested limit|Broken pipe|connection unexpectedly closed|kex_exchange_identification/,
    transient: true,
    make: (i, line) =>
      new TransientError(
        `${i.mailbox}: cannot reach ${i.server}: ${line.trim()}`,
        'syncmail will try again on its next run',
      ),
  },
];

export function classifyRun(input: ClassifyInput): Outcome {
  const { run } = input;
  if (run.spawnError !== undefined) {
    return {
      ok: false,
      transient: false,
      changed: false,
      error: new ConfigError(
        undefined,
        [`cannot run ${input.rsyncProgram}: ${run.spawnError}`],
        'install rsync (apt-get install rsync) or set "rsync" in the config to its full path',
      ),
    };
  }
  if (run.exitCode === 0) return { ok: true, vanished: false };
  // 24: files vanished on the server between listing and sending (a reader on the server moved them).
  if (run.exitCode === 24) return { ok: true, vanished: true };
  for (const rule of rules) {
    const line = run.stderrTail.find((l) => rule.pattern.test(l));
    if (line !== undefined)
      return {
        ok: false,
        transient: rule.transient,
        changed: false,
        error: rule.make(input, line),
      };
  }
  if (run.exitCode === 23 && input.sawChanged) {
    return {
      ok: false,
      transient: false,
      changed: true,
      error: new DataError(
        `${input.mailbox}: a message changed on the server during the sync; it stays there`,
        'this happens when the server writes into new/ directly; syncmail takes it on a later run',
      ),
    };
  }
  const detail = run.stderrTail
    .filter((l) => l.trim() !== '')
    .slice(-3)
    .join(' / ');
  const how =
    run.signal !== undefined ? `was killed by ${run.signal}` : `exited with code ${run.exitCode}`;
  // rsync's own codes for transport trouble, when stderr said nothing recognisable.
  if (run.signal !== undefined || [10, 12, 20, 30, 35, 255].includes(run.exitCode ?? -1)) {
    return {
      ok: false,
      transient: true,
      changed: false,
      error: new TransientError(
        `${input.mailbox}: rsync ${how}${detail ? `: ${detail}` : ''}`,
        'syncmail will try again on its next run',
      ),
    };
  }
  return {
    ok: false,
    transient: false,
    changed: false,
    error: new InternalError(
      `${input.mailbox}: rsync ${how}${detail ? `: ${detail}` : ''}`,
      'see the transfer log; if this repeats, please report it',
    ),
  };
}
