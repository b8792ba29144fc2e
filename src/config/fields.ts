// Typed readers for raw config values. Each reader either returns the value with its proper type, or records
// one problem (worded for a person) and returns undefined, so validation can go on and report everything.

import { describe, isMapping, keyPath, type Problems } from './problems.js';
import { suggest } from './suggest.js';

/** True when `key` is present with a value (a JS config's `key: undefined` counts as absent). */
export function has(mapping: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(mapping, key) && mapping[key] !== undefined;
}

/**
 * Reads a `key: value` mapping and reports every key that is not in `known`, with a did-you-mean when the
 * key looks like a typo of a known one.
 */
export function readMapping(
  value: unknown,
  path: string,
  known: readonly string[],
  what: string,
  problems: Problems,
): Record<string, unknown> | undefined {
  if (!isMapping(value)) {
    problems.add(path, `expected ${what}, got ${describe(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = suggest(key, known);
    const advice =
      guess === undefined ? `known keys are: ${known.join(', ')}` : `did you mean "${guess}"?`;
    problems.add(keyPath(path, key), `unknown key; ${advice}`);
  }
  return value;
}

/** Reports a missing required key, saying what to put there. */
export function reportMissing(path: string, advice: string, problems: Problems): void {
  problems.add(path, `missing; ${advice}`);
}

const LINE_BREAK_OR_NUL = /[\0\n\r]/;

/**
 * A non-empty string without line breaks or NUL characters. With `quoteAdvice`, a number or boolean (which YAML
 * makes of an unquoted 2024 or yes) gets the advice to quote it.
 */
export function readString(
  value: unknown,
  path: string,
  problems: Problems,
  quoteAdvice = false,
): string | undefined {
  if (typeof value !== 'string') {
    const quotable = quoteAdvice && (typeof value === 'number' || typeof value === 'boolean');
    problems.add(
      path,
      `expected a string, got ${describe(value)}${quotable ? '; put it in quotes' : ''}`,
    );
    return undefined;
  }
  if (value === '') {
    problems.add(path, 'must not be empty');
    return undefined;
  }
  if (LINE_BREAK_OR_NUL.test(value)) {
    problems.add(path, `must not contain a line break or NUL character, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** A list of strings, each checked by readString. One string with spaces gets a hint to split it. */
export function readStringList(
  value: unknown,
  path: string,
  problems: Problems,
): string[] | undefined {
  if (!Array.isArray(value)) {
    let advice = '';
    if (typeof value === 'string' && /\s/.test(value.trim())) {
      const items = value
        .trim()
        .split(/\s+/)
        .map((item) => JSON.stringify(item));
      advice = `; write one argument per item: [${items.join(', ')}]`;
    } else if (typeof value === 'string' && value !== '') {
      advice = `; write it as a list: [${JSON.stringify(value)}]`;
    }
    problems.add(path, `expected a list of strings, got ${describe(value)}${advice}`);
    return undefined;
  }
  const before = problems.count;
  const items: string[] = [];
  value.forEach((item: unknown, index) => {
    const text = readString(item, keyPath(path, index), problems);
    if (text !== undefined) items.push(text);
  });
  return problems.count === before ? items : undefined;
}

export interface Range {
  readonly min: number;
  readonly max: number;
  /** Appended in parentheses, e.g. "seconds". */
  readonly unit?: string;
}

function rangeText(kind: string, range: Range): string {
  const unit = range.unit === undefined ? '' : ` (${range.unit})`;
  return `expected ${kind} from ${range.min} to ${range.max}${unit}`;
}

function quotedNumberAdvice(value: unknown): string {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
    ? '; remove the quotes'
    : '';
}

/** A whole number within `range`. */
export function readInteger(
  value: unknown,
  path: string,
  range: Range,
  problems: Problems,
): number | undefined {
  if (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= range.min &&
    value <= range.max
  )
    return value;
  problems.add(
    path,
    `${rangeText('a whole number', range)}, got ${describe(value)}${quotedNumberAdvice(value)}`,
  );
  return undefined;
}

/** A finite number (fractions allowed) within `range`. */
export function readNumber(
  value: unknown,
  path: string,
  range: Range,
  problems: Problems,
): number | undefined {
  if (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max
  )
    return value;
  problems.add(
    path,
    `${rangeText('a number', range)}, got ${describe(value)}${quotedNumberAdvice(value)}`,
  );
  return undefined;
}

/** One of a fixed set of strings. */
export function readChoice<T extends string>(
  value: unknown,
  path: string,
  choices: readonly T[],
  problems: Problems,
): T | undefined {
  const found = choices.find((choice) => choice === value);
  if (found !== undefined) return found;
  const listed = choices.map((choice) => `"${choice}"`);
  const options = listed.length === 2 ? listed.join(' or ') : listed.join(', ');
  const sameLetters = choices.find(
    (choice) => typeof value === 'string' && choice === value.trim().toLowerCase(),
  );
  const advice = sameLetters === undefined ? '' : `; did you mean "${sameLetters}"?`;
  problems.add(path, `expected ${options}, got ${describe(value)}${advice}`);
  return undefined;
}
