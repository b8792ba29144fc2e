// Which folder a message goes to (src/rules/route.ts): first match wins, `continue`, copies and flags; and
// every kind of condition, on MessageViews parsed (src/rules/headers.ts) from literal header text, so the
// whole path from header bytes to a route is exercised.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRules, resolveTrash } from '../../src/config/rules.js';
import { loadHeaderDecoders, parseHeaders } from '../../src/rules/headers.js';
import {
  addressMatches,
  defaultRoute,
  globRegExp,
  listId,
  matches,
  REGEX_INPUT_MAX,
  route,
  testText,
} from '../../src/rules/route.js';
import type { Condition, MessageView, Rule } from '../../src/rules/types.js';

// postal-mime is loaded before the first message is routed (headers.ts); so here.
await loadHeaderDecoders();

/** A MessageView of header text (lines joined with \n); its size is the text's unless given. */
function view(lines: readonly string[], size?: number): MessageView {
  const bytes = Buffer.from(`${lines.join('\n')}\n`);
  return parseHeaders(bytes, size ?? bytes.length);
}

/** Rules as a config writes them, checked and with trash resolved, as validateConfig hands them out. */
function rules(list: readonly unknown[]): Rule[] {
  const parsed = parseRules(list, []);
  assert.equal(parsed.problems, [], 'the rules parse');
  return resolveTrash(parsed.rules, 'Trash');
}

/** A condition as a config writes it. */
function when(match: unknown): Condition {
  return rules([{ match, folder: 'f' }])[0]!.match;
}

const lkml = [
  'Return-Path: <linux-kernel+bounces-1@vger.kernel.org>',
  'From: Jörg Rödel <Joro@8bytes.org>',
  'To: Linus Torvalds <torvalds@linux-foundation.org>',
  'Cc: linux-kernel@vger.kernel.org, iommu@lists.linux.dev',
  'Subject: [PATCH v2 3/7] iommu/amd: Fix the thing',
  'List-Id: <linux-kernel.vger.kernel.org>',
  'X-Mailer: git-send-email 2.43.0',
];

// ---- route: the order of rules -----------------------------------------------------------------

test('no rule matches: INBOX, no rule, nothing else; the same as defaultRoute()', async () => {
  const m = await view(lkml);
  const r = route(rules([{ name: 'other', match: { list: 'other.example.org' }, folder: 'x' }]), m);
  assert.equal(r, { rule: undefined, matched: [], folder: 'INBOX', copies: [], flags: [] });
  assert.equal(r, defaultRoute());
  assert.equal(route([], m), defaultRoute());
  assert.equal(defaultRoute('header-too-large'), {
    rule: undefined,
    matched: [],
    folder: 'INBOX',
    copies: [],
    flags: [],
    unread: 'header-too-large',
  });
});

test('the first matching rule wins; later ones are not asked', async () => {
  const m = await view(lkml);
  const list = rules([
    { name: 'nope', match: { subject: 'RFC' }, folder: 'rfc' },
    { name: 'lkml', match: { list: 'linux-kernel.vger.kernel.org' }, folder: 'lists.lkml' },
    { name: 'iommu', match: { to: 'iommu@lists.linux.dev' }, folder: 'lists.iommu', flag: true },
  ]);
  assert.equal(route(list, m), {
    rule: 'lkml',
    matched: ['lkml'],
    folder: 'lists.lkml',
    copies: [],
    flags: [],
  });
});

test('continue: a later folder becomes a copy, flags add up, the first folder-naming rule is the rule', async () => {
  const m = await view(lkml);
  const list = rules([
    { name: 'mark', match: { from: '@8bytes.org' }, flag: true, continue: true },
    {
      name: 'lkml',
      match: { list: 'linux-kernel.vger.kernel.org' },
      folder: 'lkml',
      continue: true,
    },
    { name: 'iommu', match: { to: '@lists.linux.dev' }, folder: 'iommu', seen: true },
    { name: 'never', match: { subject: 'PATCH' }, folder: 'patches' },
  ]);
  assert.equal(route(list, m), {
    rule: 'lkml',
    matched: ['mark', 'lkml', 'iommu'],
    folder: 'lkml',
    copies: ['iommu'],
    flags: ['F', 'S'],
  });
});

