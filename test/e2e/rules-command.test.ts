// `syncmail rules test`: in-process main() on real message files and a real Maildir. It must say what a
// sync would do (it routes through the same code), move nothing, and fail clearly on bad input.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { main } from '../../src/main.js';
import { capturingIo } from '../helpers/capture-io.js';
import { makeTempDir } from '../helpers/maildir.js';

const RULES = `rules:
  - name: lkml
    match: { list: linux-kernel.vger.kernel.org }
    folder: lists.lkml
  - name: invoices
    match: { to: billing@me.example }
    folder: finance
    seen: true
    copy: archive
  - name: big
    match: { size: { over: 2K } }
    flag: true
    continue: true
`;

async function world(): Promise<{ dir: string; config: string; maildir: string }> {
  const dir = await makeTempDir('syncmail-rules-test-');
  const maildir = path.join(dir, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, sub), { recursive: true });
  const config = path.join(dir, 'syncmail.yaml');
  writeFileSync(
    config,
    `state: ${dir}/state\nlog: ${dir}/log\n${RULES}mailboxes:\n  - name: inbox\n    remote: ${dir}/server\n    local: ${maildir}\n`,
    { mode: 0o600 },
  );
  return { dir, config, maildir };
}

async function run(argv: string[], cwd: string) {
  const io = { ...capturingIo(realFs), cwd };
  const code = await main(argv, io);
  return { code, output: io.output() };
}

test('each message gets its folder, rule, copies and flags; nothing moves', async () => {
  const { dir, config, maildir } = await world();
  try {
    writeFileSync(
      path.join(maildir, 'new', '1.a.host'),
      'List-Id: LKML <Linux-Kernel.vger.kernel.org>\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n\nx\n',
    );
    writeFileSync(
      path.join(maildir, 'cur', '2.b.host:2,S'),
      `To: Bills <billing@me.example>\nSubject: invoice\n\n${'y'.repeat(3000)}\n`,
    );
    writeFileSync(
      path.join(maildir, 'new', '.hidden'),
      'List-Id: <linux-kernel.vger.kernel.org>\n\n',
    );
    const loose = path.join(dir, 'loose.eml');
    writeFileSync(loose, 'From: a@b.example\nSubject: hello\n\nz\n');
    const before = readdirSync(maildir, { recursive: true }).sort();
    const r = await run(['rules', 'test', '--config', config, 'Maildir', 'loose.eml'], dir);
    assert.is(r.code, 0, r.output);
    assert.equal(r.output.split('\n'), [
      'mailbox inbox: 3 rules, 3 messages',
      'Maildir/new/1.a.host → lists.lkml (rule lkml)  Grüße',
      'Maildir/cur/2.b.host:2,S → finance (rule invoices), copy in archive, flags S  invoice',
      'loose.eml → INBOX (no rule matched)  hello',
      '',
    ]);
    assert.equal(readdirSync(maildir, { recursive: true }).sort(), before);
    const json = await run(['rules', 'test', '-c', config, '--json', loose], dir);
    assert.equal(JSON.parse(json.output), {
      file: loose,
      folder: 'INBOX',
      rule: null,
      matched: [],
      copies: [],
      flags: '',
      maildirs: [maildir],
      subject: 'hello',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a continue rule that only flags: the message stays in INBOX, flagged', async () => {
  const { dir, config } = await world();
  try {
    const big = path.join(dir, 'big.eml');
    writeFileSync(big, `Subject: big\n\n${'z'.repeat(5000)}\n`);
    const r = await run(['rules', 'test', '-c', config, big], dir);
    assert.is(r.code, 0, r.output);
    assert.match(r.output, 'big.eml → INBOX (rules big; none chose a folder), flags F  big\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: no file, a directory that is no Maildir, no subcommand, an unknown mailbox', async () => {
  const { dir, config } = await world();
  try {
    const missing = await run(['rules', 'test', '-c', config, 'nope.eml'], dir);
    assert.is(missing.code, 64);
    assert.match(missing.output, `no such file or directory: ${dir}/nope.eml`);
    mkdirSync(path.join(dir, 'plain'));
    const plain = await run(['rules', 'test', '-c', config, 'plain'], dir);
    assert.is(plain.code, 64);
    assert.match(plain.output, 'is a directory but not a Maildir (no new/ and cur/)');
    const bare = await run(['rules'], dir);
    assert.is(bare.code, 64);
    assert.match(bare.output, 'give a rules command');
    const unknown = await run(['rules', 'test', '-c', config, '-m', 'work', 'plain'], dir);
    assert.is(unknown.code, 64);
    assert.match(unknown.output, 'no mailbox named "work"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
