// Regenerates test/fixtures/rsync/<version>/ from REAL rsync runs over a real sshd:
//
//   node --import tsx scripts/capture-rsync-fixtures.ts [--only GROUP,...] [--cross-all] [RSYNC...]
//
// RSYNC is a version ("3.5.0": the system rsync if it is that one, else the one scripts/setup.sh
// unpacked at .rsync/<Debian version>/usr/bin/rsync), or a path to an rsync binary, or a command name
// found on PATH ("rsync"). Without any, the system rsync and every .rsync/*/usr/bin/rsync are taken, one
// per version. Each one is the client (run here) and, through --rsync-path, the server of its own
// captures, written to test/fixtures/rsync/<its version>/ with CASE.stdout, CASE.stderr, CASE.rc, and
// the first --version line of client and server (rsync-version.txt, server-version.txt). Then each
// case group with a remove pass runs again with each OTHER rsync given as the server: a remove-pass
// capture that differs from the same-version one is kept in <client>/server-<server>/, one that does not
// is dropped with a note ("differs" ignores line order, which is random where remote and local lines
// interleave, and the timings, rates and byte totals that change on every run). --cross-all does that
// for every group, to look for server-side differences; --only runs just the named groups and leaves
// the other files in place (without it, each version directory is rewritten from scratch).
//
// The command lines are syncmail's own: fetchArgv, removeArgv and listArgv from src/rsync/argv.ts, run
// as src/rsync/run.ts runs them (rsyncEnv's LC_ALL=C environment, own session, the mailbox's work dir as
// cwd), against a local Maildir made by prepareLocalMaildir. What a case needs beyond that goes where a
// user would put it: the mailbox's rsyncArgs (--rsync-path, --bwlimit to slow a race down, -x and
// --info=MOUNT1 for the mount point, --human-readable) and ssh options (-F the sshd helper's config).
// The sshd is test/helpers/sshd.ts, started and stopped here; its host aliases give the refused,
// bad-key, unknown-host and black-hole cases.
//
// PLACEHOLDERS: some messages embed absolute paths (file has vanished, change_dir, write failed) and
// ssh's name the helper's random ports. The work dir is a fresh temp dir, so two captures never collide,
// and it is written as @WORK@ in the files; the ports as @SSHD_PORT@, @CLOSED_PORT@ and
// @BLACKHOLE_PORT@. test/helpers/rsync-fixtures.ts defines them, and its readCapture() puts fixed values
// back for the tests. Each case group lives in @WORK@/<group>/: the server Maildir in server/mail, the
// local one in local (syncmail's stage, temp dir etc. in local/tmp/syncmail/inbox). Every server entry
// gets the same mtime before each pass (2024-04-05 12:00 UTC), so listings and file lists do not change
// from one capture to the next (listings print it in local time: rsync runs with TZ=UTC added).
//
// Needs root (sshd's /run/sshd, mount). The mount-point, disk-full and read-only cases mount a tmpfs;
// when mount is not permitted they are skipped with a note (the committed fixtures have them). Race
// cases (vanished, changed, already removed, a forced stop) slow a 3 MB transfer down with --bwlimit and
// act as soon as the transfer's temp file appears; each is retried until it shows what it is about, and
// the script fails if it never does. Where rsync's exit code itself is a coin toss (rsync missing on the
// server: 127 or 12), each outcome is captured as its own case. Outputs are small: the big payloads stay
// in the work dir, removed at the end. The hostile names come from the shared hostile-names.hex.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { onExit } from 'signal-exit';
import type { Config, Mailbox } from '../src/config/types.js';
import { type MailboxPaths, mailboxPaths } from '../src/maildir/layout.js';
import { prepareLocalMaildir } from '../src/maildir/prepare.js';
import { fetchArgv, listArgv, removeArgv, rsyncEnv } from '../src/rsync/argv.js';
import { parseRsyncVersion } from '../src/rsync/version.js';
import { shellQuote } from '../src/text/shell-quote.js';
import {
  FIXTURES_DIR,
  hostileNames,
  type Placeholder,
  unpackedRsyncs,
  versionOfBinary,
} from '../test/helpers/rsync-fixtures.js';
import { HOSTS, type Sshd, startSshd } from '../test/helpers/sshd.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAILBOX = 'inbox';
// syncmail's defaults; only the black-hole cases shorten a timeout, to finish in seconds.
const CONFIG: Pick<Config, 'connectTimeout' | 'ioTimeout' | 'maxMinutes'> = {
  connectTimeout: 30,
  ioTimeout: 300,
  maxMinutes: 120,
};
const FIXED_TIME = new Date('2024-04-05T12:00:00Z');

