// afterSync hooks and desktop notifications through main(), in-process, with the real rsync moving mail
// from local-path remotes (no sshd): a hook gets exactly what was delivered on stdin and its result is
// logged; a hook that hangs is killed with its children, a failing one is one line on stderr, and
// neither changes the exit code or the mail. A fake notify-send first on PATH records its arguments.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { type Io, main } from '../../src/main.js';
import { sendNotice } from '../../src/notify/send.js';
import { deliver, makeMaildir, makeTempDir } from '../helpers/maildir.js';

interface Box {
  readonly name: string;
  /** The mailbox's own hooks.afterSync, as YAML. */
  readonly hook?: string;
}

interface World {
  readonly dir: string;
  readonly config: string;
  server(box: string): string;
  local(box: string): string;
  log(): Array<Record<string, unknown>>;
}

async function world(
  name: string,
  boxes: readonly Box[],
  extra: readonly string[],
): Promise<World> {
  const dir = await makeTempDir(`hooks-${name}`);
  const server = (box: string) => path.join(dir, 'server', box);
  const local = (box: string) => path.join(dir, 'local', box);
  for (const box of boxes) await makeMaildir(server(box.name));
  const lines = [
    `log: ${JSON.stringify(path.join(dir, 'transfer.log'))}`,
    `state: ${JSON.stringify(path.join(dir, 'state'))}`,
    ...extra,
    'mailboxes:',
    ...boxes.flatMap((b) => [
      `  - name: ${b.name}`,
      `    remote: ${JSON.stringify(server(b.name))}`,
      `    local: ${JSON.stringify(local(b.name))}`,
      ...(b.hook === undefined ? [] : [`    hooks: { afterSync: ${b.hook} }`]),
    ]),
  ];
  const config = path.join(dir, 'syncmail.yaml');
  writeFileSync(config, `${lines.join('\n')}\n`, { mode: 0o600 });
  const logFile = path.join(dir, 'transfer.log');
  return {
    dir,
    config,
    server,
    local,
    log: () =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [],
  };
}

let seq = 0;
/** A message in the server's new/, from `from` about `subject`; returns its unique name. */
async function mail(w: World, box: string, from: string, subject: string): Promise<string> {
  seq += 1;
  const name = `1700000000.M${seq}P1Q${seq}.server`;
  const text = `From: ${from}\nSubject: ${subject}\nMessage-ID: <${seq}@example.org>\nDate: Tue, 14 Nov 2023 22:13:20 +0000\n\nbody ${seq}\n`;
  await deliver(w.server(box), name, text);
  return name;
}

async function run(w: World, env: Record<string, string | undefined> = {}) {
  let output = '';
  const io: Io = {
    out: (t) => {
      output += t;
    },
    err: (t) => {
      output += t;
    },
    env: {
      ...process.env,
      XDG_RUNTIME_DIR: undefined,
      DBUS_SESSION_BUS_ADDRESS: undefined,
      ...env,
    },
    cwd: process.cwd(),
    homedir: process.env['HOME'] ?? '/root',
    isTTY: false,
    fs: realFs,
  };
  const code = await main(['--config', w.config], io);
  return { code, output };
}

function events(w: World, name: string): Array<Record<string, unknown>> {
  return w.log().filter((r) => r['event'] === name);
}

const tests = suite('hooks and notifications end to end');

