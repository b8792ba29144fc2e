// The pre-mutt alias, in a real bash: `syncmail --max-time N` bounds the run, and a Ctrl-C during it does
// not keep the shell from starting mutt when the function traps INT, as the README's function does:
//
//   m() { trap : INT; syncmail --max-time 20; trap - INT; mutt "$@"; }
//
// A terminal's Ctrl-C sends SIGINT to the whole foreground process group: bash and syncmail both get it.
// syncmail holds it, lets the transfer run until the time is up, and ends by SIGINT (cli.ts re-raises it);
// bash without a trap then abandons the rest of the line (no mutt), with the trap it goes on. The built
// CLI (dist/cli.js) as a real process, the real rsync, a local-path remote slowed by --bwlimit.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { shellCommand } from '../../src/text/shell-quote.js';
import { makeMaildir, makeTempDir } from '../helpers/maildir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

const tests = suite('the pre-mutt alias in a real shell');

interface Shell {
  readonly out: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Runs `script` in bash as its own process group; once syncmail is fetching, a Ctrl-C to the group. */
async function ctrlC(script: string, log: string): Promise<Shell> {
  const bash = spawn('bash', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  bash.stdout.on('data', (d) => {
    out += d;
  });
  bash.stderr.on('data', (d) => {
    out += d;
  });
  const ended = new Promise<Shell>((resolve) =>
    bash.on('exit', (code, signal) => resolve({ out, code, signal })),
  );
  // The transfer is underway once rsync's temp file of the message is on the local side (a SIGINT
  // before the fetch starts ends the run there, with nothing for --max-time to stop).
  const places = ['state', 'local'].map((d) => path.join(path.dirname(log), d));
  const fetching = () =>
    places.some(
      (d) =>
        existsSync(d) &&
        readdirSync(d, { recursive: true }).some((n) => String(n).includes('M1P1.big')),
    );
  const until = Date.now() + 30_000;
  while (!fetching()) {
    if (Date.now() > until) throw new Error(`syncmail did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(-(bash.pid as number), 'SIGINT');
  const shell = await ended;
  // Wait for the output to drain: 'exit' can come before the last bytes of the pipes.
  await new Promise((r) => setTimeout(r, 50));
  return { ...shell, out };
}

async function world(name: string): Promise<{ dir: string; config: string; log: string }> {
  const dir = await makeTempDir(name);
  const server = await makeMaildir(path.join(dir, 'server'));
  // 2 MB at 200 KB/s: the transfer outlasts the time limit.
  writeFileSync(path.join(server, 'new', '1700000000.M1P1.big'), Buffer.alloc(2_000_000, 'x'));
  const log = path.join(dir, 'transfer.log');
  const config = path.join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `log: ${JSON.stringify(log)}`,
      `state: ${JSON.stringify(path.join(dir, 'state'))}`,
      'mailboxes:',
      '  - name: inbox',
      `    remote: ${JSON.stringify(server)}`,
      `    local: ${JSON.stringify(path.join(dir, 'local'))}`,
      '    rsyncArgs: ["--bwlimit=200"]',
    ].join('\n'),
  );
  return { dir, config, log };
}

const syncmail = (config: string) =>
  `${shellCommand([process.execPath, CLI, '--max-time', '3', '--config', config])}`;

tests('with the trap: Ctrl-C, the run ends by SIGINT at --max-time, and mutt starts', async () => {
  const w = await world('alias-trap');
  const script = `m() { trap : INT; ${syncmail(w.config)}; echo "syncmail exit $?"; trap - INT; echo "mutt starts"; }; m`;
  const shell = await ctrlC(script, w.log);
  assert.match(shell.out, /syncmail exit 130\n/, shell.out);
  assert.match(shell.out, /mutt starts\n/, shell.out);
  assert.match(shell.out, /stopped at --max-time 3 s/, shell.out);
  assert.is(shell.code, 0, shell.out);
  // Nothing half-written is visible: the message is not delivered, and stays on the server.
  assert.equal(readdirSync(path.join(w.dir, 'local', 'new')), []);
  assert.equal(readdirSync(path.join(w.dir, 'server', 'new')), ['1700000000.M1P1.big']);
});

tests('without it, bash gives up the rest of the line (why the README says to trap)', async () => {
  const w = await world('alias-plain');
  const shell = await ctrlC(`${syncmail(w.config)}; echo "mutt starts"`, w.log);
  assert.not.match(shell.out, /mutt starts/, shell.out);
  assert.is(shell.signal, 'SIGINT', shell.out);
});

tests.run();
