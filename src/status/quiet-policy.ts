// What --quiet says about a mailbox at its end, from its exit code and the status it had when the run
// started. Cron mails whatever is printed, so a server that is down for ten minutes must not mail every
// five: a temporary failure (75) is held back until its streak has lasted quietFailuresFor, then
// reported once, with one line saying so, and once it syncs again one line says that. A failure a
// person must fix (any other code) always goes through at once. Pure.
import { EXIT } from '../errors.js';
import { type MailboxStatus, synced } from './record.js';
import { clockTime, longDuration, secondsSince } from './time-words.js';

export interface QuietInput {
  readonly mailbox: string;
  /** The mailbox's status when the run started (undefined: no history). */
  readonly prev: MailboxStatus | undefined;
  readonly code: number;
  /** Another syncmail was syncing it: this run says and records nothing about it. */
  readonly busy: boolean;
  readonly now: Date;
  /** Seconds; 0: every failure is shown, as without the gate. */
  readonly quietFailuresFor: number;
}

export interface QuietVerdict {
  /** Let the mailbox's held problems through (false: drop them). */
  readonly show: boolean;
  /** One more line to print: the streak is reported, or it is over. */
  readonly line?: string | undefined;
  /** This run told a person about the failure (the status file keeps it for the streak). */
  readonly reported: boolean;
}

const SHOW: QuietVerdict = { show: true, reported: false };
const DROP: QuietVerdict = { show: false, reported: false };

export function decideQuiet(input: QuietInput): QuietVerdict {
  const { prev, code, now, mailbox } = input;
  if (input.busy || input.quietFailuresFor <= 0) return SHOW;
  if (synced(code)) {
    const since = prev?.failingSince;
    if (prev?.failureReported !== true || since === null || since === undefined) return SHOW;
    return { ...SHOW, line: `${mailbox}: syncing again (it had failed since ${at(since, now)})` };
  }
  if (code !== EXIT.tempfail) return { show: true, reported: true };
  if (prev?.failureReported === true) return DROP;
  // This run's failure starts the streak when the last attempt synced (or there was none).
  const since = prev?.failingSince ?? now.toISOString();
  const lasted = secondsSince(new Date(since), now);
  if (lasted < input.quietFailuresFor) return DROP;
  return {
    show: true,
    reported: true,
    line:
      `${mailbox}: failing for ${longDuration(lasted)} (since ${at(since, now)}); ` +
      'syncmail keeps trying and says so when it works again',
  };
}

function at(iso: string, now: Date): string {
  return clockTime(new Date(iso), now);
}
