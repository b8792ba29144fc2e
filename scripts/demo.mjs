#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// A real sync on a built-in example, no server needed: the sample "server" Maildir in
// test/fixtures/demo-server is copied to a scratch place first (so the fixture is never consumed), then
// syncmail moves it through a local-path remote into a scratch local Maildir.
//
// It is the first thing a newcomer runs, so it never ends in a stack trace: whatever goes wrong, it says
// what happened, repeats syncmail's own message, says what to run, and exits non-zero.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SETUP = 'bash scripts/setup.sh';

/** What syncmail's exit codes (sysexits.h, see src/errors.ts) mean for someone running the demo. */
const MEANING = {
  64: 'syncmail did not accept its command line (a bug in this demo)',
  65: 'some mail stayed on the server for a data reason',
  70: 'syncmail hit an internal error (a bug)',
  74: 'syncmail had trouble with the local disk',
  75: 'syncmail could not finish this time (server unreachable, busy, or timed out)',
  77: 'the server refused syncmail',
  78: 'syncmail could not start: its configuration or its rsync is unusable',
};

class DemoFailure extends Error {
  constructor(what, remedy, quoted = '', exitCode = 1) {
    super(what);
    this.remedy = remedy;
    this.quoted = quoted;
    this.exitCode = exitCode;
  }
}

function quote(text) {
  const lines = text
    .trimEnd()
    .split('\n')
    .filter((line) => line !== '');
  return lines.length === 0
    ? ''
    : `demo: syncmail said:\n${lines.map((l) => `  | ${l}`).join('\n')}\n`;
}

function entries(dir, what) {
  try {
    return readdirSync(dir);
  } catch (err) {
    throw new DemoFailure(
      `${what} ${dir} cannot be read (${err.code ?? err.message})`,
      `run ${SETUP}, then npm run demo again`,
    );
  }
}

function demo(root) {
  const cli = path.join(root, 'dist', 'cli.js');
  if (!existsSync(cli))
    throw new DemoFailure(
      `${cli} is missing: syncmail is not built`,
      `run ${SETUP} (or npm run build), then npm run demo`,
    );
  const scratch = mkdtempSync(path.join(tmpdir(), 'syncmail-demo-'));
  const server = path.join(scratch, 'server', 'inbox');
  const local = path.join(scratch, 'local', 'inbox');
  const fixture = path.join(root, 'test', 'fixtures', 'demo-server');
  if (!existsSync(fixture))
    throw new DemoFailure(
      `the example Maildir ${fixture} is missing`,
      'run the demo from a full clone of the repository',
    );
  cpSync(fixture, server, { recursive: true, preserveTimestamps: true });
  for (const dir of ['cur', 'tmp']) mkdirSync(path.join(server, dir), { recursive: true });
  const logFile = path.join(scratch, 'transfer.log');
  const config = path.join(scratch, 'syncmail.yaml');
  writeFileSync(
    config,
    `# written by scripts/demo.mjs
log: ${logFile}
state: ${path.join(scratch, 'state')}
mailboxes:
  - name: inbox
    remote: ${server}
    local: ${local}
`,
    { mode: 0o600 },
  );

  const sent = entries(path.join(server, 'new'), "the example server's new/").length;
  console.log(`demo: server Maildir ${server} holds ${sent} new messages`);
  console.log(`demo: running syncmail --config ${config} --verbose`);
  // Captured, not inherited, so a failure can quote syncmail's own message next to the advice.
  const run = spawnSync(process.execPath, [cli, '--config', config, '--verbose'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.stdout.write(run.stdout ?? '');
  // On a failure syncmail's stderr is quoted in the report below instead, so it is not shown twice.
  if (run.status === 0) process.stderr.write(run.stderr ?? '');
  if (run.error)
    throw new DemoFailure(
      `could not start syncmail: ${run.error.message}`,
      `run ${SETUP}, then npm run demo again`,
    );
  if (run.status !== 0) {
    const how = run.status === null ? `was killed by ${run.signal}` : `exited with ${run.status}`;
    const meaning = MEANING[run.status];
    throw new DemoFailure(
      `syncmail ${how}${meaning === undefined ? '' : `: ${meaning}`}`,
      run.status === 78
        ? `run ${SETUP} (it installs rsync and what else syncmail needs), then npm run demo again`
        : run.status === 74
          ? `check the disk that holds ${tmpdir()} (df -h), then npm run demo again`
          : `see syncmail's message above; ${SETUP} sets this machine up, then npm run demo again`,
      run.stderr,
      run.status ?? 1,
    );
  }
  console.log('demo: syncmail exited with 0');
  const newDir = path.join(local, 'new');
  if (!existsSync(newDir) || !statSync(newDir).isDirectory())
    throw new DemoFailure(
      `syncmail exited with 0 but the local Maildir's new/ (${newDir}) does not exist`,
      `look at the transfer log ${logFile}; run ${SETUP}, then npm run demo again`,
      run.stderr,
    );
  console.log(
    `demo: local new/ now holds: ${entries(newDir, "the local Maildir's new/").join(', ')}`,
  );
  const left = entries(path.join(server, 'new'), "the example server's new/").length;
  console.log(`demo: server new/ now holds ${left} messages`);
  console.log(`demo: the transfer log is ${logFile}`);
}

try {
  demo(path.dirname(path.dirname(fileURLToPath(import.meta.url))));
} catch (err) {
  if (err instanceof DemoFailure) {
    process.stderr.write(
      `demo: FAILED: ${err.message}\n${quote(err.quoted)}demo: to fix: ${err.remedy}\n`,
    );
    process.exitCode = err.exitCode;
  } else {
    // Not foreseen here: still no stack trace, but everything needed to report it.
    process.stderr.write(
      `demo: FAILED: ${err?.message ?? String(err)}\ndemo: to fix: run ${SETUP}, then npm run demo again; if it still fails, report this message\n`,
    );
    process.exitCode = 1;
  }
}
