// `syncmail status --format TEMPLATE`: a line per mailbox for a shell prompt or a status bar, e.g.
// '{name}:{today}{stale?!}'. The language, kept small on purpose:
//   {name} {state} {today} {new} {last} {ago} {code} {outcome}   a value (FIELDS below)
//   {stale?TEXT} {failing?TEXT} {ok?TEXT} {new?TEXT} {today?TEXT}  TEXT when true, else nothing
//   {{ and }}                                                      a literal { and }
// Anything else in braces is a usage error, said when the template is read, not per mailbox. Pure.
import { UsageError } from '../errors.js';
import { clockTime, shortDuration } from './time-words.js';
import type { StatusView } from './view.js';

type Value = (v: StatusView, now: Date) => string;

const FIELDS: Readonly<Record<string, Value>> = {
  name: (v) => v.name,
  /** ok, failing, stale or never */
  state: (v) => v.state,
  /** delivered today (local day) */
  today: (v) => String(v.today),
  /** delivered by the last attempt */
  new: (v) => String(v.delivered),
  /** when it last synced: 14:05, or 2026-05-01 14:05 on another day; "never" */
  last: (v, now) => (v.lastSuccess === undefined ? 'never' : clockTime(v.lastSuccess, now)),
  /** how long ago it last synced: 45s, 12m, 2h, 3d; "-" when never */
  ago: (v) => (v.ago === undefined ? '-' : shortDuration(v.ago)),
  /** the last attempt's exit code; "-" when there was none */
  code: (v) => (v.lastAttempt === undefined ? '-' : String(v.lastAttempt.code)),
  /** the last attempt's outcome in words; "-" when there was none */
  outcome: (v) => v.outcome ?? '-',
};

const FLAGS: Readonly<Record<string, (v: StatusView) => boolean>> = {
  stale: (v) => v.stale,
  failing: (v) => v.state === 'failing' || v.state === 'never',
  ok: (v) => v.state === 'ok',
  new: (v) => v.delivered > 0,
  today: (v) => v.today > 0,
};

export type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'field'; readonly value: Value }
  | { readonly kind: 'if'; readonly flag: (v: StatusView) => boolean; readonly text: string };

const HINT =
  `placeholders: ${Object.keys(FIELDS)
    .map((f) => `{${f}}`)
    .join(' ')}; ` +
  `conditions: ${Object.keys(FLAGS)
    .map((f) => `{${f}?TEXT}`)
    .join(' ')}; {{ and }} for braces`;

function bad(template: string, what: string): UsageError {
  return new UsageError(`--format ${JSON.stringify(template)}: ${what}`, HINT);
}

export function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i++;
      continue;
    }
    if (c === '}') throw bad(template, `a "}" at ${i + 1} closes nothing (write }} for one)`);
    if (c !== '{') {
      text += c;
      continue;
    }
    const end = template.indexOf('}', i + 1);
    if (end < 0) throw bad(template, `the "{" at ${i + 1} is not closed (write {{ for one)`);
    if (text !== '') parts.push({ kind: 'text', text });
    text = '';
    parts.push(placeholder(template, template.slice(i + 1, end)));
    i = end;
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return parts;
}

function placeholder(template: string, inside: string): Part {
  const q = inside.indexOf('?');
  if (q >= 0) {
    const flag = FLAGS[inside.slice(0, q)];
    if (flag === undefined) throw bad(template, `no condition named "${inside.slice(0, q)}"`);
    return { kind: 'if', flag, text: inside.slice(q + 1) };
  }
  const value = FIELDS[inside];
  if (value === undefined) throw bad(template, `no placeholder named "${inside}"`);
  return { kind: 'field', value };
}

export function renderTemplate(parts: readonly Part[], v: StatusView, now: Date): string {
  let line = '';
  for (const part of parts) {
    if (part.kind === 'text') line += part.text;
    else if (part.kind === 'field') line += part.value(v, now);
    else if (part.flag(v)) line += part.text;
  }
  return line;
}
