// The config's `rules` lists (src/config/rules.ts): what each shape turns into, every refusal with its key
// path and message, and how validateConfig wires them in (full key paths, mailbox rules first, trash).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type ConfigRule,
  folderProblem,
  parseRules,
  parseSize,
  type RuleProblem,
  resolveTrash,
} from '../../src/config/rules.js';
import { validateConfig } from '../../src/config/validate.js';
import { ConfigError } from '../../src/errors.js';

const home = '/home/me';
const env = { HOME: '/env/home' };
const inbox = { name: 'inbox', remote: 'mail-server:Maildir', local: '~/Maildir' };

/** The rules of a list that must parse. */
function rulesOf(value: unknown): ConfigRule[] {
  const { rules, problems } = parseRules(value, []);
  assert.equal(problems, [], 'no problems');
  return rules;
}

/** The problems of a list, as "path: message" with the path joined like validate.ts shows it. */
function problemsOf(value: unknown): string[] {
  return parseRules(value, ['rules']).problems.map(line);
}

function line({ path, message }: RuleProblem): string {
  const shown = path.reduce<string>(
    (parent, key) =>
      typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`,
    '',
  );
  return `${shown}: ${message}`;
}

/** One rule `{ match, folder: 'f' }` around a condition, and its problems. */
function conditionProblems(match: unknown): string[] {
  return problemsOf([{ match, folder: 'f' }]);
}

/** The problem lines validateConfig reports for `raw`. */
function configProblems(raw: unknown): string[] {
  try {
    validateConfig(raw, '/c/config.yaml', env, home);
  } catch (error) {
    assert.instance(error, ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('validateConfig accepted the config');
}

const NOT_A_FOLDER =
  'is not a folder name: use letters, digits, ".", "_" and "-", with "/" between levels, and start each level with a letter, digit, "_" or "-"';

// ---- what the example shapes become ------------------------------------------------------------

test('the README examples: lkml, nagios and invoices become exactly these rules', () => {
  const rules = rulesOf([
    { name: 'lkml', match: { list: 'linux-kernel.vger.kernel.org' }, folder: 'lists.lkml' },
    {
      name: 'nagios',
      match: { from: '@monitoring.example.com', subject: { regex: '^(PROBLEM|RECOVERY)' } },
      trash: true,
    },
    {
      name: 'invoices',
      match: {
        any: [{ to: 'billing@me.example' }, { header: { name: 'X-Invoice', exists: true } }],
      },
      folder: 'finance',
      seen: true,
      copy: 'archive',
    },
  ]);
  assert.equal(rules, [
    {
      name: 'lkml',
      match: { kind: 'list', test: { is: 'linux-kernel.vger.kernel.org' } },
      folder: 'lists.lkml',
      trash: false,
      copy: [],
      flags: [],
      continue: false,
    },
    {
      name: 'nagios',
      match: {
        kind: 'all',
        of: [
          { kind: 'from', address: '@monitoring.example.com' },
          {
            kind: 'subject',
            test: { regex: /^(PROBLEM|RECOVERY)/iu, source: '^(PROBLEM|RECOVERY)' },
          },
        ],
      },
      trash: true,
      copy: [],
      flags: ['S'],
      continue: false,
    },
    {
      name: 'invoices',
      match: {
        kind: 'any',
        of: [
          { kind: 'to', address: 'billing@me.example' },
          { kind: 'header', name: 'X-Invoice', test: 'exists' },
        ],
      },
      folder: 'finance',
      trash: false,
      copy: ['archive'],
      flags: ['S'],
      continue: false,
    },
  ]);
  // The regex is compiled case-insensitive and unicode-aware.
  const nagios = rules[1]!.match;
  assert.is(nagios.kind, 'all');
  if (nagios.kind !== 'all') return;
  const subject = nagios.of[1]!;
  assert.ok(subject.kind === 'subject' && 'regex' in subject.test);
  if (subject.kind === 'subject' && 'regex' in subject.test)
    assert.is(subject.test.regex.flags, 'iu');
});

test('shorthands: list → is, subject → contains, from/to with "@" → address, without → contains', () => {
  const match = (m: unknown) => rulesOf([{ match: m, folder: 'f' }])[0]!.match;
  assert.equal(match({ list: 'a.example.org' }), { kind: 'list', test: { is: 'a.example.org' } });
  assert.equal(match({ subject: 'Invoice' }), { kind: 'subject', test: { contains: 'Invoice' } });
  assert.equal(match({ from: '@example.com' }), { kind: 'from', address: '@example.com' });
  assert.equal(match({ from: 'a@b.example' }), { kind: 'from', address: 'a@b.example' });
  assert.equal(match({ from: 'Jörg' }), { kind: 'from', test: { contains: 'Jörg' } });
  assert.equal(match({ to: '@me.example' }), { kind: 'to', address: '@me.example' });
  assert.equal(match({ to: 'Billing' }), { kind: 'to', test: { contains: 'Billing' } });
});

test('the long forms: every text test, address, header tests, size, not', () => {
  const match = (m: unknown) => rulesOf([{ match: m, folder: 'f' }])[0]!.match;
  assert.equal(match({ list: { contains: 'vger' } }), {
    kind: 'list',
    test: { contains: 'vger' },
  });
  assert.equal(match({ subject: { is: 'Hi' } }), { kind: 'subject', test: { is: 'Hi' } });
  assert.equal(match({ subject: { matches: '[PATCH*' } }), {
    kind: 'subject',
    test: { matches: '[PATCH*' },
  });
  assert.equal(match({ from: { address: '@x.example' } }), {
    kind: 'from',
    address: '@x.example',
  });
  assert.equal(match({ to: { contains: '@x' } }), { kind: 'to', test: { contains: '@x' } });
  assert.equal(match({ header: { name: 'X-Spam-Flag', is: 'YES' } }), {
    kind: 'header',
    name: 'X-Spam-Flag',
    test: { is: 'YES' },
  });
  assert.equal(match({ size: { over: '20M' } }), { kind: 'size', over: 20 * 1024 * 1024 });
  assert.equal(match({ size: { over: 1000, under: '1.5K' } }), {
    kind: 'size',
    over: 1000,
    under: 1536,
  });
  assert.equal(match({ not: { list: 'x' } }), {
    kind: 'not',
    of: { kind: 'list', test: { is: 'x' } },
  });
  // Several keys in one condition all have to match, in the order written.
  assert.equal(match({ subject: 'a', list: 'b' }), {
    kind: 'all',
    of: [
      { kind: 'subject', test: { contains: 'a' } },
      { kind: 'list', test: { is: 'b' } },
    ],
  });
});

test('flags, copies, continue, names and INBOX', () => {
  const [a, b, c] = rulesOf([
    { match: { list: 'x' }, flag: true, seen: true, continue: true },
    { match: { list: 'y' }, copy: ['one', 'two/deep'], folder: 'inbox' },
    { name: 'third', match: { list: 'z' }, folder: 'INBOX', flag: true, seen: false },
  ]);
  assert.equal(a, {
    name: 'rule 1',
    match: { kind: 'list', test: { is: 'x' } },
    trash: false,
    copy: [],
    flags: ['F', 'S'],
    continue: true,
  });
  assert.is('folder' in a!, false, 'a rule without folder has no folder key');
  assert.is(b!.name, 'rule 2');
  assert.is(b!.folder, 'INBOX', 'inbox in any case is the mailbox itself');
  assert.equal(b!.copy, ['one', 'two/deep']);
  assert.equal(b!.flags, []);
  assert.is(c!.name, 'third');
  assert.equal(c!.flags, ['F']);
  assert.equal(rulesOf([]), []);
});

test('resolveTrash sends trash rules to the trash folder and leaves the others', () => {
  const rules = rulesOf([
    { name: 't', match: { list: 'x' }, trash: true },
    { name: 'f', match: { list: 'y' }, folder: 'keep' },
  ]);
  assert.equal(resolveTrash(rules, 'Junk'), [
    {
      name: 't',
      match: { kind: 'list', test: { is: 'x' } },
      folder: 'Junk',
      copy: [],
      flags: ['S'],
      continue: false,
    },
    {
      name: 'f',
      match: { kind: 'list', test: { is: 'y' } },
      folder: 'keep',
      copy: [],
      flags: [],
      continue: false,
    },
  ]);
});

test('parseSize: bytes, K/M/G (1024-based), optional B, spaces, case; nothing else', () => {
  assert.is(parseSize(0), 0);
  assert.is(parseSize(1000), 1000);
  assert.is(parseSize('1000'), 1000);
  assert.is(parseSize('512K'), 512 * 1024);
  assert.is(parseSize('512kb'), 512 * 1024);
  assert.is(parseSize(' 20 M '), 20 * 1024 * 1024);
  assert.is(parseSize('2G'), 2 * 1024 ** 3);
  assert.is(parseSize('1.5M'), 1572864);
  assert.is(parseSize('10B'), 10);
  for (const bad of ['20 parsecs', '', 'M', '-1', '1.5.2K', '1T', '20KiB', -1, 1.5, null, true])
    assert.is(parseSize(bad), undefined, JSON.stringify(bad));
});

test('folderProblem: the names a folder may have', () => {
  for (const good of [
    'lists.lkml',
    'a/b/c',
    'INBOX',
    'inbox',
    '_x',
    '-x',
    'a.b-c_d',
    'x'.repeat(200),
  ])
    assert.is(folderProblem(good), undefined, good);
  assert.is(folderProblem('x'.repeat(201)), 'is 201 characters long; use at most 200');
  assert.is(folderProblem(''), 'expected a folder name, like "lists.lkml", got ""');
  assert.is(folderProblem(undefined), 'expected a folder name, like "lists.lkml", got nothing');
  assert.is(
    folderProblem('tmp/x'),
    '"tmp/x" uses "tmp", which is a part of every Maildir; choose another name',
  );
  assert.is(folderProblem('a\nb'), `"a\\nb" ${NOT_A_FOLDER}`);
  assert.is(folderProblem('a\0b'), `"a\\u0000b" ${NOT_A_FOLDER}`);
  assert.is(folderProblem('é'), `"é" ${NOT_A_FOLDER}`);
});

// ---- refusals, each with its key path ---------------------------------------------------------

test('unknown keys name the key and guess what was meant', () => {
  assert.equal(problemsOf([{ name: 'a', match: { list: 'x' }, foldr: 'y' }]), [
    'rules[0].foldr: unknown key; did you mean "folder"?',
    'rules[0]: does nothing; give folder, trash, copy, seen or flag',
  ]);
  assert.equal(problemsOf([{ match: { subjet: 'x' }, folder: 'y' }]), [
    'rules[0].match.subjet: unknown key; did you mean "subject"?',
  ]);
  assert.equal(problemsOf([{ match: { not: { form: 'x' } }, folder: 'y' }]), [
    'rules[0].match.not.form: unknown key; did you mean "from"?',
  ]);
  assert.equal(problemsOf([{ match: { subject: { regexp: 'x' } }, folder: 'y' }]), [
    'rules[0].match.subject.regexp: unknown key; did you mean "regex"?',
    'rules[0].match.subject: give exactly one of is, contains, matches, regex',
  ]);
  assert.equal(problemsOf([{ match: { list: 'x' }, folder: 'y', zzzzzz: 1 }]), [
    'rules[0].zzzzzz: unknown key; known keys are: name, match, folder, trash, copy, seen, flag, continue',
  ]);
});

test('a rule needs a match and something to do, and not both folder and trash', () => {
  assert.equal(problemsOf([{ name: 'a', folder: 'y' }]), [
    'rules[0].match: missing; say which messages the rule is for, like { list: linux-kernel.vger.kernel.org }',
  ]);
  assert.equal(problemsOf([{ name: 'a', match: { list: 'x' } }]), [
    'rules[0]: does nothing; give folder, trash, copy, seen or flag',
  ]);
  assert.equal(problemsOf([{ match: { list: 'x' }, continue: true, copy: [] }]), [
    'rules[0]: does nothing; give folder, trash, copy, seen or flag',
  ]);
  assert.equal(problemsOf([{ match: { list: 'x' }, folder: 'y', trash: true }]), [
    'rules[0].trash: give folder or trash, not both (trash is a folder of its own: trashFolder)',
  ]);
  assert.equal(problemsOf([{ match: { list: 'x' }, folder: 'y', seen: 'yes' }]), [
    'rules[0].seen: expected true or false, got "yes"',
  ]);
  assert.equal(problemsOf(['lkml']), [
    'rules[0]: expected a rule (a mapping with name, match and folder), got "lkml"',
  ]);
  assert.equal(problemsOf([{ name: 'n'.repeat(65), match: { list: 'x' }, folder: 'y' }]), [
    `rules[0].name: expected a short name (at most 64 characters), got "${'n'.repeat(60)}…"`,
  ]);
  assert.equal(problemsOf([{ name: 'a\nb', match: { list: 'x' }, folder: 'y' }]), [
    'rules[0].name: expected a short name (at most 64 characters), got "a\\nb"',
  ]);
});

test('bad folder names, for folder and for each copy', () => {
  const folder = (name: unknown) => problemsOf([{ match: { list: 'x' }, folder: name }]);
  for (const name of ['../x', '/abs', 'a//b', '.hidden', 'a/', 'with space', 'a\\b', 'x:y'])
    assert.equal(folder(name), [`rules[0].folder: ${JSON.stringify(name)} ${NOT_A_FOLDER}`], name);
  assert.equal(folder('new'), [
    'rules[0].folder: "new" uses "new", which is a part of every Maildir; choose another name',
  ]);
  assert.equal(folder('a/Cur'), [
    'rules[0].folder: "a/Cur" uses "Cur", which is a part of every Maildir; choose another name',
  ]);
  assert.equal(folder('x'.repeat(300)), [
    'rules[0].folder: is 300 characters long; use at most 200',
  ]);
  assert.equal(folder(''), ['rules[0].folder: expected a folder name, like "lists.lkml", got ""']);
  assert.equal(folder(42), ['rules[0].folder: expected a folder name, like "lists.lkml", got 42']);
  assert.equal(problemsOf([{ match: { list: 'x' }, copy: ['ok', '../bad'] }]), [
    `rules[0].copy[1]: "../bad" ${NOT_A_FOLDER}`,
  ]);
  assert.equal(problemsOf([{ match: { list: 'x' }, copy: '.bad' }]), [
    `rules[0].copy: ".bad" ${NOT_A_FOLDER}`,
  ]);
});

test('bad conditions: regex, empty all/any, header without name, exists: false, size', () => {
  assert.equal(conditionProblems({ subject: { regex: '(' } }), [
    'rules[0].match.subject.regex: "(" is not a valid regular expression (/(/iu: Unterminated group)',
  ]);
  assert.equal(conditionProblems({ list: { regex: '' } }), [
    'rules[0].match.list.regex: expected a regular expression as a string, got ""',
  ]);
  // The u flag is on, so an escape that is only an identity escape without it is refused.
  assert.equal(conditionProblems({ subject: { regex: '\\-' } }), [
    'rules[0].match.subject.regex: "\\\\-" is not a valid regular expression (/\\-/iu: Invalid escape)',
  ]);
  assert.equal(conditionProblems({ all: [] }), [
    'rules[0].match.all: expected a non-empty list of conditions, got an empty list',
  ]);
  assert.equal(conditionProblems({ any: [] }), [
    'rules[0].match.any: expected a non-empty list of conditions, got an empty list',
  ]);
  assert.equal(conditionProblems({ any: { list: 'x' } }), [
    'rules[0].match.any: expected a non-empty list of conditions, got a mapping',
  ]);
  assert.equal(conditionProblems({ any: [{ list: 'x' }, { header: { name: 'X' } }] }), [
    'rules[0].match.any[1].header: give exactly one of is, contains, matches, regex, exists',
  ]);
  assert.equal(conditionProblems({ header: { is: 'YES' } }), [
    'rules[0].match.header.name: expected a header name, like X-Spam-Flag, got nothing',
  ]);
  assert.equal(conditionProblems({ header: { name: 'X Spam', is: 'YES' } }), [
    'rules[0].match.header.name: expected a header name, like X-Spam-Flag, got "X Spam"',
  ]);
  assert.equal(conditionProblems({ header: { name: 'X-A:', exists: true } }), [
    'rules[0].match.header.name: expected a header name, like X-Spam-Flag, got "X-A:"',
  ]);
  assert.equal(conditionProblems({ header: { name: 'X-A', exists: false } }), [
    'rules[0].match.header.exists: expected true (use not: for a header that is absent), got false',
  ]);
  assert.equal(conditionProblems({ header: { name: 'X-A', exists: true, is: 'v' } }), [
    'rules[0].match.header: give exists alone, or one of is, contains, matches, regex',
  ]);
  assert.equal(conditionProblems({ header: 'X-A' }), [
    'rules[0].match.header: expected a mapping like { name: X-Spam-Flag, is: "YES" }, got "X-A"',
  ]);
  assert.equal(conditionProblems({ size: { over: '20 parsecs' } }), [
    'rules[0].match.size.over: expected a size like 20M, 512K or 1000 (bytes), got "20 parsecs"',
  ]);
  assert.equal(conditionProblems({ size: { under: -5 } }), [
    'rules[0].match.size.under: expected a size like 20M, 512K or 1000 (bytes), got -5',
  ]);
  assert.equal(conditionProblems({ size: {} }), ['rules[0].match.size: give over, under, or both']);
  assert.equal(conditionProblems({ size: '20M' }), [
    'rules[0].match.size: expected a mapping like { over: 20M }, got "20M"',
  ]);
  assert.equal(conditionProblems({}), [
    'rules[0].match: expected a condition, like { list: linux-kernel.vger.kernel.org } or { from: "@example.com" }, got a mapping',
  ]);
  assert.equal(conditionProblems({ not: [] }), [
    'rules[0].match.not: expected a condition, like { list: linux-kernel.vger.kernel.org } or { from: "@example.com" }, got an empty list',
  ]);
  assert.equal(conditionProblems({ subject: { is: 'a', contains: 'b' } }), [
    'rules[0].match.subject: give exactly one of is, contains, matches, regex',
  ]);
  assert.equal(conditionProblems({ subject: { is: '' } }), [
    'rules[0].match.subject.is: expected a non-empty string, got ""',
  ]);
  assert.equal(conditionProblems({ subject: '' }), [
    'rules[0].match.subject: expected a string or a mapping like { contains: "text" }, got ""',
  ]);
  assert.equal(conditionProblems({ from: 'a@b@c' }), [
    'rules[0].match.from: expected an address ("a@example.com") or a domain ("@example.com"), got "a@b@c"',
  ]);
  assert.equal(conditionProblems({ to: { address: 'nobody' } }), [
    'rules[0].match.to.address: expected an address ("a@example.com") or a domain ("@example.com"), got "nobody"',
  ]);
  assert.equal(conditionProblems({ from: { address: 'a@b.example', is: 'y' } }), [
    'rules[0].match.from: give address alone, or one of is, contains, matches, regex',
  ]);
  assert.equal(conditionProblems({ list: { address: 'a@b.example' } }), [
    'rules[0].match.list.address: unknown key; known keys are: is, contains, matches, regex',
    'rules[0].match.list: give exactly one of is, contains, matches, regex',
  ]);
});

test('every problem of every rule is reported; a rule with a problem of its own is not kept', () => {
  const list = [
    { name: 'ok', match: { list: 'x' }, folder: 'fine' },
    { match: { subject: { regex: '[' } }, folder: '../up' },
    { name: 'ok', match: { list: 'y' }, folder: 'fine2' },
    { name: 'typo', match: { list: 'z' }, folder: 'fine3', Folder: 'other' },
  ];
  assert.equal(
    parseRules(list, []).rules.map((r) => r.folder),
    ['fine', 'fine2'],
    'the rule with an unknown key is not kept either (the duplicate name is a problem of the list)',
  );
  assert.equal(problemsOf(list), [
    'rules[1].match.subject.regex: "[" is not a valid regular expression (/[/iu: Unterminated character class)',
    `rules[1].folder: "../up" ${NOT_A_FOLDER}`,
    'rules[2].name: "ok" is already the name of rules[0]; give each rule its own name',
    'rules[3].Folder: unknown key; did you mean "folder"?',
  ]);
});

test('duplicate rule names point at the first one', () => {
  assert.equal(
    problemsOf([
      { name: 'x', match: { list: 'a' }, folder: 'y' },
      { name: 'z', match: { list: 'b' }, folder: 'y' },
      { name: 'x', match: { list: 'c' }, folder: 'y' },
    ]),
    ['rules[2].name: "x" is already the name of rules[0]; give each rule its own name'],
  );
});

test('a mapping instead of a list is refused with how to make it a list', () => {
  assert.equal(problemsOf({ lkml: { match: { list: 'a' }, folder: 'b' } }), [
    'rules: expected a list of rules, got a mapping; put "- " before each rule to make a list',
  ]);
  assert.equal(problemsOf(null), ['rules: expected a list of rules, got null (an empty value)']);
  assert.equal(problemsOf('lkml'), ['rules: expected a list of rules, got "lkml"']);
});

// ---- through validateConfig -------------------------------------------------------------------

test('validateConfig: rule problems carry their full key path', () => {
  assert.equal(
    configProblems({
      rules: [
        { match: { list: 'x' }, folder: 'a' },
        { match: { subject: { regex: '(' } }, folder: 'b' },
      ],
      mailboxes: [{ ...inbox, rules: [{ match: { from: 'x' }, folder: '../x' }] }],
    }),
    [
      'rules[1].match.subject.regex: "(" is not a valid regular expression (/(/iu: Unterminated group)',
      `mailboxes[0].rules[0].folder: "../x" ${NOT_A_FOLDER}`,
    ],
  );
  assert.equal(configProblems({ rules: { lkml: {} }, mailboxes: [inbox] }), [
    'rules: expected a list of rules, got a mapping; put "- " before each rule to make a list',
  ]);
  assert.equal(configProblems({ trashFolder: '../Trash', mailboxes: [inbox] }), [
    `trashFolder: "../Trash" ${NOT_A_FOLDER}`,
  ]);
});

test('validateConfig: a mailbox gets its own rules first, then the top-level ones; trash is resolved', () => {
  const config = validateConfig(
    {
      rules: [
        { name: 'nagios', match: { from: '@monitoring.example.com' }, trash: true },
        { name: 'lkml', match: { list: 'linux-kernel.vger.kernel.org' }, folder: 'lists.lkml' },
      ],
      mailboxes: [
        { ...inbox, rules: [{ name: 'own', match: { subject: 'mine' }, folder: 'own' }] },
        { name: 'work', remote: 'h:Maildir', local: '/data/work', folders: '/data/folders' },
      ],
    },
    '/c/config.yaml',
    env,
    home,
  );
  const [a, b] = config.mailboxes;
  assert.equal(
    a!.rules.map((r) => r.name),
    ['own', 'nagios', 'lkml'],
  );
  assert.equal(a!.rules[1], {
    name: 'nagios',
    match: { kind: 'from', address: '@monitoring.example.com' },
    folder: 'Trash',
    copy: [],
    flags: ['S'],
    continue: false,
  });
  assert.equal(
    b!.rules.map((r) => [r.name, r.folder]),
    [
      ['nagios', 'Trash'],
      ['lkml', 'lists.lkml'],
    ],
  );
  assert.is(a!.folders, '/home/me/Maildir', 'folders defaults to the mailbox local');
  assert.is(b!.folders, '/data/folders');
});

test('validateConfig: trashFolder and a top-level folders apply to every mailbox', () => {
  const config = validateConfig(
    {
      trashFolder: 'Junk',
      folders: '~/Mail',
      rules: [{ name: 'spam', match: { header: { name: 'X-Spam-Flag', is: 'YES' } }, trash: true }],
      mailboxes: [inbox, { name: 'b', remote: 'h:b', local: '/b', folders: '/bf' }],
    },
    undefined,
    env,
    home,
  );
  const [a, b] = config.mailboxes;
  assert.is(a!.rules[0]!.folder, 'Junk');
  assert.equal(a!.rules[0]!.flags, ['S']);
  assert.is(b!.rules[0]!.folder, 'Junk');
  assert.is(a!.folders, '/home/me/Mail');
  assert.is(b!.folders, '/bf', "a mailbox's folders wins over the top-level one");
});

test('a size range no message can be in is refused', () => {
  const { problems } = parseRules(
    [{ name: 'never', match: { size: { over: '20M', under: '1M' } }, folder: 'x' }],
    [],
  );
  assert.equal(problems, [
    {
      path: [0, 'match', 'size'],
      message: 'no size is over 20971520 and under 1048576 bytes; check over and under',
    },
  ]);
  const ok = parseRules(
    [{ name: 'mid', match: { size: { over: '1K', under: '1M' } }, folder: 'x' }],
    [],
  );
  assert.equal(ok.problems, []);
});

test.run();
