import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { displayName } from '../../src/text/display-name.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const u = (s: string): Buffer => Buffer.from(s, 'utf8');
const d = (buf: Buffer): string => displayName(buf);

test('ordinary names are unchanged', () => {
  for (const s of [
    '1712345678.M1P1.host',
    '1712345680.M3P1.host,S=12:2,S',
    'sp ace',
    '-dash',
    'dq"uote',
    "sq'uote",
    'a -> b',
  ]) {
    assert.is(d(u(s)), s);
  }
});

test('valid UTF-8 is kept, including astral characters', () => {
  assert.is(d(u('ünï©ødé✉')), 'ünï©ødé✉');
  assert.is(d(u('日本語')), '日本語');
  assert.is(d(u('mail-😀')), 'mail-😀');
  assert.is(d(u('\u00a0nbsp')), '\u00a0nbsp'); // U+00A0 is not a C1 control
});

test('C0 controls, DEL and backslash are escaped', () => {
  assert.is(d(b('new\nline')), 'new\\nline');
  assert.is(d(b('cr\rret')), 'cr\\rret');
  assert.is(d(b('tab\there')), 'tab\\there');
  assert.is(d(b('esc\x1b[31mred')), 'esc\\x1b[31mred');
  assert.is(d(b('bel\x07')), 'bel\\x07');
  assert.is(d(b('nul\x00')), 'nul\\x00');
  assert.is(d(b('del\x7f')), 'del\\x7f');
  assert.is(d(b('back\\slash')), 'back\\\\slash');
  assert.is(d(b('\x1f')), '\\x1f');
});

test('C1 controls (valid UTF-8) use \\u{..}; invalid bytes use \\xHH', () => {
  assert.is(d(b('c1\xc2\x9bcsi')), 'c1\\u{9b}csi');
  assert.is(d(b('\xc2\x80\xc2\x9f')), '\\u{80}\\u{9f}');
  assert.is(d(b('raw\x9bcsi')), 'raw\\x9bcsi');
  assert.is(d(b('bad\xff\xfeutf')), 'bad\\xff\\xfeutf');
});

test('bidi controls and line separators are escaped', () => {
  assert.is(d(u('bidi\u202eexe.txt')), 'bidi\\u{202e}exe.txt');
  for (const cp of [
    0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c,
    0x2028, 0x2029,
  ]) {
    assert.is(d(u(String.fromCodePoint(cp))), `\\u{${cp.toString(16)}}`);
  }
  assert.is(d(u('\u2065\u206a')), '\u2065\u206a'); // neighbours are kept
});

test('strict UTF-8: overlongs, surrogates, out of range and truncated sequences are bytes', () => {
  assert.is(d(b('\xc0\xaf')), '\\xc0\\xaf'); // overlong '/'
  assert.is(d(b('\xe0\x80\xaf')), '\\xe0\\x80\\xaf');
  assert.is(d(b('\xf0\x80\x80\xaf')), '\\xf0\\x80\\x80\\xaf');
  assert.is(d(b('\xed\xa0\x80')), '\\xed\\xa0\\x80'); // encoded surrogate U+D800
  assert.is(d(b('\xf4\x90\x80\x80')), '\\xf4\\x90\\x80\\x80'); // above U+10FFFF
  assert.is(d(b('\xf5\x80\x80\x80')), '\\xf5\\x80\\x80\\x80');
  assert.is(d(b('a\xe2\x82')), 'a\\xe2\\x82'); // truncated €
  assert.is(d(b('\xe2\x82\xe2\x82\xac')), '\\xe2\\x82€'); // resynchronises on the next lead byte
  assert.is(d(b('\xed\x9f\xbf')), '\ud7ff'); // last code point before the surrogates
  assert.is(d(b('\xf4\x8f\xbf\xbf')), '\u{10ffff}');
});

test('injective on tricky pairs', () => {
  const pairs: [Buffer, Buffer][] = [
    [b('\x1b'), b('\\x1b')],
    [b('\n'), b('\\n')],
    [b('\xc2\x9b'), b('\x9b')],
    [b('\\'), b('\\\\')],
    [u('\u202e'), b('\\u{202e}')],
  ];
  for (const [x, y] of pairs)
    assert.is.not(d(x), d(y), `${x.toString('hex')} vs ${y.toString('hex')}`);
});

test('never a raw control character', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.not.match(d(all), /[\x00-\x1f\x7f-\x9f]/);
  assert.not.match(d(b('\xc2\x85\xc2\x9b\x1b')), /[\x00-\x1f\x7f-\x9f]/);
});

test.run();