const note = (text: string): void => {
  process.stderr.write(`capture: ${text}\n`);
};

class CaptureFailure extends Error {}

// ---------------------------------------------------------------------------------------------------------
// The rsync binaries

interface Rsync {
  readonly path: string;
  readonly version: string;
  readonly versionLine: string;
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir || '.', command);
    try {
      if (statSync(candidate).isFile()) return path.resolve(candidate);
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

/**
 * A version means that rsync among the system one and those scripts/setup.sh unpacked under .rsync/;
 * anything else is a path or a command on PATH.
 */
function resolveRsync(arg: string): Rsync {
  // Absolute: the server side runs the same file, through --rsync-path, from the remote home directory.
  let file: string | undefined;
  if (/^[0-9]+\.[0-9]+\.[0-9]+$/.test(arg)) {
    const system = onPath('rsync');
    file =
      system !== undefined && versionOfBinary(system) === arg
        ? system
        : unpackedRsyncs().find((r) => r.version === arg)?.path;
    if (file === undefined)
      throw new CaptureFailure(
        `no rsync ${arg}: neither the system rsync nor any .rsync/*/usr/bin/rsync (scripts/setup.sh unpacks them there)`,
      );
  } else if (arg.includes('/')) file = path.resolve(arg);
  else file = onPath(arg);
  if (file === undefined || !existsSync(file))
    throw new CaptureFailure(`no rsync binary for "${arg}"${file ? ` (looked at ${file})` : ''}`);
  const r = spawnSync(file, ['--version'], { encoding: 'latin1', env: rsyncEnv(process.env) });
  const versionLine = (r.stdout ?? '').split('\n')[0] ?? '';
  const version = parseRsyncVersion(versionLine);
  if (r.status !== 0 || version === undefined)
    throw new CaptureFailure(`${file} --version did not print an rsync version: ${r.stderr}`);
  return { path: file, version: version.join('.'), versionLine };
}

/** The system rsync and every one under .rsync/, one per version (the system one first). */
function defaultRsyncs(): string[] {
  const system = onPath('rsync');
  const found = [...(system === undefined ? [] : [system]), ...unpackedRsyncs().map((r) => r.path)];
  const byVersion = new Map<string, string>();
  for (const file of found) {
    const version = versionOfBinary(file);
    if (version !== undefined && !byVersion.has(version)) byVersion.set(version, file);
  }
  if (byVersion.size === 0)
    throw new CaptureFailure(
      'no rsync on PATH and none under .rsync/*/usr/bin/rsync (scripts/setup.sh unpacks them there); name the binaries',
    );
  return [...byVersion.values()];
}

// ---------------------------------------------------------------------------------------------------------
// Files on the server side, by raw name bytes

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const join = (dir: string, name: Buffer | string): Buffer =>
  Buffer.concat([Buffer.from(`${dir}/`), typeof name === 'string' ? b(name) : name]);

function message(dir: string, name: Buffer | string, size?: number): Buffer {
  const file = join(dir, name);
  // Random big files: rsync's delta must never match a local copy by accident.
  writeFileSync(file, size === undefined ? b('Subject: fixture\n\nbody\n') : randomBytes(size));
  return file;
}

function setTime(file: Buffer | string, when: Date): void {
  utimesSync(file, when, when);
}

/**
 * Gives every entry under `dir` (directories and symlinks too, never a symlink's target) the same mtime,
 * so listings are the same from one capture to the next, and so is the file list rsync sends.
 */
function fixTimes(dir: Buffer): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir, { encoding: 'buffer' })) {
    const entry = Buffer.concat([dir, b('/'), name]);
    if (lstatSync(entry).isDirectory()) fixTimes(entry);
    lutimesSync(entry, FIXED_TIME, FIXED_TIME);
  }
  lutimesSync(dir, FIXED_TIME, FIXED_TIME);
}

/** mkfifo with a name that is not valid UTF-8: node's argv strings cannot carry it, bash's printf can. */
function mkfifoRaw(dir: string, name: Buffer): void {
  const escaped = [...name].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
  const r = spawnSync(
    'bash',
    ['-c', 'n=$(printf "%bx" "$1") && mkfifo -- "${n%x}"', 'bash', escaped],
    {
      cwd: dir,
      env: { ...process.env, LC_ALL: 'C' },
      encoding: 'latin1',
    },
  );
  if (r.status !== 0) throw new CaptureFailure(`mkfifo in ${dir}: ${r.stderr}`);
}

