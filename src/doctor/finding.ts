// What `syncmail check` found: plain data, made by the check groups and printed by format.ts. A problem
// carries the exit code the same trouble gives a sync, so `check` fails the way the sync would.
import { type SyncmailError, worstExit } from '../errors.js';

export type Level = 'ok' | 'warn' | 'problem';

export interface Finding {
  readonly level: Level;
  /** What was checked: "config", "rsync", "server mail.example.org", "inbox: local Maildir". */
  readonly subject: string;
  readonly text: string;
  /** What to do about it (warnings and problems). */
  readonly hint?: string;
  /** A problem's exit code (errors.ts EXIT); warnings never change the code. */
  readonly exitCode?: number;
}

export function ok(subject: string, text: string): Finding {
  return { level: 'ok', subject, text };
}

export function warn(subject: string, text: string, hint?: string): Finding {
  return hint === undefined
    ? { level: 'warn', subject, text }
    : { level: 'warn', subject, text, hint };
}

export function problem(subject: string, exitCode: number, text: string, hint?: string): Finding {
  const base = { level: 'problem' as const, subject, text, exitCode };
  return hint === undefined ? base : { ...base, hint };
}

/** An error the sync would stop with, as a problem with its code, message and hint. */
export function fromError(subject: string, error: SyncmailError): Finding {
  return problem(subject, error.exitCode, error.message, error.hint);
}

/** The command's exit code: the worst of the problems' codes; 0 when there is none. */
export function checkExit(findings: readonly Finding[]): number {
  return worstExit(findings.flatMap((f) => (f.level === 'problem' ? [f.exitCode ?? 0] : [])));
}

/** Pure: which entries are older than `maxAge` seconds at `now` (seconds): Maildir's 36-hour rule. */
export const LINGER_SECONDS = 36 * 3600;

export function lingering<T extends { readonly mtime: number }>(
  entries: readonly T[],
  now: number,
  maxAge: number = LINGER_SECONDS,
): T[] {
  return entries.filter((e) => now - e.mtime > maxAge);
}

/** "a, b, c and 4 more": a few names, for a finding's text. */
export function someNames(names: readonly string[], shown = 5): string {
  const more = names.length - shown;
  return names.slice(0, shown).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** "1 file", "3 files". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
