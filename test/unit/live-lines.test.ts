// The live lines of running mailboxes (outputs/live-lines.ts): what each says, from the events, and that
// on the screen (a small model of a terminal: text, newlines, cursor-up-to-line-start, erase-below) they
// sit under the printed lines while the run goes on and are all gone when it ends.
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SyncEvent } from '../../src/events.js';
import { LiveBlock, LiveState } from '../../src/outputs/live-lines.js';
import { Terminal } from '../../src/outputs/terminal.js';

const start = (mailbox: string): SyncEvent => ({
  event: 'mailbox-start',
  mailbox,
  remote: 'mx:Maildir',
  local: `/m/${mailbox}`,
});
const delivered = (mailbox: string, size = 10): SyncEvent => ({
  event: 'delivered',
  mailbox,
  file: Buffer.from('1.M1P1.host'),
  size,
});
const end = (mailbox: string, n: number): SyncEvent => ({
  event: 'mailbox-end',
  mailbox,
  code: 0,
  delivered: n,
  removed: n,
  leftOnServer: 0,
  busy: false,
  ms: 5,
});

test('LiveState: one line per running mailbox, in start order, saying what it does and for how long', () => {
  const s = new LiveState();
  assert.ok(s.apply(start('inbox'), 0));
  assert.ok(s.apply(start('lists'), 500));
  assert.equal(s.lines(2_400, 80), ['  inbox: fetching (2 s)', '  lists: fetching (1 s)']);
  s.apply({ event: 'stats', mailbox: 'inbox', pass: 'fetch', counts: {} }, 2_500);
  s.apply(delivered('inbox'), 2_600);
  s.apply(delivered('inbox'), 2_700);
  s.apply({ event: 'removed', mailbox: 'inbox', file: Buffer.from('1.M1P1.host') }, 2_800);
  s.apply(
    {
      event: 'retry',
      mailbox: 'lists',
      pass: 'fetch',
      reason: 'unreachable',
      message: 'cut',
      delayMs: 2000,
    },
    2_900,
  );
  assert.equal(s.lines(3_000, 80), [
    '  inbox: removing from the server, 1 of 2 (3 s)',
    '  lists: waiting to retry the fetch (2 s)',
  ]);
  assert.ok(s.apply(end('inbox', 2), 3_100));
  assert.equal(s.lines(3_100, 80), ['  lists: waiting to retry the fetch (2 s)']);
  assert.equal(s.lines(3_100, 12), ['  lists: w…'], 'cut short of the last column (no wrap)');
  s.apply(start('big'), 3_100);
  s.apply({ event: 'waiting', mailbox: 'big', seconds: 30, holders: [] }, 3_200);
  assert.equal(s.lines(3_300, 80)[1], '  big: waiting for another syncmail (0 s)');
  s.apply({ event: 'stats', mailbox: 'big', pass: 'fetch', counts: {} }, 3_300);
  s.apply(delivered('big', 2_500_000), 3_400);
  s.apply(delivered('big', 9_000_000), 3_500);
  assert.equal(s.lines(4_200, 80)[1], '  big: delivering, 2 new, 12 MB (1 s)');
  assert.not.ok(s.apply(end('other', 0), 3_200), 'a mailbox that never started changes nothing');
});

/** What a terminal shows after `text`: printable text, \n, ESC[nF (up n lines, to column 0), ESC[J. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  for (const token of text.match(/\x1b\[\d*[FJ]|\n|[^\x1b\n]+/g) ?? []) {
    if (token === '\n') {
      row += 1;
      if (lines.length <= row) lines.push('');
    } else if (token.endsWith('F')) row = Math.max(0, row - Number(token.slice(2, -1)));
    else if (token.endsWith('J')) {
      lines.length = row + 1;
      lines[row] = '';
    } else lines[row] = (lines[row] ?? '') + token;
  }
  while (lines.at(-1) === '') lines.pop();
  return lines;
}

test('on the screen: the live lines under the printed ones while the run goes on, none left at its end', async () => {
  let out = '';
  const write = (t: string) => {
    out += t;
  };
  const live = new LiveBlock({ write, columns: 80 });
  const terminal = new Terminal({
    quiet: false,
    verbose: true,
    dryRun: false,
    problemsOnly: false,
    colorLevel: 0,
    out: write,
    err: write,
    live,
  });
  terminal.write({
    event: 'run-start',
    version: '0',
    dryRun: false,
    mailboxes: ['inbox', 'lists'],
  });
  terminal.write(start('inbox'));
  terminal.write(start('lists'));
  await sleep(150);
  assert.equal(screen(out), ['  inbox: fetching (0 s)', '  lists: fetching (0 s)']);
  terminal.write({ event: 'stats', mailbox: 'inbox', pass: 'fetch', counts: {} });
  terminal.write(delivered('inbox'));
  assert.equal(screen(out), ['inbox: + 1.M1P1.host'], 'erased before a line is printed');
  await sleep(150);
  assert.equal(screen(out), [
    'inbox: + 1.M1P1.host',
    '  inbox: delivering, 1 new, 1 KB (0 s)',
    '  lists: fetching (0 s)',
  ]);
  terminal.write(end('inbox', 1));
  terminal.write(end('lists', 0));
  terminal.write({ event: 'run-end', code: 0 });
  await sleep(150);
  assert.equal(screen(out), ['inbox: + 1.M1P1.host', 'inbox: 1 new', 'lists: no new mail']);
});

test.run();