/** A unix socket that outlives its creator (a listening node process exits without unlinking it). */
function mksock(file: string): void {
  const r = spawnSync(
    process.execPath,
    ['-e', 'require("net").createServer().listen(process.argv[1], () => process.exit(0))', file],
    { encoding: 'latin1' },
  );
  if (r.status !== 0) throw new CaptureFailure(`socket ${file}: ${r.stderr}`);
}

const mounts: string[] = [];
onExit(() => {
  for (const m of mounts.splice(0).reverse()) spawnSync('umount', [m]);
});

function mountTmpfs(dir: string, size: string): void {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], {
    encoding: 'latin1',
  });
  if (r.status !== 0) throw new CaptureFailure(`mount tmpfs on ${dir}: ${r.stderr}`);
  mounts.push(dir);
}

function unmountAll(): void {
  for (const m of mounts.splice(0).reverse()) spawnSync('umount', [m]);
}

function canMount(work: string): boolean {
  const probe = path.join(work, '.mount-probe');
  mkdirSync(probe, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]);
  if (r.status !== 0) return false;
  spawnSync('umount', [probe]);
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// One capture set: a client, a server, an output directory

type Pass = 'fetch' | 'remove' | 'list';

/** The rsync process of a capture, for what a case does while it runs. */
interface Running {
  readonly pid: number;
  running(): boolean;
}

type During = (rsync: Running) => Promise<void>;

interface Result {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface BoxOptions {
  /** ssh host alias (default: the working one). */
  readonly host?: string;
  /** Server Maildir path (default: server/mail of the group). */
  readonly serverPath?: string;
  /** rsyncArgs after the server's --rsync-path. */
  readonly rsyncArgs?: readonly string[];
  readonly connectTimeout?: number;
  readonly ioTimeout?: number;
}

/** One case group's server Maildir and local Maildir, and the mailbox that syncs them. */
class Box {
  readonly server: string;
  readonly local: string;
  readonly paths: MailboxPaths;

  constructor(
    readonly set: CaptureSet,
    readonly dir: string,
  ) {
    this.server = path.join(dir, 'server', 'mail');
    this.local = path.join(dir, 'local');
    this.paths = mailboxPaths(this.local, MAILBOX);
  }

  get serverNew(): string {
    return path.join(this.server, 'new');
  }

  mailbox(options: BoxOptions = {}): Mailbox {
    const host = options.host ?? HOSTS.ok;
    const serverPath = options.serverPath ?? this.server;
    return {
      name: MAILBOX,
      remote: { kind: 'ssh', user: undefined, host, path: serverPath },
      remoteText: `${host}:${serverPath}`,
      local: this.local,
      ssh: this.set.sshd.sshArgs,
      // rsync hands --rsync-path to the remote shell, which would split a path with a space.
      rsyncArgs: [`--rsync-path=${shellQuote(this.set.server.path)}`, ...(options.rsyncArgs ?? [])],
    };
  }

  config(options: BoxOptions = {}): typeof CONFIG {
    return {
      ...CONFIG,
      connectTimeout: options.connectTimeout ?? CONFIG.connectTimeout,
      ioTimeout: options.ioTimeout ?? CONFIG.ioTimeout,
    };
  }

  fetch(options: BoxOptions = {}): string[] {
    return fetchArgv(this.mailbox(options), this.config(options), this.paths);
  }

  remove(options: BoxOptions = {}): string[] {
    return removeArgv(this.mailbox(options), this.config(options), this.paths);
  }

  list(options: BoxOptions = {}): string[] {
    return listArgv(this.mailbox(options), this.config(options));
  }

  /** What syncmail does between the passes: each staged message linked into removing/new. */
  linkStagedForRemoval(): void {
    for (const name of readdirSync(this.paths.stageNew, { encoding: 'buffer' })) {
      const from = join(this.paths.stageNew, name);
      if (statSync(from).isFile()) linkSync(from, join(this.paths.removingNew, name));
    }
  }

  /** Resolves once rsync has a temp file in the temp dir, i.e. a transfer is in flight. */
  async transferStarted(rsync: Running): Promise<boolean> {
    for (let i = 0; i < 2000 && rsync.running(); i++) {
      if (readdirSync(this.paths.temp).length > 0) return true;
      await sleep(10);
    }
    return false;
  }
}

class CaptureSet {
  readonly written: string[] = [];

