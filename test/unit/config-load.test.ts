// loadConfig end to end: --config, the search and its order, XDG, the config-file safety checks, cosmiconfig's
// meta-config pitfalls, the good fixtures and .syncmailrc.example. Every test works in its own temporary
// directory with an explicit env and home directory; none depends on the real $HOME or on process.env.

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type LoadOptions, loadConfig } from '../../src/config/load.js';
import { ConfigSyntaxError } from '../../src/config/syntax.js';
import type { Config } from '../../src/config/types.js';
import { MAILBOX_KEYS, TOP_KEYS } from '../../src/config/validate.js';
import { ConfigError, InternalError } from '../../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const good = resolve(here, '../fixtures/configs/good');
const example = resolve(here, '../../.syncmailrc.example');
const isRoot = process.getuid?.() === 0;

interface Sandbox {
  readonly root: string;
  readonly home: string;
  /** Writes `content` to root/`relative` (directories 0700, the file `mode`), returns the path. */
  write(relative: string, content: string, mode?: number): string;
  /** loadConfig with env {HOME: home} (plus `env`) and homedir home. */
  load(options: Partial<LoadOptions>): Promise<Config>;
}

async function withSandbox(work: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'syncmail-load-')));
  const home = join(root, 'home');
  mkdirSync(home, { mode: 0o700 });
  const sandbox: Sandbox = {
    root,
    home,
    write(relative, content, mode = 0o600) {
      const file = join(root, relative);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, content);
      chmodSync(file, mode);
      return file;
    },
    load(options) {
      return loadConfig({
        cwd: home,
        homedir: home,
        ...options,
        env: { HOME: home, ...options.env },
      });
    },
  };
  try {
    await work(sandbox);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The ConfigError that `promise` rejects with. */
async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) {
      assert.is(error.exitCode, 78);
      return error;
    }
    throw error;
  }
  assert.unreachable('expected a ConfigError, but the config loaded');
  throw new Error('unreachable');
}

/** A config whose only mailbox is called `name`. */
function rc(name: string): string {
  return `mailboxes:\n  - name: ${name}\n    remote: mail-server:Maildir\n    local: ~/Maildir\n`;
}

const nameOf = (config: Config): string => config.mailboxes[0]!.name;

// --- --config and the good fixtures ---------------------------------------------------------------------------

test('good fixtures: minimal.yaml gets every default', () =>
  withSandbox(async (sb) => {
    const file = sb.write('cfg/minimal.yaml', readFileSync(join(good, 'minimal.yaml'), 'utf8'));
    const config = await sb.load({ configPath: file });
    assert.is(config.file, file);
    assert.is(config.log, join(sb.home, '.local/state/syncmail/transfer.log'));
    assert.equal(
      [
        config.onConflict,
        config.connectTimeout,
        config.ioTimeout,
        config.maxMinutes,
        config.retries,
        config.retryDelay,
        config.rsync,
      ],
      ['keep', 30, 300, 120, 1, 5, 'rsync'],
    );
    assert.equal(config.mailboxes, [
      {
        name: 'inbox',
        remote: { kind: 'ssh', user: undefined, host: 'mail-server', path: 'Maildir' },
        remoteText: 'mail-server:Maildir',
        local: join(sb.home, 'Maildir'),
        ssh: [],
        rsyncArgs: [],
        folders: join(sb.home, 'Maildir'),
        rules: [],
      },
    ]);
  }));