test('a matching rule without folder and without continue stops: INBOX with its flags', async () => {
  const m = await view(lkml);
  const list = rules([
    { name: 'seen', match: { subject: 'PATCH' }, seen: true },
    { name: 'lkml', match: { list: 'linux-kernel.vger.kernel.org' }, folder: 'lkml' },
  ]);
  assert.equal(route(list, m), {
    rule: undefined,
    matched: ['seen'],
    folder: 'INBOX',
    copies: [],
    flags: ['S'],
  });
  // Copies alone do not pick a folder either.
  const copyOnly = rules([{ name: 'c', match: { subject: 'PATCH' }, copy: ['archive', 'INBOX'] }]);
  assert.equal(route(copyOnly, m), {
    rule: undefined,
    matched: ['c'],
    folder: 'INBOX',
    copies: ['archive'],
    flags: [],
  });
});

test('copies are deduplicated, never the folder itself; later folders come before copies', async () => {
  const m = await view(lkml);
  const list = rules([
    { name: 'a', match: { subject: 'PATCH' }, folder: 'a', copy: ['x', 'a', 'x'], continue: true },
    { name: 'b', match: { subject: 'iommu' }, folder: 'x', copy: 'y', continue: true },
    { name: 'c', match: { list: 'linux-kernel.vger.kernel.org' }, folder: 'a', copy: ['z'] },
  ]);
  assert.equal(route(list, m), {
    rule: 'a',
    matched: ['a', 'b', 'c'],
    folder: 'a',
    copies: ['x', 'y', 'z'],
    flags: [],
  });
  const order = rules([
    { name: 'p', match: { subject: 'PATCH' }, copy: 'copy1', continue: true },
    { name: 'q', match: { subject: 'PATCH' }, folder: 'main', continue: true },
    { name: 'r', match: { subject: 'PATCH' }, folder: 'second' },
  ]);
  // Copies in the order the rules name them: p's copy, then r's folder.
  assert.equal(route(order, m).copies, ['copy1', 'second']);
});

test('flags are sorted and unique, whatever order the rules set them in', async () => {
  const m = await view(lkml);
  const list = rules([
    { name: 's', match: { subject: 'PATCH' }, seen: true, continue: true },
    { name: 'f', match: { subject: 'PATCH' }, flag: true, continue: true },
    { name: 'both', match: { subject: 'PATCH' }, flag: true, seen: true, folder: 'x' },
  ]);
  assert.equal(route(list, m).flags, ['F', 'S']);
  assert.equal(route(list, m).rule, 'both');
});

test('trash: the trash folder, marked seen; INBOX as a folder is a folder like any', async () => {
  const m = await view(lkml);
  assert.equal(route(rules([{ name: 't', match: { subject: 'PATCH' }, trash: true }]), m), {
    rule: 't',
    matched: ['t'],
    folder: 'Trash',
    copies: [],
    flags: ['S'],
  });
  const keep = rules([
    { name: 'keep', match: { from: '@8bytes.org' }, folder: 'inbox', continue: true },
    { name: 'lkml', match: { list: 'linux-kernel.vger.kernel.org' }, folder: 'lkml' },
  ]);
  assert.equal(route(keep, m), {
    rule: 'keep',
    matched: ['keep', 'lkml'],
    folder: 'INBOX',
    copies: ['lkml'],
    flags: [],
  });
});

// ---- conditions --------------------------------------------------------------------------------

