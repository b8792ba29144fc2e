import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type LogRecord,
  logFiles,
  parseRecords,
  readRecords,
  recordName,
  rotatedNames,
} from '../../src/log/records.js';

const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-log-records-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const line = (o: object) => `${JSON.stringify(o)}\n`;
const rec = (event: string, extra: object = {}) => ({
  time: '2026-12-01T10:00:00.000Z',
  run: 'r1',
  event,
  ...extra,
});

test('rotatedNames: only LOG.STAMP[.N], oldest first, .N numerically', () => {
  const names = [
    'transfer.log',
    'transfer.log.20261201T100000Z.10',
    'transfer.log.20261201T100000Z.2',
    'transfer.log.20261201T100000Z',
    'transfer.log.20251201T100000Z',
    'transfer.log.lock',
    'transfer.log.20261201T1000Z',
    'other.log.20261201T100000Z',
    'transfer.logx.20261201T100000Z',
  ];
  assert.equal(
    rotatedNames('transfer.log', names).map((r) => r.name),
    [
      'transfer.log.20251201T100000Z',
      'transfer.log.20261201T100000Z',
      'transfer.log.20261201T100000Z.2',
      'transfer.log.20261201T100000Z.10',
    ],
  );
});

test('logFiles: rotated oldest first, then the live log; only those that exist', () => {
  const sub = path.join(dir, 'files');
  const log = path.join(sub, 'transfer.log');
  assert.equal(logFiles(log), [], 'no directory: no files');
  mkdirSync(sub);
  writeFileSync(path.join(sub, 'transfer.log.lock'), '');
  writeFileSync(`${log}.20261101T000000Z`, '');
  writeFileSync(`${log}.20261001T000000Z`, '');
  assert.equal(logFiles(log), [`${log}.20261001T000000Z`, `${log}.20261101T000000Z`]);
  writeFileSync(log, '');
  assert.equal(logFiles(log).at(-1), log);
  assert.is(logFiles(log).length, 3);
});

test('parseRecords: skips and counts malformed, non-record and truncated lines', () => {
  const text = [
    line(rec('run-start')),
    'not json\n',
    '\n',
    line({ time: 1, run: 'r1', event: 'x' }),
    line([1, 2]),
    line(rec('delivered', { file: 'a' })),
    '{"time":"2026-12-01T10:00:01.000Z","run":"r1","ev',
  ].join('');
  const { records, bad } = parseRecords(text);
  assert.equal(
    records.map((r) => r.event),
    ['run-start', 'delivered'],
  );
  assert.is(bad, 4);
});

test('readRecords: files in order, a vanished file skipped', () => {
  const a = path.join(dir, 'a.log');
  const b = path.join(dir, 'b.log');
  writeFileSync(a, `${line(rec('run-start', { run: 'A' }))}{"broken`);
  writeFileSync(b, line(rec('run-start', { run: 'B' })));
  const { records, bad } = readRecords([a, path.join(dir, 'gone.log'), b]);
  assert.equal(
    records.map((r) => r.run),
    ['A', 'B'],
  );
  assert.is(bad, 1);
});

test('recordName: KEY_b64 is the authority, else KEY as UTF-8', () => {
  const raw = Buffer.from([0x61, 0xff, 0x62]);
  const r: LogRecord = { ...rec('delivered'), file: 'a\\xffb', file_b64: raw.toString('base64') };
  assert.ok(recordName(r, 'file')?.equals(raw));
  const u: LogRecord = { ...rec('delivered'), as: 'é.host' };
  assert.ok(recordName(u, 'as')?.equals(Buffer.from('é.host', 'utf8')));
  assert.is(recordName(u, 'file'), undefined);
  assert.is(recordName({ ...rec('x'), file: 3 }, 'file'), undefined);
});

test.run();