test('good fixtures: full.yaml and full.json give the same config; ~ is homedir, $HOME comes from env', () =>
  withSandbox(async (sb) => {
    const env = { HOME: '/env-home', STATE: join(sb.root, 'state') };
    const yaml = await sb.load({
      configPath: sb.write('cfg/full.yaml', readFileSync(join(good, 'full.yaml'), 'utf8')),
      env,
    });
    const json = await sb.load({
      configPath: sb.write('cfg/full.json', readFileSync(join(good, 'full.json'), 'utf8')),
      env,
    });
    assert.equal({ ...yaml, file: '' }, { ...json, file: '' });
    assert.is(yaml.log, join(sb.root, 'state/syncmail.log'));
    assert.equal(
      [
        yaml.onConflict,
        yaml.connectTimeout,
        yaml.ioTimeout,
        yaml.maxMinutes,
        yaml.retries,
        yaml.retryDelay,
      ],
      ['rename', 10, 600, 30, 3, 0.5],
    );
    assert.is(yaml.rsync, '/usr/local/bin/rsync');
    const [inbox, lists] = yaml.mailboxes;
    assert.equal(inbox!.ssh, ['-F', join(sb.home, '.ssh/config'), '-o', 'ServerAliveInterval=15']);
    assert.equal(inbox!.remote, {
      kind: 'ssh',
      user: 'me',
      host: 'mail.example.org',
      path: 'Maildir',
    });
    assert.is(inbox!.local, join(sb.home, 'Maildir'));
    assert.equal(inbox!.rsyncArgs, [
      '--bwlimit=500',
      '-z',
      '--compress-level=3',
      '--rsync-path=sudo -u mail rsync',
      '--cc=xxh128',
      '-4',
    ]);
    assert.is(lists!.name, 'lists.work_2');
    assert.equal(lists!.ssh, ['-p', '2222']);
    assert.is(lists!.local, '/env-home/mail/lists');
    assert.is(lists!.remoteText, 'mail-server:mail/My Lists');
  }));

test('good fixtures: remotes.yml (local remote, ~ left for the server, IPv6, colon after a slash)', () =>
  withSandbox(async (sb) => {
    const file = sb.write('cfg/remotes.yml', readFileSync(join(good, 'remotes.yml'), 'utf8'));
    const config = await sb.load({
      configPath: file,
      env: { SPOOL: '/var/spool/mail', BOX: 'box1' },
    });
    const remotes = config.mailboxes.map((m) => [m.remote, m.remoteText]);
    assert.equal(remotes, [
      [{ kind: 'local', path: '/var/spool/mail/inbox' }, '/var/spool/mail/inbox/'],
      [{ kind: 'ssh', user: undefined, host: 'mail-server', path: '~/box1' }, 'mail-server:~/box1'],
      [
        { kind: 'ssh', user: 'me', host: '[2001:db8::1]', path: 'Maildir' },
        'me@[2001:db8::1]:Maildir',
      ],
      [{ kind: 'local', path: '/srv/mail:archive/inbox' }, '/srv/mail:archive/inbox'],
    ]);
  }));

test('good fixtures: package.json "syncmail" key, .syncmailrc without extension, syncmail.config.mjs', () =>
  withSandbox(async (sb) => {
    for (const [name, check] of [
      ['package.json', (c: Config) => nameOf(c) === 'inbox'],
      ['.syncmailrc', (c: Config) => c.retries === 0],
      ['syncmail.config.mjs', (c: Config) => c.retries === 2],
    ] as const) {
      const file = sb.write(`cfg-${name}/${name}`, readFileSync(join(good, name), 'utf8'));
      const config = await sb.load({ configPath: file });
      assert.ok(check(config), name);
      assert.is(config.file, file);
    }
  }));

test('.syncmailrc.example loads, and explains every key', () =>
  withSandbox(async (sb) => {
    const text = readFileSync(example, 'utf8');
    const config = await sb.load({ configPath: sb.write('cfg/.syncmailrc.example', text) });
    assert.equal(
      config.mailboxes.map((m) => m.name),
      ['inbox', 'lists'],
    );
    assert.equal(config.mailboxes[1]!.ssh, ['-p', '2222', '-i', join(sb.home, '.ssh/id_mail')]);
    assert.equal(config.mailboxes[0]!.ssh, ['-F', join(sb.home, '.ssh/config')]);
    for (const key of [...TOP_KEYS, ...MAILBOX_KEYS]) {
      assert.ok(new RegExp(`^\\s*#.*\\b${key}\\b`, 'm').test(text), `no comment mentions ${key}`);
      assert.ok(
        new RegExp(`^\\s*(- )?${key}:`, 'm').test(text),
        `${key} is not set in the example`,
      );
    }
  }));

