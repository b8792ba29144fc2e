// The --quiet gate as an output: what reaches the terminal output behind it, and in which order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Output, SyncEvent } from '../../src/events.js';
import { QuietGate } from '../../src/outputs/quiet-gate.js';
import { nextStatus } from '../../src/status/record.js';

const t0 = new Date(2026, 4, 1, 14, 5);
const streak = (reported: boolean) =>
  nextStatus(
    undefined,
    {
      runId: 'r',
      code: 75,
      reason: 'unreachable',
      message: 'x',
      delivered: 0,
      leftOnServer: 0,
      reported,
    },
    t0,
  );

function gate(prev: ReturnType<typeof streak> | undefined, minutes: number) {
  const seen: string[] = [];
  const lines: string[] = [];
  const inner: Output = {
    write: (e) => seen.push('message' in e ? `${e.event}:${e.message}` : e.event),
  };
  const g = new QuietGate({
    inner,
    previous: new Map([['inbox', prev]]),
    quietFailuresFor: 3600,
    err: (t) => lines.push(`err ${t}`),
    out: (t) => lines.push(`out ${t}`),
    now: () => new Date(t0.getTime() + minutes * 60_000),
  });
  return { g, seen, lines };
}

const error = (code: number, message: string): SyncEvent => ({
  event: 'error',
  mailbox: 'inbox',
  class: 'X',
  code,
  reason: 'unreachable',
  message,
});
const end = (code: number): SyncEvent => ({
  event: 'mailbox-end',
  mailbox: 'inbox',
  delivered: 0,
  removed: 0,
  leftOnServer: 0,
  busy: false,
  code,
  ms: 1,
});
const start: SyncEvent = { event: 'mailbox-start', mailbox: 'inbox', remote: 'r', local: 'l' };

test('a young temporary failure: its errors never reach the terminal, the rest does', () => {
  const { g, seen, lines } = gate(undefined, 0);
  for (const e of [start, error(75, 'down'), end(75)]) g.write(e);
  assert.equal(seen, ['mailbox-start', 'mailbox-end']);
  assert.equal(lines, []);
  assert.is(g.reported('inbox'), false);
});

test('a long one: its errors at the end, then the line on stderr, and marked reported', () => {
  const { g, seen, lines } = gate(streak(false), 61);
  for (const e of [start, error(75, 'down')]) g.write(e);
  assert.equal(seen, ['mailbox-start'], 'held while the mailbox runs');
  g.write(end(75));
  assert.equal(seen, ['mailbox-start', 'error:down', 'mailbox-end']);
  assert.is(lines.length, 1);
  assert.match(lines[0] as string, /^err inbox: failing for 1 h 1 min \(since 14:05\)/);
  assert.is(g.reported('inbox'), true);
});

test('an error a person must fix goes through at once, after what was held', () => {
  const { g, seen } = gate(streak(true), 1);
  for (const e of [start, error(75, 'retry failed'), error(77, 'refused'), error(75, 'later')])
    g.write(e);
  assert.equal(seen, ['mailbox-start', 'error:retry failed', 'error:refused', 'error:later']);
  g.write(end(77));
  assert.is(g.reported('inbox'), true);
});

test('synced after a reported streak: the recovery line on stdout', () => {
  const { g, lines } = gate(streak(true), 90);
  for (const e of [start, end(0)]) g.write(e);
  assert.equal(lines, ['out inbox: syncing again (it had failed since 14:05)\n']);
});

test.run();