test('list: the id inside the brackets, case-insensitive, for every test kind', async () => {
  const m = await view(['List-Id: Linux Kernel Mailing List <Linux-Kernel.VGER.kernel.org>']);
  assert.is(matches(when({ list: 'linux-kernel.vger.kernel.org' }), m), true);
  assert.is(matches(when({ list: 'LINUX-KERNEL.vger.kernel.org' }), m), true);
  assert.is(matches(when({ list: 'vger.kernel.org' }), m), false, 'is is the whole id');
  assert.is(matches(when({ list: 'Linux Kernel Mailing List' }), m), false, 'not the name');
  assert.is(matches(when({ list: { contains: 'vger' } }), m), true);
  assert.is(matches(when({ list: { contains: 'Mailing' } }), m), false);
  assert.is(matches(when({ list: { regex: '^linux-kernel\\.vger\\.kernel\\.org$' } }), m), true);
  assert.is(matches(when({ list: { matches: '*.kernel.org' } }), m), true);
  assert.is(matches(when({ list: { matches: '<*>' } }), m), false, 'the brackets are gone');
  const bare = await view(['List-ID: linux-kernel.vger.kernel.org']);
  assert.is(matches(when({ list: 'linux-kernel.vger.kernel.org' }), bare), true);
  const encoded = await view(['List-Id: =?utf-8?q?K=C3=B6lner_Liste?= <koeln.lists.example>']);
  assert.is(matches(when({ list: 'koeln.lists.example' }), encoded), true);
  const none = await view(['Subject: no list']);
  assert.is(matches(when({ list: { regex: '.*' } }), none), false, 'no List-Id, no match');
});

test('listId: what is inside the last pair of brackets, else the whole value trimmed', () => {
  assert.is(listId('Name <id.example.org>'), 'id.example.org');
  assert.is(listId('<id.example.org>'), 'id.example.org');
  assert.is(listId('  id.example.org  '), 'id.example.org');
  assert.is(listId('"a <b>" <c.example>'), 'c.example');
  assert.is(listId('Name <unterminated'), 'Name <unterminated');
  assert.is(listId('> <'), '> <');
  assert.is(listId('< spaced.example >'), 'spaced.example');
});

test('from "@example.com": that domain and its subdomains, nothing that only ends alike', async () => {
  const at = when({ from: '@example.com' });
  const from = async (value: string) => matches(at, await view([`From: ${value}`]));
  assert.is(await from('a@example.com'), true);
  assert.is(await from('A <A@EXAMPLE.COM>'), true);
  assert.is(await from('a@sub.example.com'), true);
  assert.is(await from('a@deep.sub.example.com'), true);
  assert.is(await from('a@badexample.com'), false);
  assert.is(await from('a@example.com.evil.example'), false);
  assert.is(await from('a@example.co'), false);
  assert.is(
    await from('"boss@example.com" <x@evil.example>'),
    false,
    'the name is not the address',
  );
  assert.is(await from('x@evil.example, y@example.com'), true, 'any address of From');
  assert.is(matches(at, await view(['Sender: a@example.com'])), false, 'Sender is not From');
  assert.is(matches(at, await view(['To: a@example.com'])), false);
});

test('addressMatches: exact addresses are whole and case-insensitive', () => {
  assert.is(addressMatches('billing@me.example', 'Billing@ME.example'), true);
  assert.is(addressMatches('billing@me.example', 'xbilling@me.example'), false);
  assert.is(addressMatches('billing@me.example', 'billing@me.example.org'), false);
  assert.is(addressMatches('@Me.Example', 'a@me.example'), true);
  assert.is(addressMatches('@me.example', 'a@b.me.example'), true);
  assert.is(addressMatches('@me.example', 'a@bme.example'), false);
});

test('to covers To and Cc, by address and by text; from looks at From only', async () => {
  const m = await view(lkml);
  assert.is(matches(when({ to: 'torvalds@linux-foundation.org' }), m), true);
  assert.is(matches(when({ to: 'linux-kernel@vger.kernel.org' }), m), true, 'from Cc');
  assert.is(matches(when({ to: '@lists.linux.dev' }), m), true, 'second address of Cc');
  assert.is(matches(when({ to: 'Linus' }), m), true, 'text of To');
  assert.is(matches(when({ to: { contains: 'iommu@' } }), m), true, 'text of Cc');
  assert.is(matches(when({ to: 'joro@8bytes.org' }), m), false);
  assert.is(matches(when({ from: 'joro@8bytes.org' }), m), true, 'case-insensitive');
  assert.is(matches(when({ from: 'jörg rödel' }), m), true, 'decoded text, lower-cased');
  assert.is(matches(when({ from: 'torvalds' }), m), false);
  assert.is(matches(when({ from: { regex: '^Jörg\\b' } }), m), true);
  const groups = await view([
    'To: undisclosed-recipients:;',
    'Cc: team: A <a@team.example>, b@team.example;',
  ]);
  assert.is(matches(when({ to: 'b@team.example' }), groups), true, 'an address inside a group');
  assert.is(matches(when({ to: 'undisclosed' }), groups), true);
  const broken = await view(['To: <<<@@@>>>', 'From: ']);
  assert.is(matches(when({ to: '@example.com' }), broken), false);
  assert.is(matches(when({ from: '@example.com' }), broken), false);
});