test('a relative --config is relative to opts.cwd, not the process directory', () =>
  withSandbox(async (sb) => {
    sb.write('home/proj/my.yaml', rc('relative'));
    const config = await sb.load({ configPath: 'my.yaml', cwd: join(sb.home, 'proj') });
    assert.is(nameOf(config), 'relative');
    assert.is(config.file, join(sb.home, 'proj/my.yaml'));
  }));

test('--config: a missing file is "no such file", with a hint', () =>
  withSandbox(async (sb) => {
    const missing = join(sb.root, 'nope.yaml');
    const error = await configError(sb.load({ configPath: missing }));
    assert.equal(error.problems, ['no such file']);
    assert.is(error.message, `${missing}: no such file`);
    assert.match(error.hint ?? '', 'check the path given to --config');
    const inMissingDir = await configError(sb.load({ configPath: join(sb.root, 'no/dir/c.yaml') }));
    assert.equal(inMissingDir.problems, ['no such file']);
  }));

test('--config: a directory cannot be read as a config', () =>
  withSandbox(async (sb) => {
    const error = await configError(sb.load({ configPath: sb.root }));
    assert.is(error.message, `${sb.root}: is a directory, not a config file`);
  }));

if (isRoot) {
  console.log(
    '  (config-load: running as root, which can read a chmod 000 file; the unreadable-file case is tested with a directory instead)',
  );
} else {
  test('--config: an unreadable file (chmod 000)', () =>
    withSandbox(async (sb) => {
      const file = sb.write('c.yaml', rc('x'), 0o000);
      const error = await configError(sb.load({ configPath: file }));
      assert.match(error.message, 'cannot be read: permission denied');
    }));
}

test('--config: empty file, comments only, broken package.json, package.json without our key, TypeScript', () =>
  withSandbox(async (sb) => {
    assert.equal((await configError(sb.load({ configPath: sb.write('e.yaml', '') }))).problems, [
      'is empty',
    ]);
    assert.match(
      (await configError(sb.load({ configPath: sb.write('c.yaml', '# nothing\n') }))).message,
      'contains no settings',
    );
    const broken = await configError(
      sb.load({ configPath: sb.write('p1/package.json', '{\n  "name": "x",\n}\n') }),
    );
    assert.instance(broken, ConfigSyntaxError);
    assert.is(
      broken.message,
      `${join(sb.root, 'p1/package.json')}:3:1: a comma before "}" is not allowed in JSON; remove it`,
    );
    const unrelated = await configError(
      sb.load({ configPath: sb.write('p2/package.json', '{"name": "x"}') }),
    );
    assert.equal(unrelated.problems, ['has no "syncmail" key']);
    const ts = await configError(sb.load({ configPath: sb.write('c.ts', 'export default {}') }));
    assert.equal(ts.problems, [
      '.ts config files are not supported; use .yaml, .json, .js or .mjs',
    ]);
  }));

test('--config: a JS config that throws is a ConfigError', () =>
  withSandbox(async (sb) => {
    const file = sb.write('throws.mjs', 'throw new Error("boom");\n');
    const error = await configError(sb.load({ configPath: file }));
    assert.equal(error.problems, ['could not be loaded: boom']);
  }));

// --- safety: who can change the config ------------------------------------------------------------------------

test('a group-writable or world-writable config file is refused, naming it, its mode and the chmod', () =>
  withSandbox(async (sb) => {
    const group = sb.write('g.yaml', rc('x'), 0o664);
    const error = await configError(sb.load({ configPath: group }));
    assert.equal(error.problems, [`is writable by group (mode 0664); run: chmod go-w '${group}'`]);
    assert.match(error.message, group);
    const others = sb.write('o.yaml', rc('x'), 0o646);
    assert.equal((await configError(sb.load({ configPath: others }))).problems, [
      `is writable by others (mode 0646); run: chmod go-w '${others}'`,
    ]);
  }));

