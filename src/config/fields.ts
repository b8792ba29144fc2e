// Valibot schemas for the kinds of value a config holds, each with its problems worded for a person
// ("expected …, got …", and what to do). validate.ts builds the config's schema from them.
//
// Valibot runs every check of a pipe, even after one has failed, unless told to stop at the first; it never
// runs a schema or transformation that comes after a failure. A value gets one problem, the first it has, so
// each field's pipe is wrapped in oneProblem(). The pipes that combine fields (a mapping and its checks across
// keys) are not, so every field of a broken mailbox is still looked at.

import * as v from 'valibot';
import { describe, isMapping } from './problems.js';
import { suggest } from './suggest.js';

/** A pipe that stops at its first failed check: the later checks may assume the earlier ones passed. */
export function oneProblem<const T extends v.GenericSchema>(schema: T): T {
  return v.config(schema, { abortPipeEarly: true });
}

/** What a step of a pipe reports when it cannot go on. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

/** A transformation by `step`, whose failure is the value's problem (as expand() and splitRemote() report it). */
export function transformOrRefuse<TInput, TOutput>(step: (value: TInput) => Outcome<TOutput>) {
  return v.rawTransform<TInput, TOutput>(({ dataset, addIssue, NEVER }) => {
    const outcome = step(dataset.value);
    if (outcome.ok) return outcome.value;
    addIssue({ message: outcome.problem });
    return NEVER;
  });
}

/** A check by `problemOf`, which says what is wrong with a value, or returns undefined when nothing is. */
export function refuse<TInput>(problemOf: (value: TInput) => string | undefined) {
  return v.rawCheck<TInput>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = problemOf(dataset.value);
    if (problem !== undefined) addIssue({ message: problem });
  });
}

/** A `key: value` mapping as YAML, JSON or JS produce it; `what` says what was expected instead. */
export function mapping(what: string) {
  return v.custom<Record<string, unknown>>(
    isMapping,
    (issue) => `expected ${what}, got ${describe(issue.input)}`,
  );
}

/**
 * Reports every key of a mapping that is not in `known`, in file order, with a did-you-mean when it looks like
 * a typo of a known one. Meant as the first member of a v.intersect with the mapping's v.object, so that these
 * come before the problems of the known keys; it adds nothing to the output.
 */
export function onlyKeys(known: readonly string[]) {
  return v.pipe(
    mapping('a mapping'),
    v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const input = dataset.value;
      for (const key of Object.keys(input)) {
        if (known.includes(key)) continue;
        const guess = suggest(key, known);
        const advice =
          guess === undefined ? `known keys are: ${known.join(', ')}` : `did you mean "${guess}"?`;
        addIssue({
          message: `unknown key; ${advice}`,
          path: [{ type: 'object', origin: 'key', input, key, value: input[key] }],
        });
      }
    }),
    v.transform(() => ({})),
  );
}

/**
 * A key that must be there. `key: undefined` (from a JS config) reaches the value's schema, so v.nonOptional says
 * `message`; a key that is not there at all is reported by the v.object, whose message is missingKey().
 */
export function required<const T extends v.GenericSchema>(message: string, schema: T) {
  return v.nonOptional(schema, message);
}

/** The v.object message for a required key that is not there: the message its required() was given. */
export function missingKey(entries: v.ObjectEntries) {
  return (issue: v.BaseIssue<unknown>): string => {
    const key = issue.path?.[0]?.key;
    const entry = typeof key === 'string' ? entries[key] : undefined;
    return entry !== undefined && 'message' in entry && typeof entry.message === 'string'
      ? entry.message
      : issue.message;
  };
}

const LINE_BREAK_OR_NUL = /[\0\n\r]/;

/**
 * A non-empty string without line breaks or NUL characters. With `quoteAdvice`, a number or boolean (which YAML
 * makes of an unquoted 2024 or yes) gets the advice to quote it.
 */
export function text(quoteAdvice = false) {
  return oneProblem(
    v.pipe(
      v.string((issue) => {
        const { input } = issue;
        const quotable = quoteAdvice && (typeof input === 'number' || typeof input === 'boolean');
        return `expected a string, got ${describe(input)}${quotable ? '; put it in quotes' : ''}`;
      }),
      v.nonEmpty('must not be empty'),
      v.check(
        (value) => !LINE_BREAK_OR_NUL.test(value),
        (issue) => `must not contain a line break or NUL character, got ${describe(issue.input)}`,
      ),
    ),
  );
}