test('subject: contains, is, matches and regex on the decoded, unfolded value', async () => {
  const m = await view(['Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= aus', ' =?utf-8?B?S8O2bG4=?=']);
  assert.equal(m.values('subject'), ['Grüße aus Köln']);
  assert.is(matches(when({ subject: 'grüße aus köln' }), m), true);
  assert.is(matches(when({ subject: { is: 'GRÜßE AUS KÖLN' } }), m), true);
  assert.is(matches(when({ subject: { is: 'Grüße aus' } }), m), false);
  assert.is(matches(when({ subject: { matches: 'gr?ße * köln' } }), m), true);
  assert.is(
    matches(when({ subject: { matches: 'gr?ße' } }), m),
    false,
    'a glob is the whole value',
  );
  assert.is(matches(when({ subject: { regex: 'aus\\s+k' } }), m), true);
  assert.is(matches(when({ subject: { regex: '^aus' } }), m), false);
  assert.is(
    matches(when({ subject: 'x' }), await view(['From: a@b.example'])),
    false,
    'no Subject',
  );
});

test('header: is, contains, matches, regex and exists, names case-insensitive', async () => {
  const m = await view([
    'X-Spam-Flag: YES',
    'X-Spam-Status: Yes, score=7.2 required=5.0 tests=BAYES_99',
    'x-mailer: Apple Mail (2.3654.120.0.1.13)',
    'X-Priority: 1 (Highest)',
    'X-Empty:',
    'X-Stars: *URGENT*',
  ]);
  const h = (c: unknown) => matches(when({ header: c }), m);
  assert.is(h({ name: 'x-spam-flag', is: 'yes' }), true);
  assert.is(h({ name: 'X-Spam-Flag', is: 'YE' }), false);
  assert.is(h({ name: 'X-SPAM-STATUS', contains: 'bayes_99' }), true);
  assert.is(h({ name: 'X-Spam-Status', regex: 'score=([7-9]|\\d\\d)\\.' }), true);
  assert.is(h({ name: 'X-Spam-Status', regex: 'score=[0-4]\\.' }), false);
  assert.is(h({ name: 'X-Mailer', matches: 'apple mail (*)' }), true, 'parentheses are literal');
  assert.is(h({ name: 'X-Mailer', matches: 'Apple Mail' }), false);
  assert.is(h({ name: 'X-Priority', matches: '? (*)' }), true);
  assert.is(h({ name: 'X-Priority', matches: '?? (*)' }), false, '? is exactly one character');
  assert.is(h({ name: 'X-Stars', matches: '\\*urgent\\*' }), true);
  assert.is(h({ name: 'X-Spam-Flag', matches: '\\*ES' }), false, '\\* is a star, not any run');
  assert.is(h({ name: 'X-Spam-Flag', matches: '*ES' }), true);
  assert.is(h({ name: 'X-Empty', exists: true }), true, 'an empty header still exists');
  assert.is(h({ name: 'X-Empty', is: 'x' }), false);
  assert.is(h({ name: 'X-Absent', exists: true }), false);
  assert.is(h({ name: 'X-Absent', contains: 'a' }), false);
  assert.is(matches(when({ not: { header: { name: 'X-Absent', exists: true } } }), m), true);
});

