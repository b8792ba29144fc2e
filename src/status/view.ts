// A mailbox's status as `syncmail status` shows it: its state in one word, its last attempt's outcome
// in words, how long ago it last synced, and what it delivered. Pure: the status, the time and the
// schedule come in.
import { EXIT } from '../errors.js';
import { failureWords } from '../outputs/failure-words.js';
import { type Attempt, localDate, type MailboxStatus } from './record.js';
import { secondsSince } from './time-words.js';

/**
 * never: no attempt is recorded; failing: the last attempt did not end with 0; stale: it did, but the
 * last sync is older than 3 × schedule (the timer or cron job stopped running); ok: none of these.
 */
export type MailboxState = 'ok' | 'failing' | 'stale' | 'never';

export interface StatusView {
  readonly name: string;
  readonly state: MailboxState;
  /** The last successful sync is older than 3 × schedule, or there was none. */
  readonly stale: boolean;
  readonly lastSuccess: Date | undefined;
  /** Seconds since the last successful sync. */
  readonly ago: number | undefined;
  readonly lastAttempt: Attempt | undefined;
  /** The last attempt's outcome in words: "ok", "cannot reach mail.example.org", … */
  readonly outcome: string | undefined;
  readonly failingSince: string | undefined;
  /** Delivered by the last attempt, and today (local day). */
  readonly delivered: number;
  readonly today: number;
}

const CODE_WORDS: Readonly<Record<number, string>> = {
  [EXIT.usage]: 'bad command line',
  [EXIT.data]: 'mail left on the server',
  [EXIT.software]: 'internal error',
  [EXIT.ioerr]: 'local trouble',
  [EXIT.tempfail]: 'temporary failure',
  [EXIT.noperm]: 'refused by the server',
  [EXIT.config]: 'configuration error',
};

export function outcomeWords(attempt: Attempt, remote: string | undefined): string {
  if (attempt.code === EXIT.ok) return 'ok';
  const n = attempt.leftOnServer;
  if (attempt.code === EXIT.data && attempt.reason === null && n > 0)
    return `${n} ${n === 1 ? 'item' : 'items'} left on the server`;
  return (
    failureWords(attempt.reason, remote) ?? CODE_WORDS[attempt.code] ?? `exit code ${attempt.code}`
  );
}

function stateOf(attempt: Attempt | undefined, stale: boolean): MailboxState {
  if (attempt === undefined) return 'never';
  if (attempt.code !== EXIT.ok) return 'failing';
  return stale ? 'stale' : 'ok';
}

export interface ViewInput {
  readonly name: string;
  /** The remote as written, for the host in the words. */
  readonly remote: string | undefined;
  readonly status: MailboxStatus | undefined;
  readonly now: Date;
  /** config.schedule, seconds. */
  readonly schedule: number;
}

export function viewOf(input: ViewInput): StatusView {
  const { status, now } = input;
  const lastSuccess =
    status?.lastSuccess === null || status === undefined ? undefined : new Date(status.lastSuccess);
  const ago = lastSuccess === undefined ? undefined : secondsSince(lastSuccess, now);
  const stale = ago === undefined || ago > 3 * input.schedule;
  const attempt = status?.lastAttempt;
  const state = stateOf(attempt, stale);
  return {
    name: input.name,
    state,
    stale,
    lastSuccess,
    ago,
    lastAttempt: attempt,
    outcome: attempt === undefined ? undefined : outcomeWords(attempt, input.remote),
    failingSince: status?.failingSince ?? undefined,
    delivered: status?.delivered ?? 0,
    today: status?.deliveredToday.date === localDate(now) ? status.deliveredToday.count : 0,
  };
}

/** `--json`: one object per mailbox, times in ISO, absent values null. */
export function viewJson(v: StatusView): Record<string, unknown> {
  const a = v.lastAttempt;
  return {
    name: v.name,
    state: v.state,
    stale: v.stale,
    lastSuccess: v.lastSuccess?.toISOString() ?? null,
    secondsSinceSuccess: v.ago === undefined ? null : Math.floor(v.ago),
    lastAttempt:
      a === undefined
        ? null
        : {
            time: a.time,
            runId: a.runId,
            code: a.code,
            reason: a.reason,
            outcome: v.outcome,
            message: a.message,
            leftOnServer: a.leftOnServer,
          },
    failingSince: v.failingSince ?? null,
    delivered: v.delivered,
    today: v.today,
  };
}
