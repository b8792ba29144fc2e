// `syncmail status` as text: a small table, one row per mailbox. Pure.
import { clockTime, longDuration } from './time-words.js';
import type { StatusView } from './view.js';

const HEADER = ['MAILBOX', 'STATE', 'LAST SYNC', 'LAST ATTEMPT', 'NEW', 'TODAY'] as const;

function row(v: StatusView, now: Date): string[] {
  const a = v.lastAttempt;
  const synced =
    v.lastSuccess === undefined || v.ago === undefined
      ? 'never'
      : `${clockTime(v.lastSuccess, now)} (${v.ago < 60 ? 'just now' : `${longDuration(v.ago)} ago`})`;
  const attempt =
    a === undefined
      ? '-'
      : `${clockTime(new Date(a.time), now)} ${v.outcome}${a.code === 0 ? '' : ` (${a.code})`}`;
  return [v.name, v.state, synced, attempt, String(v.delivered), String(v.today)];
}

export function formatTable(views: readonly StatusView[], now: Date): string {
  const rows = [[...HEADER], ...views.map((v) => row(v, now))];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  '),
    )
    .map((line) => `${line.trimEnd()}\n`)
    .join('');
}
