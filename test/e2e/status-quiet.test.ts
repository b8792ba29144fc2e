// --quiet's failure reports and `syncmail status`, through main() in-process with a local-path remote
// and the real rsync behind a wrapper that fails like a dropped connection (exit 12, a temporary
// failure) while a "down" file exists: the first failing run says nothing, once the streak has lasted
// quietFailuresFor the problem is said once, the next run says nothing, and after the server is back
// one line says so; `syncmail status` shows each step. Also: a failure a person must fix (no Maildir
// at the remote path) is said at once.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runMain } from '../helpers/capture-io.js';
import { deliver, makeMaildir, makeTempDir } from '../helpers/maildir.js';

const run = (argv: string[]) => runMain(argv);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  name: string;
  state: string;
  failingSince: string | null;
  today: number;
  lastAttempt: { code: number; reason: string | null; outcome: string } | null;
}

async function status(config: string): Promise<{ code: number; rows: Row[] }> {
  const r = await run(['status', '--json', '-c', config]);
  assert.is(r.err, '');
  return { code: r.code, rows: JSON.parse(r.out) as Row[] };
}

test('quiet failures: silent, reported once, silent, then "syncing again"; status follows', async () => {
  const dir = await makeTempDir('status-quiet');
  try {
    const server = await makeMaildir(path.join(dir, 'server'));
    const down = path.join(dir, 'down');
    const rsync = path.join(dir, 'rsync');
    writeFileSync(
      rsync,
      [
        '#!/bin/sh',
        `if [ -e '${down}' ] && [ "$1" != --version ]; then`,
        '  echo "rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]" >&2',
        '  exit 12',
        'fi',
        'exec rsync "$@"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const config = path.join(dir, 'syncmail.yaml');
    writeFileSync(
      config,
      [
        `log: ${JSON.stringify(path.join(dir, 'transfer.log'))}`,
        `state: ${JSON.stringify(path.join(dir, 'state'))}`,
        `rsync: ${JSON.stringify(rsync)}`,
        'retries: 0',
        'quietFailuresFor: 1s',
        'mailboxes:',
        '  - name: inbox',
        `    remote: ${JSON.stringify(server)}`,
        `    local: ${JSON.stringify(path.join(dir, 'local'))}`,
        '  - name: gone',
        `    remote: ${JSON.stringify(path.join(dir, 'no-such-server'))}`,
        `    local: ${JSON.stringify(path.join(dir, 'local-gone'))}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );

    const never = await status(config);
    assert.is(never.code, 75, 'never synced is not ok');
    assert.equal(
      never.rows.map((r) => [r.name, r.state]),
      [
        ['inbox', 'never'],
        ['gone', 'never'],
      ],
    );

    // A failure a person must fix goes through at once, even on the first run.
    const gone = await run(['-c', config, '--quiet', 'gone']);
    assert.is(gone.code, 78);
    assert.match(gone.err, /no Maildir at/);

    writeFileSync(down, '');
    const first = await run(['-c', config, '--quiet', 'inbox']);
    assert.is(first.code, 75);
    assert.is(first.out + first.err, '', 'a young temporary failure says nothing');
    assert.ok(existsSync(path.join(dir, 'state', 'status', 'inbox.json')));
    const failing = await status(config);
    const inbox = failing.rows[0] as Row;
    assert.is(inbox.state, 'failing');
    assert.is(inbox.lastAttempt?.reason, 'unreachable');
    assert.match(inbox.lastAttempt?.outcome ?? '', /^cannot reach/);
    assert.ok(inbox.failingSince !== null);

    await sleep(1100);
    const second = await run(['-c', config, '--quiet', 'inbox']);
    assert.is(second.code, 75);
    assert.is(second.out, '');
    assert.match(second.err, /connection unexpectedly closed/, 'the problem itself');
    assert.match(
      second.err,
      /inbox: failing for 1 s \(since \d\d:\d\d\); syncmail keeps trying and says so when it works again\n$/,
    );

    const third = await run(['-c', config, '--quiet', 'inbox']);
    assert.is(third.code, 75);
    assert.is(third.out + third.err, '', 'reported once per streak');

    rmSync(down);
    await deliver(server, '1700000001.M1P1.mailhost', 'Subject: hi\n\nhello\n');
    const back = await run(['-c', config, '--quiet', 'inbox']);
    assert.is(back.code, 0, back.err);
    assert.is(back.err, '');
    assert.match(back.out, /^inbox: syncing again \(it had failed since \d\d:\d\d\)\n$/);

    const after = await status(config);
    const row = after.rows[0] as Row;
    assert.equal([row.state, row.today, row.failingSince], ['ok', 1, null]);
    assert.is(row.lastAttempt?.outcome, 'ok');
    assert.is(after.code, 75, '"gone" still fails');
    const one = await run(['status', '-c', config, '--format', '{name}:{today}{stale?!}', 'inbox']);
    assert.equal([one.code, one.out], [0, 'inbox:1\n']);

    const quietAgain = await run(['-c', config, '--quiet', 'inbox']);
    assert.is(quietAgain.out + quietAgain.err, '', 'the recovery is said once');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
