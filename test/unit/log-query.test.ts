import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeStep, formatStoryJson, formatStoryText, localTime } from '../../src/log/format.js';
import { MessageFinder } from '../../src/log/locate.js';
import {
  type Headers,
  type LogQuery,
  matchesText,
  nameQuery,
  parseWhen,
  selectStories,
} from '../../src/log/query.js';
import type { LogRecord } from '../../src/log/records.js';
import { deliveredPath, type Story, stories } from '../../src/log/story.js';
import { realFs } from '../../src/maildir/fs.js';

const r = (time: string, run: string, event: string, extra: object = {}): LogRecord => ({
  time: `2026-12-01T${time}.000Z`,
  run,
  event,
  ...extra,
});

const A = '1700000000.M1P2.host';
const B = '1700000001.M3P4.host';
const RECORDS: LogRecord[] = [
  r('10:00:00', 'run1', 'run-start'),
  r('10:00:00', 'run1', 'mailbox-start', { mailbox: 'inbox', remote: 'mail:Maildir', local: '/l' }),
  r('10:00:01', 'run1', 'delivered', { mailbox: 'inbox', file: A, path: `/l/new/${A}` }),
  r('10:00:02', 'run1', 'conflict', { mailbox: 'inbox', file: B, local: `/l/new/${B}` }),
  r('10:00:03', 'run1', 'removed', { mailbox: 'inbox', file: A }),
  r('10:00:04', 'run1', 'mailbox-end', { mailbox: 'inbox', delivered: 1 }),
  r('11:00:00', 'run2', 'mailbox-start', { mailbox: 'inbox', remote: 'mail2:Maildir' }),
  r('11:00:01', 'run2', 'delivered', {
    mailbox: 'inbox',
    file: B,
    as: `${B}.R1`,
    path: `/l/new/${B}.R1`,
    folder: 'Lists',
    rule: 'lists',
  }),
  r('11:00:02', 'run2', 'removed', { mailbox: 'inbox', file: B }),
  r('11:00:03', 'run2', 'delivered', { mailbox: 'work', file: A, path: `/w/new/${A}` }),
];

const none = (): Headers | undefined => undefined;
const q = (over: Partial<LogQuery>): LogQuery => ({
  text: undefined,
  mailbox: undefined,
  run: undefined,
  since: undefined,
  until: undefined,
  ...over,
});

test('stories: one per mailbox + file, steps in time order, each with its run remote', () => {
  const all = stories([...RECORDS].reverse());
  assert.equal(
    all.map((s) => `${s.mailbox} ${s.file}`),
    [`inbox ${A}`, `inbox ${B}`, `work ${A}`],
  );
  const b = all[1] as Story;
  assert.equal(
    b.steps.map((s) => `${s.record.event}@${s.remote}`),
    ['conflict@mail:Maildir', 'delivered@mail2:Maildir', 'removed@mail2:Maildir'],
  );
  assert.equal(deliveredPath(b)?.toString(), `/l/new/${B}.R1`);
  assert.is(all[2]?.steps[0]?.remote, undefined, 'no mailbox-start for work: no remote');
});

test('selectStories: no query or filter is the last run with messages, whole stories', () => {
  const all = stories(RECORDS);
  const last = selectStories(all, q({}), none);
  assert.equal(
    last.map((s) => `${s.mailbox} ${s.file}`),
    [`inbox ${B}`, `work ${A}`],
  );
  assert.is(last[0]?.steps.length, 3, 'the story includes the earlier run');
  const inbox = selectStories(all, q({ mailbox: 'inbox' }), none);
  assert.equal(
    inbox.map((s) => String(s.file)),
    [B],
  );
  assert.equal(selectStories([], q({}), none), []);
});

test('selectStories: --run, --since, --until pick messages with a step there', () => {
  const all = stories(RECORDS);
  const names = (x: Story[]) => x.map((s) => `${s.mailbox} ${s.file}`);
  assert.equal(names(selectStories(all, q({ run: 'run1' }), none)), [`inbox ${A}`, `inbox ${B}`]);
  const since = Date.parse('2026-12-01T11:00:02Z');
  assert.equal(names(selectStories(all, q({ since }), none)), [`inbox ${B}`, `work ${A}`]);
  const until = Date.parse('2026-12-01T10:00:02Z');
  assert.equal(names(selectStories(all, q({ until }), none)), [`inbox ${A}`]);
});