test('a group-writable directory above the config is refused, naming the directory', () =>
  withSandbox(async (sb) => {
    const file = sb.write("shared dir/it's/c.yaml", rc('x'));
    const dir = join(sb.root, 'shared dir');
    chmodSync(dir, 0o775);
    const error = await configError(sb.load({ configPath: file }));
    assert.equal(error.problems, [
      `the directory ${dir} is writable by group (mode 0775), so others could replace the config file; run: chmod go-w '${dir}'`,
    ]);
    chmodSync(dir, 0o755);
    assert.is(nameOf(await sb.load({ configPath: file })), 'x', 'fixed by chmod go-w');
  }));

test('a config reached through a symbolic link is checked where it really is', () =>
  withSandbox(async (sb) => {
    const real = sb.write('open/c.yaml', rc('x'));
    chmodSync(join(sb.root, 'open'), 0o777);
    const link = join(sb.home, 'c.yaml');
    symlinkSync(real, link);
    const error = await configError(sb.load({ configPath: link }));
    assert.match(
      error.message,
      `the directory ${join(sb.root, 'open')} is writable by group and others (mode 0777)`,
    );
  }));

if (isRoot) {
  test('a sticky directory owned by root (like /tmp) is fine', () =>
    withSandbox(async (sb) => {
      const file = sb.write('sticky/c.yaml', rc('sticky'));
      chmodSync(join(sb.root, 'sticky'), 0o1777);
      assert.is(nameOf(await sb.load({ configPath: file })), 'sticky');
    }));

  test('a config file owned by someone else (not root) is refused', () =>
    withSandbox(async (sb) => {
      const file = sb.write('c.yaml', rc('x'));
      chownSync(file, 12345, 12345);
      const error = await configError(sb.load({ configPath: file }));
      assert.equal(error.problems, [
        `is owned by user id 12345, not by you (user id 0) or root; run: chown 0 '${file}'`,
      ]);
    }));
} else {
  console.log(
    '  (config-load: not root, so the sticky-directory and foreign-owner cases cannot be set up)',
  );
}

test('an unsafe JS config is refused before it runs', () =>
  withSandbox(async (sb) => {
    const marker = join(sb.root, 'ran');
    const file = sb.write(
      'home/.syncmailrc.mjs',
      `import {writeFileSync} from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x');\nexport default {};\n`,
      0o664,
    );
    const error = await configError(sb.load({}));
    assert.is(
      error.message,
      `${file}: is writable by group (mode 0664); run: chmod go-w '${file}'`,
    );
    assert.not.ok(existsSync(marker), 'the config ran');
  }));

test('the safety check applies to found files, including package.json', () =>
  withSandbox(async (sb) => {
    const pkg = sb.write(
      'home/proj/package.json',
      JSON.stringify({ name: 'p', syncmail: { mailboxes: [] } }),
      0o666,
    );
    const error = await configError(sb.load({ cwd: join(sb.home, 'proj') }));
    assert.equal(error.problems, [
      `is writable by group and others (mode 0666); run: chmod go-w '${pkg}'`,
    ]);
    const rcFile = sb.write('home/other/.syncmailrc', rc('x'), 0o620);
    assert.match(
      (await configError(sb.load({ cwd: join(sb.home, 'other') }))).message,
      `${rcFile}:`,
    );
  }));

// --- the search -----------------------------------------------------------------------------------------------

