// How config problems are worded: each is one line, "<key path>: <what is wrong and what to do>", for example
// `mailboxes[1].local: expected a string, got 42`. Validation collects them all before failing, so a person
// fixes the whole file in one go.

import type { BaseIssue } from 'valibot';

/** The path of `key` inside `parent`: `mailboxes` + 1 → `mailboxes[1]`, `mailboxes[1]` + `local` → `mailboxes[1].local`. */
export function keyPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** One line per valibot issue: its key path (none for the file as a whole), then its message. */
export function problemLines(issues: readonly BaseIssue<unknown>[]): string[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).reduce<string>(
      (parent, item) => keyPath(parent, typeof item.key === 'number' ? item.key : String(item.key)),
      '',
    );
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
}

const MAX_SHOWN = 60;

/** A short, unambiguous rendering of a config value for "got …" in messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
    return JSON.stringify(shown);
  }
  if (value === null) return 'null (an empty value)';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value instanceof Date) {
    // YAML reads an unquoted 2024-01-01 as a date.
    const day = Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString().slice(0, 10);
    return `a date (${day}); put it in quotes to make it text`;
  }
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'a mapping';
  return String(value); // number, boolean, bigint, symbol
}

/** True for a `key: value` mapping as YAML, JSON or JS produce it (not a list, date, or class instance). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Shell-quotes a path for a "run: chmod …" suggestion. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
