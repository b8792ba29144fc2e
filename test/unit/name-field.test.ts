import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nameFields, nameFromFields } from '../../src/outputs/name-fields.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const u = (s: string): Buffer => Buffer.from(s, 'utf8');
const viaJson = (name: Buffer): Buffer =>
  nameFromFields(
    JSON.parse(JSON.stringify(nameFields(name))) as { file: string; file_b64?: string },
  );

test('valid UTF-8: only `file`, the exact string', () => {
  assert.equal(nameFields(u('1712345678.M1P1.host')), { file: '1712345678.M1P1.host' });
  assert.equal(nameFields(u('ünï©ødé✉')), { file: 'ünï©ødé✉' });
  assert.equal(nameFields(u('bidi\u202eevil')), { file: 'bidi\u202eevil' }); // exact, not display text
});

test('controls in valid UTF-8 stay exact and JSON escapes them', () => {
  const fields = nameFields(b('new\nline\x1b[31m\x7f'));
  assert.equal(fields, { file: 'new\nline\x1b[31m\x7f' });
  const json = JSON.stringify(fields);
  assert.is(json, '{"file":"new\\nline\\u001b[31m\x7f"}');
  assert.not.match(json, /[\n\x1b]/);
});

test('invalid UTF-8: display text plus the exact bytes in base64', () => {
  assert.equal(nameFields(b('bad\xff\xfeutf')), {
    file: 'bad\\xff\\xfeutf',
    file_b64: 'YmFk//51dGY=',
  });
  assert.equal(nameFields(b('nl\n\xff')), {
    file: 'nl\\n\\xff',
    file_b64: Buffer.from('nl\n\xff', 'latin1').toString('base64'),
  });
  // Strict: encoded surrogates and overlongs are not UTF-8.
  assert.ok('file_b64' in nameFields(b('\xed\xa0\x80')));
  assert.ok('file_b64' in nameFields(b('\xc0\xaf')));
});

test('nameFromFields inverts nameFields through JSON', () => {
  for (const name of [
    u('plain'),
    u('ünï'),
    b('new\nline'),
    b('bad\xff\xfe'),
    b('\xed\xa0\x80'),
    b('back\\#123'),
    b(' '),
    Buffer.from(Array.from({ length: 255 }, (_, i) => i + 1)),
  ]) {
    assert.equal(viaJson(name), name, name.toString('hex'));
  }
});

test('nameFromFields: file_b64 wins over file', () => {
  assert.equal(nameFromFields({ file: 'whatever', file_b64: 'YmFk//51dGY=' }), b('bad\xff\xfeutf'));
  assert.equal(nameFromFields({ file: 'x', file_b64: '' }), Buffer.alloc(0));
});

test('nameFromFields rejects bad input instead of returning other bytes', () => {
  for (const bad of [
    'YmFk//51dGY',
    'YmFk!!51dGY=',
    'Y mFk',
    'YQ=a',
    'YR==',
    'Pz8-',
    'YmFk__51dGY=',
  ]) {
    assert.throws(() => nameFromFields({ file: 'x', file_b64: bad }), TypeError, bad);
  }
  assert.throws(() => nameFromFields({ file: 'lone \ud800 surrogate' }), TypeError);
});

test.run();
