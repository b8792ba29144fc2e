// `syncmail install-systemd`, in-process: it writes exactly the two unit files, leaves them alone
// when they are there already, never replaces a different one without --force, and changes nothing
// with --dry-run or --print. It never runs systemctl: it prints the commands.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compare } from '../../src/commands/install-systemd.js';
import { runMain } from '../helpers/capture-io.js';

interface World {
  readonly dir: string;
  readonly config: string;
  readonly units: string;
  run(argv: string[]): Promise<{ code: number; out: string; err: string }>;
}

async function withWorld(schedule: string, body: (w: World) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-install-systemd-'));
  try {
    const config = path.join(dir, 'my mail.yaml');
    mkdirSync(path.join(dir, 'Maildir'));
    writeFileSync(
      config,
      `schedule: ${schedule}\nstate: ${dir}/state\nlog: ${dir}/log\nmailboxes:\n` +
        `  - name: inbox\n    remote: ${dir}/server\n    local: ${dir}/Maildir\n`,
      { mode: 0o600 },
    );
    const env = { XDG_CONFIG_HOME: path.join(dir, 'xdg'), PATH: process.env['PATH'] };
    const run = async (argv: string[]) => {
      return runMain(argv, { env, cwd: dir, homedir: path.join(dir, 'home') });
    };
    await body({ dir, config, units: path.join(dir, 'xdg', 'systemd', 'user'), run });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('writes the service and timer, prints the systemctl commands, then finds them unchanged', () =>
  withWorld('15m', async (w) => {
    const first = await w.run(['install-systemd', '-c', w.config]);
    assert.is(first.code, 0, first.err);
    assert.equal(readdirSync(w.units).sort(), ['syncmail.service', 'syncmail.timer']);
    const service = readFileSync(path.join(w.units, 'syncmail.service'), 'utf8');
    assert.match(service, `ExecStart=${process.execPath} `);
    assert.match(service, /\/dist\/cli\.js --quiet --config /);
    assert.match(service, `"${w.config}"`, 'the config pinned, quoted for its space');
    const timer = readFileSync(path.join(w.units, 'syncmail.timer'), 'utf8');
    assert.match(timer, 'OnCalendar=*:0/15\nPersistent=true');
    assert.match(
      first.out,
      'systemctl --user daemon-reload && systemctl --user enable --now syncmail.timer',
    );
    assert.match(first.out, `${path.join(w.units, 'syncmail.timer')}: wrote`);
    const again = await w.run(['install-systemd', '--config', w.config]);
    assert.is(again.code, 0);
    assert.match(again.out, 'syncmail.service: unchanged');
    assert.match(again.out, 'syncmail.timer: unchanged');
  }));

test('a different unit file there is not replaced without --force, and neither is written', () =>
  withWorld('5m', async (w) => {
    mkdirSync(w.units, { recursive: true });
    const mine = '[Service]\nExecStart=/usr/bin/true\n';
    writeFileSync(path.join(w.units, 'syncmail.service'), mine);
    const refused = await w.run(['install-systemd', '-c', w.config]);
    assert.is(refused.code, 64);
    assert.match(refused.err, 'syncmail.service differs from what would be written, from line 1');
    assert.match(refused.err, '--force');
    assert.is(readFileSync(path.join(w.units, 'syncmail.service'), 'utf8'), mine);
    assert.equal(readdirSync(w.units), ['syncmail.service'], 'the timer not written either');

    const dry = await w.run(['install-systemd', '-c', w.config, '--dry-run']);
    assert.is(dry.code, 0, dry.err);
    assert.match(dry.out, 'syncmail.service: would write (differs');
    assert.match(dry.out, 'syncmail.timer: would write (new)');
    assert.equal(readdirSync(w.units), ['syncmail.service'], '--dry-run writes nothing');

    const forced = await w.run(['install-systemd', '-c', w.config, '--force']);
    assert.is(forced.code, 0, forced.err);
    assert.match(forced.out, 'syncmail.service: wrote (replaced)');
    assert.match(readFileSync(path.join(w.units, 'syncmail.service'), 'utf8'), 'KillMode=mixed');
    assert.equal(readdirSync(w.units).sort(), ['syncmail.service', 'syncmail.timer']);
  }));

test('--print shows both files and writes nothing; an odd schedule is a monotonic timer', () =>
  withWorld('7m', async (w) => {
    const shown = await w.run(['install-systemd', '-c', w.config, '--print']);
    assert.is(shown.code, 0, shown.err);
    assert.match(shown.out, `# ${path.join(w.units, 'syncmail.service')}\n`);
    assert.match(shown.out, `# ${path.join(w.units, 'syncmail.timer')}\n`);
    assert.match(shown.out, 'OnUnitActiveSec=420s');
    assert.not.match(shown.out, 'Persistent=');
    assert.equal(readdirSync(w.dir).includes('xdg'), false, 'nothing written');
    const both = await w.run(['install-systemd', '--print', '--dry-run', '-c', w.config]);
    assert.is(both.code, 64);
    const stray = await w.run(['install-systemd', 'now']);
    assert.is(stray.code, 64);
  }));

test('compare: new, unchanged, or the first line that differs', () => {
  assert.is(compare(undefined, 'a\n'), 'new');
  assert.is(compare('a\nb\n', 'a\nb\n'), 'unchanged');
  assert.equal(compare('a\nb\nc\n', 'a\nB\nc\n'), { differsAt: 2 });
  assert.equal(compare('a\n', 'a\nb\n'), { differsAt: 2 });
});

test.run();
