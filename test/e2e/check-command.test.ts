// `syncmail check` end to end: in-process main() with the real rsync, on a local-path remote and over the
// real test sshd (one start for the suite). It must say a healthy setup is healthy (exit 0), fail a
// server folder that is not a Maildir and a host name that does not resolve with the documented code
// (78), and change nothing anywhere.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { main } from '../../src/main.js';
import { capturingIo } from '../helpers/capture-io.js';
import { makeTempDir } from '../helpers/maildir.js';
import { type Sshd, withSshd } from '../helpers/sshd.js';

interface World {
  readonly dir: string;
  readonly config: string;
}

/** A server Maildir `server/` (or a plain folder), an empty local place, and a config naming them. */
async function world(mailboxes: (dir: string) => string): Promise<World> {
  const dir = await makeTempDir('check-');
  for (const sub of ['cur', 'new', 'tmp'])
    mkdirSync(path.join(dir, 'server', sub), { recursive: true });
  mkdirSync(path.join(dir, 'plain', 'new'), { recursive: true });
  writeFileSync(path.join(dir, 'server', 'new', '1.a.host'), 'Subject: hi\n\nx\n');
  const config = path.join(dir, 'syncmail.yaml');
  writeFileSync(config, `state: ${dir}/state\nlog: ${dir}/log\nmailboxes:\n${mailboxes(dir)}`, {
    mode: 0o600,
  });
  return { dir, config };
}

async function check(world: World, ...args: string[]) {
  const io = capturingIo(realFs);
  const code = await main(['check', '-c', world.config, ...args], io);
  return { code, output: io.output() };
}

/** What is on disk under the world's dir, to show check wrote nothing. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

const local = suite('check, local-path remotes');

local('a healthy setup is said to be healthy: exit 0, nothing written', async () => {
  const w = await world(
    (d) => `  - name: inbox\n    remote: ${d}/server\n    local: ${d}/Maildir\n`,
  );
  try {
    const before = tree(w.dir);
    const r = await check(w);
    assert.is(r.code, 0, r.output);
    assert.match(r.output, /ok {7}inbox: server Maildir: .*\/server is a Maildir/);
    assert.match(r.output, /inbox: local Maildir: .*\/Maildir does not exist yet/);
    assert.match(r.output, /\nall checks passed.*: syncmail can sync\n$/);
    assert.equal(tree(w.dir), before);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

local('a server folder that is not a Maildir: 78, saying what is missing; --json too', async () => {
  const w = await world(
    (d) => `  - name: inbox\n    remote: ${d}/plain\n    local: ${d}/Maildir\n`,
  );
  try {
    const r = await check(w);
    assert.is(r.code, 78, r.output);
    assert.match(
      r.output,
      /PROBLEM {2}inbox: server Maildir: .*\/plain is not a Maildir \(no cur\/; no tmp\/\)/,
    );
    assert.match(r.output, /\n1 problem.*: exit 78\n$/);
    const j = await check(w, '--json');
    assert.is(j.code, 78);
    const parsed = JSON.parse(j.output) as { exitCode: number; findings: { level: string }[] };
    assert.is(parsed.exitCode, 78);
    assert.ok(parsed.findings.some((f) => f.level === 'problem'));
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

local.run();

const overSsh = suite<{ sshd: Sshd }>('check, over the test sshd');
withSshd(overSsh);

overSsh('a reachable server; a host name that does not resolve is 78', async ({ sshd }) => {
  const w = await world((d) =>
    [
      '  - name: good',
      `    remote: ${sshd.hostAlias}:${d}/server`,
      `    local: ${d}/Good`,
      `    ssh: ["-F", "${sshd.sshConfig}"]`,
      '  - name: nowhere',
      `    remote: ${sshd.hostAlias}:${d}/server`,
      `    local: ${d}/Nowhere`,
      `    ssh: ["-F", "${sshd.sshConfig}", "-o", "HostName=no-such-host.invalid"]`,
      '',
    ].join('\n'),
  );
  try {
    const good = await check(w, 'good');
    assert.is(good.code, 0, good.output);
    assert.match(
      good.output,
      /ok {7}server mail-server \(good\): ssh logs in .*rsync is \d+\.\d+\.\d+/,
    );
    assert.match(good.output, /ok {7}good: server Maildir: mail-server:.*\/server is a Maildir/);
    const bad = await check(w, 'nowhere');
    assert.is(bad.code, 78, bad.output);
    assert.match(
      bad.output,
      /PROBLEM {2}server mail-server \(nowhere\): the host name does not resolve/,
    );
    assert.match(bad.output, /→ check the host name/);
    // Unreachable: its folder is not listed.
    assert.not.match(bad.output, /nowhere: server Maildir/);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

overSsh.run();
