// The systemd units install-systemd writes: the schedule as a timer, ExecStart quoting, the stop
// behaviour syncmail's signal handling needs, and contrib/'s hand-install copies agreeing with
// them. When systemd-analyze is there, it checks the units as systemd reads them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  describePeriod,
  execWord,
  onCalendar,
  renderService,
  renderTimer,
  renderUnits,
  timerLines,
  type UnitSpec,
} from '../../src/systemd/units.js';

const spec: UnitSpec = {
  node: '/opt/node/bin/node',
  cli: '/usr/lib/node_modules/syncmail/dist/cli.js',
  configFile: '/home/me/.config/syncmail/config.yaml',
  schedule: 300,
};

/** The key=value lines of a unit, comments and blank lines left out. */
function directives(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

test('a schedule that divides the minute, hour or day is a calendar timer', () => {
  assert.is(onCalendar(300), '*:0/5');
  assert.is(onCalendar(60), '*:0/1');
  assert.is(onCalendar(30), '*:*:0/30');
  assert.is(onCalendar(900), '*:0/15');
  assert.is(onCalendar(7200), '0/2:00');
  assert.is(onCalendar(86_400), 'daily');
  assert.is(onCalendar(604_800), 'weekly');
  for (const odd of [7, 420, 90, 5400, 18_000, 172_800, 0, 1.5])
    assert.is(onCalendar(odd), undefined, String(odd));
});

test('Persistent=true only with OnCalendar; any other period is a monotonic timer', () => {
  assert.equal(timerLines(300), ['OnCalendar=*:0/5', 'Persistent=true', 'AccuracySec=1s']);
  assert.equal(timerLines(3600), ['OnCalendar=0/1:00', 'Persistent=true']);
  const odd = directives(timerLines(420).join('\n'));
  assert.equal(odd, ['OnStartupSec=1min', 'OnUnitActiveSec=420s', 'AccuracySec=1s']);
  assert.is(describePeriod(300), '5 minutes');
  assert.is(describePeriod(3600), '1 hour');
  assert.is(describePeriod(90), '90 seconds');
});

test('ExecStart words: plain paths bare, others quoted; % and $ kept literal', () => {
  assert.is(execWord('/usr/bin/node'), '/usr/bin/node');
  assert.is(execWord('/home/me/My Mail/c.yaml'), '"/home/me/My Mail/c.yaml"');
  assert.is(execWord('/a/50%/b'), '/a/50%%/b');
  assert.is(execWord('/a/$HOME/b'), '/a/$$HOME/b');
  assert.is(execWord('/a/"q" \\x'), '"/a/\\"q\\" \\\\x"');
  assert.is(execWord(''), '""');
});

test('the service runs this node and cli by absolute path, quietly, with the config pinned', () => {
  const text = renderService(spec);
  assert.ok(
    text.includes(
      '\nExecStart=/opt/node/bin/node /usr/lib/node_modules/syncmail/dist/cli.js --quiet ' +
        '--config /home/me/.config/syncmail/config.yaml\n',
    ),
    text,
  );
  const lines = directives(text);
  for (const want of ['Type=oneshot', 'KillMode=mixed', 'SuccessExitStatus=75'])
    assert.ok(lines.includes(want), want);
  assert.ok(lines.some((l) => /^TimeoutStopSec=\d+min$/.test(l)));
  assert.not.ok(
    renderService({ ...spec, configFile: undefined }).includes('--config'),
    'no config file: none named',
  );
});

test('the timer names the period and installs into timers.target', () => {
  const text = renderTimer({ ...spec, schedule: 900 });
  assert.match(text, 'Description=Run syncmail every 15 minutes');
  assert.ok(directives(text).includes('OnCalendar=*:0/15'));
  assert.ok(directives(text).includes('WantedBy=timers.target'));
  assert.equal(
    renderUnits(spec).map((u) => u.name),
    ['syncmail.service', 'syncmail.timer'],
  );
});

test("contrib/'s units say what install-systemd writes (but for the paths)", () => {
  const read = (name: string) => readFileSync(path.join('contrib', name), 'utf8');
  const unpathed = (text: string) =>
    directives(text).filter((l) => !/^(ExecStart|Description)=/.test(l));
  const generated = { ...spec, configFile: undefined };
  assert.equal(unpathed(read('syncmail.service')), unpathed(renderService(generated)));
  assert.equal(unpathed(read('syncmail.timer')), unpathed(renderTimer(generated)));
  assert.match(read('syncmail.service'), /^ExecStart=\/\S+\/syncmail --quiet$/m);
});

test('systemd reads the units without a complaint (when systemd-analyze is installed)', () => {
  const units = renderUnits({ ...spec, node: process.execPath, cli: process.execPath });
  const dir = mkdtempSync(path.join(tmpdir(), 'syncmail-units-'));
  try {
    for (const u of units) writeFileSync(path.join(dir, u.name), u.text);
    const files = units.map((u) => path.join(dir, u.name));
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', '--user', ...files], {
      encoding: 'utf8',
      // A user manager's runtime directory; systemd-analyze needs one even to only read files.
      env: { ...process.env, XDG_RUNTIME_DIR: dir },
    });
    if (r.error !== undefined) {
      // Not installed: the text alone, as far as it can be checked here.
      assert.ok(units.every((u) => /^\[Unit\]$/m.test(u.text)));
      return;
    }
    assert.is(r.stderr.trim(), '', 'no warning');
    assert.is(r.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
