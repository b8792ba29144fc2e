// Which stories `syncmail log` shows: the filters (--mailbox, --run, --since, --until) and QUERY, a
// file name or a Message-ID or subject. Pure: the headers of a message are asked through a
// callback, so only the messages that the cheaper tests leave over have their files read.
import { UsageError } from '../errors.js';
import { displayName } from '../text/display-name.js';
import { localNames, type Story } from './story.js';

export interface LogQuery {
  readonly text: string | undefined;
  readonly mailbox: string | undefined;
  readonly run: string | undefined;
  /** ms since the epoch: steps at or after `since`, before `until`. */
  readonly since: number | undefined;
  readonly until: number | undefined;
}

export interface Headers {
  readonly subject: string | null;
  readonly messageId: string | null;
}

const LOG_HINT = 'run `syncmail log --help`';
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A --since/--until value: YYYY-MM-DD (that day in local time; --until includes the whole day) or
 * an
 * ISO time (with its own zone, else local time).
 */
export function parseWhen(text: string, option: '--since' | '--until'): number {
  const day = DAY.exec(text);
  if (day !== null) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const start = new Date(y, m - 1, d);
    if (start.getFullYear() === y && start.getMonth() === m - 1 && start.getDate() === d) {
      return option === '--until' ? new Date(y, m - 1, d + 1).getTime() : start.getTime();
    }
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new UsageError(
    `${option} expects a date (YYYY-MM-DD) or an ISO time (2026-12-01T10:00), got "${text}"`,
    LOG_HINT,
  );
}

/** The name part of a QUERY: a pasted path's last component, without Maildir flags (":2,S"). */
export function nameQuery(text: string): string {
  const looksLikePath = /^(\/|~\/|\.\.?\/)|\/(new|cur)\//.test(text);
  const base = looksLikePath ? (text.split('/').at(-1) ?? text) : text;
  return base.replace(/:2,[A-Za-z]*$/, '');
}

function stripAngles(id: string): string {
  return id.trim().replace(/^<|>$/g, '').toLowerCase();
}

/** Does QUERY name this message: its file name, else its Message-ID or subject (case ignored)? */
export function matchesText(
  story: Story,
  text: string,
  headers: (story: Story) => Headers | undefined,
): boolean {
  const name = nameQuery(text).toLowerCase();
  if (name !== '' && localNames(story).some((n) => displayName(n).toLowerCase().includes(name))) {
    return true;
  }
  const h = headers(story);
  if (h === undefined) return false;
  const id = stripAngles(text);
  if (id !== '' && h.messageId !== null && stripAngles(h.messageId).includes(id)) return true;
  const subject = text.trim().toLowerCase();
  return subject !== '' && h.subject !== null && h.subject.toLowerCase().includes(subject);
}

function inRange(time: string, q: LogQuery): boolean {
  const t = Date.parse(time);
  if (Number.isNaN(t)) return false;
  return (q.since === undefined || t >= q.since) && (q.until === undefined || t < q.until);
}

/** No QUERY, no --run, --since or --until: then only the latest run is shown (see lastRun). */
export function isOpen(q: LogQuery): boolean {
  return (
    q.text === undefined && q.run === undefined && q.since === undefined && q.until === undefined
  );
}

/**
 * The run of the latest step of any of the stories: the last run that did something with a message.
 */
export function lastRun(all: readonly Story[]): string | undefined {
  let latest: { time: string; run: string } | undefined;
  for (const s of all) {
    for (const { record } of s.steps) {
      if (latest === undefined || record.time >= latest.time) {
        latest = { time: record.time, run: record.run };
      }
    }
  }
  return latest?.run;
}

/**
 * The stories the query selects, each whole: a message is shown when one of its steps is in the run
 * and the time range, and QUERY names it. Without QUERY or those filters: the messages of the last
 * run
 * that had any (of the --mailbox, if given), so a bare `syncmail log` says what the last sync did.
 */
export function selectStories(
  all: readonly Story[],
  q: LogQuery,
  headers: (story: Story) => Headers | undefined,
): Story[] {
  const ofMailbox = q.mailbox === undefined ? all : all.filter((s) => s.mailbox === q.mailbox);
  const run = isOpen(q) ? lastRun(ofMailbox) : q.run;
  if (isOpen(q) && run === undefined) return [];
  const text = q.text;
  return ofMailbox.filter(
    (s) =>
      s.steps.some(
        ({ record }) => (run === undefined || record.run === run) && inRange(record.time, q),
      ) &&
      (text === undefined || matchesText(s, text, headers)),
  );
}
