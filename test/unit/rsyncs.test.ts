// The pure parts of test/helpers/rsyncs.ts: which binaries count, the matrix, the error when one is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  allPairs,
  crossPairs,
  dedupeByVersion,
  missingRsyncs,
  pairLabel,
  parseProbes,
  rsyncPathArg,
  type TestRsync,
} from '../helpers/rsyncs.js';

const r = (version: string, file = `/opt/${version}/rsync`, source = 'test'): TestRsync => {
  const parsed = version.split('.').map(Number) as [number, number, number];
  return { path: file, version, parsed, source };
};

test('parseProbes: keeps binaries that print an rsync version, says why the others are left out', () => {
  const { found, rejected } = parseProbes([
    {
      path: '/usr/bin/rsync',
      source: 'system rsync',
      output: 'rsync  version 3.2.7  protocol version 32\nCopyright (C) 1996-2022\n',
    },
    {
      path: '/p/.rsync/3.5.0+ds1-0+deb12u1/usr/bin/rsync',
      source: '.rsync/3.5.0+ds1-0+deb12u1',
      output: 'rsync  version v3.5.0  protocol version 32\n',
    },
    {
      path: '/p/.rsync/broken/usr/bin/rsync',
      source: '.rsync/broken',
      error: 'does not run: ENOENT',
    },
    { path: '/p/.rsync/odd/usr/bin/rsync', source: '.rsync/odd', output: 'hello\n' },
  ]);
  assert.equal(
    found.map((f) => [f.version, f.parsed, f.source]),
    [
      ['3.2.7', [3, 2, 7], 'system rsync'],
      ['3.5.0', [3, 5, 0], '.rsync/3.5.0+ds1-0+deb12u1'],
    ],
  );
  assert.is(rejected.length, 2);
  assert.match(rejected[0] ?? '', /broken.*does not run: ENOENT/);
  assert.match(rejected[1] ?? '', /odd.*printed no rsync version/);
});

test('dedupeByVersion: one binary per version, the first given wins, oldest first', () => {
  const system = r('3.5.0', '/usr/bin/rsync', 'system rsync');
  const copy = r('3.5.0', '/p/.rsync/3.5.0+ds1/usr/bin/rsync');
  const old = r('3.2.7');
  const mid = r('3.4.1');
  assert.equal(dedupeByVersion([system, copy, old, mid]), [old, mid, system]);
  assert.equal(dedupeByVersion([]), []);
});

test('missingRsyncs: nothing when a 3.2.x and a 3.5 or newer are there', () => {
  assert.is(missingRsyncs([r('3.2.7'), r('3.5.0')]), undefined);
  assert.is(missingRsyncs([r('3.2.7'), r('3.4.1'), r('3.6.2')]), undefined);
  assert.is(missingRsyncs([r('3.2.3'), r('4.0.0')]), undefined);
});

test('missingRsyncs: says exactly what is missing, what was found, and to run setup', () => {
  const onlyOld = missingRsyncs([r('3.2.7', '/usr/bin/rsync', 'system rsync')]) ?? '';
  assert.match(onlyOld, /found rsync 3\.2\.7 \(\/usr\/bin\/rsync, system rsync\)/);
  assert.match(onlyOld, /missing: an rsync 3\.5 or newer/);
  assert.not.match(onlyOld, /missing: a 3\.2\.x/);
  assert.match(onlyOld, /bash scripts\/setup\.sh/);

  const onlyNew = missingRsyncs([r('3.5.0'), r('3.4.1')]) ?? '';
  assert.match(onlyNew, /missing: a 3\.2\.x rsync/);
  assert.not.match(onlyNew, /an rsync 3\.5 or newer \(normally/);

  const none = missingRsyncs([], ['/x/rsync (system rsync): does not run: EACCES']) ?? '';
  assert.match(none, /found no usable rsync/);
  assert.match(none, /a 3\.2\.x rsync .* and an rsync 3\.5 or newer/);
  assert.match(none, /Left out: \/x\/rsync \(system rsync\): does not run: EACCES/);
  assert.match(none, /bash scripts\/setup\.sh/);

  // 3.4.x is neither: it does not stand in for either end of the promise.
  assert.match(missingRsyncs([r('3.4.1')]) ?? '', /missing: a 3\.2\.x rsync .* and an rsync 3\.5/);
});

test('allPairs: every client × server combination, labelled', () => {
  const [a, b] = [r('3.2.7'), r('3.5.0')];
  assert.equal(
    allPairs([a, b]).map((p) => [p.client.version, p.server.version, p.label]),
    [
      ['3.2.7', '3.2.7', 'client 3.2.7 / server 3.2.7'],
      ['3.2.7', '3.5.0', 'client 3.2.7 / server 3.5.0'],
      ['3.5.0', '3.2.7', 'client 3.5.0 / server 3.2.7'],
      ['3.5.0', '3.5.0', 'client 3.5.0 / server 3.5.0'],
    ],
  );
  assert.is(allPairs([a, b, r('3.4.1')]).length, 9);
  assert.is(pairLabel(b, a), 'client 3.5.0 / server 3.2.7');
});

test('crossPairs: each version a client once and a server once, never against itself', () => {
  const two = crossPairs([r('3.2.7'), r('3.5.0')]);
  assert.equal(
    two.map((p) => p.label),
    ['client 3.2.7 / server 3.5.0', 'client 3.5.0 / server 3.2.7'],
  );
  const three = crossPairs([r('3.2.7'), r('3.4.1'), r('3.5.0')]);
  assert.equal(three.map((p) => p.client.version).sort(), ['3.2.7', '3.4.1', '3.5.0']);
  assert.equal(three.map((p) => p.server.version).sort(), ['3.2.7', '3.4.1', '3.5.0']);
  assert.ok(three.every((p) => p.client.version !== p.server.version));
  assert.equal(crossPairs([r('3.2.7')]), []);
});

test('rsyncPathArg: plain paths as they are, others quoted for the remote shell', () => {
  assert.is(
    rsyncPathArg(r('3.5.0', '/p/.rsync/3.5.0+ds1-0+deb12u1/usr/bin/rsync')),
    '--rsync-path=/p/.rsync/3.5.0+ds1-0+deb12u1/usr/bin/rsync',
  );
  assert.is(
    rsyncPathArg(r('3.5.0', "/my work/it's/rsync")),
    `--rsync-path='/my work/it'\\''s/rsync'`,
  );
});

test.run();
