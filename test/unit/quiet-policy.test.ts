// --quiet's policy, branch by branch: a short temporary streak is silent, a long one is reported once
// with its line and then silent, the recovery line after a reported streak, other failures always
// shown, busy and quietFailuresFor 0 show everything as before.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decideQuiet, type QuietInput } from '../../src/status/quiet-policy.js';
import { type MailboxStatus, nextStatus } from '../../src/status/record.js';

const t0 = new Date(2026, 4, 1, 14, 5);
const later = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const failing = (reported: boolean): MailboxStatus =>
  nextStatus(
    undefined,
    {
      runId: 'r',
      code: 75,
      reason: 'unreachable',
      message: 'down',
      delivered: 0,
      leftOnServer: 0,
      reported,
    },
    t0,
  );
const input = (more: Partial<QuietInput>): QuietInput => ({
  mailbox: 'inbox',
  prev: undefined,
  code: 75,
  busy: false,
  now: t0,
  quietFailuresFor: 3600,
  ...more,
});

test('a temporary failure that starts a streak, or is younger than quietFailuresFor: dropped', () => {
  assert.equal(decideQuiet(input({})), { show: false, reported: false });
  assert.equal(decideQuiet(input({ prev: failing(false), now: later(59) })), {
    show: false,
    reported: false,
  });
});

test('a streak that lasted: shown once with its line, then dropped while it lasts', () => {
  const v = decideQuiet(input({ prev: failing(false), now: later(130) }));
  assert.is(v.show, true);
  assert.is(v.reported, true);
  assert.is(
    v.line,
    'inbox: failing for 2 h 10 min (since 14:05); syncmail keeps trying and says so when it works again',
  );
  assert.equal(decideQuiet(input({ prev: failing(true), now: later(200) })), {
    show: false,
    reported: false,
  });
});

test('synced after a reported streak: the recovery line; after an unreported one: nothing', () => {
  const back = decideQuiet(input({ prev: failing(true), code: 0, now: later(300) }));
  assert.equal(back, {
    show: true,
    reported: false,
    line: 'inbox: syncing again (it had failed since 14:05)',
  });
  assert.equal(decideQuiet(input({ prev: failing(false), code: 0, now: later(300) })), {
    show: true,
    reported: false,
  });
  assert.equal(decideQuiet(input({ code: 0 })), { show: true, reported: false });
  // 65 synced too (its problems are shown anyway).
  assert.is(
    decideQuiet(input({ prev: failing(true), code: 65, now: later(5) })).line?.includes(
      'syncing again',
    ),
    true,
  );
});

test('the streak began on another day: its day is said', () => {
  const v = decideQuiet(input({ prev: failing(false), now: later(24 * 60 + 1) }));
  assert.match(v.line ?? '', /failing for 1 d \(since 2026-05-01 14:05\)/);
});

test('any other failure goes through at once, young streak or reported', () => {
  for (const code of [64, 70, 74, 77, 78]) {
    assert.equal(decideQuiet(input({ code })), { show: true, reported: true }, String(code));
    assert.is(decideQuiet(input({ code, prev: failing(true) })).show, true, String(code));
  }
});

test('busy, and quietFailuresFor 0: everything shown, no line, nothing marked', () => {
  assert.equal(decideQuiet(input({ busy: true, prev: failing(false), now: later(500) })), {
    show: true,
    reported: false,
  });
  assert.equal(decideQuiet(input({ quietFailuresFor: 0 })), { show: true, reported: false });
  assert.equal(decideQuiet(input({ quietFailuresFor: 0, prev: failing(true), code: 0 })), {
    show: true,
    reported: false,
  });
});

test.run();