test('search order: working directory, then parents up to home, then XDG; nothing above home', () =>
  withSandbox(async (sb) => {
    const cwd = join(sb.home, 'proj/sub');
    const inCwd = sb.write('home/proj/sub/.syncmailrc', rc('cwd'));
    const inParent = sb.write('home/proj/.syncmailrc.yaml', rc('parent'));
    const inHome = sb.write(
      'home/syncmail.config.json',
      JSON.stringify({ mailboxes: [{ name: 'home', remote: 'h:M', local: '/m' }] }),
    );
    const inXdg = sb.write('home/.config/syncmail/config.yaml', rc('xdg'));
    sb.write('.syncmailrc', rc('above-home'));

    assert.is(nameOf(await sb.load({ cwd })), 'cwd');
    unlinkSync(inCwd);
    assert.is(nameOf(await sb.load({ cwd })), 'parent');
    unlinkSync(inParent);
    const fromHome = await sb.load({ cwd });
    assert.is(nameOf(fromHome), 'home');
    assert.is(fromHome.file, inHome);
    unlinkSync(inHome);
    const fromXdg = await sb.load({ cwd });
    assert.is(nameOf(fromXdg), 'xdg');
    assert.is(fromXdg.file, inXdg);
    unlinkSync(inXdg);
    const none = await configError(sb.load({ cwd }));
    assert.equal(none.problems, ['no config file found']);
    assert.match(none.hint ?? '', `in ${cwd} and the directories above it up to ${sb.home}`);
    assert.match(none.hint ?? '', join(sb.home, '.config/syncmail'));
    // The way to start: copy the example that ships with this syncmail, by its absolute path.
    const dir = join(sb.home, '.config/syncmail');
    assert.ok(
      (none.hint ?? '').includes(`\n    mkdir -p ${dir} && cp ${example} ${dir}/config.yaml`),
      none.hint,
    );
  }));

test('in one directory, package.json (with a "syncmail" key) comes first, then .syncmailrc', () =>
  withSandbox(async (sb) => {
    sb.write(
      'home/package.json',
      JSON.stringify({
        name: 'p',
        syncmail: { mailboxes: [{ name: 'pkg', remote: 'h:M', local: '/m' }] },
      }),
    );
    sb.write('home/.syncmailrc', rc('rc'));
    sb.write('home/syncmail.config.yaml', rc('config'));
    assert.is(nameOf(await sb.load({})), 'pkg');
    sb.write('home/package.json', JSON.stringify({ name: 'p' }));
    assert.is(nameOf(await sb.load({})), 'rc');
  }));

test('XDG_CONFIG_HOME from opts.env is honoured; a relative one is ignored', () =>
  withSandbox(async (sb) => {
    sb.write('home/.config/syncmail/config.yaml', rc('default-xdg'));
    sb.write(
      'xdg/syncmail/config.json',
      JSON.stringify({ mailboxes: [{ name: 'custom-xdg', remote: 'h:M', local: '/m' }] }),
    );
    assert.is(
      nameOf(await sb.load({ env: { XDG_CONFIG_HOME: join(sb.root, 'xdg') } })),
      'custom-xdg',
    );
    assert.is(nameOf(await sb.load({ env: { XDG_CONFIG_HOME: 'xdg' } })), 'default-xdg');
    assert.is(nameOf(await sb.load({})), 'default-xdg');
  }));

test('the search ignores process.env.XDG_CONFIG_HOME and puts it back afterwards', () =>
  withSandbox(async (sb) => {
    sb.write('wrong/syncmail/config.yaml', rc('from-process-env'));
    sb.write('home/.config/syncmail/config.yaml', rc('from-opts'));
    const before = process.env['XDG_CONFIG_HOME'];
    process.env['XDG_CONFIG_HOME'] = join(sb.root, 'wrong');
    try {
      assert.is(nameOf(await sb.load({})), 'from-opts');
      assert.is(process.env['XDG_CONFIG_HOME'], join(sb.root, 'wrong'));
    } finally {
      if (before === undefined) delete process.env['XDG_CONFIG_HOME'];
      else process.env['XDG_CONFIG_HOME'] = before;
    }
  }));