test('matchesText: name (also as, a pasted path with flags), then Message-ID and subject', () => {
  const [a, b] = stories(RECORDS) as [Story, Story];
  assert.ok(matchesText(a, 'M1P2', none));
  assert.ok(matchesText(b, `${B}.r1`, none), 'the fresh name, case ignored');
  assert.ok(matchesText(a, `/home/u/Maildir/cur/${A}:2,S`, none));
  assert.not.ok(matchesText(a, 'M3P4', none));
  const h = (): Headers => ({ subject: 'Hello World', messageId: '<x@y.example>' });
  let asked = 0;
  const counted = () => {
    asked++;
    return h();
  };
  assert.ok(matchesText(a, 'M1P2', counted));
  assert.is(asked, 0, 'headers are not read when the name matches');
  assert.ok(matchesText(a, '<X@y.example>', h));
  assert.ok(matchesText(a, 'x@y', h));
  assert.ok(matchesText(a, 'hello w', h));
  assert.not.ok(matchesText(a, 'goodbye', h));
});

test('nameQuery and parseWhen', () => {
  assert.is(nameQuery('./new/abc:2,RS'), 'abc');
  assert.is(nameQuery('Re: a/b'), 'Re: a/b');
  assert.is(parseWhen('2026-12-01', '--since'), new Date(2026, 11, 1).getTime());
  assert.is(parseWhen('2026-12-01', '--until'), new Date(2026, 11, 2).getTime());
  assert.is(parseWhen('2026-12-01T10:00Z', '--since'), Date.parse('2026-12-01T10:00Z'));
  assert.throws(() => parseWhen('2026-02-30', '--since'), /--since expects a date/);
  assert.throws(() => parseWhen('yesterday', '--until'), /got "yesterday"/);
});

test('format: a text block per message, and JSON with the steps as logged', () => {
  const b = stories(RECORDS)[1] as Story;
  const found = {
    headers: { subject: 'Hi\tthere', messageId: '<x@y>' },
    logged: Buffer.from(`/l/new/${B}.R1`),
    now: Buffer.from(`/l/cur/${B}.R1:2,S`),
  };
  const text = formatStoryText(b, found);
  const t = (iso: string) => localTime(`2026-12-01T${iso}.000Z`);
  assert.is(
    text,
    [
      `${B}  (inbox)  Subject: Hi there  Message-ID: <x@y>`,
      `  ${t('10:00:02')}  run run1  conflict: other bytes have its name at /l/new/${B}; ` +
        'left on mail:Maildir',
      `  ${t('11:00:01')}  run run2  delivered → /l/new/${B}.R1  (folder Lists, rule lists)`,
      `  ${t('11:00:02')}  run run2  removed from mail2:Maildir`,
      `  now: /l/cur/${B}.R1:2,S`,
      '',
    ].join('\n'),
  );
  const json = JSON.parse(formatStoryJson(b, found));
  assert.is(json.file, B);
  assert.is(json.now, `/l/cur/${B}.R1:2,S`);
  assert.equal(json.steps[2], {
    time: '2026-12-01T11:00:02.000Z',
    run: 'run2',
    event: 'removed',
    remote: 'mail2:Maildir',
  });
  const gone = formatStoryText(b, { ...found, now: undefined });
  assert.match(gone, /now: not in that Maildir any more/);
  const raw: LogRecord = r('1:0:0', 'x', 'delivered', {
    file: 'a',
    file_b64: 'Yf9i',
    copies: ['X'],
  });
  assert.match(
    describeStep({ record: raw, remote: undefined }),
    /^delivered → a\\xffb {2}copies in X$/,
  );
});

test('MessageFinder: at its path, else by unique name in cur/ or new/ of that Maildir', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-log-find-'));
  try {
    for (const d of ['new', 'cur']) mkdirSync(path.join(dir, d));
    const logged = path.join(dir, 'new', A);
    writeFileSync(logged, 'Subject: x\n\nbody\n');
    assert.is(new MessageFinder(realFs).find(Buffer.from(logged))?.toString(), logged);
    renameSync(logged, path.join(dir, 'cur', `${A}:2,S`));
    const finder = new MessageFinder(realFs);
    assert.is(finder.find(Buffer.from(logged))?.toString(), path.join(dir, 'cur', `${A}:2,S`));
    assert.is(finder.find(Buffer.from(path.join(dir, 'new', B))), undefined);
    assert.is(finder.find(Buffer.from('/nowhere/x')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
