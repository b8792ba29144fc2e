// The outputs that keep and use the status files, around the terminal output: --quiet's gate in front
// of it (quiet-gate.ts), and the status file writer (status-file.ts) after it, which asks the gate
// whether a failure was reported, so it must see a mailbox's end after the gate did.
import type { Config } from '../config/types.js';
import type { Output } from '../events.js';
import { readStatuses } from '../status/store.js';
import { QuietGate } from './quiet-gate.js';
import { StatusFile } from './status-file.js';

export interface StatusOutputsOptions {
  readonly quiet: boolean;
  readonly dryRun: boolean;
  /** Stdout is --json's: the "syncing again" line goes to stderr then. */
  readonly json: boolean;
  readonly runId: string;
  readonly mailboxes: readonly string[];
  readonly stopping: () => boolean;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** The terminal output (behind --quiet's gate), then the status file writer; a dry run keeps none. */
export function withStatus(terminal: Output, config: Config, o: StatusOutputsOptions): Output[] {
  if (o.dryRun) return [terminal];
  const gate =
    o.quiet && config.quietFailuresFor > 0
      ? new QuietGate({
          inner: terminal,
          // Read at the run's start: the streak as it was before this run's attempts.
          previous: readStatuses(config.state, o.mailboxes),
          quietFailuresFor: config.quietFailuresFor,
          err: o.err,
          out: o.json ? o.err : o.out,
        })
      : undefined;
  const file = new StatusFile({
    state: config.state,
    runId: o.runId,
    stopping: o.stopping,
    reported: gate === undefined ? undefined : (mailbox) => gate.reported(mailbox),
    warn: o.err,
  });
  return [gate ?? terminal, file];
}
