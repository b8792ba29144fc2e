// The signal policy: only a person insisting (the same interactive signal, quickly repeated) forces a
// stop; every other mix is held until the running transfer is done.
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type Arrival,
  explain,
  FORCE_WINDOW_MS,
  type HeldSignal,
  holdSignals,
  judge,
  type SignalSource,
} from '../../src/signals.js';

const at = (...pairs: Array<[HeldSignal, number]>): Arrival[] =>
  pairs.map(([signal, ms]) => ({ signal, at: ms }));

/** The verdict of each arrival in turn. */
function verdicts(arrivals: Arrival[]): string[] {
  return arrivals.map((_, i) => judge(arrivals.slice(0, i + 1)).kind);
}

test('Ctrl-C three times within the window forces the stop; the second says how many more', () => {
  const three = at(['SIGINT', 0], ['SIGINT', 400], ['SIGINT', 900]);
  assert.equal(verdicts(three), ['stop-after', 'insisting', 'force']);
  assert.equal(judge(three.slice(0, 2)), { kind: 'insisting', more: 1 });
  assert.equal(verdicts(at(['SIGQUIT', 0], ['SIGQUIT', 10], ['SIGQUIT', 20])).at(-1), 'force');
});

test('signals from different sources never add up to a forced stop', () => {
  // A Ctrl-C, the terminal closing (HUP), a shutdown (TERM), all within a second.
  assert.equal(verdicts(at(['SIGINT', 0], ['SIGTERM', 200], ['SIGHUP', 400])), [
    'stop-after',
    'held',
    'held',
  ]);
  // SIGTERM repeated (systemd, a shutdown script) is never a person insisting.
  const terms = at(['SIGTERM', 0], ['SIGTERM', 1], ['SIGTERM', 2], ['SIGTERM', 3]);
  assert.not.ok(verdicts(terms).includes('force'));
  // Other signals in between do not count towards the interactive ones, nor reset them.
  const mixed = at(['SIGINT', 0], ['SIGTERM', 10], ['SIGINT', 20], ['SIGHUP', 30], ['SIGINT', 40]);
  assert.equal(verdicts(mixed), ['stop-after', 'held', 'insisting', 'held', 'force']);
  assert.equal(verdicts(at(['SIGINT', 0], ['SIGQUIT', 10], ['SIGINT', 20])).at(-1), 'insisting');
});

test('Ctrl-C spread over more than the window does not force', () => {
  const slow = at(['SIGINT', 0], ['SIGINT', 3000], ['SIGINT', 3000 + FORCE_WINDOW_MS - 100]);
  assert.equal(verdicts(slow), ['stop-after', 'insisting', 'insisting']);
  const later = [...slow, { signal: 'SIGINT' as const, at: 3000 + FORCE_WINDOW_MS - 50 }];
  assert.is(judge(later).kind, 'force', 'three inside one window, wherever it starts');
});

test('what a person is told names the key to press and never promises a stop for other signals', () => {
  assert.match(explain('SIGINT', { kind: 'stop-after' }), /press Ctrl-C 2 more times/);
  assert.match(explain('SIGINT', { kind: 'insisting', more: 1 }), /press Ctrl-C once more/);
  assert.match(explain('SIGQUIT', { kind: 'insisting', more: 1 }), /Ctrl-\\/);
  assert.not.match(explain('SIGTERM', { kind: 'stop-after' }), /press/);
  assert.match(explain('SIGHUP', { kind: 'held' }), /held; the running transfer finishes first/);
});

test('the guard stops every tracked transfer on a forced stop, and only then', () => {
  let clock = 0;
  const said: string[] = [];
  // A stand-in for the process: other listeners of this test process (its cleanup) stay out of it.
  const source = new EventEmitter();
  const guard = holdSignals(
    (m) => said.push(m),
    () => clock,
    source as unknown as SignalSource,
  );
  try {
    const stopped: string[] = [];
    const untrackA = guard.track(() => stopped.push('a'));
    guard.track(() => stopped.push('b'));
    source.emit('SIGTERM');
    clock = 100;
    source.emit('SIGINT');
    clock = 200;
    source.emit('SIGINT');
    assert.equal(stopped, [], 'TERM, INT, INT: not three of one kind');
    assert.is(guard.pending, 'SIGTERM', 'the run ends by the first signal');
    assert.ok(guard.abortSignal.aborted);
    untrackA();
    clock = 300;
    source.emit('SIGINT');
    assert.equal(stopped, ['b'], 'the third Ctrl-C stops what is still running');
    assert.ok(guard.forced);
    assert.is(said.length, 4);
  } finally {
    guard.release();
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']) {
    assert.is(source.listenerCount(signal), 0, `release removes the ${signal} listener`);
  }
});

test.run();
