// The config's `rules` lists (top level and per mailbox), checked and turned into rules/types.ts values.
// Pure. Every problem names its key path (`mailboxes[0].rules[2].match.subject.regex: …`) and what to do;
// a config with any bad rule is refused before anything runs, so a typo never misroutes mail.
import { type Condition, type Flag, INBOX, type Rule, type TextTest } from '../rules/types.js';
import { describe, isMapping } from './problems.js';
import { suggest } from './suggest.js';

export interface RuleProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** A rule as the config says it; `trash: true` becomes the trash folder once the top level is known. */
export interface ConfigRule extends Omit<Rule, 'folder'> {
  readonly folder?: string;
  readonly trash: boolean;
}

const RULE_KEYS = ['name', 'match', 'folder', 'trash', 'copy', 'seen', 'flag', 'continue'];
const CONDITION_KEYS = ['list', 'from', 'to', 'subject', 'header', 'size', 'all', 'any', 'not'];
const TEST_KEYS = ['is', 'contains', 'matches', 'regex'];
const COMPONENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const RESERVED = ['cur', 'new', 'tmp'];
const FOLDER_MAX = 200;
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

type Path = readonly (string | number)[];

class Checker {
  readonly problems: RuleProblem[] = [];
  problem(path: Path, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }
  unknownKeys(value: Record<string, unknown>, known: readonly string[], path: Path): void {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const guess = suggest(key, known);
      const advice =
        guess === undefined ? `known keys are: ${known.join(', ')}` : `did you mean "${guess}"?`;
      this.problem([...path, key], `unknown key; ${advice}`);
    }
  }
}

/** Why a folder name is refused, or undefined. Names come only from the config and never leave `folders`. */
export function folderProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '')
    return `expected a folder name, like "lists.lkml", got ${describe(name)}`;
  if (name.toUpperCase() === INBOX) return undefined;
  if (name.length > FOLDER_MAX)
    return `is ${name.length} characters long; use at most ${FOLDER_MAX}`;
  for (const part of name.split('/')) {
    if (!COMPONENT.test(part)) {
      return `${JSON.stringify(name)} is not a folder name: use letters, digits, ".", "_" and "-", with "/" between levels, and start each level with a letter, digit, "_" or "-"`;
    }
    if (RESERVED.includes(part.toLowerCase()))
      return `${JSON.stringify(name)} uses "${part}", which is a part of every Maildir; choose another name`;
  }
  return undefined;
}

function bool(c: Checker, value: unknown, path: Path): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  c.problem(path, `expected true or false, got ${describe(value)}`);
  return false;
}

function regex(c: Checker, value: unknown, path: Path): TextTest | undefined {
  if (typeof value !== 'string' || value === '')
    return c.problem(path, `expected a regular expression as a string, got ${describe(value)}`);
  try {
    return { regex: new RegExp(value, 'iu'), source: value };
  } catch (error) {
    return c.problem(
      path,
      `${JSON.stringify(value)} is not a valid regular expression (${(error as Error).message.replace(/^Invalid regular expression: /, '')})`,
    );
  }
}

/** `{ is | contains | matches | regex: TEXT }`, exactly one. */
function textTest(
  c: Checker,
  value: Record<string, unknown>,
  path: Path,
  extra: readonly string[] = [],
): TextTest | undefined {
  const keys = Object.keys(value).filter((k) => TEST_KEYS.includes(k));
  if (keys.length !== 1) {
    return c.problem(
      path,
      `give exactly one of ${TEST_KEYS.join(', ')}${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`,
    );
  }
  const key = keys[0] as string;
  const text = value[key];
  if (key === 'regex') return regex(c, text, [...path, key]);
  if (typeof text !== 'string' || text === '')
    return c.problem([...path, key], `expected a non-empty string, got ${describe(text)}`);
  return key === 'is' ? { is: text } : key === 'contains' ? { contains: text } : { matches: text };
}

function address(c: Checker, value: unknown, path: Path): string | undefined {
  if (typeof value === 'string' && /^[^@\s]*@[^@\s]+$/.test(value)) return value;
  return c.problem(
    path,
    `expected an address ("a@example.com") or a domain ("@example.com"), got ${describe(value)}`,
  );
}

