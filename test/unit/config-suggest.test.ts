import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { editDistance, suggest } from '../../src/config/suggest.js';
import { MAILBOX_KEYS, TOP_KEYS } from '../../src/config/validate.js';

test('editDistance: insertions, deletions, substitutions and neighbour swaps each cost 1', () => {
  assert.is(editDistance('', ''), 0);
  assert.is(editDistance('', 'abc'), 3);
  assert.is(editDistance('abc', ''), 3);
  assert.is(editDistance('kitten', 'sitting'), 3);
  assert.is(editDistance('mailboxs', 'mailboxes'), 1);
  assert.is(editDistance('mailbxoes', 'mailboxes'), 1); // a swap
  assert.is(editDistance('log', 'log'), 0);
});

test('editDistance is symmetric and zero only for equal strings', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
      const d = editDistance(a, b);
      return (
        d === editDistance(b, a) && (d === 0) === (a === b) && d <= Math.max(a.length, b.length)
      );
    }),
  );
});

test('suggest: typos of top-level keys', () => {
  const known = [...TOP_KEYS];
  assert.is(suggest('mailboxs', known), 'mailboxes');
  assert.is(suggest('mailbox', known), 'mailboxes');
  assert.is(suggest('onconflict', known), 'onConflict');
  assert.is(suggest('on_conflict', known), 'onConflict');
  assert.is(suggest('conectTimeout', known), 'connectTimeout');
  assert.is(suggest('retires', known), 'retries');
  assert.is(suggest('retry', known), undefined); // 3 edits from retries: too far
  assert.is(suggest('lo', known), 'log');
});

test('suggest: typos of mailbox keys', () => {
  const known = [...MAILBOX_KEYS];
  assert.is(suggest('remot', known), 'remote');
  assert.is(suggest('locla', known), 'local');
  assert.is(suggest('rsync_args', known), 'rsyncArgs');
  assert.is(suggest('RsyncArgs', known), 'rsyncArgs');
  assert.is(suggest('Name', known), 'name');
});

test('suggest: nothing for unrelated words', () => {
  assert.is(suggest('colour', [...TOP_KEYS]), undefined);
  assert.is(suggest('delete', [...TOP_KEYS]), undefined);
  assert.is(suggest('xyz', [...MAILBOX_KEYS]), undefined);
  assert.is(suggest('anything', []), undefined);
});

test('suggest returns a known key itself', () => {
  for (const key of [...TOP_KEYS, ...MAILBOX_KEYS])
    assert.is(suggest(key, [...TOP_KEYS, ...MAILBOX_KEYS]), key);
});

test.run();
