// One read-only `rsync --list-only` of a server folder for the commands that look without moving
// anything (check, verify): spawned with the mailbox's transport like a sync's passes, and ended the
// way a pass is (classify.ts), so a failure reads the same as it would in a sync.
import { execa } from 'execa';
import type { Config, Mailbox } from '../config/types.js';
import { classifyPass, emptySummary, notice, type Outcome } from './classify.js';
import { parseRsyncLine } from './parse.js';

export interface Listing {
  /** rsync's stdout, line by line (latin1: names are bytes). */
  readonly lines: readonly string[];
  /** It ran past `timeoutMs` and was stopped; `outcome` then says little. */
  readonly timedOut: boolean;
  readonly outcome: Outcome;
}

export async function runListing(
  mailbox: Mailbox,
  config: Config,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs: number,
): Promise<Listing> {
  const result = await execa(config.rsync, argv, {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    encoding: 'latin1',
    timeout: timeoutMs,
  });
  const stderr = emptySummary();
  for (const line of String(result.stderr ?? '').split('\n')) {
    const event = parseRsyncLine(line, 'stderr');
    if (event !== undefined) notice(stderr, event);
  }
  const outcome = classifyPass({
    exit: {
      exitCode: result.exitCode,
      signal: result.signal ?? undefined,
      spawnError: result.exitCode === undefined ? result.shortMessage : undefined,
    },
    stderr,
    mailbox: mailbox.name,
    server: mailbox.remoteText,
    rsyncProgram: config.rsync,
  });
  return { lines: String(result.stdout ?? '').split('\n'), timedOut: result.timedOut, outcome };
}