function fieldCondition(
  c: Checker,
  kind: 'list' | 'from' | 'to' | 'subject',
  value: unknown,
  path: Path,
): Condition | undefined {
  if (typeof value === 'string' && value !== '') {
    if (kind === 'list') return { kind, test: { is: value } };
    if (kind === 'subject') return { kind, test: { contains: value } };
    return value.includes('@')
      ? { kind, address: address(c, value, path) ?? value }
      : { kind, test: { contains: value } };
  }
  if (!isMapping(value)) {
    return c.problem(
      path,
      `expected a string or a mapping like { contains: "text" }, got ${describe(value)}`,
    );
  }
  const addressable = kind === 'from' || kind === 'to';
  c.unknownKeys(value, addressable ? [...TEST_KEYS, 'address'] : TEST_KEYS, path);
  if (addressable && 'address' in value) {
    if (Object.keys(value).length > 1)
      return c.problem(path, 'give address alone, or one of is, contains, matches, regex');
    const a = address(c, value['address'], [...path, 'address']);
    return a === undefined ? undefined : { kind, address: a };
  }
  const test = textTest(c, value, path, addressable ? ['address'] : []);
  return test === undefined ? undefined : { kind, test };
}

function headerCondition(c: Checker, value: unknown, path: Path): Condition | undefined {
  if (!isMapping(value))
    return c.problem(
      path,
      `expected a mapping like { name: X-Spam-Flag, is: "YES" }, got ${describe(value)}`,
    );
  c.unknownKeys(value, ['name', ...TEST_KEYS, 'exists'], path);
  const name = value['name'];
  if (typeof name !== 'string' || !/^[!-9;-~]+$/.test(name))
    c.problem([...path, 'name'], `expected a header name, like X-Spam-Flag, got ${describe(name)}`);
  if ('exists' in value) {
    if (value['exists'] !== true)
      return c.problem(
        [...path, 'exists'],
        `expected true (use not: for a header that is absent), got ${describe(value['exists'])}`,
      );
    if (Object.keys(value).some((k) => TEST_KEYS.includes(k)))
      return c.problem(path, 'give exists alone, or one of is, contains, matches, regex');
    return typeof name === 'string' ? { kind: 'header', name, test: 'exists' } : undefined;
  }
  const test = textTest(c, value, path, ['exists']);
  return test === undefined || typeof name !== 'string'
    ? undefined
    : { kind: 'header', name, test };
}

/** A size: bytes, or a number with K, M or G (1024-based). */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*$/i.exec(value);
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? 1));
}

function sizeCondition(c: Checker, value: unknown, path: Path): Condition | undefined {
  if (!isMapping(value))
    return c.problem(path, `expected a mapping like { over: 20M }, got ${describe(value)}`);
  c.unknownKeys(value, ['over', 'under'], path);
  if (!('over' in value) && !('under' in value))
    return c.problem(path, 'give over, under, or both');
  const bound = (key: 'over' | 'under'): number | undefined => {
    if (!(key in value)) return undefined;
    const n = parseSize(value[key]);
    if (n === undefined)
      c.problem(
        [...path, key],
        `expected a size like 20M, 512K or 1000 (bytes), got ${describe(value[key])}`,
      );
    return n;
  };
  const over = bound('over');
  const under = bound('under');
  if (over !== undefined && under !== undefined && over + 1 >= under)
    return c.problem(
      path,
      `no size is over ${over} and under ${under} bytes; check over and under`,
    );
  return {
    kind: 'size',
    ...(over === undefined ? {} : { over }),
    ...(under === undefined ? {} : { under }),
  };
}

function condition(c: Checker, value: unknown, path: Path): Condition | undefined {
  if (!isMapping(value) || Object.keys(value).length === 0) {
    return c.problem(
      path,
      `expected a condition, like { list: linux-kernel.vger.kernel.org } or { from: "@example.com" }, got ${describe(value)}`,
    );
  }
  c.unknownKeys(value, CONDITION_KEYS, path);
  const parts: (Condition | undefined)[] = [];
  for (const key of Object.keys(value).filter((k) => CONDITION_KEYS.includes(k))) {
    const at = [...path, key];
    const item = value[key];
    if (key === 'list' || key === 'from' || key === 'to' || key === 'subject')
      parts.push(fieldCondition(c, key, item, at));
    else if (key === 'header') parts.push(headerCondition(c, item, at));
    else if (key === 'size') parts.push(sizeCondition(c, item, at));
    else if (key === 'not') {
      const inner = condition(c, item, at);
      parts.push(inner === undefined ? undefined : { kind: 'not', of: inner });
    } else {
      if (!Array.isArray(item) || item.length === 0) {
        parts.push(c.problem(at, `expected a non-empty list of conditions, got ${describe(item)}`));
        continue;
      }
      const of = item.map((x, i) => condition(c, x, [...at, i]));
      parts.push(
        of.every((x) => x !== undefined)
          ? { kind: key as 'all' | 'any', of: of as Condition[] }
          : undefined,
      );
    }
  }
  if (parts.some((x) => x === undefined)) return undefined;
  const all = parts as Condition[];
  return all.length === 1 ? all[0] : { kind: 'all', of: all };
}

