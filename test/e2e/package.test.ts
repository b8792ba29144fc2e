// The packed tarball works after `npm install -g`: the bin link, the shebang, the dependencies.

import { readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VERSION } from '../../src/version.js';
import {
  assertExactlyOnce,
  deliverAll,
  expectedOf,
  makeMaildir,
  makeTempDir,
  randomMessages,
} from '../helpers/maildir.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

test('src/version.ts matches package.json', () => {
  assert.is(VERSION, pkg.version);
});

test('an open-files limit too low to run: exit 74 saying so, not a stack trace, nothing moved', async () => {
  // The bundle loads with ~20 descriptors; a sync needs more (locks, the log, each spawn's pipes).
  // Without the check before each spawn, Node's failed spawn killed the process with an unhandled
  // 'error' event (exit 1) after execa's own TypeError.
  const dir = await makeTempDir('fd-limit');
  const server = path.join(dir, 'server');
  await makeMaildir(server);
  await deliverAll(server, randomMessages(2, { seed: 7 }));
  const config = path.join(dir, 'syncmail.json');
  writeFileSync(
    config,
    JSON.stringify({
      log: path.join(dir, 'log'),
      state: path.join(dir, 'state'),
      mailboxes: [{ name: 'in', remote: server, local: path.join(dir, 'local') }],
    }),
  );
  const r = await execa('bash', ['-c', `ulimit -n 26 && exec node dist/cli.js -c '${config}'`], {
    reject: false,
  });
  assert.is(r.exitCode, 74, r.stderr);
  assert.match(r.stderr, /in: too many open files \(/);
  assert.match(r.stderr, /ulimit -n 1024/);
  assert.not.match(r.stderr, / {4}at /, 'no stack trace');
  assert.is(
    (await readdir(path.join(server, 'new'))).length,
    2,
    'both messages still on the server',
  );
});

test('npm pack, npm install -g, then the installed syncmail moves mail', async () => {
  const dir = await makeTempDir('pack');
  await execa('npm', ['pack', '--pack-destination', dir], { stdin: 'ignore' });
  const tarball = path.join(dir, `syncmail-${pkg.version}.tgz`);
  const listing = await execa('tar', ['tzf', tarball]);
  assert.ok(listing.stdout.includes('package/dist/cli.js'));
  assert.not.ok(listing.stdout.includes('package/src/'), 'sources are not shipped, only dist');
  assert.not.ok(listing.stdout.includes('package/test/'));
  for (const file of ['dist/syncmail.1', 'contrib/syncmail.service', 'contrib/muttrc.example'])
    assert.ok(listing.stdout.includes(`package/${file}`), `${file} is shipped`);
  // --prefer-offline: whatever the npm cache holds is taken from there, the rest from the registry. With
  // --offline an empty cache (a fresh CI machine), or one `npm ci` filled with tarballs but not the
  // package documents `npm install` reads, failed with ENOTCACHED.
  await execa(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      path.join(dir, 'prefix'),
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
    ],
    { stdin: 'ignore' },
  );
  const bin = path.join(dir, 'prefix', 'bin', 'syncmail');
  const version = await execa(bin, ['--version']);
  assert.is(version.stdout, `syncmail ${pkg.version}`);
  const usage = await execa(bin, ['--bogus'], { reject: false });
  assert.is(usage.exitCode, 64);
  assert.match(String(usage.stderr), /--help/);

  const server = await makeMaildir(path.join(dir, 'server'));
  const messages = randomMessages(5, { seed: 77 });
  await deliverAll(server, messages);
  const config = path.join(dir, 'c.yaml');
  writeFileSync(
    config,
    `log: ${path.join(dir, 'log')}\nstate: ${path.join(dir, 'state')}\nmailboxes:\n  - name: inbox\n    remote: ${server}\n    local: ${path.join(dir, 'local')}\n`,
    { mode: 0o600 },
  );
  const run = await execa(bin, ['--config', config], { reject: false });
  assert.is(run.exitCode, 0, String(run.stderr));
  assert.is(run.stdout, 'inbox: 5 new');
  await assertExactlyOnce(expectedOf(messages), path.join(dir, 'local'));
  assert.equal(await readdir(path.join(server, 'new')), []);

  // The everyday commands of the installed package, in a real bash with it on PATH.
  const sh = (line: string) =>
    execa('bash', ['-c', line], {
      reject: false,
      env: { ...process.env, PATH: `${path.dirname(bin)}:${process.env['PATH']}` },
    });
  const c = `--config ${config}`;
  const status = await sh(`syncmail status ${c} --format '{name}:{today}:{state}'`);
  assert.is(status.stdout, 'inbox:5:ok', String(status.stderr));
  const story = await sh(`syncmail log ${c} ${messages[0]?.name}`);
  assert.is(story.exitCode, 0, String(story.stderr));
  assert.match(story.stdout, /delivered → .*local\/new\//);
  assert.match(story.stdout, /removed from /);
  const verify = await sh(`syncmail verify ${c}`);
  assert.is(verify.exitCode, 0, String(verify.stdout));
  assert.match(verify.stdout, /5 messages delivered/);
  const check = await sh(`syncmail check --offline ${c}`);
  assert.is(check.exitCode, 0, String(check.stdout));
  const completion = await sh('syncmail completion bash | bash -n && echo parsed');
  assert.is(completion.stdout, 'parsed', String(completion.stderr));
  // The man page is linked where man looks for it, and the no-config message names the shipped example.
  const manLink = path.join(dir, 'prefix', 'share', 'man', 'man1', 'syncmail.1');
  assert.match(readFileSync(manLink, 'utf8'), /^\.TH SYNCMAIL 1/m);
  const none = await sh(`HOME=${dir}/nohome XDG_CONFIG_HOME= syncmail status`);
  assert.is(none.exitCode, 78);
  assert.match(
    String(none.stderr),
    /cp \S*prefix\/lib\/node_modules\/syncmail\/\.syncmailrc\.example /,
  );
});

test.run();
