// A hook's stdin (src/hooks/payload.ts): the delivered messages that are on disk, each with its path
// (lossless when not UTF-8), folder and headers; and the headers as read from a delivered file
// (src/hooks/headers-of.ts), unknown once a reader moved it away.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeaderCache, hookEnv } from '../../src/hooks/after-sync.js';
import { HEADERS_READ, headersOf, UNKNOWN_HEADERS } from '../../src/hooks/headers-of.js';
import { type DeliveredEvent, payloadOf, payloadText } from '../../src/hooks/payload.js';
import { realFs } from '../../src/maildir/fs.js';
import { hookTrouble } from '../../src/outputs/terminal.js';

function delivered(
  mailbox: string,
  file: string,
  extra: Partial<DeliveredEvent> = {},
): DeliveredEvent {
  return {
    event: 'delivered',
    mailbox,
    file: Buffer.from(file),
    path: Buffer.from(`/home/me/Maildir/new/${file}`),
    ...extra,
  };
}

const alice = {
  from: 'Alice <alice@example.org>',
  subject: 'Hello',
  messageId: '<1@example.org>',
  date: 'Tue, 14 Nov 2023 22:13:20 +0000',
};

test('payload: run, scope and each message with path, folder and headers', () => {
  const payload = payloadOf('RUN1', 'inbox', [
    { event: delivered('inbox', 'a'), headers: alice },
    { event: delivered('inbox', 'b', { folder: 'lists.lkml' }), headers: UNKNOWN_HEADERS },
  ]);
  assert.equal(payload, {
    run: 'RUN1',
    scope: 'inbox',
    messages: [
      { mailbox: 'inbox', path: '/home/me/Maildir/new/a', folder: 'INBOX', ...alice },
      {
        mailbox: 'inbox',
        path: '/home/me/Maildir/new/b',
        folder: 'lists.lkml',
        from: null,
        subject: null,
        messageId: null,
        date: null,
      },
    ],
  });
  const text = payloadText(payload);
  assert.ok(text.endsWith('}\n'), 'one document and a newline');
  assert.equal(JSON.parse(text), payload);
});

test('payload: a path that is not UTF-8 keeps its bytes in path_b64; no path, not listed', () => {
  const bytes = Buffer.from([0x2f, 0x6d, 0xff, 0x41]);
  const payload = payloadOf('R', 'run', [
    { event: delivered('inbox', 'x', { path: bytes }), headers: alice },
    {
      event: { event: 'delivered', mailbox: 'inbox', file: Buffer.from('y'), dryRun: true },
      headers: alice,
    },
  ]);
  assert.is(payload.messages.length, 1);
  assert.is(payload.messages[0]?.path, '/m\\xffA');
  assert.ok(Buffer.from(payload.messages[0]?.path_b64 ?? '', 'base64').equals(bytes));
});

test('headers of a delivered file: decoded; a missing file or field is null; 64 KiB read', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-headers-of-'));
  try {
    const file = path.join(dir, 'm');
    writeFileSync(
      file,
      'From: =?UTF-8?Q?J=C3=B6rg?= <j@example.org>\r\nSubject: a\r\n  folded\r\n\r\nSubject: body\n',
    );
    assert.equal(await headersOf(realFs, Buffer.from(file)), {
      from: 'Jörg <j@example.org>',
      subject: 'a  folded',
      messageId: null,
      date: null,
    });
    assert.equal(await headersOf(realFs, Buffer.from(path.join(dir, 'gone'))), UNKNOWN_HEADERS);
    // A header block larger than what is read still gives the fields before the cut.
    writeFileSync(file, `Subject: early\nX-Big: ${'x'.repeat(HEADERS_READ)}\nFrom: late\n\n`);
    const big = await headersOf(realFs, Buffer.from(file));
    assert.is(big.subject, 'early');
    assert.is(big.from, null);
    // Read once: the cache answers after the file is gone.
    const cache = new HeaderCache(realFs);
    const event = delivered('inbox', 'm', { path: Buffer.from(file) });
    assert.is((await cache.with([event]))[0]?.headers.subject, 'early');
    rmSync(file);
    assert.is((await cache.with([event]))[0]?.headers.subject, 'early');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a hook's environment: the user's, with the run and the mailbox (none for the run's hook)", () => {
  const env = { PATH: '/bin', SYNCMAIL_MAILBOX: 'stale', UNSET: undefined };
  assert.equal(hookEnv(env, 'R', 'inbox'), {
    PATH: '/bin',
    SYNCMAIL_RUN: 'R',
    SYNCMAIL_MAILBOX: 'inbox',
  });
  assert.equal(hookEnv(env, 'R', undefined), { PATH: '/bin', SYNCMAIL_RUN: 'R' });
});

test("a hook's trouble in one line: exit code and first line said, timeout, no start; 0 is fine", () => {
  const hook = {
    event: 'hook',
    hook: 'afterSync',
    scope: 'inbox',
    command: 'x',
    delivered: 1,
    output: '\n  notmuch: database locked  \nsecond\n',
    ms: 1200,
  } as const;
  assert.is(hookTrouble({ ...hook, code: 0 }), undefined);
  assert.is(
    hookTrouble({ ...hook, code: 2 }),
    'hook afterSync (inbox) exited with 2: notmuch: database locked',
  );
  assert.is(hookTrouble({ ...hook, code: 1, output: '' }), 'hook afterSync (inbox) exited with 1');
  assert.is(
    hookTrouble({ ...hook, scope: 'run', code: null, timedOut: true, output: '' }),
    'hook afterSync was killed after 1 s',
  );
  assert.is(
    hookTrouble({ ...hook, code: null, failed: 'cannot start x: not found' }),
    'hook afterSync (inbox) failed: cannot start x: not found',
  );
});

test.run();