function folderName(c: Checker, value: unknown, path: Path): string | undefined {
  const problem = folderProblem(value);
  if (problem !== undefined) return c.problem(path, problem);
  return (value as string).toUpperCase() === INBOX ? INBOX : (value as string);
}

function rule(c: Checker, value: unknown, path: Path, index: number): ConfigRule | undefined {
  if (!isMapping(value))
    return c.problem(
      path,
      `expected a rule (a mapping with name, match and folder), got ${describe(value)}`,
    );
  const before = c.problems.length;
  c.unknownKeys(value, RULE_KEYS, path);
  const rawName = value['name'];
  let name = `rule ${index + 1}`;
  if (rawName !== undefined) {
    if (typeof rawName === 'string' && /^[^\0\n\r]{1,64}$/.test(rawName)) name = rawName;
    else
      c.problem(
        [...path, 'name'],
        `expected a short name (at most 64 characters), got ${describe(rawName)}`,
      );
  }
  const match =
    'match' in value
      ? condition(c, value['match'], [...path, 'match'])
      : c.problem(
          [...path, 'match'],
          'missing; say which messages the rule is for, like { list: linux-kernel.vger.kernel.org }',
        );
  const trash = bool(c, value['trash'], [...path, 'trash']);
  const folder =
    'folder' in value ? folderName(c, value['folder'], [...path, 'folder']) : undefined;
  if (trash && 'folder' in value)
    c.problem(
      [...path, 'trash'],
      'give folder or trash, not both (trash is a folder of its own: trashFolder)',
    );
  const rawCopy = value['copy'];
  const copies = rawCopy === undefined ? [] : Array.isArray(rawCopy) ? rawCopy : [rawCopy];
  const copy = copies.map((x, i) =>
    folderName(c, x, Array.isArray(rawCopy) ? [...path, 'copy', i] : [...path, 'copy']),
  );
  const seen = bool(c, value['seen'], [...path, 'seen']);
  const flag = bool(c, value['flag'], [...path, 'flag']);
  const goOn = bool(c, value['continue'], [...path, 'continue']);
  if (!trash && !('folder' in value) && copies.length === 0 && !seen && !flag)
    c.problem(path, 'does nothing; give folder, trash, copy, seen or flag');
  if (c.problems.length > before || match === undefined) return undefined;
  const flags: Flag[] = [];
  if (flag) flags.push('F');
  if (seen || trash) flags.push('S');
  return {
    name,
    match,
    ...(folder === undefined ? {} : { folder }),
    trash,
    copy: copy as string[],
    flags,
    continue: goOn,
  };
}

/** A `rules` list, or the problems that keep it from being one. */
export function parseRules(
  value: unknown,
  path: Path,
): { rules: ConfigRule[]; problems: RuleProblem[] } {
  const c = new Checker();
  if (!Array.isArray(value)) {
    const advice = isMapping(value) ? '; put "- " before each rule to make a list' : '';
    c.problem(path, `expected a list of rules, got ${describe(value)}${advice}`);
    return { rules: [], problems: c.problems };
  }
  const rules: ConfigRule[] = [];
  const names = new Map<string, number>();
  value.forEach((item, i) => {
    const r = rule(c, item, [...path, i], i);
    if (r === undefined) return;
    const first = names.get(r.name);
    if (first !== undefined)
      c.problem(
        [...path, i, 'name'],
        `${JSON.stringify(r.name)} is already the name of rules[${first}]; give each rule its own name`,
      );
    names.set(r.name, i);
    rules.push(r);
  });
  return { rules, problems: c.problems };
}

/** The rules with `trash: true` sent to the trash folder. */
export function resolveTrash(rules: readonly ConfigRule[], trashFolder: string): Rule[] {
  return rules.map(({ trash, ...r }) => (trash ? { ...r, folder: trashFolder } : r));
}