test('in the XDG directory only config.{json,yaml,yml,js,mjs} are read', () =>
  withSandbox(async (sb) => {
    sb.write('home/.config/syncmail/config', rc('no-extension'));
    sb.write('home/.config/syncmail/config.cjs', 'module.exports = {};');
    assert.equal((await configError(sb.load({}))).problems, ['no config file found']);
    sb.write(
      'home/.config/syncmail/config.mjs',
      `export default ${JSON.stringify({ mailboxes: [{ name: 'mjs', remote: 'h:M', local: '/m' }] })};`,
    );
    assert.is(nameOf(await sb.load({})), 'mjs');
  }));

test('an empty or comment-only file of ours in the search is an error, not skipped', () =>
  withSandbox(async (sb) => {
    const cwd = join(sb.home, 'proj');
    sb.write('home/.syncmailrc', rc('parent'));
    const empty = sb.write('home/proj/.syncmailrc.yml', '\n  \n');
    const error = await configError(sb.load({ cwd }));
    assert.is(error.message, `${empty}: is empty`);
    unlinkSync(empty);
    const comments = sb.write('home/proj/.syncmailrc.json', '');
    assert.is((await configError(sb.load({ cwd }))).message, `${comments}: is empty`);
    unlinkSync(comments);
    const onlyComments = sb.write('home/proj/syncmail.config.yaml', '# later\n');
    assert.match(
      (await configError(sb.load({ cwd }))).message,
      `${onlyComments}: contains no settings`,
    );
    unlinkSync(onlyComments);
    assert.is(nameOf(await sb.load({ cwd })), 'parent');
  }));

test('a broken file of ours found by the search reports line and column', () =>
  withSandbox(async (sb) => {
    const file = sb.write('home/.syncmailrc', 'mailboxes:\n  - name: x\n   remote: y\n');
    const error = await configError(sb.load({}));
    assert.instance(error, ConfigSyntaxError);
    assert.is(error.message, `${file}:3:4: bad indentation of a sequence entry`);
  }));

test('a broken or unrelated package.json on the search path is passed over', () =>
  withSandbox(async (sb) => {
    const cwd = join(sb.home, 'proj');
    sb.write('home/proj/package.json', '{ "name": "broken", ');
    sb.write('home/package.json', '');
    sb.write('home/.syncmailrc', rc('found'));
    assert.is(nameOf(await sb.load({ cwd })), 'found');
  }));

// --- cosmiconfig's meta config in the process directory -------------------------------------------------------

async function inProcessDirectory(dir: string, work: () => Promise<void>): Promise<void> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    await work();
    assert.is(process.cwd(), dir, 'loadConfig must leave the process directory as it was');
  } finally {
    process.chdir(before);
  }
}

test('a broken package.json and .config/config.yaml in the process directory do not break loading', () =>
  withSandbox(async (sb) => {
    const dir = join(sb.home, 'proj');
    sb.write('home/proj/package.json', '{ this is not json');
    sb.write('home/proj/.config/config.yaml', 'cosmiconfig: [unclosed\n  : :\n');
    sb.write('home/proj/.syncmailrc', rc('searched'));
    const explicit = sb.write('elsewhere/c.yaml', rc('explicit'));
    await inProcessDirectory(dir, async () => {
      assert.is(nameOf(await sb.load({ cwd: dir })), 'searched');
      assert.is(nameOf(await sb.load({ configPath: explicit })), 'explicit');
    });
  }));

test('a cosmiconfig meta config in the process directory cannot redirect the search', () =>
  withSandbox(async (sb) => {
    const dir = join(sb.home, 'proj');
    sb.write(
      'home/proj/.config/config.json',
      JSON.stringify({ cosmiconfig: { searchPlaces: ['evil.yaml'] } }),
    );
    sb.write('home/proj/evil.yaml', rc('evil'));
    sb.write('home/.syncmailrc', rc('good'));
    await inProcessDirectory(dir, async () => {
      assert.is(nameOf(await sb.load({ cwd: dir })), 'good');
    });
  }));

