// The README's server hardening, end to end: syncmail's key in authorized_keys with a forced command,
// `restrict,command="rrsync DIR"` (rrsync ships with rsync), the real rsync over the real test sshd.
// A remote path relative to DIR moves mail and removes the server copies; what rrsync refuses (a path
// with .., an absolute path it joins to DIR, its -ro option) is a configuration error (78) that says so
// and names the fix, never "cannot reach the server, will try again".
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { main } from '../../src/main.js';
import { capturingIo } from '../helpers/capture-io.js';
import {
  assertExactlyOnce,
  deliverAll,
  expectedOf,
  makeMaildir,
  makeTempDir,
  randomMessages,
} from '../helpers/maildir.js';
import { type Sshd, withSshd } from '../helpers/sshd.js';

const tests = suite<{ sshd: Sshd }>('rrsync as the forced command');
withSshd(tests);

interface Setup {
  readonly dir: string;
  readonly server: string;
  readonly local: string;
  config(remotePath: string): string;
}

/** A server Maildir under an rrsync root, a local Maildir, and the key forced into rrsync. */
async function setup(sshd: Sshd, rrsyncOptions: string): Promise<Setup> {
  const dir = await makeTempDir('rrsync');
  const root = path.join(dir, 'server');
  const server = await makeMaildir(path.join(root, 'Maildir'));
  const local = path.join(dir, 'local');
  const keys = path.join(sshd.dir, 'authorized_keys');
  const key = readFileSync(keys, 'utf8')
    .trim()
    .split('\n')
    .at(-1)
    ?.replace(/^.*(ssh-ed25519)/, '$1');
  writeFileSync(keys, `restrict,command="rrsync ${rrsyncOptions}${root}" ${key}\n`, {
    mode: 0o600,
  });
  return {
    dir,
    server,
    local,
    config(remotePath) {
      const file = path.join(dir, `config-${remotePath.replace(/\W/g, '_')}.yaml`);
      const lines = [
        `ssh: ${JSON.stringify(['-F', sshd.sshConfig])}`,
        `log: ${JSON.stringify(path.join(dir, 'transfer.log'))}`,
        `state: ${JSON.stringify(path.join(dir, 'state'))}`,
        'retries: 0',
        'mailboxes:',
        '  - name: inbox',
        `    remote: ${JSON.stringify(`${sshd.hostAlias}:${remotePath}`)}`,
        `    local: ${JSON.stringify(local)}`,
      ];
      writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
      return file;
    },
  };
}

async function sync(config: string): Promise<{ code: number; out: string }> {
  const io = capturingIo(realFs);
  const code = await main(['--config', config], io);
  return { code, out: io.output() };
}

/** Puts the plain key back, so the other tests of the suite log in as before. */
function unforce(sshd: Sshd, s: Setup): void {
  const keys = path.join(sshd.dir, 'authorized_keys');
  writeFileSync(keys, `${readFileSync(keys, 'utf8').replace(/^.*(ssh-ed25519)/m, '$1')}`);
  rmSync(s.dir, { recursive: true, force: true });
}

tests('a path relative to rrsync DIR moves the mail and removes the server copies', async (ctx) => {
  const s = await setup(ctx.sshd, '');
  try {
    const messages = randomMessages(5, { seed: 41 });
    await deliverAll(s.server, messages);
    const r = await sync(s.config('Maildir'));
    assert.is(r.code, 0, r.out);
    assert.is(r.out, 'inbox: 5 new\n');
    await assertExactlyOnce(expectedOf(messages), s.local);
    assert.equal(readdirSync(path.join(s.server, 'new')), [], 'the server copies are removed');
    const again = await sync(s.config('Maildir'));
    assert.is(again.code, 0, again.out);
    assert.is(again.out, 'inbox: no new mail\n');
  } finally {
    unforce(ctx.sshd, s);
  }
});

tests(
  'what rrsync refuses is a config error (78) naming the fix, and nothing moves',
  async (ctx) => {
    const s = await setup(ctx.sshd, '');
    try {
      const messages = randomMessages(2, { seed: 42 });
      await deliverAll(s.server, messages);
      const dotted = await sync(s.config('../server/Maildir'));
      assert.is(dotted.code, 78, dotted.out);
      assert.match(dotted.out, /forced command refused the transfer \(.*do not use \.\./);
      assert.match(dotted.out, /relative to DIR/);
      assert.not.match(dotted.out, /cannot reach|try again/);

      // rrsync joins an absolute path to its DIR: the message shows where rsync looked.
      const absolute = await sync(s.config(s.server));
      assert.is(absolute.code, 78, absolute.out);
      assert.match(absolute.out, /has no Maildir at .* \(rsync looked in .*server.*server/);
      assert.match(absolute.out, /rrsync DIR/);
      assert.is(readdirSync(path.join(s.server, 'new')).length, 2, 'the server keeps its mail');
    } finally {
      unforce(ctx.sshd, s);
    }
  },
);

tests('rrsync -ro: delivered, then its refusal of the removal is told as such', async (ctx) => {
  const s = await setup(ctx.sshd, '-ro ');
  try {
    const messages = randomMessages(2, { seed: 43 });
    await deliverAll(s.server, messages);
    const r = await sync(s.config('Maildir'));
    assert.is(r.code, 78, r.out);
    assert.match(r.out, /option --remove-source-files has been disabled/);
    assert.match(r.out, /-ro, -wo or -no-del/);
    await assertExactlyOnce(expectedOf(messages), s.local);
    assert.is(readdirSync(path.join(s.server, 'new')).length, 2, 'not removed: rrsync refused');
  } finally {
    unforce(ctx.sshd, s);
  }
});

tests.run();