tests('a hook reads exactly the delivered messages on stdin; its run is logged', async () => {
  // Hooks run in the home directory: these write their stdin and environment there.
  const w = await world(
    'stdin',
    [
      {
        name: 'inbox',
        hook: '"cat > inbox.json; echo \\"$SYNCMAIL_RUN $SYNCMAIL_MAILBOX\\" > inbox.env"',
      },
      { name: 'work' },
    ],
    ['hooks: { afterSync: ["/bin/sh", "-c", "cat > \\"$1\\"", "sh", "run.json"] }'],
  );
  try {
    const out = path.join(w.dir, 'home');
    mkdirSync(out);
    const a = await mail(w, 'inbox', 'Alice <alice@example.org>', 'Hello');
    const b = await mail(
      w,
      'inbox',
      '=?UTF-8?Q?J=C3=B6rg?= <jorg@example.org>',
      '=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
    );
    const c = await mail(w, 'work', 'boss@example.org', 'Report');

    const first = await run(w, { HOME: out });
    assert.is(first.code, 0, first.output);
    // The hooks said nothing, so nothing but the summaries is printed.
    assert.is(first.output, 'inbox: 2 new\nwork: 1 new\n');

    const inbox = JSON.parse(readFileSync(path.join(out, 'inbox.json'), 'utf8'));
    const runId = w.log()[0]?.['run'];
    assert.is(inbox.run, runId);
    assert.is(inbox.scope, 'inbox');
    assert.equal(
      inbox.messages.map((m: Record<string, unknown>) => [m['path'], m['subject'], m['from']]),
      [
        [path.join(w.local('inbox'), 'new', a), 'Hello', 'Alice <alice@example.org>'],
        [path.join(w.local('inbox'), 'new', b), 'Grüße', 'Jörg <jorg@example.org>'],
      ],
    );
    for (const m of inbox.messages) assert.ok(existsSync(m.path), `${m.path} is delivered`);
    assert.equal(inbox.messages[0], {
      mailbox: 'inbox',
      path: path.join(w.local('inbox'), 'new', a),
      folder: 'INBOX',
      from: 'Alice <alice@example.org>',
      subject: 'Hello',
      messageId: `<${seq - 2}@example.org>`,
      date: 'Tue, 14 Nov 2023 22:13:20 +0000',
    });
    assert.is(readFileSync(path.join(out, 'inbox.env'), 'utf8'), `${runId} inbox\n`);

    const all = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    assert.is(all.scope, 'run');
    assert.equal(
      all.messages.map((m: Record<string, unknown>) => [m['mailbox'], m['subject']]),
      [
        ['inbox', 'Hello'],
        ['inbox', 'Grüße'],
        ['work', 'Report'],
      ],
    );
    assert.is(all.messages[2].path, path.join(w.local('work'), 'new', c));

    const hooks = events(w, 'hook');
    assert.equal(
      hooks.map((h) => [h['scope'], h['code'], h['delivered'], h['output']]),
      [
        ['inbox', 0, 2, ''],
        ['run', 0, 3, ''],
      ],
    );
    // A run that delivers nothing runs no hook.
    const second = await run(w, { HOME: out });
    assert.is(second.code, 0, second.output);
    assert.is(events(w, 'hook').length, 2);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

tests(
  'a hung hook is killed with its child, a failing one is one line; the run exits 0',
  async () => {
    const w = await world(
      'fail',
      [{ name: 'inbox', hook: '"echo oops >&2; exit 1"' }],
      // The run's hook starts a child and waits for it: the timeout must take both.
      ['hooks: { afterSync: "sleep 30 & echo $! > \\"$SYNCMAIL_RUN.pid\\"; wait", timeout: 1 }'],
    );
    try {
      const name = await mail(w, 'inbox', 'Alice <alice@example.org>', 'Hello');
      // The hook runs in the home directory: give it one of its own here.
      const home = path.join(w.dir, 'home');
      mkdirSync(home);
      const started = Date.now();
      const { code, output } = await run(w, { HOME: home });
      assert.ok(Date.now() - started < 8000, 'not held by the sleeping child');
      assert.is(code, 0, output);
      assert.ok(existsSync(path.join(w.local('inbox'), 'new', name)), 'the mail is delivered');
      assert.is(
        output,
        'inbox: 1 new\n' +
          'syncmail: hook afterSync (inbox) exited with 1: oops\n' +
          'syncmail: hook afterSync was killed after 1 s\n',
      );
      const [failed, killed] = events(w, 'hook');
      assert.is(failed?.['code'], 1);
      assert.is(failed?.['output'], 'oops\n');
      assert.is(killed?.['code'], null);
      assert.is(killed?.['timedOut'], true);
      const runId = w.log()[0]?.['run'] as string;
      const pid = Number(readFileSync(path.join(home, `${runId}.pid`), 'utf8'));
      assert.ok(pid > 0);
      // Gone, or at most a zombie waiting for init to reap it.
      const stat = (() => {
        try {
          return readFileSync(`/proc/${pid}/stat`, 'utf8');
        } catch {
          return '';
        }
      })();
      assert.ok(stat === '' || / Z /.test(stat), `the hook's child ${pid} is killed: ${stat}`);
      assert.is(events(w, 'run-end')[0]?.['code'], 0);
    } finally {
      rmSync(w.dir, { recursive: true, force: true });
    }
  },
);

/** A notify-send that records each call's arguments (NUL-separated) and prints an id, 101, 102, … */
function fakeNotifySend(dir: string): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const script = [
    '#!/bin/sh',
    `calls=${JSON.stringify(path.join(dir, 'calls'))}`,
    'n=$(( $(cat "$calls.count" 2>/dev/null || echo 0) + 1 ))',
    'echo "$n" > "$calls.count"',
    'for a in "$@"; do printf "%s\\0" "$a"; done > "$calls.$n"',
    'echo "$DBUS_SESSION_BUS_ADDRESS" > "$calls.$n.bus"',
    'echo $((100 + n))',
  ];
  writeFileSync(path.join(bin, 'notify-send'), `${script.join('\n')}\n`);
  chmodSync(path.join(bin, 'notify-send'), 0o755);
  return bin;
}

function call(dir: string, n: number): string[] | undefined {
  const file = path.join(dir, `calls.${n}`);
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').split('\0').slice(0, -1);
}

tests('a notification per run, replacing the last one; none without a session bus', async () => {
  const w = await world('notify', [{ name: 'inbox' }, { name: 'lists' }], ['notify: true']);
  try {
    const bin = fakeNotifySend(w.dir);
    const bus = 'unix:path=/nonexistent';
    const env = { PATH: `${bin}:${process.env['PATH']}`, DBUS_SESSION_BUS_ADDRESS: bus };

    await mail(w, 'inbox', '"Alice A." <alice@example.org>', 'Tom & Jerry <3');
    const first = await run(w, env);
    assert.is(first.code, 0, first.output);
    assert.is(first.output, 'inbox: 1 new\nlists: no new mail\n', 'nothing said of it');
    assert.equal(call(w.dir, 1), [
      '--app-name=syncmail',
      '--category=email.arrived',
      '--icon=mail-unread',
      '--print-id',
      '--',
      'New mail from Alice A.',
      'Tom &amp; Jerry &lt;3',
    ]);
    assert.is(readFileSync(path.join(w.dir, 'calls.1.bus'), 'utf8'), `${bus}\n`);
    assert.is(readFileSync(path.join(w.dir, 'state', 'notify-id'), 'utf8'), '101\n');

    await mail(w, 'inbox', 'bob@example.org', 'One');
    await mail(w, 'lists', 'Carol <carol@example.org>', 'Two');
    const second = await run(w, env);
    assert.is(second.code, 0, second.output);
    const args = call(w.dir, 2) ?? [];
    assert.ok(args.includes('--replace-id=101'), args.join(' '));
    assert.equal(args.slice(-2), ['2 new messages', 'bob@example.org: One\nCarol: Two']);
    assert.equal(
      events(w, 'notified').map((e) => [e['messages'], e['failed']]),
      [
        [1, undefined],
        [2, undefined],
      ],
    );

    // No bus (cron): notify-send is not asked, nothing is printed, the log says why.
    await mail(w, 'inbox', 'dave@example.org', 'Three');
    const third = await run(w, { PATH: env.PATH, XDG_RUNTIME_DIR: w.dir });
    assert.is(third.code, 0, third.output);
    assert.is(third.output, 'inbox: 1 new\nlists: no new mail\n');
    assert.is(call(w.dir, 3), undefined, 'not called');
    assert.is(events(w, 'notified')[2]?.['failed'], 'no session bus');
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

tests('an old notify-send that refuses --print-id is asked again without it', async () => {
  const dir = await makeTempDir('hooks-old-notify');
  try {
    const bin = path.join(dir, 'notify-send');
    const script = [
      '#!/bin/sh',
      'for a in "$@"; do case "$a" in --print-id) echo "Unknown option --print-id" >&2; exit 1;; esac; done',
      `printf "%s\\0" "$@" > ${JSON.stringify(path.join(dir, 'args'))}`,
    ];
    writeFileSync(bin, `${script.join('\n')}\n`);
    chmodSync(bin, 0o755);
    const env = { ...process.env, PATH: `${dir}:${process.env['PATH']}` };
    const notice = { summary: 'New mail from Alice', body: 'Hello' };
    writeFileSync(path.join(dir, 'notify-id'), '5\n');
    const failed = await sendNotice(notice, { env, bus: 'unix:path=/nonexistent', state: dir });
    assert.is(failed, undefined);
    const args = readFileSync(path.join(dir, 'args'), 'utf8').split('\0').slice(0, -1);
    assert.equal(args.slice(-3), ['--', 'New mail from Alice', 'Hello']);
    assert.not.ok(args.includes('--replace-id=5'));
    // Not installed: said in the result, not thrown.
    const missing = await sendNotice(notice, {
      env: { PATH: path.join(dir, 'empty') },
      bus: 'unix:path=/nonexistent',
      state: dir,
    });
    assert.is(missing, 'cannot start notify-send: not found');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

tests.run();