/** What to say about a string given where a list was expected. */
function listAdvice(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  if (!/\s/.test(value.trim())) return `; write it as a list: [${JSON.stringify(value)}]`;
  const items = value
    .trim()
    .split(/\s+/)
    .map((item) => JSON.stringify(item));
  return `; write one argument per item: [${items.join(', ')}]`;
}

/** A list of text() items. One string with spaces gets a hint to split it. */
export function stringList() {
  return oneProblem(
    v.array(
      text(),
      (issue) =>
        `expected a list of strings, got ${describe(issue.input)}${listAdvice(issue.input)}`,
    ),
  );
}

export interface Range {
  readonly min: number;
  readonly max: number;
  /** Appended in parentheses, e.g. "seconds". */
  readonly unit?: string;
}

/** A whole number (or with `fractions`, any finite number) within `range`. */
export function numberIn(range: Range, fractions = false) {
  const unit = range.unit === undefined ? '' : ` (${range.unit})`;
  const kind = fractions ? 'a number' : 'a whole number';
  const message = ({ input }: v.BaseIssue<unknown>): string => {
    const quoted =
      typeof input === 'string' && input.trim() !== '' && Number.isFinite(Number(input));
    return `expected ${kind} from ${range.min} to ${range.max}${unit}, got ${describe(input)}${quoted ? '; remove the quotes' : ''}`;
  };
  return oneProblem(
    v.pipe(
      v.number(message),
      fractions ? v.finite(message) : v.integer(message),
      v.minValue(range.min, message),
      v.maxValue(range.max, message),
    ),
  );
}

/** One of a fixed set of strings. */
export function choice<const T extends string>(choices: readonly T[]) {
  const listed = choices.map((choice) => `"${choice}"`);
  const options = listed.length === 2 ? listed.join(' or ') : listed.join(', ');
  return v.picklist(choices, ({ input }) => {
    const sameLetters = choices.find(
      (choice) => typeof input === 'string' && choice === input.trim().toLowerCase(),
    );
    const advice = sameLetters === undefined ? '' : `; did you mean "${sameLetters}"?`;
    return `expected ${options}, got ${describe(input)}${advice}`;
  });
}

/** true or false; "yes" and "no" as strings are told to drop the quotes. */
export const yesNo = v.boolean(({ input }) => {
  const word = typeof input === 'string' ? input.trim().toLowerCase() : '';
  const meant = ['true', 'yes', 'on'].includes(word)
    ? 'true'
    : ['false', 'no', 'off'].includes(word)
      ? 'false'
      : undefined;
  const advice = meant === undefined ? '' : `; write ${meant}, without quotes`;
  return `expected true or false, got ${describe(input)}${advice}`;
});

const DURATION_UNITS: Readonly<Record<string, number>> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 7 * 86_400,
  y: 365 * 86_400,
};

/** A duration: seconds as a number, or a number with s, m, h, d, w or y ("90s", "2h", "1y"). */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdwy])\s*$/i.exec(value);
  if (m === null) return undefined;
  return Number(m[1]) * (DURATION_UNITS[(m[2] as string).toLowerCase()] as number);
}

/** A duration within `range` (in seconds), as a number of seconds. */
export function duration(range: Range) {
  const message = ({ input }: v.BaseIssue<unknown>): string =>
    `expected a duration from ${range.min} to ${range.max} seconds, like 90s, 30m, 2h, 7d or 1y, got ${describe(input)}`;
  return oneProblem(
    v.pipe(
      v.custom<string | number>((x) => parseDuration(x) !== undefined, message),
      v.transform((x) => parseDuration(x) as number),
      v.minValue(range.min, message),
      v.maxValue(range.max, message),
    ),
  );
}

/** A byte size within `range`: bytes as a number, or with K, M or G (1024-based). */
export function byteSize(range: Range, parse: (value: unknown) => number | undefined) {
  const message = ({ input }: v.BaseIssue<unknown>): string =>
    `expected a size from ${range.min} to ${range.max} bytes, like 512K or 10M, got ${describe(input)}`;
  return oneProblem(
    v.pipe(
      v.custom<string | number>((x) => parse(x) !== undefined, message),
      v.transform((x) => parse(x) as number),
      v.minValue(range.min, message),
      v.maxValue(range.max, message),
    ),
  );
}
