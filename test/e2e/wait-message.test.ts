// `--wait` says that it waits, and for whom: another syncmail (here a stand-in node process holding the
// local Maildir's lock, as a running sync does) makes the run wait, and stderr says so before the wait,
// naming that process; when the wait runs out, the mailbox is skipped as busy (75).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { main } from '../../src/main.js';
import { capturingIo } from '../helpers/capture-io.js';
import { makeMaildir, makeTempDir } from '../helpers/maildir.js';

const LOCK = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/lock.ts');

test('--wait: "waiting up to N s for another syncmail (pid P)", then busy', async () => {
  const dir = await makeTempDir('wait-message');
  const server = await makeMaildir(path.join(dir, 'server'));
  const local = await makeMaildir(path.join(dir, 'local'));
  mkdirSync(path.join(dir, 'state'));
  const config = path.join(dir, 'config.yaml');
  writeFileSync(
    config,
    `log: ${dir}/log\nstate: ${dir}/state\nmailboxes:\n  - name: inbox\n    remote: ${server}\n    local: ${local}\n`,
  );
  const holder = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const { lockPath } = await import(${JSON.stringify(LOCK)});
       const r = await lockPath(${JSON.stringify(local)}, 'directory', 0, new AbortController().signal);
       console.log(r.kind); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const said = await new Promise<string>((resolve) =>
      holder.stdout.once('data', (d) => resolve(`${d}`)),
    );
    assert.is(said.trim(), 'locked');
    const io = capturingIo(realFs);
    const code = await main(['--wait', '1', '--config', config], io);
    assert.is(code, 75, io.output());
    assert.match(
      io.output(),
      new RegExp(
        `inbox: waiting up to 1 s for another syncmail \\(pid ${holder.pid}\\), which is syncing it\\n`,
      ),
    );
    assert.match(io.output(), /inbox: skipped, another syncmail is syncing it/);
  } finally {
    holder.kill('SIGKILL');
  }
});

test.run();