  constructor(
    readonly client: Rsync,
    readonly server: Rsync,
    readonly sshd: Sshd,
    readonly work: string,
    readonly out: string,
    /** Write only the remove passes (against another server, unless --cross-all). */
    readonly onlyRemove: boolean,
  ) {}

  get label(): string {
    return `client ${this.client.version}, server ${this.server.version}`;
  }

  /** A fresh group directory with the server Maildir and a local Maildir prepared as syncmail does. */
  box(group: string): Box {
    const dir = path.join(this.work, group);
    rmSync(dir, { recursive: true, force: true });
    const box = new Box(this, dir);
    for (const sub of ['cur', 'new', 'tmp'])
      mkdirSync(path.join(box.server, sub), { recursive: true });
    mkdirSync(box.local, { recursive: true });
    return box;
  }

  async prepare(box: Box): Promise<void> {
    await prepareLocalMaildir(box.paths);
  }

  private placeholders(text: string): string {
    const ports: Record<number, Placeholder> = {
      [this.sshd.port]: '@SSHD_PORT@',
      [this.sshd.closedPort]: '@CLOSED_PORT@',
      [this.sshd.blackHolePort]: '@BLACKHOLE_PORT@',
    };
    const out = text
      .replaceAll(this.work, '@WORK@' satisfies Placeholder)
      // ssh writes "port 2223" and "[127.0.0.1]:2222".
      .replace(/(\bport |\]:)([0-9]+)\b/g, (all, before: string, port: string) => {
        const placeholder = ports[Number(port)];
        return placeholder === undefined ? all : `${before}${placeholder}`;
      });
    if (out.includes(this.sshd.dir))
      throw new CaptureFailure(
        `output names the sshd helper's temp dir, add a placeholder: ${out}`,
      );
    return out;
  }

