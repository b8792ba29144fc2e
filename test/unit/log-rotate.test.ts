import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type LogFacts,
  logFacts,
  planRotation,
  rotatedName,
  rotateLog,
  rotationStamp,
} from '../../src/log/rotate.js';

const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-log-rotate-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400;
const now = new Date('2026-12-01T10:00:01.500Z');
const limits = { maxSize: 1000, maxAge: 30 * DAY, keep: 365 * DAY };
const ago = (seconds: number) => now.getTime() - seconds * 1000;
const facts = (over: Partial<LogFacts>): LogFacts => ({
  live: { size: 10, firstTime: ago(60) },
  rotated: [],
  names: ['transfer.log'],
  ...over,
});

test('rotationStamp and rotatedName: the rotation time, never an existing name', () => {
  assert.is(rotationStamp(now), '20261201T100001Z');
  assert.is(rotatedName('t.log', now, []), 't.log.20261201T100001Z');
  assert.is(
    rotatedName('t.log', now, ['t.log.20261201T100001Z', 't.log.20261201T100001Z.1']),
    't.log.20261201T100001Z.2',
  );
});

test('planRotation: small and young stays; too large or too old rotates', () => {
  assert.is(planRotation('transfer.log', facts({}), now, limits).rename, undefined);
  const big = facts({ live: { size: 1001, firstTime: ago(60) } });
  assert.is(planRotation('transfer.log', big, now, limits).rename, 'transfer.log.20261201T100001Z');
  const old = facts({ live: { size: 10, firstTime: ago(31 * DAY) } });
  assert.ok(planRotation('transfer.log', old, now, limits).rename);
  const unreadable = facts({ live: { size: 10, firstTime: undefined } });
  assert.is(planRotation('transfer.log', unreadable, now, limits).rename, undefined);
  assert.is(
    planRotation('transfer.log', facts({ live: undefined }), now, limits).rename,
    undefined,
  );
  const empty = facts({ live: { size: 0, firstTime: undefined } });
  assert.is(planRotation('transfer.log', empty, now, { ...limits, maxSize: 0 }).rename, undefined);
});

test('planRotation: rotated logs last written before logKeep are deleted, every run', () => {
  const rotated = [
    { name: 'transfer.log.20241001T000000Z', mtimeMs: ago(400 * DAY) },
    { name: 'transfer.log.20251101T000000Z', mtimeMs: ago(300 * DAY) },
  ];
  const plan = planRotation('transfer.log', facts({ rotated }), now, limits);
  assert.equal(plan, { rename: undefined, remove: ['transfer.log.20241001T000000Z'] });
});

test('planRotation: logKeep 0 deletes every rotated log at rotation, and only then', () => {
  const rotated = [{ name: 'transfer.log.20261101T000000Z', mtimeMs: ago(DAY) }];
  const keep0 = { ...limits, keep: 0 };
  assert.equal(planRotation('transfer.log', facts({ rotated }), now, keep0).remove, []);
  const big = facts({ rotated, live: { size: 5000, firstTime: ago(60) } });
  assert.equal(planRotation('transfer.log', big, now, keep0), {
    rename: 'transfer.log.20261201T100001Z',
    remove: ['transfer.log.20261101T000000Z'],
  });
});

function record(time: string): string {
  return `${JSON.stringify({ time, run: 'r', event: 'run-start' })}\n`;
}

test('logFacts: the first readable record (a damaged first line skipped), sizes, mtimes', () => {
  const sub = path.join(dir, 'facts');
  mkdirSync(sub);
  const log = path.join(sub, 'transfer.log');
  assert.equal(logFacts(log), { live: undefined, rotated: [], names: [] });
  writeFileSync(log, `{"broken\n${record('2026-11-01T00:00:00.000Z')}`);
  writeFileSync(`${log}.20261001T000000Z`, '');
  utimesSync(`${log}.20261001T000000Z`, 1_700_000_000, 1_700_000_000);
  const f = logFacts(log);
  assert.equal(f.live?.firstTime, Date.parse('2026-11-01T00:00:00.000Z'));
  assert.ok((f.live?.size ?? 0) > 50);
  assert.equal(f.rotated, [{ name: 'transfer.log.20261001T000000Z', mtimeMs: 1_700_000_000_000 }]);
});

test('rotateLog: renames a due log, deletes an expired one, leaves a fresh log be', async () => {
  const sub = path.join(dir, 'rotate');
  mkdirSync(sub);
  const log = path.join(sub, 'transfer.log');
  writeFileSync(log, record('2026-01-01T00:00:00.000Z'));
  writeFileSync(`${log}.20200101T000000Z`, '');
  utimesSync(`${log}.20200101T000000Z`, 1_600_000_000, 1_600_000_000);
  const warnings: string[] = [];
  await rotateLog(log, { now, limits, warn: (w) => warnings.push(w) });
  assert.equal(warnings, []);
  assert.equal(readdirSync(sub).sort(), ['transfer.log.20261201T100001Z', 'transfer.log.lock']);
  writeFileSync(log, record('2026-12-01T09:00:00.000Z'));
  await rotateLog(log, { now, limits, warn: (w) => warnings.push(w) });
  assert.ok(readdirSync(sub).includes('transfer.log'), 'a young small log stays');
});

test('rotateLog: two runs at once rotate once, and a failure is only a warning', async () => {
  const sub = path.join(dir, 'race');
  mkdirSync(sub);
  const log = path.join(sub, 'transfer.log');
  writeFileSync(log, 'x'.repeat(2000));
  const warnings: string[] = [];
  const warn = (w: string) => warnings.push(w);
  await Promise.all([rotateLog(log, { now, limits, warn }), rotateLog(log, { now, limits, warn })]);
  assert.equal(warnings, []);
  const rotated = readdirSync(sub).filter((n) => /\d{8}T\d{6}Z/.test(n));
  assert.equal(rotated, ['transfer.log.20261201T100001Z']);
  // A "log" that is a directory cannot be read: a warning, and rotateLog does not throw.
  const odd = path.join(sub, 'odd.log');
  mkdirSync(odd);
  await rotateLog(odd, { now, limits, warn });
  assert.is(warnings.length, 1);
  assert.match(
    warnings[0] ?? '',
    /^syncmail: warning: could not rotate the transfer log .*odd\.log: /,
  );
});

test.run();
