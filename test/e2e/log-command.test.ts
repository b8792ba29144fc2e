// `syncmail log` through main(), in-process, after real syncs (the real rsync, a local-path remote,
// no sshd): a message's story by its name, Message-ID or subject, after a mail reader moved it to
// cur/; the transfer log rotated by a sync once it outgrew logMaxSize, and the story still found
// across the rotated log and the live one; no match exits 1.
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMain } from '../helpers/capture-io.js';
import { deliver, makeMaildir, makeTempDir } from '../helpers/maildir.js';

const run = (argv: string[]) => runMain(argv);

const message = (n: number) =>
  `From: a@example.org\nSubject: Report number ${n}\nMessage-ID: <m${n}@example.org>\n\n` +
  `body ${n}\n`;
const nameOf = (n: number) => `1700000${String(n).padStart(3, '0')}.M${n}P1.mailhost`;

test('stories across a rotated log, by name, Message-ID, subject; rotation by a sync', async () => {
  const dir = await makeTempDir('log-command');
  const server = await makeMaildir(path.join(dir, 'server'));
  const local = path.join(dir, 'local');
  const log = path.join(dir, 'logs', 'transfer.log');
  const config = path.join(dir, 'syncmail.yaml');
  writeFileSync(
    config,
    [
      `log: ${JSON.stringify(log)}`,
      `state: ${JSON.stringify(path.join(dir, 'state'))}`,
      'logMaxSize: 4096',
      'mailboxes:',
      '  - name: inbox',
      `    remote: ${JSON.stringify(server)}`,
      `    local: ${JSON.stringify(local)}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  for (let n = 1; n <= 12; n++) await deliver(server, nameOf(n), message(n));
  const first = await run(['-c', config, '--quiet']);
  assert.is(first.code, 0, first.err);
  assert.ok(statSync(log).size > 4096, 'the first run wrote more than logMaxSize');
  const firstRun = JSON.parse(readFileSync(log, 'utf8').split('\n')[0] as string).run as string;

  // A mail reader reads message 3: it moves to cur/ with flags.
  renameSync(path.join(local, 'new', nameOf(3)), path.join(local, 'cur', `${nameOf(3)}:2,S`));
  await deliver(server, nameOf(13), message(13));
  const second = await run(['-c', config, '--quiet']);
  assert.is(second.code, 0, second.err);
  assert.not.match(second.err, /warning/);
  const rotated = readdirSync(path.dirname(log)).filter((n) =>
    /^transfer\.log\.\d{8}T\d{6}Z$/.test(n),
  );
  assert.is(rotated.length, 1, `rotated once: ${readdirSync(path.dirname(log)).join(' ')}`);
  assert.not.match(readFileSync(log, 'utf8'), new RegExp(firstRun), 'the live log is the new run');

  // By Message-ID: message 3 of the first run, in the rotated log, found in cur/ after the move.
  const byId = await run(['log', '-c', config, '<m3@example.org>']);
  assert.is(byId.code, 0, byId.err);
  const lines = byId.out.trimEnd().split('\n');
  assert.is(
    lines[0],
    `${nameOf(3)}  (inbox)  Subject: Report number 3  Message-ID: <m3@example.org>`,
  );
  assert.match(
    lines[1] ?? '',
    new RegExp(
      `^  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  run ${firstRun}  ` +
        `delivered → ${local}/new/${nameOf(3)}$`,
    ),
  );
  assert.match(lines[2] ?? '', new RegExp(`run ${firstRun}  removed from ${server}$`));
  assert.is(lines[3], `  now: ${local}/cur/${nameOf(3)}:2,S`);
  assert.is(lines.length, 4);

  // By subject, and by name; --json.
  const bySubject = await run(['log', '-c', config, '--json', 'report number 13']);
  assert.is(bySubject.code, 0, bySubject.err);
  const story = JSON.parse(bySubject.out);
  assert.is(story.file, nameOf(13));
  assert.is(story.messageId, '<m13@example.org>');
  assert.equal(
    story.steps.map((s: { event: string }) => s.event),
    ['delivered', 'removed'],
  );
  const byName = await run(['log', '-c', config, 'M7P1']);
  assert.match(byName.out, new RegExp(`^${nameOf(7)}  \\(inbox\\)  Subject: Report number 7`));

  // No query: the last run's messages, that is message 13 only.
  const last = await run(['log', '-c', config]);
  assert.is(last.code, 0, last.err);
  assert.match(last.out, new RegExp(`^${nameOf(13)}  `));
  assert.not.match(last.out, new RegExp(nameOf(12)));

  // Nothing matches: exit 1, said on stderr.
  const nothing = await run(['log', '-c', config, 'no-such-message']);
  assert.is(nothing.code, 1);
  assert.is(nothing.out, '');
  assert.match(nothing.err, /no message in the transfer log matches "no-such-message"/);
  const bad = await run(['log', '-c', config, '--since', 'soon']);
  assert.is(bad.code, 64);
});

test.run();
