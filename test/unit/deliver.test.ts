// The stand-in a delivery leaves in pending/new for the remove pass (maildir/deliver.ts): a hard link to
// the delivered message where the filesystem has links, a sparse placeholder with the staged copy's size
// and mtime where it has none; and a placeholder is never written through a name that is already there
// (in pending/new that may be a message's own link). Real files in a temp dir, no rsync.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apply, type Delivering, decide, type Staged } from '../../src/maildir/deliver.js';
import { type MaildirFs, realFs } from '../../src/maildir/fs.js';
import { mailboxPaths } from '../../src/maildir/layout.js';
import { LocalIndex } from '../../src/maildir/local-index.js';
import { Journal } from '../../src/maildir/pending.js';

const NAME = '1700000000.M1P1.host';
const MTIME = 1_700_000_123;

/** A local Maildir with one staged message, and what apply() needs to deliver it. */
function setup(fs: MaildirFs = realFs) {
  const root = mkdtempSync(path.join(tmpdir(), 'syncmail-deliver-'));
  const paths = mailboxPaths({ local: path.join(root, 'local'), remoteText: 'mx:Maildir' }, root);
  for (const dir of [paths.cur, paths.new, paths.stageNew, paths.pendingNew])
    mkdirSync(dir, { recursive: true });
  mkdirSync(path.join(root, 'pending'), { recursive: true });
  const file = path.join(paths.stageNew, NAME);
  writeFileSync(file, 'Subject: hello\n\nbody\n', { mode: 0o600 });
  realFs.utimes(file, MTIME);
  const staged: Staged = {
    path: Buffer.from(file),
    name: Buffer.from(NAME),
    size: 21,
    mtime: MTIME,
  };
  const d: Delivering = {
    paths,
    index: new LocalIndex([paths.local]),
    onConflict: 'rename',
    runId: '20261201T000000Z-abcdef',
    fs,
    journal: new Journal(fs, paths.journal),
  };
  const deliver = () => {
    const x = decide(d, staged, { action: 'deliver', changedOnServer: false });
    d.journal.intend(staged.name, staged.size, staged.mtime);
    return apply(d, x);
  };
  /** A new version of the message staged under the same name (it changed on the server), delivered. */
  const deliverChanged = () => {
    writeFileSync(file, 'Subject: hello again\n\nbody\n', { mode: 0o600 });
    realFs.utimes(file, MTIME + 60);
    const again: Staged = { ...staged, size: 27, mtime: MTIME + 60 };
    const x = decide(d, again, { action: 'deliver', changedOnServer: true });
    d.journal.intend(again.name, again.size, again.mtime, x.kind === 'move' ? x.as : again.name);
    return apply(d, x);
  };
  return {
    paths,
    deliver,
    deliverChanged,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Runs `body` with a fresh setup, and removes its temp dir, pass or fail. */
function withSetup(body: (w: ReturnType<typeof setup>) => void, fs: MaildirFs = realFs): void {
  const w = setup(fs);
  try {
    body(w);
  } finally {
    w.cleanup();
  }
}

test('a delivered message stands in pending/new as a hard link to itself: its size and mtime, no new inode', () => {
  withSetup((w) => {
    assert.is(w.deliver()?.kind, 'delivered');
    const message = statSync(path.join(w.paths.new, NAME));
    const standIn = statSync(path.join(w.paths.pendingNew, NAME));
    assert.is(standIn.ino, message.ino, 'the same inode');
    assert.is(message.nlink, 2);
    assert.is(Math.floor(standIn.mtimeMs / 1000), MTIME);
    assert.is(standIn.size, 21);
  });
});

test('a new version of a still pending message: its stand-in replaces the old one', () => {
  withSetup((w) => {
    w.deliver();
    const second = w.deliverChanged();
    assert.is(second?.kind, 'delivered');
    const as = second?.kind === 'delivered' ? second.as.toString() : '';
    assert.is.not(as, NAME, 'delivered beside the first, under a fresh name');
    const standIn = statSync(path.join(w.paths.pendingNew, NAME));
    assert.is(standIn.ino, statSync(path.join(w.paths.new, as)).ino);
    assert.is(standIn.size, 27);
    assert.is(readFileSync(path.join(w.paths.new, NAME), 'utf8'), 'Subject: hello\n\nbody\n');
  });
});

test('without hard links (EPERM), the stand-in is a sparse placeholder with the staged size and mtime', () => {
  const noLinks: MaildirFs = {
    ...realFs,
    link: () => {
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    },
  };
  withSetup((w) => {
    assert.is(w.deliver()?.kind, 'delivered');
    const message = statSync(path.join(w.paths.new, NAME));
    const standIn = statSync(path.join(w.paths.pendingNew, NAME));
    assert.is.not(standIn.ino, message.ino);
    assert.is(standIn.size, 21);
    assert.is(standIn.blocks, 0, 'sparse: no data');
    assert.is(Math.floor(standIn.mtimeMs / 1000), MTIME);
  }, noLinks);
});

test('a placeholder is never written through an existing name (a message linked there keeps its bytes)', () => {
  withSetup((w) => {
    w.deliver();
    const standIn = path.join(w.paths.pendingNew, NAME);
    realFs.placeholder(Buffer.from(standIn), 5, 1);
    assert.is(readFileSync(path.join(w.paths.new, NAME), 'utf8'), 'Subject: hello\n\nbody\n');
    assert.is(statSync(standIn).size, 5);
    assert.is.not(statSync(standIn).ino, statSync(path.join(w.paths.new, NAME)).ino);
  });
});

test.run();