  /** Runs rsync with argv as syncmail does; `during` runs alongside it (the race cases). */
  async run(argv: readonly string[], box: Box, during?: During): Promise<Result> {
    fixTimes(Buffer.from(box.server));
    // As src/rsync/run.ts runs it: own session, syncmail's environment, the mailbox's work dir.
    const child = spawn(this.client.path, [...argv], {
      cwd: box.paths.work,
      env: rsyncEnv({ ...process.env, TZ: 'UTC' }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let running = true;
    const exited = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        running = false;
        // Killed by a signal: the number a shell would report.
        resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
      });
    });
    const pid = child.pid ?? -1;
    const [rc] = await Promise.all([exited, during?.({ pid, running: () => running })]);
    return {
      rc,
      stdout: this.placeholders(Buffer.concat(out).toString('latin1')),
      stderr: this.placeholders(Buffer.concat(err).toString('latin1')),
    };
  }

  /** Runs one pass and stores it as CASE, unless this set keeps only remove passes. */
  async capture(
    name: string,
    pass: Pass,
    argv: readonly string[],
    box: Box,
    during?: During,
  ): Promise<Result> {
    const result = await this.run(argv, box, during);
    if (this.onlyRemove && pass !== 'remove') return result;
    this.write(name, result);
    return result;
  }

  write(name: string, result: Result): void {
    mkdirSync(this.out, { recursive: true });
    writeFileSync(path.join(this.out, `${name}.stdout`), result.stdout, 'latin1');
    writeFileSync(path.join(this.out, `${name}.stderr`), result.stderr, 'latin1');
    writeFileSync(path.join(this.out, `${name}.rc`), `${result.rc}\n`);
    const count = (s: string): number => (s === '' ? 0 : s.split('\n').length - 1);
    process.stdout.write(
      `  ${name}: rc ${result.rc}, ${count(result.stdout)} stdout / ${count(result.stderr)} stderr lines\n`,
    );
    if (!this.written.includes(name)) this.written.push(name);
  }

  /** Retries a race case until `ok` holds for its capture. */
  async race(
    name: string,
    attempt: () => Promise<Result>,
    ok: (r: Result) => boolean,
    what: string,
    tries = 5,
  ): Promise<void> {
    for (let attemptNo = 1; attemptNo <= tries; attemptNo++) {
      const result = await attempt();
      if (ok(result)) return;
      note(`${name} (${this.label}): no ${what} (try ${attemptNo})`);
    }
    throw new CaptureFailure(`${name} (${this.label}): no ${what} in ${tries} tries`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The cases, by group. A group shares one server and local Maildir; `remove` marks those with a remove
// pass, the ones repeated against other server versions.

interface Group {
  readonly name: string;
  readonly remove: boolean;
  readonly needsMount?: boolean;
  run(set: CaptureSet): Promise<void>;
}

const has = (text: string, re: RegExp): boolean => re.test(text);

function specialsSetup(box: Box, mount: boolean): void {
  const n = box.serverNew;
  message(n, '1712345678.M1P1.mail.example');
  // Without --links a symlink is not copied, safe target or not: both are non-regular files.
  symlinkSync('1712345678.M1P1.mail.example', path.join(n, 'safe-link'));
  symlinkSync('/etc/passwd', path.join(n, 'unsafe-link'));
  mkfifoRaw(n, b('fifo'));
  mksock(path.join(n, 'sock'));
  mkdirSync(path.join(n, 'subdir'));
  message(path.join(n, 'subdir'), 'inner.msg');
  mkdirSync(path.join(n, 'mnt'));
  if (mount) {
    mountTmpfs(path.join(n, 'mnt'), '1m');
    message(path.join(n, 'mnt'), 'on-other-fs.msg');
  }
}

function groups(mountOk: boolean): Group[] {
  return [
    {
      name: 'basic',
      remove: true,
      async run(set) {
        const box = set.box('basic');
        await set.prepare(box);
        const s = box.server;
        message(path.join(s, 'new'), '1712345678.M1P1.mail.example');
        message(path.join(s, 'new'), '1712345679.M2P1.mail.example');
        message(path.join(s, 'new'), '1712345680.M3P1.mail.example,S=12');
        message(path.join(s, 'cur'), '1700000000.M0P1.mail.example:2,S');
        message(path.join(s, 'tmp'), '1712345681.M4P1.mail.example');
        await set.capture('list-basic', 'list', box.list(), box);
        await set.capture('fetch-basic', 'fetch', box.fetch(), box);
        box.linkStagedForRemoval();
        // A delivered message whose server copy is already gone: nothing to remove, nothing said.
        message(box.paths.removingNew, 'not-on-server');
        // Mail that arrives after the fetch is not in removing/new: --existing must leave it alone.
        message(path.join(s, 'new'), '1712345690.M9P1.mail.example');
        await set.capture('remove-basic', 'remove', box.remove(), box);
        // The same pass again: every server copy of removing/new is gone, so rsync says nothing.
        await set.capture('remove-again', 'remove', box.remove(), box);
      },
    },
    {
      name: 'hostile',
      remove: true,
      async run(set) {
        const box = set.box('hostile');
        await set.prepare(box);
        for (const name of hostileNames())
          writeFileSync(join(box.serverNew, name), `Subject: hostile\n\n${name.toString('hex')}\n`);
        mkfifoRaw(box.serverNew, b('fifo\n\xff"q -> "z'));
        await set.capture('list-hostile', 'list', box.list(), box);
        await set.capture('hostile-fetch', 'fetch', box.fetch(), box);
        box.linkStagedForRemoval();
        await set.capture('hostile-remove', 'remove', box.remove(), box);
      },
    },
    {
      name: 'specials',
      remove: true,
      async run(set) {
        const box = set.box('specials');
        await set.prepare(box);
        specialsSetup(box, mountOk);
        await set.capture('specials-fetch', 'fetch', box.fetch(), box);
        box.linkStagedForRemoval();
        await set.capture('specials-remove', 'remove', box.remove(), box);
        unmountAll();
      },
    },
    {
      // Not syncmail's flags: a second -x and MOUNT1 (a user's rsyncArgs) make rsync name the mount point.
      name: 'mount-xx',
      remove: false,
      needsMount: true,
      async run(set) {
        const box = set.box('mount-xx');
        await set.prepare(box);
        specialsSetup(box, true);
        await set.capture(
          'mount-xx-fetch',
          'fetch',
          box.fetch({ rsyncArgs: ['-x', '--info=MOUNT1'] }),
          box,
        );
        unmountAll();
      },
    },
    {
      name: 'vanished',
      remove: false,
      async run(set) {
        const vanish = b('zzz vanish\n\xff\x1b"q');
        await set.race(
          'vanished-fetch',
          async () => {
            const box = set.box('vanished');
            await set.prepare(box);
            message(box.serverNew, 'aaa-big', 3_000_000);
            message(box.serverNew, 'bbb-small');
            message(box.serverNew, vanish);
            return set.capture(
              'vanished-fetch',
              'fetch',
              box.fetch({ rsyncArgs: ['--bwlimit=1000'] }),
              box,
              async (rsync) => {
                if (await box.transferStarted(rsync))
                  rmSync(join(box.serverNew, vanish), { force: true });
              },
            );
          },
          (r) => has(r.stderr, /^file has vanished: /m),
          "'file has vanished' line",
        );
      },
    },
    {
      name: 'changed',
      remove: true,
      async run(set) {
        const changed = b('aaa changed\n\xff\x1b');
        await set.race(
          'changed-remove',
          async () => {
            const box = set.box('changed');
            await set.prepare(box);
            // The local copy differs, so the remove pass sends the server's again before it removes it.
            const server = message(box.serverNew, changed, 3_000_000);
            message(box.paths.removingNew, changed, 3_000_000);
            setTime(server, FIXED_TIME);
            const same = message(box.serverNew, 'bbb-same');
            setTime(same, FIXED_TIME);
            writeFileSync(join(box.paths.removingNew, 'bbb-same'), readFileSync(same));
            setTime(join(box.paths.removingNew, 'bbb-same'), FIXED_TIME);
            return set.capture(
              'changed-remove',
              'remove',
              box.remove({ rsyncArgs: ['--bwlimit=1000'] }),
              box,
              async (rsync) => {
                if (await box.transferStarted(rsync))
                  setTime(server, new Date('2024-04-06T12:00:00Z'));
              },
            );
          },
          (r) => has(r.stderr, /^ERROR: Skipping sender remove for changed file: /m),
          "'Skipping sender remove' line",
        );
      },
    },
    {
      name: 'already-removed',
      remove: true,
      async run(set) {
        await set.race(
          'already-removed-remove',
          async () => {
            const box = set.box('already-removed');
            await set.prepare(box);
            // aaa-big differs, so it is sent again, slowly; once its transfer is under way the sender
            // holds it open, and the server copy is deleted: the transfer completes, and the removal
            // finds the name gone. (An up-to-date file is no use here: 3.2.7's sender removes it before
            // any transfer starts.) bbb-same is identical and removed without a transfer.
            const big = message(box.serverNew, 'aaa-big', 3_000_000);
            setTime(big, FIXED_TIME);
            message(box.paths.removingNew, 'aaa-big', 3_000_000);
            const same = message(box.serverNew, 'bbb-same');
            setTime(same, FIXED_TIME);
            writeFileSync(join(box.paths.removingNew, 'bbb-same'), readFileSync(same));
            setTime(join(box.paths.removingNew, 'bbb-same'), FIXED_TIME);
            return set.capture(
              'already-removed-remove',
              'remove',
              box.remove({ rsyncArgs: ['--bwlimit=1000'] }),
              box,
              async (rsync) => {
                if (await box.transferStarted(rsync)) rmSync(big, { force: true });
              },
            );
          },
          (r) => has(r.stdout, /^sender file already removed: /m),
          "'sender file already removed' line",
        );
      },
    },
    {
      name: 'failures',
      remove: false,
      async run(set) {
        const box = set.box('failures');
        await set.prepare(box);
        message(box.serverNew, '1712345678.M1P1.mail.example');
        await set.capture('refused-fetch', 'fetch', box.fetch({ host: HOSTS.closed }), box);
        await set.capture('authfail-fetch', 'fetch', box.fetch({ host: HOSTS.badKey }), box);
        await set.capture(
          'unknownhost-fetch',
          'fetch',
          box.fetch({ host: HOSTS.unknownHost }),
          box,
        );
        // ssh's ConnectTimeout, which also bounds the banner exchange, gives up first...
        await set.capture(
          'blackhole-fetch',
          'fetch',
          box.fetch({ host: HOSTS.blackHole, connectTimeout: 3 }),
          box,
        );
        // ...unless rsync's --timeout is the shorter one.
        await set.capture(
          'timeout-fetch',
          'fetch',
          box.fetch({ host: HOSTS.blackHole, ioTimeout: 3 }),
          box,
        );
        // The later --rsync-path wins: the server has no such program. rsync reports either the
        // shell's 127 or its own 12 (whether it reaps ssh before it notices the closed pipe, measured
        // about half and half with both versions), and the stderr differs with it: both are kept.
        const missing = box.fetch({ rsyncArgs: ['--rsync-path=/nonexistent'] });
        for (const rc of [127, 12]) {
          await set.race(
            `rsync-missing-${rc}-fetch`,
            () => set.capture(`rsync-missing-${rc}-fetch`, 'fetch', missing, box),
            (r) => r.rc === rc,
            `exit code ${rc}`,
            20,
          );
        }
      },
    },
    {
      name: 'missing-remote',
      remove: true,
      async run(set) {
        const box = set.box('missing-remote');
        await set.prepare(box);
        message(box.paths.removingNew, '1712345678.M1P1.mail.example');
        const nosuch = path.join(box.dir, 'server', 'nosuch');
        await set.capture('missing-remote-fetch', 'fetch', box.fetch({ serverPath: nosuch }), box);
        await set.capture(
          'missing-remote-remove',
          'remove',
          box.remove({ serverPath: nosuch }),
          box,
        );
      },
    },
    {
      // What syncmail's forced stop does (src/rsync/run.ts terminate): SIGTERM to rsync's whole group,
      // ssh included, in the middle of a transfer. The next fetch resumes from the partial file.
      name: 'terminated',
      remove: false,
      async run(set) {
        let box: Box | undefined;
        const partialKept = (): boolean =>
          box !== undefined && existsSync(path.join(box.paths.partial, 'aaa-big'));
        await set.race(
          'terminated-fetch',
          async () => {
            const fresh = set.box('terminated');
            box = fresh;
            await set.prepare(fresh);
            message(fresh.serverNew, 'aaa-big', 3_000_000);
            const result = await set.capture(
              'terminated-fetch',
              'fetch',
              fresh.fetch({ rsyncArgs: ['--bwlimit=1000'] }),
              fresh,
              async (rsync) => {
                if (await fresh.transferStarted(rsync)) process.kill(-rsync.pid, 'SIGTERM');
              },
            );
            // Seen once in some 20 runs with 3.5.0: the receiver died of a glibc malloc assertion
            // while it stopped, and kept nothing. Worth seeing, but not the case captured here.
            if (result.rc !== 0 && !partialKept())
              note(
                `terminated-fetch (${set.label}): no partial file kept; stderr:\n${result.stderr}`,
              );
            return result;
          },
          (r) => r.rc !== 0 && partialKept(),
          'stop before the transfer ended that kept a partial file',
        );
        if (box !== undefined) await set.capture('resume-fetch', 'fetch', box.fetch(), box);
      },
    },
    {
      // The local Maildir's filesystem turns read-only after syncmail prepared it.
      name: 'readonly',
      remove: false,
      needsMount: true,
      async run(set) {
        const box = set.box('readonly');
        mountTmpfs(box.local, '2m');
        await set.prepare(box);
        message(box.serverNew, '1712345678.M1P1.mail.example');
        const r = spawnSync('mount', ['-o', 'remount,ro', box.local], { encoding: 'latin1' });
        if (r.status !== 0) throw new CaptureFailure(`remount ${box.local} read-only: ${r.stderr}`);
        await set.capture('readonly-fetch', 'fetch', box.fetch(), box);
        unmountAll();
      },
    },
    {
      name: 'diskfull',
      remove: false,
      needsMount: true,
      async run(set) {
        const box = set.box('diskfull');
        mountTmpfs(box.local, '2m');
        await set.prepare(box);
        message(box.serverNew, 'aaa-small');
        message(box.serverNew, 'big3mb', 3_000_000);
        message(box.serverNew, 'zzz-after');
        await set.capture('diskfull-fetch', 'fetch', box.fetch(), box);
        unmountAll();
      },
    },
    {
      // A user's --human-readable overrides syncmail's --no-human-readable: numbers get commas.
      name: 'human',
      remove: false,
      async run(set) {
        const box = set.box('human');
        await set.prepare(box);
        setTime(message(box.serverNew, 'big', 1_234_567), FIXED_TIME);
        await set.capture(
          'human-readable-fetch',
          'fetch',
          box.fetch({ rsyncArgs: ['--human-readable'] }),
          box,
        );
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------

/**
 * A stream's lines in sorted order (remote and local lines interleave at random), with the numbers that
 * change from run to run whatever the versions (timings, rates, byte counts that include keepalives)
 * masked.
 */
function stableLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) =>
      /^(sent |Total bytes (sent|received): |File list (generation|transfer) time: )/.test(line)
        ? line.replace(/[0-9][0-9.,]*/g, 'N')
        : line,
    )
    .sort();
}

/** Same rc and the same stable lines: the server version made no difference to this case. */
function sameOutput(dirA: string, dirB: string, name: string): boolean {
  const read = (dir: string, ext: string): string =>
    readFileSync(path.join(dir, `${name}.${ext}`), 'latin1');
  return ['rc', 'stdout', 'stderr'].every(
    (ext) => stableLines(read(dirA, ext)).join('\n') === stableLines(read(dirB, ext)).join('\n'),
  );
}

function clearCaptures(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    if (
      /\.(stdout|stderr|rc)$/.test(f) ||
      /^(rsync|server)-version\.txt$/.test(f) ||
      /^server-/.test(f)
    )
      rmSync(path.join(dir, f), { recursive: true, force: true });
  }
}

function writeVersions(set: CaptureSet): void {
  mkdirSync(set.out, { recursive: true });
  writeFileSync(path.join(set.out, 'rsync-version.txt'), `${set.client.versionLine}\n`);
  writeFileSync(path.join(set.out, 'server-version.txt'), `${set.server.versionLine}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let only: string[] | undefined;
  let crossAll = false;
  const given: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(
        'usage: node --import tsx scripts/capture-rsync-fixtures.ts [--only GROUP,...] [--cross-all] [RSYNC...]\n',
      );
      return;
    }
    if (arg === '--cross-all') crossAll = true;
    else if (arg === '--only') only = (args[++i] ?? '').split(',').filter((g) => g !== '');
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length).split(',');
    else if (arg.startsWith('-')) throw new CaptureFailure(`unknown option ${arg}`);
    else given.push(arg);
  }
  const rsyncs = (given.length > 0 ? given : defaultRsyncs()).map(resolveRsync);
  const versions = rsyncs.map((r) => r.version);
  if (new Set(versions).size !== versions.length)
    throw new CaptureFailure(`two binaries report the same version: ${versions.join(', ')}`);

  const names = groups(false).map((g) => g.name);
  for (const name of only ?? [])
    if (!names.includes(name))
      throw new CaptureFailure(`no group ${name} (groups: ${names.join(', ')})`);

  const work = mkdtempSync(path.join(os.tmpdir(), 'syncmail-capture-'));
  const mountOk = canMount(work);
  if (!mountOk)
    note(
      'mount not permitted: no mount point in the specials cases, no mount-xx, read-only or disk-full case',
    );
  const all = groups(mountOk);
  const selected = all.filter((g) => only === undefined || only.includes(g.name));

  let sshd: Sshd | undefined;
  try {
    sshd = await startSshd();
    for (const client of rsyncs) {
      const out = path.join(FIXTURES_DIR, client.version);
      if (only === undefined) clearCaptures(out);
      const own = new CaptureSet(client, client, sshd, work, out, false);
      process.stdout.write(`${own.label} → ${path.relative(ROOT, out)}/ (work dir ${work})\n`);
      writeVersions(own);
      for (const group of selected) {
        if (group.needsMount && !mountOk) {
          note(`skipped group ${group.name} (mount not permitted)`);
          continue;
        }
        await group.run(own);
      }
      for (const server of rsyncs.filter((r) => r !== client)) {
        const crossOut = path.join(out, `server-${server.version}`);
        if (only === undefined) rmSync(crossOut, { recursive: true, force: true });
        const cross = new CaptureSet(client, server, sshd, work, crossOut, !crossAll);
        process.stdout.write(
          `${cross.label} (${crossAll ? 'all' : 'remove'} passes) → ${path.relative(ROOT, crossOut)}/\n`,
        );
        for (const group of selected.filter((g) => crossAll || g.remove)) {
          if (group.needsMount && !mountOk) continue;
          await group.run(cross);
        }
        for (const name of cross.written) {
          if (!existsSync(path.join(out, `${name}.rc`))) continue;
          if (sameOutput(out, crossOut, name)) {
            for (const ext of ['rc', 'stdout', 'stderr'])
              rmSync(path.join(crossOut, `${name}.${ext}`));
            process.stdout.write(`  ${name}: same as with server ${client.version}, not kept\n`);
          }
        }
        const kept = existsSync(crossOut)
          ? readdirSync(crossOut).filter((f) => f.endsWith('.rc'))
          : [];
        if (kept.length > 0) writeVersions(cross);
        else rmSync(crossOut, { recursive: true, force: true });
      }
    }
  } finally {
    unmountAll();
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write('done\n');
}

main().catch((error: unknown) => {
  unmountAll();
  note(error instanceof CaptureFailure ? error.message : String((error as Error).stack ?? error));
  process.exitCode = 1;
});
