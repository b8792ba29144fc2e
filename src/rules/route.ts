// Which folder a message goes to, from its rules: pure, over a MessageView (rules/headers.ts builds one
// from a staged file). Evaluated top to bottom; a matching rule stops the evaluation unless it says
// `continue`. The first matching rule that names a folder (or `trash`) picks the folder; a later one
// that names another adds a copy there, as `copy` does; flags add up. A message no rule places goes to
// the mailbox's own Maildir (INBOX): nothing is ever dropped by a rule.
import {
  type Condition,
  type Flag,
  INBOX,
  type MessageView,
  type Route,
  type Rule,
  type TextTest,
} from './types.js';

/** A regex sees at most this much of a value: JavaScript has no regex timeout, so this bounds the cost. */
export const REGEX_INPUT_MAX = 8 * 1024;

/** A glob (`*`, `?`, `\` escapes) as an anchored, case-insensitive RegExp. */
export function globRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] as string;
    if (c === '\\' && i + 1 < glob.length) {
      i += 1;
      source += (glob[i] as string).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (c === '*') source += '[^]*';
    else if (c === '?') source += '[^]';
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'iu');
}

export function testText(test: TextTest, value: string): boolean {
  if ('regex' in test) return test.regex.test(value.slice(0, REGEX_INPUT_MAX));
  const v = value.toLowerCase();
  if ('is' in test) return v === test.is.toLowerCase();
  if ('contains' in test) return v.includes(test.contains.toLowerCase());
  return globRegExp(test.matches).test(value.slice(0, REGEX_INPUT_MAX));
}

/** "Name <id.example.org>" → "id.example.org"; a bare value is its own id. */
export function listId(value: string): string {
  const open = value.lastIndexOf('<');
  const close = value.lastIndexOf('>');
  return (open !== -1 && close > open ? value.slice(open + 1, close) : value).trim();
}

/** "@example.com" matches that domain and its subdomains; anything else is one whole address. */
export function addressMatches(pattern: string, address: string): boolean {
  const p = pattern.toLowerCase();
  const a = address.toLowerCase();
  if (!p.startsWith('@')) return a === p;
  const at = a.lastIndexOf('@');
  if (at === -1) return false; // no domain to compare
  const domain = a.slice(at + 1);
  const wanted = p.slice(1);
  return domain === wanted || domain.endsWith(`.${wanted}`);
}

const HEADERS = { from: ['from'], to: ['to', 'cc'] } as const;

export function matches(c: Condition, m: MessageView): boolean {
  switch (c.kind) {
    case 'list':
      return m.values('list-id').some((v) => testText(c.test, listId(v)));
    case 'from':
    case 'to': {
      const { address, test } = c;
      if (address !== undefined) return m.addresses(c.kind).some((a) => addressMatches(address, a));
      return HEADERS[c.kind].some((h) =>
        m.values(h).some((v) => test !== undefined && testText(test, v)),
      );
    }
    case 'subject':
      return m.values('subject').some((v) => testText(c.test, v));
    case 'header': {
      const values = m.values(c.name);
      if (c.test === 'exists') return values.length > 0;
      const test = c.test;
      return values.some((v) => testText(test, v));
    }
    case 'size':
      return (
        (c.over === undefined || m.size > c.over) && (c.under === undefined || m.size < c.under)
      );
    case 'all':
      return c.of.every((x) => matches(x, m));
    case 'any':
      return c.of.some((x) => matches(x, m));
    case 'not':
      return !matches(c.of, m);
  }
}

/** The route of a message whose rules were not asked: the mailbox's own Maildir, as if none matched. */
export function defaultRoute(unread?: Route['unread']): Route {
  return {
    rule: undefined,
    matched: [],
    folder: INBOX,
    copies: [],
    flags: [],
    ...(unread ? { unread } : {}),
  };
}

export function route(rules: readonly Rule[], m: MessageView): Route {
  const matched: string[] = [];
  /** Every folder a matching rule names (its folder, then its copies), in rule order. */
  const named: string[] = [];
  const flags = new Set<Flag>();
  let rule: string | undefined;
  let folder: string | undefined;
  for (const r of rules) {
    if (!matches(r.match, m)) continue;
    matched.push(r.name);
    for (const f of r.flags) flags.add(f);
    if (r.folder !== undefined) {
      if (folder === undefined) {
        folder = r.folder;
        rule = r.name;
      } else named.push(r.folder);
    }
    named.push(...r.copy);
    if (!r.continue) break;
  }
  const primary = folder ?? INBOX;
  const copies = [...new Set(named)].filter((f) => f !== primary);
  return { rule, matched, folder: primary, copies, flags: [...flags].sort() };
}