// Run in a child process started in `trap`, a directory with everything that once misled a cosmiconfig explorer
// built in process.cwd(), and with HOME and XDG_CONFIG_HOME pointing into it too. It loads each of the options
// twice, the second time with process.cwd, process.chdir and os.homedir spied on (the first run loads the
// modules that loading pulls in lazily), and prints what it found and what it touched.
const PURITY_CHILD = `
import os from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
const [loadUrl, runs] = process.argv.slice(1);
const { loadConfig } = await import(loadUrl);
const loadAll = async () => {
  const found = [];
  for (const options of JSON.parse(runs)) {
    try {
      const config = await loadConfig(options);
      found.push(config.mailboxes[0].name + ' ' + config.mailboxes[0].local);
    } catch (error) {
      found.push(String(error.message));
    }
  }
  return found;
};
const first = await loadAll();
const touched = [];
for (const [object, name] of [[process, 'cwd'], [process, 'chdir'], [os, 'homedir']]) {
  const real = object[name];
  object[name] = function (...args) {
    touched.push(name);
    return real.apply(this, args);
  };
}
syncBuiltinESMExports();
const env = JSON.stringify(process.env);
const second = await loadAll();
process.stdout.write(JSON.stringify({ first, second, touched, envUnchanged: JSON.stringify(process.env) === env }));
`;

test('loading reads only its options: never process.cwd(), process.env or os.homedir(), and changes none', () =>
  withSandbox(async (sb) => {
    const trap = join(sb.root, 'trap');
    sb.write('trap/package.json', JSON.stringify({ cosmiconfig: { searchPlaces: ['evil.yaml'] } }));
    sb.write('trap/.config/config.yaml', 'cosmiconfig: [unclosed\n  : :\n');
    sb.write('trap/evil.yaml', rc('evil'));
    sb.write('trap/.syncmailrc', rc('trap-cwd'));
    sb.write('trap/.config/syncmail/config.yaml', rc('trap-home'));
    sb.write('trap/xdg/syncmail/config.yaml', rc('trap-xdg'));
    sb.write('home/proj/.syncmailrc', rc('searched'));
    sb.write(
      'home/.config/syncmail/config.mjs',
      `export default ${JSON.stringify({ mailboxes: [{ name: 'xdg', remote: 'h:M', local: '~/xdg' }] })};`,
    );
    mkdirSync(join(sb.home, 'empty'));
    const explicit = sb.write('elsewhere/c.yaml', rc('explicit'));
    const env = { HOME: sb.home };
    const runs: LoadOptions[] = [
      { cwd: join(sb.home, 'proj'), env, homedir: sb.home },
      { cwd: join(sb.home, 'empty'), env, homedir: sb.home },
      { cwd: join(sb.home, 'empty'), configPath: explicit, env, homedir: sb.home },
    ];
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        '--input-type=module',
        '-e',
        PURITY_CHILD,
        import.meta.resolve('../../src/config/load.ts'),
        JSON.stringify(runs),
      ],
      { cwd: trap, env: { HOME: trap, XDG_CONFIG_HOME: join(trap, 'xdg') }, encoding: 'utf8' },
    );
    assert.is(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      first: string[];
      second: string[];
      touched: string[];
      envUnchanged: boolean;
    };
    const expected = [
      `searched ${join(sb.home, 'Maildir')}`,
      `xdg ${join(sb.home, 'xdg')}`,
      `explicit ${join(sb.home, 'Maildir')}`,
    ];
    assert.equal(report.first, expected);
    assert.equal(report.second, expected);
    assert.equal(report.touched, [], 'loadConfig called process.cwd, process.chdir or os.homedir');
    assert.ok(report.envUnchanged, 'loadConfig changed process.env');
  }));

test('a relative cwd is refused as a bug in the caller, not resolved against the process directory', async () => {
  try {
    await loadConfig({ cwd: 'relative/dir', env: {}, homedir: '/nonexistent' });
    assert.unreachable('a relative cwd was accepted');
  } catch (error) {
    assert.instance(error, InternalError);
    assert.is(
      (error as InternalError).message,
      'loadConfig: cwd must be absolute, got "relative/dir"',
    );
  }
});