test('globRegExp: * any run (newlines too), ? one character, \\ escapes, regex characters literal', () => {
  assert.is(globRegExp('a*b').test('a\nline\nb'), true);
  assert.is(globRegExp('a?c').test('abc'), true);
  assert.is(globRegExp('a?c').test('ac'), false);
  assert.is(globRegExp('a?c').test('a😀c'), true, 'one code point, not one UTF-16 unit');
  assert.is(globRegExp('a\\?c').test('abc'), false);
  assert.is(globRegExp('a\\?c').test('a?c'), true);
  assert.is(globRegExp('a\\\\b').test('a\\b'), true);
  assert.is(globRegExp('a\\').test('a\\'), true, 'a trailing backslash is itself');
  assert.is(globRegExp('\\a').test('a'), true, 'an escaped ordinary character is itself');
  assert.is(globRegExp('[PATCH*] (v?)').test('[patch 3/7] (v2)'), true);
  assert.is(globRegExp('a.c').test('abc'), false);
  assert.is(globRegExp('^$|+{}/').test('^$|+{}/'), true);
  assert.is(globRegExp('').test(''), true);
  assert.is(globRegExp('').test('x'), false);
  assert.is(globRegExp('ABC').test('abc'), true);
});

test('size: over and under are strict; both make a range', async () => {
  const m = await view(['Subject: big'], 1000);
  assert.is(m.size, 1000);
  const size = (s: unknown) => matches(when({ size: s }), m);
  assert.is(size({ over: 999 }), true);
  assert.is(size({ over: 1000 }), false);
  assert.is(size({ under: 1001 }), true);
  assert.is(size({ under: 1000 }), false);
  assert.is(size({ over: 500, under: '1K' }), true);
  assert.is(size({ over: '1K' }), false);
  const big = await view(['Subject: big'], 21 * 1024 * 1024);
  assert.is(matches(when({ size: { over: '20M' } }), big), true);
});

test('all, any and not, nested', async () => {
  const m = await view(lkml);
  const yes = { subject: 'PATCH' };
  const no = { subject: 'nothing like it' };
  assert.is(matches(when({ all: [yes, yes] }), m), true);
  assert.is(matches(when({ all: [yes, no] }), m), false);
  assert.is(matches(when({ any: [no, yes] }), m), true);
  assert.is(matches(when({ any: [no, no] }), m), false);
  assert.is(matches(when({ not: no }), m), true);
  assert.is(matches(when({ not: yes }), m), false);
  assert.is(matches(when({ subject: 'PATCH', from: '@8bytes.org' }), m), true, 'keys are all');
  assert.is(matches(when({ subject: 'PATCH', from: '@example.com' }), m), false);
  assert.is(
    matches(when({ any: [no, { all: [yes, { not: { any: [no, { to: 'nobody' }] } }] }] }), m),
    true,
  );
});

test('a regex or glob sees only the first REGEX_INPUT_MAX characters; contains and is see all', async () => {
  assert.is(REGEX_INPUT_MAX, 8192);
  const at = async (position: number) => {
    const subject = `${'x'.repeat(position)}needle${'y'.repeat(100)}`;
    return view([`Subject: ${subject}`]);
  };
  const early = await at(REGEX_INPUT_MAX - 6); // the needle ends at the last character seen
  const straddling = await at(REGEX_INPUT_MAX - 3);
  const late = await at(9000);
  assert.is(late.values('subject')[0]!.length, 9106, 'the value itself is whole');
  const regex = when({ subject: { regex: 'needle' } });
  const glob = when({ subject: { matches: '*needle*' } });
  const contains = when({ subject: 'needle' });
  assert.is(matches(regex, early), true);
  assert.is(matches(glob, early), true);
  assert.is(matches(regex, straddling), false);
  assert.is(matches(glob, straddling), false);
  assert.is(matches(regex, late), false, 'a match only after 8 KiB is not found');
  assert.is(matches(glob, late), false);
  assert.is(matches(contains, late), true);
  assert.is(
    testText({ is: `${'x'.repeat(9000)}needle${'y'.repeat(100)}` }, late.values('subject')[0]!),
    true,
  );
  // $ is the end of what the regex sees.
  assert.is(
    testText({ regex: /x$/iu, source: 'x$' }, `${'x'.repeat(REGEX_INPUT_MAX + 10)}z`),
    true,
  );
});

test.run();
