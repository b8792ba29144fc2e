// What syncmail remembers of each mailbox between runs: its last attempt, its last successful sync,
// the failure streak it is in (for --quiet's "report a temporary failure once it has lasted"), and
// what it delivered. `syncmail status` shows it and --quiet decides from it. Pure: the next status is
// a function of the last one, the run's outcome and the time; reading and writing is store.ts.
import { type ErrorReason, EXIT } from '../errors.js';

export interface Attempt {
  readonly time: string; // ISO
  readonly runId: string;
  readonly code: number;
  /** The reason of the mailbox's worst error event; null when it had none (ok, or only mail left). */
  readonly reason: ErrorReason | null;
  readonly message: string | null;
  /** Entries that stayed on the server for a person to look at (conflicts, odd files). */
  readonly leftOnServer: number;
}

export interface MailboxStatus {
  readonly version: 1;
  readonly lastAttempt: Attempt;
  /** The last attempt that synced the mailbox (code 0, or 65: it moved all it could). */
  readonly lastSuccess: string | null;
  /** The first failed attempt of the current streak; null when the last attempt synced. */
  readonly failingSince: string | null;
  /** --quiet told about this streak (the failure went through): it says so again when it is over. */
  readonly failureReported: boolean;
  /** Delivered by the last attempt. */
  readonly delivered: number;
  /** Delivered on one local day (the day of the last attempt). */
  readonly deliveredToday: { readonly date: string; readonly count: number };
}

/** What one run did to a mailbox, as the status file keeps it. */
export interface Outcome {
  readonly runId: string;
  readonly code: number;
  readonly reason: ErrorReason | null;
  readonly message: string | null;
  readonly delivered: number;
  readonly leftOnServer: number;
  /** --quiet let this run's failure through; undefined: this run did not decide (no --quiet). */
  readonly reported?: boolean | undefined;
}

/**
 * A mailbox is synced when its run went through: all new mail moved (0), or all but what a person
 * must look at (65, one message's trouble, not the mailbox's). Anything else is a failed attempt.
 */
export function synced(code: number): boolean {
  return code === EXIT.ok || code === EXIT.data;
}

/** The local calendar day of a time, YYYY-MM-DD: "today" is the user's day, not UTC's. */
export function localDate(time: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}`;
}

export function nextStatus(
  prev: MailboxStatus | undefined,
  outcome: Outcome,
  now: Date,
): MailboxStatus {
  const time = now.toISOString();
  const today = localDate(now);
  const sameDay = prev !== undefined && prev.deliveredToday.date === today;
  const ok = synced(outcome.code);
  return {
    version: 1,
    lastAttempt: {
      time,
      runId: outcome.runId,
      code: outcome.code,
      reason: outcome.reason,
      message: outcome.message,
      leftOnServer: outcome.leftOnServer,
    },
    lastSuccess: ok ? time : (prev?.lastSuccess ?? null),
    failingSince: ok ? null : (prev?.failingSince ?? time),
    failureReported: ok ? false : (outcome.reported ?? false) || (prev?.failureReported ?? false),
    delivered: outcome.delivered,
    deliveredToday: {
      date: today,
      count: (sameDay ? prev.deliveredToday.count : 0) + outcome.delivered,
    },
  };
}

// Reading: a file another version wrote, or that a crash or a person damaged, is no history at all,
// never an error: a sync must not fail over its own bookkeeping.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const stringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function attemptOf(v: unknown): Attempt | undefined {
  if (!isObject(v) || !isTime(v['time']) || typeof v['runId'] !== 'string') return undefined;
  if (!isCount(v['code']) || !stringOrNull(v['reason']) || !stringOrNull(v['message']))
    return undefined;
  return {
    time: v['time'],
    runId: v['runId'],
    code: v['code'],
    reason: v['reason'] as ErrorReason | null,
    message: v['message'],
    leftOnServer: isCount(v['leftOnServer']) ? v['leftOnServer'] : 0,
  };
}

/** A status file's text as a status, or undefined when it is not one. */
export function parseStatus(text: string): MailboxStatus | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(v) || v['version'] !== 1) return undefined;
  const lastAttempt = attemptOf(v['lastAttempt']);
  const today = v['deliveredToday'];
  if (lastAttempt === undefined || !isObject(today)) return undefined;
  const { lastSuccess, failingSince, failureReported, delivered } = v;
  if (!(lastSuccess === null || isTime(lastSuccess))) return undefined;
  if (!(failingSince === null || isTime(failingSince))) return undefined;
  if (typeof failureReported !== 'boolean' || !isCount(delivered)) return undefined;
  if (typeof today['date'] !== 'string' || !isCount(today['count'])) return undefined;
  return {
    version: 1,
    lastAttempt,
    lastSuccess,
    failingSince,
    failureReported,
    delivered,
    deliveredToday: { date: today['date'], count: today['count'] },
  };
}

export function formatStatus(status: MailboxStatus): string {
  return `${JSON.stringify(status, null, 2)}\n`;
}
