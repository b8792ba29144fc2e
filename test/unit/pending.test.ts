// The pending-removal journal: its records, how a journal's text folds into the live entries (a torn last
// line included), and compaction.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { foldJournal, formatRecord, Journal } from '../../src/maildir/pending.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('records: I and E carry size, mtime and a fresh name; the name is exact bytes', () => {
  const odd = b('a b\n\xff:2,S');
  assert.is(
    formatRecord({ op: 'I', name: odd, size: 5, mtime: 9 }),
    `I ${odd.toString('base64')} 5 9 .\n`,
  );
  assert.is(
    formatRecord({ op: 'I', name: b('x'), size: 5, mtime: 9, as: b('x.2') }),
    `I eA== 5 9 ${b('x.2').toString('base64')} .\n`,
  );
  assert.is(formatRecord({ op: 'R', name: b('x') }), 'R eA== .\n');
  const live = foldJournal(formatRecord({ op: 'E', name: odd, size: 5, mtime: 9 }));
  assert.equal([...live.keys()], [odd.toString('latin1')]);
});

test('fold: an intent, then done; E; removed and undone entries are forgotten; a torn line is skipped', () => {
  const text = [
    formatRecord({ op: 'I', name: b('a'), size: 1, mtime: 2 }),
    formatRecord({ op: 'I', name: b('b'), size: 3, mtime: 4, as: b('b.1') }),
    formatRecord({ op: 'D', name: b('a') }),
    formatRecord({ op: 'E', name: b('c'), size: 5, mtime: 6 }),
    formatRecord({ op: 'I', name: b('d'), size: 7, mtime: 8 }),
    formatRecord({ op: 'U', name: b('d') }),
    formatRecord({ op: 'E', name: b('e'), size: 9, mtime: 10 }),
    formatRecord({ op: 'R', name: b('e') }),
    'I Zg== 1', // torn by a crash while appending
  ].join('');
  const live = foldJournal(text);
  assert.equal(live.get('a'), { size: 1, mtime: 2, visible: true });
  assert.equal(live.get('b'), { size: 3, mtime: 4, visible: false, as: b('b.1') });
  assert.equal(live.get('c'), { size: 5, mtime: 6, visible: true });
  assert.is(live.has('d'), false);
  assert.is(live.has('e'), false);
  assert.is(live.has('f'), false);
  assert.is(live.size, 3);
});

test('a record cut short is never read as a shorter one, and the next record starts on its own line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-journal-'));
  try {
    const file = path.join(dir, 'j');
    const whole = formatRecord({ op: 'I', name: b('f'), size: 1234, mtime: 5678 });
    // Every prefix of a record, as a full disk or a power cut can leave it.
    for (let cut = 1; cut < whole.length - 1; cut++)
      assert.is(foldJournal(whole.slice(0, cut)).size, 0, JSON.stringify(whole.slice(0, cut)));
    writeFileSync(file, whole.slice(0, -4));
    const j = new Journal(realFs, file);
    assert.is(j.size, 0);
    j.intend(b('g'), 1, 2);
    j.close();
    const again = new Journal(realFs, file);
    assert.equal(
      [...again.entries()].map(([n, p]) => [n.toString(), p.size]),
      [['g', 1]],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed append leaves the journal as it was for the next record', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-journal-'));
  try {
    const file = path.join(dir, 'j');
    let fail = true;
    const halfFull = {
      ...realFs,
      write(fd: number, text: string) {
        if (!fail) return realFs.write(fd, text);
        fail = false;
        realFs.write(fd, text.slice(0, 7)); // part of the record reached the disk
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      },
    };
    const j = new Journal(halfFull, file);
    assert.throws(() => j.intend(b('a'), 1234, 5678));
    assert.is(j.size, 0, 'the failed record is not live');
    j.intend(b('b'), 1, 2);
    j.close();
    assert.equal(
      [...new Journal(realFs, file).entries()].map(([n, p]) => [n.toString(), p.size]),
      [['b', 1]],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Journal: appends survive a reopen; compact keeps only live entries, and removes an empty journal', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-journal-'));
  try {
    const file = path.join(dir, 'j');
    const j = new Journal(realFs, file);
    j.intend(b('a'), 1, 2);
    j.delivered(b('a'));
    j.exists(b('b'), 3, 4);
    j.removed(b('b'));
    j.sync();
    j.close();
    const again = new Journal(realFs, file);
    assert.equal(
      [...again.entries()].map(([n, p]) => [n.toString(), p.visible]),
      [['a', true]],
    );
    again.removed(b('a'));
    again.intend(b('c'), 5, 6, b('c.1'));
    again.compact();
    assert.is(
      readFileSync(file, 'latin1'),
      formatRecord({ op: 'I', name: b('c'), size: 5, mtime: 6, as: b('c.1') }),
    );
    const last = new Journal(realFs, file);
    last.removed(b('c'));
    last.compact();
    assert.is(realFs.readText(file), undefined, 'no live entry: no journal');
    writeFileSync(file, 'garbage\n');
    assert.is(new Journal(realFs, file).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DEST and C records: a routed intent keeps its folders and the copies made, through a re-intent and a compaction', () => {
  const dest = {
    rule: 'invoices',
    targets: [
      { folder: 'finance', maildir: '/m/.finance', info: ':2,S' },
      { folder: 'archive', maildir: '/m/.archive', info: ':2,S' },
    ],
  };
  const other = { targets: [{ folder: 'lists', maildir: '/m/.lists', info: '' }] };
  const line = formatRecord({ op: 'I', name: b('x'), size: 5, mtime: 9, dest });
  // AS is written with DEST even when it is the name itself, so the fields stay in place.
  assert.match(line, /^I eA== 5 9 eA== [A-Za-z0-9+/=]+ \.\n$/);
  const text = [
    line,
    formatRecord({ op: 'C', name: b('x'), target: 1 }),
    formatRecord({ op: 'I', name: b('x'), size: 5, mtime: 9, dest }), // the delivery resumed
    formatRecord({ op: 'I', name: b('y'), size: 1, mtime: 2, dest }),
    formatRecord({ op: 'C', name: b('y'), target: 1 }),
    formatRecord({ op: 'I', name: b('y'), size: 1, mtime: 2, dest: other }), // another destination
    'C eA== ', // torn
  ].join('');
  const live = foldJournal(text);
  assert.equal(live.get('x'), { size: 5, mtime: 9, visible: false, dest, copied: [1] });
  assert.equal(live.get('y'), { size: 1, mtime: 2, visible: false, dest: other });
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-journal-'));
  try {
    const file = path.join(dir, 'j');
    writeFileSync(file, text);
    const journal = new Journal(realFs, file);
    journal.copied(b('y'), 1);
    journal.removed(b('nothing'));
    journal.compact();
    const again = foldJournal(readFileSync(file, 'latin1'));
    assert.equal(again.get('x'), live.get('x'));
    assert.equal(again.get('y'), { size: 1, mtime: 2, visible: false, dest: other, copied: [1] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
