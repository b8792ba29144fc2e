// The status record: the next status from the last one and a run's outcome, and reading a file back
// (anything that is not a status is no history).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatStatus,
  localDate,
  type MailboxStatus,
  nextStatus,
  type Outcome,
  parseStatus,
} from '../../src/status/record.js';

const at = (day: number, h: number, m = 0) => new Date(2026, 4, day, h, m);
const outcome = (code: number, more: Partial<Outcome> = {}): Outcome => ({
  runId: 'r',
  code,
  reason: code === 0 ? null : 'unreachable',
  message: code === 0 ? null : 'down',
  delivered: 0,
  leftOnServer: 0,
  ...more,
});

test('a first success: lastSuccess, no streak, counts for today', () => {
  const s = nextStatus(undefined, outcome(0, { delivered: 3 }), at(1, 10));
  assert.is(s.lastSuccess, at(1, 10).toISOString());
  assert.is(s.failingSince, null);
  assert.is(s.failureReported, false);
  assert.is(s.delivered, 3);
  assert.equal(s.deliveredToday, { date: localDate(at(1, 10)), count: 3 });
  assert.is(s.lastAttempt.code, 0);
});

test('failures: the streak starts at the first, keeps lastSuccess, and the reported mark sticks', () => {
  const ok = nextStatus(undefined, outcome(0, { delivered: 2 }), at(1, 10));
  const f1 = nextStatus(ok, outcome(75), at(1, 11));
  assert.is(f1.failingSince, at(1, 11).toISOString());
  assert.is(f1.lastSuccess, ok.lastSuccess);
  assert.is(f1.lastAttempt.reason, 'unreachable');
  assert.is(f1.failureReported, false);
  const f2 = nextStatus(f1, outcome(75, { reported: true }), at(1, 12));
  assert.is(f2.failingSince, f1.failingSince, 'the streak keeps its start');
  assert.is(f2.failureReported, true);
  const f3 = nextStatus(f2, outcome(75, { reported: false }), at(1, 13));
  assert.is(f3.failureReported, true, 'once reported, reported for the streak');
  const back = nextStatus(f3, outcome(0, { delivered: 1 }), at(1, 14));
  assert.is(back.failingSince, null);
  assert.is(back.failureReported, false);
  assert.is(back.deliveredToday.count, 3, 'today adds up over the day');
});

test('65 (mail left on the server) counts as synced; a new day starts the count again', () => {
  const a = nextStatus(undefined, outcome(75), at(1, 23));
  const b = nextStatus(
    a,
    outcome(65, { reason: null, message: null, leftOnServer: 2, delivered: 4 }),
    at(2, 0, 5),
  );
  assert.is(b.lastSuccess, at(2, 0, 5).toISOString());
  assert.is(b.failingSince, null);
  assert.is(b.lastAttempt.leftOnServer, 2);
  assert.equal(b.deliveredToday, { date: localDate(at(2, 0)), count: 4 });
  const c = nextStatus(b, outcome(0, { delivered: 1 }), at(3, 9));
  assert.equal(c.deliveredToday, { date: localDate(at(3, 9)), count: 1 });
});

test('a status reads back as itself; anything else is no history', () => {
  const s: MailboxStatus = nextStatus(undefined, outcome(77, { reason: 'auth' }), at(1, 10));
  assert.equal(parseStatus(formatStatus(s)), s);
  for (const bad of [
    '',
    '{',
    'null',
    '[]',
    '{"version":2}',
    formatStatus({ ...s, failureReported: 'yes' as unknown as boolean }),
    formatStatus({ ...s, lastSuccess: 'yesterday' }),
    formatStatus({ ...s, deliveredToday: { date: '2026-05-01', count: -1 } }),
  ]) {
    assert.is(parseStatus(bad), undefined, bad);
  }
});

test.run();
