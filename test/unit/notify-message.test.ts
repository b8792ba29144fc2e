// What a notification says (src/notify/message.ts) and how notify-send is asked (src/notify/send.ts):
// one message by its sender, a few listed, many counted per mailbox; notifyDetail hides subjects or
// all but counts; message text escaped for the body's markup and kept from passing as an option.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MessageHeaders } from '../../src/hooks/headers-of.js';
import type { DeliveredMessage } from '../../src/hooks/payload.js';
import { escapeMarkup, noticeOf, senderName, tidy } from '../../src/notify/message.js';
import { notifyArgv, printedId, refusedPrintId, sessionBus } from '../../src/notify/send.js';

function msg(mailbox: string, from: string | null, subject: string | null): DeliveredMessage {
  const headers: MessageHeaders = { from, subject, messageId: null, date: null };
  return { event: { event: 'delivered', mailbox, file: Buffer.from('f') }, headers };
}

test('sender names: display name, quoted or in a comment, else the address', () => {
  assert.is(senderName('Alice <alice@example.org>'), 'Alice');
  assert.is(senderName('"Doe, John \\"JD\\"" <jd@example.org>'), 'Doe, John "JD"');
  assert.is(senderName('<bare@example.org>'), 'bare@example.org');
  assert.is(senderName('bob@example.org (Bob B)'), 'Bob B');
  assert.is(senderName('carol@example.org'), 'carol@example.org');
  assert.is(senderName(null), 'unknown sender');
  assert.is(senderName('  '), 'unknown sender');
});

test('text: control characters and line breaks flattened, long text cut', () => {
  assert.is(tidy('a\r\n\tb\u0007c\u2028d'), 'a b c d');
  const long = tidy('x'.repeat(200));
  assert.is([...long].length, 80);
  assert.ok(long.endsWith('…'));
  assert.is(escapeMarkup('<b>Tom & Jerry</b>'), '&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;');
});

test('one message: from whom, and its subject (escaped); senders: no subject', () => {
  const one = [msg('inbox', 'Alice <a@x>', 'Tom & <Jerry>')];
  assert.equal(noticeOf(one, 'subjects'), {
    summary: 'New mail from Alice',
    body: 'Tom &amp; &lt;Jerry&gt;',
  });
  assert.equal(noticeOf(one, 'senders'), { summary: 'New mail from Alice', body: '' });
  assert.equal(noticeOf(one, 'count'), { summary: '1 new message', body: 'inbox: 1' });
  assert.equal(noticeOf([msg('inbox', null, null)], 'subjects'), {
    summary: 'New mail from unknown sender',
    body: '(no subject)',
  });
  assert.is(noticeOf([], 'subjects'), undefined);
});

test('two to five: a line each; senders: each sender once, with a count', () => {
  const few = [
    msg('inbox', 'Alice <a@x>', 'one'),
    msg('lists', 'bob@x', 'two'),
    msg('inbox', 'Alice <a@x>', 'three'),
  ];
  assert.equal(noticeOf(few, 'subjects'), {
    summary: '3 new messages',
    body: 'Alice: one\nbob@x: two\nAlice: three',
  });
  assert.equal(noticeOf(few, 'senders'), { summary: '3 new messages', body: 'Alice (2)\nbob@x' });
  assert.equal(noticeOf(few, 'count'), { summary: '3 new messages', body: 'inbox: 2\nlists: 1' });
  const five = Array.from({ length: 5 }, (_, i) => msg('inbox', 'A <a@x>', `s${i}`));
  assert.is(noticeOf(five, 'subjects')?.body.split('\n').length, 5);
});

test('more than five: counts per mailbox, whatever the detail; no subject or sender shown', () => {
  const many = [
    ...Array.from({ length: 4 }, () => msg('lists', 'Secret <s@x>', 'secret')),
    ...Array.from({ length: 3 }, () => msg('inbox', 'Secret <s@x>', 'secret')),
  ];
  for (const detail of ['subjects', 'senders', 'count'] as const) {
    const notice = noticeOf(many, detail);
    assert.equal(notice, { summary: '7 new messages', body: 'lists: 4\ninbox: 3' });
  }
});

test('session bus: the address, else a socket at $XDG_RUNTIME_DIR/bus, else none', () => {
  const none = () => false;
  const any = () => true;
  assert.is(sessionBus({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/b' }, none), 'unix:path=/b');
  assert.is(sessionBus({ XDG_RUNTIME_DIR: '/run/user/1000' }, any), 'unix:path=/run/user/1000/bus');
  assert.is(sessionBus({ XDG_RUNTIME_DIR: '/run/user/1000' }, none), undefined);
  assert.is(sessionBus({ XDG_RUNTIME_DIR: 'relative' }, any), undefined);
  assert.is(sessionBus({ DBUS_SESSION_BUS_ADDRESS: '' }, none), undefined);
});

test('notify-send arguments: the id to replace, and "--" before text that may start with "-"', () => {
  const notice = { summary: 'New mail from -x', body: '-rf' };
  assert.equal(notifyArgv(notice, { print: true, replace: 7 }).slice(3), [
    '--print-id',
    '--replace-id=7',
    '--',
    'New mail from -x',
    '-rf',
  ]);
  const old = notifyArgv(notice, { print: false, replace: 7 });
  assert.not.ok(
    old.some((a) => a.includes('-id')),
    'an old notify-send knows neither',
  );
  assert.is(printedId('42\n'), 42);
  assert.is(printedId('warning: x\n 9 \n'), 9);
  assert.is(printedId(''), undefined);
  assert.is(printedId('0\n'), undefined);
  assert.ok(refusedPrintId(1, 'Unknown option --print-id'));
  assert.not.ok(refusedPrintId(0, 'Unknown option --print-id'));
  assert.not.ok(refusedPrintId(1, 'Cannot connect to the bus'));
});

test.run();
