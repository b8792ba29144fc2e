import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRsyncEscapes, encodeRsyncEscapes } from '../../src/rsync/escape.js';
import { captureSets, hostileNames, readCapture } from '../helpers/rsync-fixtures.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('decode: \\#ooo becomes the byte', () => {
  assert.equal(decodeRsyncEscapes('new\\#012line'), b('new\nline'));
  assert.equal(decodeRsyncEscapes('\\#000\\#001\\#377'), b('\x00\x01\xff'));
  assert.equal(decodeRsyncEscapes('bad\\#377\\#376utf'), b('bad\xff\xfeutf'));
  assert.equal(decodeRsyncEscapes('\\#303\\#274n\\#303\\#257'), Buffer.from('ünï', 'utf8'));
  assert.equal(decodeRsyncEscapes('\\#012\\#012'), b('\n\n'));
});

test('decode: an escaped backslash before #ddd', () => {
  assert.equal(decodeRsyncEscapes('back\\#134#123hash'), b('back\\#123hash'));
  assert.equal(decodeRsyncEscapes('x\\#134#999'), b('x\\#999'));
  assert.equal(decodeRsyncEscapes('x\\\\#134#123'), b('x\\\\#123'));
});

test('decode: anything that is not \\# + 3 octal digits <= 377 stays literal', () => {
  for (const s of [
    'back\\slash',
    'x\\#89a',
    'x\\#12',
    'x\\#1',
    'x\\#',
    'x\\',
    '\\#4',
    'a\\#400',
    'a\\#777',
    'a\\#38x',
    'a\\#1 2',
    '\\#\\#',
  ]) {
    assert.equal(decodeRsyncEscapes(s), b(s), s);
  }
  // A literal `\#1` right before an escape.
  assert.equal(decodeRsyncEscapes('\\#1\\#012'), b('\\#1\n'));
  assert.equal(decodeRsyncEscapes('\\#01\\#200'), b('\\#01\x80'));
});

test('decode: raw TAB, DEL, quotes and high latin1 chars pass through as bytes', () => {
  assert.equal(
    decodeRsyncEscapes('tab\there del\x7f "q" -> "x"'),
    b('tab\there del\x7f "q" -> "x"'),
  );
  assert.equal(decodeRsyncEscapes('\xff\xfe\x80'), Buffer.from([0xff, 0xfe, 0x80]));
  assert.equal(decodeRsyncEscapes(''), Buffer.alloc(0));
});

test('decode: a char above U+00FF violates the latin1 contract', () => {
  assert.throws(() => decodeRsyncEscapes('\u0100'), RangeError);
  assert.throws(() => decodeRsyncEscapes('ok\ufffd'), /U\+FFFD at offset 2/);
  assert.throws(() => decodeRsyncEscapes('\u{1f600}'), RangeError);
});

test('encode: what rsync 3.5.0 prints under LC_ALL=C', () => {
  const cases: [string, string][] = [
    ['new\nline', 'new\\#012line'],
    ['cr\rret', 'cr\\#015ret'],
    ['tab\there', 'tab\there'],
    ['esc\x1b[31mred', 'esc\\#033[31mred'],
    ['del\x7fchar', 'del\x7fchar'],
    ['back\\slash', 'back\\slash'],
    ['back\\#123hash', 'back\\#134#123hash'],
    ['x\\#999', 'x\\#134#999'],
    ['x\\#89a', 'x\\#89a'],
    ['x\\#12', 'x\\#12'],
    ['x\\#1234', 'x\\#134#1234'],
    ['bad\xff\xfeutf', 'bad\\#377\\#376utf'],
    ['c1\xc2\x9bcsi', 'c1\\#302\\#233csi'],
    ['dq"uote -> x', 'dq"uote -> x'],
  ];
  for (const [name, printed] of cases)
    assert.is(encodeRsyncEscapes(b(name)), printed, JSON.stringify(name));
  assert.is(encodeRsyncEscapes(Buffer.from('ün', 'utf8')), '\\#303\\#274n');
});

for (const set of captureSets()) {
  test(`${set.label}: encode reproduces the real rsync lines of the hostile-remove fixture exactly`, () => {
    const lines = readCapture(set, 'hostile-remove').stdout.split('\n');
    lines.pop();
    assert.equal(
      hostileNames()
        .map((n) => `sender removed ${encodeRsyncEscapes(n)}`)
        .sort(),
      [...lines].sort(),
    );
  });
}

test('encode output is one line of ASCII and decodes back', () => {
  const all = Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1));
  const printed = encodeRsyncEscapes(all);
  assert.not.match(printed, /[\n\r\x80-\uffff]/);
  assert.equal(decodeRsyncEscapes(printed), all);
});

test.run();