test('$import is refused (it would read other files unchecked)', () =>
  withSandbox(async (sb) => {
    sb.write('home/other.yaml', rc('imported'));
    const file = sb.write('home/.syncmailrc', '$import: other.yaml\n');
    const error = await configError(sb.load({}));
    assert.is(
      error.message,
      `${file}: $import: not supported; syncmail reads settings from one file only`,
    );
  }));

// --- checks against the file system ---------------------------------------------------------------------------

test('local must be a directory if it exists; a file in the way is reported', () =>
  withSandbox(async (sb) => {
    const plain = sb.write('plain', 'x');
    const file = sb.write(
      'c.yaml',
      `mailboxes:\n  - {name: a, remote: "h:M", local: "${plain}"}\n  - {name: b, remote: "h:M", local: "${plain}/x"}\n  - {name: c, remote: "h:M", local: "${sb.root}"}\n`,
    );
    const error = await configError(sb.load({ configPath: file }));
    assert.equal(error.problems, [
      `mailboxes[0].local: ${plain} exists but is not a directory; give the directory of the local Maildir`,
      `mailboxes[1].local: part of ${plain}/x is a file, not a directory; give the directory of the local Maildir`,
    ]);
  }));

test('a local remote that is the same directory as local through a symbolic link is refused', () =>
  withSandbox(async (sb) => {
    const real = join(sb.root, 'maildir');
    mkdirSync(real);
    symlinkSync(real, join(sb.root, 'link'));
    const file = sb.write(
      'c.yaml',
      `mailboxes:\n  - {name: a, remote: "${real}", local: "${join(sb.root, 'link')}"}\n`,
    );
    const error = await configError(sb.load({ configPath: file }));
    assert.equal(error.problems, [
      `mailboxes[0].local: is the same directory as remote (both are ${real}); a Maildir cannot be moved onto itself`,
    ]);
  }));

test('a log path that is a directory is refused', () =>
  withSandbox(async (sb) => {
    const file = sb.write('c.yaml', `log: ${sb.root}\n${rc('x')}`);
    assert.equal((await configError(sb.load({ configPath: file }))).problems, [
      `log: ${sb.root} is a directory; give the path of a file (it is created if missing)`,
    ]);
  }));

test('$VAR comes from opts.env only, never from process.env', () =>
  withSandbox(async (sb) => {
    process.env['SYNCMAIL_TEST_ONLY_IN_PROCESS'] = '/from/process';
    try {
      const file = sb.write(
        'c.yaml',
        rc('x').replace('~/Maildir', '$SYNCMAIL_TEST_ONLY_IN_PROCESS/m'),
      );
      const error = await configError(sb.load({ configPath: file }));
      assert.equal(error.problems, [
        'mailboxes[0].local: $SYNCMAIL_TEST_ONLY_IN_PROCESS is not set; set it in the environment or write the value out',
      ]);
      const config = await sb.load({
        configPath: file,
        env: { SYNCMAIL_TEST_ONLY_IN_PROCESS: '/from/opts' },
      });
      assert.is(config.mailboxes[0]!.local, '/from/opts/m');
    } finally {
      delete process.env['SYNCMAIL_TEST_ONLY_IN_PROCESS'];
    }
  }));

test('an explicit --config wins over files the search would find', () =>
  withSandbox(async (sb) => {
    sb.write('home/.syncmailrc', rc('searched'));
    const file = sb.write('x/c.yml', rc('explicit'));
    assert.is(nameOf(await sb.load({ configPath: file })), 'explicit');
    copyFileSync(file, join(sb.home, 'copy.yml'));
    chmodSync(join(sb.home, 'copy.yml'), 0o600);
    assert.is(nameOf(await sb.load({ configPath: 'copy.yml' })), 'explicit');
  }));

test.run();
