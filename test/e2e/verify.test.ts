// `syncmail verify` end to end, in-process: a real sync (the real rsync) from a local-path "server"
// Maildir, with a rule whose copies are hard links in another folder, then verify against what is
// on disk: clean (0); a duplicate planted in cur/ (65, named); a removed message put back on the
// server (65, named; --offline does not look there).
import { copyFileSync, linkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { main } from '../../src/main.js';
import { capturingIo } from '../helpers/capture-io.js';
import { deliver, makeMaildir, makeTempDir } from '../helpers/maildir.js';

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const io = capturingIo(realFs);
  const code = await main(argv, io);
  return { code, out: io.output() };
}

const NAMES = ['1767312000.M1P10.host', '1767312001.M2P10.host', '1767312002.M3P10.host'];

test('after a sync: 0; planted duplicate: 65; removed message back on the server: 65', async () => {
  const dir = await makeTempDir('verify');
  try {
    const server = await makeMaildir(path.join(dir, 'server'));
    const local = path.join(dir, 'Maildir');
    const cfg = path.join(dir, 'syncmail.yaml');
    writeFileSync(
      cfg,
      [
        `log: ${JSON.stringify(path.join(dir, 'transfer.log'))}`,
        `state: ${JSON.stringify(path.join(dir, 'state'))}`,
        'mailboxes:',
        '  - name: inbox',
        `    remote: ${JSON.stringify(server)}`,
        `    local: ${JSON.stringify(local)}`,
        '    rules:',
        '      - match: { subject: copied }',
        '        copy: archive',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    for (const [i, name] of NAMES.entries())
      await deliver(
        server,
        name,
        `From: a@example.org\nSubject: ${i === 0 ? 'copied' : 'm'}\n\n${i}\n`,
      );
    const sync = await run(['-c', cfg]);
    assert.is(sync.code, 0, sync.out);
    assert.equal(readdirSync(path.join(server, 'new')), []);
    assert.equal(readdirSync(path.join(local, '.archive', 'new')), [NAMES[0]]);

    const clean = await run(['verify', '-c', cfg]);
    assert.is(clean.code, 0, clean.out);
    assert.match(clean.out, /^3 messages delivered since \d{4}-\d\d-\d\d in 1 mailbox\n/);
    assert.match(clean.out, /^3 in the Maildirs, 0 no longer there/m);
    assert.match(clean.out, /^0 duplicates; 0 removed messages still on the server$/m);

    // A reader reads one (new/ → cur/ with flags: still one file) and deletes another.
    const [a, b, c] = NAMES as [string, string, string];
    const newDir = path.join(local, 'new');
    const curDir = path.join(local, 'cur');
    linkSync(path.join(newDir, b), path.join(curDir, `${b}:2,S`));
    rmSync(path.join(newDir, b));
    rmSync(path.join(newDir, c));
    const read = await run(['verify', '-c', cfg, '--verbose']);
    assert.is(read.code, 0, read.out);
    assert.match(
      read.out,
      /^2 in the Maildirs \(1 moved or flagged by a reader\), 1 no longer there/m,
    );
    assert.ok(read.out.includes(`inbox: no longer there`), read.out);
    assert.ok(read.out.includes(path.join(newDir, c)), read.out);

    // A second file under a delivered unique name (other flags, another inode): a duplicate.
    const planted = path.join(curDir, `${a}:2,FS`);
    copyFileSync(path.join(newDir, a), planted);
    const dup = await run(['verify', '-c', cfg]);
    assert.is(dup.code, 65, dup.out);
    assert.match(dup.out, /^1 duplicate; /m);
    const line = dup.out.split('\n').find((l) => l.startsWith('inbox: duplicate'));
    assert.ok(line?.includes(planted), dup.out);
    assert.ok(line?.includes(path.join(newDir, a)), dup.out);
    assert.not.ok(line?.includes('.archive'), 'the rule copy is a hard link, not a duplicate');
    rmSync(planted);

    // A message the log says was removed is back in the server's new/.
    writeFileSync(path.join(server, 'new', b), 'again\n');
    const back = await run(['verify', '-c', cfg, '--json']);
    assert.is(back.code, 65, back.out);
    const json = JSON.parse(back.out);
    assert.equal(json.discrepancies, [
      {
        kind: 'still-on-server',
        mailbox: 'inbox',
        file: b,
        path: `${server}/new/${b}`,
        removed: json.discrepancies[0].removed,
      },
    ]);
    const offline = await run(['verify', '-c', cfg, '--offline']);
    assert.is(offline.code, 0, offline.out);
    assert.match(offline.out, /servers not listed \(--offline\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verify of a mailbox the config does not have: 64', async () => {
  const dir = await makeTempDir('verify-usage');
  try {
    const cfg = path.join(dir, 'syncmail.yaml');
    writeFileSync(
      cfg,
      [
        'mailboxes:',
        '  - name: inbox',
        `    remote: ${JSON.stringify(dir)}`,
        `    local: ${JSON.stringify(path.join(dir, 'l'))}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const r = await run(['verify', '-c', cfg, 'nope']);
    assert.is(r.code, 64, r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
