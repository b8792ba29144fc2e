// End to end against hostile input: real rsync over the real test sshd, real Maildirs in temp dirs.
//
//   1. hostile file names in the server's new/ move intact, and nothing printed or logged is unsafe
//   2. symlinks, FIFOs, sockets, devices, subdirectories and dot-files in new/ stay on the server (exit 65)
//   3. no option injection, no remote shell expansion, a pinned rsync environment, a too-old or missing rsync
//   4. the local Maildir, its messages and the transfer log are private even under umask 000
//
// Every canary a shell could create carries a tag unique to this process, so an old leftover never passes
// or fails a run. Every case runs once per client × server pair of test rsyncs (test/helpers/rsyncs.ts),
// its name saying the pair, except the refusal of a fake old rsync, which has nothing to pair.

import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, type Stats, writeFileSync } from 'node:fs';
import {
  chmod,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  symlink,
  writeFile,
} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { realFs } from '../../src/maildir/fs.js';
import { type Io, main } from '../../src/main.js';
import { nameFromFields } from '../../src/outputs/name-fields.js';
import { displayName } from '../../src/text/display-name.js';
import {
  assertExactlyOnce,
  deliver,
  deliverAll,
  expectedOf,
  makeMaildir,
  makeTempDir,
  nameKey,
  randomMessages,
  snapshot,
} from '../helpers/maildir.js';
import { pairsOrFailingTest, type RsyncPair, rsyncPathArg } from '../helpers/rsyncs.js';
import { type Sshd, withSshd } from '../helpers/sshd.js';

const CLI = path.resolve('dist/cli.js');
const TAG = randomBytes(4).toString('hex');
/** Bound on one syncmail run: a run that blocks on a FIFO or a prompt fails the test instead of hanging it. */
const RUN_LIMIT_MS = 30_000;

// ---------------------------------------------------------------------------------------------------------
// Running syncmail

interface Captured {
  code: number;
  out: string;
  err: string;
  ms: number;
}

function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${ms} ms (hung?)`)),
      ms,
    );
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** main() in-process with a captured Io; `env` is added to (or, with undefined, removed from) process.env. */
async function run(
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<Captured> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: { ...process.env, ...env },
    cwd: process.cwd(),
    homedir: os.homedir(),
    isTTY: false,
    fs: realFs,
  };
  const started = Date.now();
  const code = await bounded(main(argv, io), RUN_LIMIT_MS, `syncmail ${argv.join(' ')}`);
  return { code, out, err, ms: Date.now() - started };
}

interface Box {
  name: string;
  /** The remote exactly as written in the config (before syncmail's $VAR expansion). */
  remote: string;
  local: string;
}

/** The config for these mailboxes, with the running case's rsync pair (client as `rsync:`, server through --rsync-path). */
function writeConfig(dir: string, sshd: Sshd, boxes: Box[], extra: string[] = []): string {
  const file = path.join(dir, 'syncmail.yaml');
  const lines = [
    `ssh: ["-F", ${JSON.stringify(sshd.sshConfig)}]`,
    `log: ${JSON.stringify(path.join(dir, 'transfer.log'))}`,
    `state: ${JSON.stringify(path.join(dir, 'state'))}`,
    'retries: 0',
    'retryDelay: 0.2',
    ...(running ? [`rsync: ${JSON.stringify(running.client.path)}`] : []),
    ...extra,
    'mailboxes:',
    ...boxes.flatMap((b) => [
      `  - name: ${b.name}`,
      `    remote: ${JSON.stringify(b.remote)}`,
      `    local: ${JSON.stringify(b.local)}`,
      ...(running ? [`    rsyncArgs: ${JSON.stringify([rsyncPathArg(running.server)])}`] : []),
    ]),
  ];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

type LogLine = Record<string, unknown>;

/** Every line of the JSON Lines log parsed with JSON.parse (each line must be strict UTF-8 JSON). */
function readLog(file: string): LogLine[] {
  const bytes = readFileSync(file);
  assert.ok(
    bytes.length > 0 && bytes[bytes.length - 1] === 0x0a,
    'the transfer log ends with a newline',
  );
  const records: LogLine[] = [];
  let start = 0;
  for (
    let end = bytes.indexOf(0x0a);
    end !== -1;
    start = end + 1, end = bytes.indexOf(0x0a, start)
  ) {
    const line = bytes.subarray(start, end);
    assert.ok(isUtf8(line), `log line ${records.length + 1} is valid UTF-8`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.toString('utf8'));
    } catch (error) {
      assert.unreachable(
        `log line ${records.length + 1} is not JSON (${(error as Error).message}): ${line.toString('latin1')}`,
      );
    }
    assert.ok(
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed),
      `log line ${records.length + 1} is an object`,
    );
    records.push(parsed as LogLine);
  }
  assert.is(start, bytes.length, 'nothing after the last newline');
  return records;
}

/** The records of the last run in the log (runs are told apart by the `run` field). */
function lastRun(records: LogLine[]): LogLine[] {
  const id = records.filter((r) => r['event'] === 'run-start').at(-1)?.['run'];
  assert.type(id, 'string', 'the log has a run-start record');
  return records.filter((r) => r['run'] === id);
}

/** The exact bytes of a record's file name, through the project's own decoder. */
function fileOf(record: LogLine): Buffer {
  const file = record['file'];
  const b64 = record['file_b64'];
  assert.type(file, 'string', `record ${JSON.stringify(record)} has a string "file"`);
  if (b64 !== undefined) assert.type(b64, 'string');
  return nameFromFields({
    file: file as string,
    ...(typeof b64 === 'string' ? { file_b64: b64 } : {}),
  });
}

const hex = (b: Buffer): string => b.toString('hex');

/** Each name in `want` exactly once among the `event` records' names, and nothing else. */
function assertNamesLogged(records: LogLine[], event: string, want: readonly Buffer[]): void {
  const got = records.filter((r) => r['event'] === event).map(fileOf);
  const wantKeys = want.map(hex).sort();
  const gotKeys = got.map(hex).sort();
  const missing = want.filter((n) => !gotKeys.includes(hex(n))).map(nameKey);
  const extra = got.filter((n) => !wantKeys.includes(hex(n))).map(nameKey);
  assert.equal(
    gotKeys,
    wantKeys,
    `"${event}" names in the log: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}`,
  );
}

/** Terminal text: no C0 control but '\n', no DEL, no C1 control, no bidi override; no lone surrogate. */
function assertTerminalSafe(text: string, label: string): void {
  const bad: string[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (
      (cp < 0x20 && cp !== 0x0a) ||
      cp === 0x7f ||
      (cp >= 0x80 && cp <= 0x9f) ||
      cp === 0x202e ||
      (cp >= 0xd800 && cp <= 0xdfff)
    ) {
      bad.push(`U+${cp.toString(16).padStart(4, '0')}`);
    }
  }
  assert.equal(bad, [], `${label} has characters that must not reach a terminal`);
}

/** The same for raw bytes (a spawned CLI's output): strict UTF-8 first, then the character check. */
function assertTerminalSafeBytes(bytes: Buffer, label: string): void {
  assert.ok(
    isUtf8(bytes),
    `${label} is valid UTF-8 (raw non-UTF-8 name bytes reached the terminal): ${bytes.toString('latin1')}`,
  );
  assertTerminalSafe(bytes.toString('utf8'), label);
}

// ---------------------------------------------------------------------------------------------------------
// File system probes

interface Found {
  rel: string; // nameKey() components joined with '/'
  st: Stats;
}

async function walk(root: string): Promise<Found[]> {
  const found: Found[] = [];
  const visit = async (dir: Buffer, prefix: string): Promise<void> => {
    for (const name of await readdir(dir, { encoding: 'buffer' })) {
      const full = Buffer.concat([dir, Buffer.from('/'), name]);
      const st = await lstat(full);
      const rel = `${prefix}${nameKey(name)}`;
      found.push({ rel, st });
      if (st.isDirectory()) await visit(full, `${rel}/`);
    }
  };
  await visit(Buffer.from(root), '');
  return found;
}

function kind(st: Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/** Everything in a local Maildir is a plain file or directory; outside tmp/ that is the whole rule. */
async function assertOnlyFilesAndDirs(local: string): Promise<void> {
  const odd = (await walk(local))
    .filter((f) => !f.st.isFile() && !f.st.isDirectory())
    .map((f) => `${f.rel} (${kind(f.st)})`);
  assert.equal(odd, [], `only regular files and directories in the local Maildir ${local}`);
}

const CANARY_DIRS = (): string[] => [
  ...new Set([os.homedir(), os.tmpdir(), '/tmp', '/', process.cwd()]),
];

/** No file created by a shell that ran a hostile name or path: none in the usual places, none in `tree`. */
async function assertNoCanary(tree: string): Promise<void> {
  const prefix = `pwned-${TAG}`;
  const hits: string[] = [];
  for (const dir of CANARY_DIRS()) {
    for (const name of await readdir(dir).catch(() => [] as string[]))
      if (name.startsWith(prefix)) hits.push(path.join(dir, name));
  }
  for (const f of await walk(tree))
    if (path.basename(f.rel).startsWith(prefix)) hits.push(`${tree}/${f.rel}`);
  assert.equal(hits, [], 'a shell ran something from a file name or path');
}

// ---------------------------------------------------------------------------------------------------------
// Hostile names

const B = (s: string): Buffer => Buffer.from(s, 'utf8');
const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? B(p) : Buffer.from(p))));

function hostileNames(): Buffer[] {
  const names = [
    B('sp ace name'),
    B('new\nline'),
    B('\nleading-newline'),
    B('trailing-newline\n'),
    B('tab\there'),
    B('cr\rret'),
    B('crlf\r\nname'),
    B('esc\x1b[31mred\x1b[0m'),
    B('osc\x1b]0;title\x07'),
    B('bel\x07bell'),
    B('del\x7fchar'),
    B('back\\slash\\\\double'),
    B('back\\#123hash'),
    B('lit\\#012esc'),
    B("single'quote"),
    B('double"quote'),
    B(`$(cd;touch pwned-${TAG}-dollar)`),
    B(`\`cd;touch pwned-${TAG}-tick\``),
    B(`;cd;touch pwned-${TAG}-semi;`),
    B(`x && cd && touch pwned-${TAG}-and`),
    B(`x | touch pwned-${TAG}-pipe`),
    B(`x >pwned-${TAG}-redir`),
    // '/' is impossible in a name: printf's octal escape makes one, for a canary at an absolute path.
    B(`$(touch $(printf \\\\057tmp\\\\057pwned-${TAG}-abs))`),
    B('glob*?[a]'),
    B('*'),
    B('?'),
    B('[a]'),
    B('-leading-dash'),
    B('-'),
    B('--'),
    B('--remove-source-files'),
    B('-e sh'),
    B('--rsh=sh -c id'),
    bytes('bad', [0xff, 0xfe], 'utf'),
    bytes([0xc0, 0xaf], 'overlong-slash'),
    bytes([0xed, 0xa0, 0x80], 'surrogate'),
    B('ünï©✉'),
    B('c1\u009bcsi'),
    B('bidi\u202eevil.txt'),
    B('line\u2028sep'),
    B(`long250-${'x'.repeat(242)}`),
    B(`long255-${'y'.repeat(247)}`),
    B(`long255u-${'é'.repeat(123)}`),
    B('x:2,S'),
    B('sender removed x'),
    B('sender file already removed: y'),
    B('skipping non-regular file "z"'),
    B('file has vanished: "v"'),
    B('Number of files: 1'),
    B(' -> x'),
    B('a -> b'),
    B('x..y'),
    B('ends in space '),
    B(' '),
    B('%n%s%x'),
    B('~root'),
    B('tmp'),
    B('cur'),
  ];
  for (const n of names) {
    if (n.length > 255 || n.includes(0x2f) || n.includes(0))
      throw new Error(`impossible test name ${nameKey(n)}`);
  }
  const keys = new Set(names.map(hex));
  if (keys.size !== names.length) throw new Error('duplicate test names');
  const sizes = names.filter((n) => n.length >= 250).map((n) => n.length);
  if (sizes.join(',') !== '250,255,255')
    throw new Error(`long names have ${sizes.join(',')} bytes`);
  return names;
}

interface Mail {
  name: Buffer;
  content: Buffer;
}

function contentFor(name: Buffer, i: number): Buffer {
  return Buffer.concat([
    B(`From: hostile-${i}@example.org\nSubject: `),
    name,
    B('\n\n'),
    randomBytes(100 + i), // arbitrary bytes: the copy must be exact, not just text-equal
    B('\n'),
  ]);
}

async function hostileMaildir(
  dir: string,
): Promise<{ server: string; local: string; mail: Mail[] }> {
  const server = await makeMaildir(path.join(dir, 'server', 'inbox'));
  const local = path.join(dir, 'local', 'inbox');
  const mail = hostileNames().map((name, i) => ({ name, content: contentFor(name, i) }));
  for (const m of mail) await deliver(server, m.name, m.content);
  return { server, local, mail };
}

/** What every hostile-name run must show, whether syncmail ran in-process or as a CLI. */
async function checkHostileRun(
  label: string,
  r: { code: number; out: string; err: string },
  dir: string,
  server: string,
  local: string,
  mail: Mail[],
): Promise<void> {
  assert.is(r.code, 0, `${label}: exit code (stderr: ${r.err})`);
  await assertExactlyOnce(expectedOf(mail), local);
  // assertExactlyOnce compares unique names through nameKey; the full names must be the exact bytes too.
  const arrived = (await readdir(path.join(local, 'new'), { encoding: 'buffer' })).map(hex).sort();
  assert.equal(
    arrived,
    mail.map((m) => hex(m.name)).sort(),
    `${label}: local new/ holds exactly the server's names, byte for byte`,
  );
  for (const m of mail) {
    const copy = await readFile(Buffer.concat([Buffer.from(`${local}/new/`), m.name]));
    assert.ok(copy.equals(m.content), `${label}: content of ${nameKey(m.name)}`);
  }
  assert.equal(await readdir(path.join(server, 'new')), [], `${label}: server new/ is empty`);
  await assertNoCanary(dir);

  const records = lastRun(readLog(path.join(dir, 'transfer.log')));
  assertNamesLogged(
    records,
    'delivered',
    mail.map((m) => m.name),
  );
  assertNamesLogged(
    records,
    'removed',
    mail.map((m) => m.name),
  );
  assert.equal(records.at(-1)?.['event'], 'run-end');
  assert.equal(records.at(-1)?.['code'], 0);

  assertTerminalSafe(r.out, `${label}: --verbose stdout`);
  assertTerminalSafe(r.err, `${label}: stderr`);
  const lines = new Set(r.out.split('\n'));
  for (const m of mail) {
    assert.ok(
      lines.has(`inbox: + ${displayName(m.name)}`),
      `${label}: --verbose names ${nameKey(m.name)} on a line of its own`,
    );
  }
  assert.ok(lines.has(`inbox: ${mail.length} new`), `${label}: summary line`);
}

// ---------------------------------------------------------------------------------------------------------
// Non-messages

/** A unix socket file at `target` (raw bytes allowed) that nobody listens on any more. */
async function makeSocket(side: string, target: Buffer): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(side, () => resolve());
  });
  // Node unlinks the path it listened on when the server closes; the hard link stays.
  await link(side, target);
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** mkfifo or mknod under a plain name, then renamed to raw bytes (argv cannot carry non-UTF-8 names). */
async function makeNode(
  side: string,
  target: Buffer,
  command: string,
  args: string[],
): Promise<void> {
  await execa(command, [side, ...args]);
  await rename(side, target);
}

interface ServerEntry {
  type: string;
  target: string | null;
  ino: number;
  mode: number;
  mtimeMs: number;
  rdev: number;
}

async function describeEntry(p: Buffer): Promise<ServerEntry> {
  const st = await lstat(p);
  return {
    type: kind(st),
    target: st.isSymbolicLink() ? hex(await readlink(p, { encoding: 'buffer' })) : null,
    ino: st.ino,
    mode: st.mode,
    mtimeMs: st.mtimeMs,
    rdev: st.rdev,
  };
}

/** Probes once, at load time, whether this machine lets us create a device node (root with CAP_MKNOD). */
async function deviceNodeProblem(): Promise<string | undefined> {
  const dir = await makeTempDir('hostile-mknod-probe');
  const result = await execa('mknod', [path.join(dir, 'null'), 'c', '1', '3'], { reject: false });
  if (result.exitCode !== 0)
    return `mknod failed: ${String(result.stderr || result.shortMessage).trim()}`;
  const st = await lstat(path.join(dir, 'null'));
  return st.isCharacterDevice() ? undefined : 'mknod made something that is not a character device';
}
const NO_DEVICE_NODES = await deviceNodeProblem();

// ---------------------------------------------------------------------------------------------------------

const tests = suite<{ sshd: Sshd }>('hostile input end to end', {} as { sshd: Sshd });

const PAIRS = pairsOrFailingTest('all', (title, fn) => tests(title, fn));
/**
 * The pair of the case running now (uvu runs one at a time). writeConfig() reads it, so a case's body is the
 * same for every pair; undefined in a case that runs once.
 */
let running: RsyncPair | undefined;

/** Registers the case once per client × server pair. */
function hostile(title: string, fn: (ctx: { sshd: Sshd }) => Promise<void>): void {
  for (const pair of PAIRS) {
    tests(`${title} [${pair.label}]`, async (ctx) => {
      running = pair;
      try {
        await fn(ctx);
      } finally {
        running = undefined;
      }
    });
  }
}

withSshd(tests);

hostile(
  'hostile file names move byte for byte, are removed on the server, log losslessly and print safely',
  async ({ sshd }) => {
    const dir = await makeTempDir('hostile-names');
    const { server, local, mail } = await hostileMaildir(dir);
    assert.is(
      (await readdir(path.join(server, 'new'), { encoding: 'buffer' })).length,
      mail.length,
      'every hostile name exists on the server',
    );
    const config = writeConfig(dir, sshd, [
      { name: 'inbox', remote: `${sshd.hostAlias}:${server}`, local },
    ]);
    // A UTF-8 locale in syncmail's environment: rsync would print valid UTF-8 raw. syncmail pins LC_ALL=C.
    const r = await run(['--config', config, '--verbose'], { LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' });
    await checkHostileRun('in-process', r, dir, server, local, mail);

    // The same through the real executable: the bytes that reach a terminal, not a JS string.
    const cliDir = await makeTempDir('hostile-names-cli');
    const cli = await hostileMaildir(cliDir);
    const cliConfig = writeConfig(cliDir, sshd, [
      { name: 'inbox', remote: `${sshd.hostAlias}:${cli.server}`, local: cli.local },
    ]);
    const spawned = await execa(process.execPath, [CLI, '--config', cliConfig, '--verbose'], {
      encoding: 'buffer',
      reject: false,
      stdin: 'ignore',
      timeout: RUN_LIMIT_MS,
      env: { LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' },
    });
    const outBytes = Buffer.from(spawned.stdout);
    const errBytes = Buffer.from(spawned.stderr);
    assertTerminalSafeBytes(outBytes, 'spawned CLI stdout');
    assertTerminalSafeBytes(errBytes, 'spawned CLI stderr');
    await checkHostileRun(
      'spawned CLI',
      {
        code: spawned.exitCode ?? -1,
        out: outBytes.toString('utf8'),
        err: errBytes.toString('utf8'),
      },
      cliDir,
      cli.server,
      cli.local,
      cli.mail,
    );
  },
);

hostile(
  'symlinks, a FIFO, a socket, a subdirectory and dot-files stay on the server, are named, exit 65, twice',
  async ({ sshd }) => {
    const dir = await makeTempDir('hostile-nonmsg');
    const server = await makeMaildir(path.join(dir, 'server', 'inbox'));
    const local = path.join(dir, 'local', 'inbox');
    const side = path.join(dir, 'side');
    await mkdir(side);
    const messages = randomMessages(4, { seed: 301 });
    await deliverAll(server, messages);
    const newDir = path.join(server, 'new');
    const at = (name: Buffer): Buffer => Buffer.concat([Buffer.from(`${newDir}/`), name]);
    const outside = path.join(dir, 'outside-secret');
    await writeFile(outside, 'not for the client\n');

    const nonregular: Buffer[] = [];
    const notMessage: Buffer[] = [];
    const addLink = async (name: Buffer, target: string | Buffer): Promise<void> => {
      await symlink(target, at(name));
      nonregular.push(name);
    };
    await addLink(B('link-inside'), messages[0]!.name);
    await addLink(B('link-inside-abs'), path.join(server, 'cur'));
    await addLink(B('link-etc-passwd'), '/etc/passwd');
    await addLink(B('link-dotdot'), '../../x');
    await addLink(B('link-outside-file'), outside);
    await addLink(B('link-dangling'), 'no-such-target');
    await addLink(bytes('evil\nlink\x1b[31m', [0xff], ' -> x'), '/etc/shadow');
    for (const name of [B('fifo'), bytes('fifo\n\x1b]0;t\x07', [0xfe], '\u202e')]) {
      await makeNode(path.join(side, `fifo-${nonregular.length}`), at(name), 'mkfifo', []);
      nonregular.push(name);
    }
    for (const name of [B('socket'), bytes('sock\r\u009b', [0xff])]) {
      await makeSocket(path.join(side, `s${nonregular.length}`), at(name));
      nonregular.push(name);
    }
    await mkdir(at(B('subdir')));
    await writeFile(
      Buffer.concat([at(B('subdir')), B('/inner-message')]),
      'a file inside a subdirectory of new/\n',
    );
    notMessage.push(B('subdir'));
    for (const name of [B('.hidden'), B('..x'), B('...'), B('.lock')]) {
      await writeFile(at(name), `dot-file ${nameKey(name)}\n`);
      notMessage.push(name);
    }
    const odd = [...nonregular, ...notMessage];
    const before = new Map<string, ServerEntry>();
    for (const name of odd) before.set(hex(name), await describeEntry(at(name)));
    const innerBefore = await snapshot(path.join(server, 'new', 'subdir'));
    assert.equal((await lstat(at(B('fifo')))).isFIFO(), true, 'the FIFO is a FIFO');
    assert.equal((await lstat(at(B('socket')))).isSocket(), true, 'the socket is a socket');

    const config = writeConfig(dir, sshd, [
      { name: 'inbox', remote: `${sshd.hostAlias}:${server}`, local },
    ]);
    for (const pass of [1, 2]) {
      const r = await run(['--config', config]);
      assert.ok(r.ms < RUN_LIMIT_MS, `run ${pass} took ${r.ms} ms`);
      assert.is(r.code, 65, `run ${pass}: exit code (stderr: ${r.err})`);
      await assertExactlyOnce(expectedOf(messages), local);
      await assertOnlyFilesAndDirs(local);
      const records = lastRun(readLog(path.join(dir, 'transfer.log')));
      const reported = new Set(
        records
          .filter((x) => x['event'] === 'nonregular' || x['event'] === 'not-a-message')
          .map((x) => hex(fileOf(x))),
      );
      for (const name of odd) {
        assert.ok(
          reported.has(hex(name)),
          `run ${pass}: ${nameKey(name)} is reported in the log as nonregular or not-a-message`,
        );
        assert.ok(
          r.err.includes(`inbox: ${displayName(name)}: `),
          `run ${pass}: ${nameKey(name)} is named on stderr:\n${r.err}`,
        );
      }
      assert.is(reported.size, odd.length, `run ${pass}: nothing else is reported`);
      assertTerminalSafe(r.err, `run ${pass}: stderr`);
      assertTerminalSafe(r.out, `run ${pass}: stdout`);
      const end = records.find((x) => x['event'] === 'mailbox-end');
      assert.is(
        end?.['delivered'],
        pass === 1 ? messages.length : 0,
        `run ${pass}: delivered count`,
      );
      assert.is(end?.['leftOnServer'], odd.length, `run ${pass}: leftOnServer`);
      assertNamesLogged(records, 'removed', pass === 1 ? messages.map((m) => B(m.name)) : []);
      // Every non-message is still there, the same inode, type, mode and target; the messages are gone.
      for (const name of odd)
        assert.equal(
          await describeEntry(at(name)),
          before.get(hex(name)),
          `run ${pass}: ${nameKey(name)} untouched on the server`,
        );
      assert.equal(
        await snapshot(path.join(server, 'new', 'subdir')),
        innerBefore,
        `run ${pass}: subdir/ untouched`,
      );
      const left = (await readdir(newDir, { encoding: 'buffer' })).map(hex).sort();
      assert.equal(
        left,
        odd.map(hex).sort(),
        `run ${pass}: the server's new/ holds exactly the non-messages`,
      );
    }
    assert.is(readFileSync(outside, 'utf8'), 'not for the client\n');
  },
);

const deviceTitle =
  'a device node in the server new/ stays there, is named, and is never created locally (exit 65)';
if (NO_DEVICE_NODES !== undefined) {
  console.log(`SKIP device node: ${NO_DEVICE_NODES}`);
  tests.skip(deviceTitle, () => undefined);
} else {
  hostile(deviceTitle, async ({ sshd }) => {
    const dir = await makeTempDir('hostile-device');
    const server = await makeMaildir(path.join(dir, 'server', 'inbox'));
    const local = path.join(dir, 'local', 'inbox');
    const messages = randomMessages(2, { seed: 311 });
    await deliverAll(server, messages);
    const devices = [B('dev-null'), bytes('dev\n', [0xff], '\x1b[2J')];
    await makeNode(
      path.join(dir, 'dev0'),
      Buffer.concat([Buffer.from(`${server}/new/`), devices[0]!]),
      'mknod',
      ['c', '1', '3'],
    );
    await makeNode(
      path.join(dir, 'dev1'),
      Buffer.concat([Buffer.from(`${server}/new/`), devices[1]!]),
      'mknod',
      ['c', '1', '3'],
    );
    const before = await Promise.all(
      devices.map((d) => describeEntry(Buffer.concat([Buffer.from(`${server}/new/`), d]))),
    );
    assert.ok(before.every((e) => e.type === 'char-device'));
    const config = writeConfig(dir, sshd, [
      { name: 'inbox', remote: `${sshd.hostAlias}:${server}`, local },
    ]);
    for (const pass of [1, 2]) {
      const r = await run(['--config', config]);
      assert.is(r.code, 65, `run ${pass}: exit code (stderr: ${r.err})`);
      await assertExactlyOnce(expectedOf(messages), local);
      await assertOnlyFilesAndDirs(local);
      const records = lastRun(readLog(path.join(dir, 'transfer.log')));
      const reported = new Set(
        records
          .filter((x) => x['event'] === 'nonregular' || x['event'] === 'not-a-message')
          .map((x) => hex(fileOf(x))),
      );
      for (const d of devices) {
        assert.ok(reported.has(hex(d)), `run ${pass}: ${nameKey(d)} reported in the log`);
        assert.ok(
          r.err.includes(`inbox: ${displayName(d)}: `),
          `run ${pass}: ${nameKey(d)} named on stderr`,
        );
      }
      assertTerminalSafe(r.err, `run ${pass}: stderr`);
      const after = await Promise.all(
        devices.map((d) => describeEntry(Buffer.concat([Buffer.from(`${server}/new/`), d]))),
      );
      assert.equal(after, before, `run ${pass}: the device nodes are untouched`);
    }
  });
}

hostile(
  'a long name whose unique name is taken locally (onConflict: rename) is handled, not a crash',
  async ({ sshd }) => {
    // renamedName() appends ".syncmail-RUN-N" (about 35 bytes): past 255 bytes rename() fails with ENAMETOOLONG.
    const dir = await makeTempDir('hostile-longconflict');
    const name = `long240-${'z'.repeat(232)}`;
    const server = await makeMaildir(path.join(dir, 'server', 'inbox'));
    const local = await makeMaildir(path.join(dir, 'local', 'inbox'));
    await deliver(server, name, 'the server copy\n');
    await writeFile(
      path.join(local, 'new', name),
      'a different local message under the same unique name\n',
    );
    // A second mailbox after it must still be synced in the same run.
    const otherServer = await makeMaildir(path.join(dir, 'server', 'other'));
    const otherLocal = path.join(dir, 'local', 'other');
    const otherMail = randomMessages(2, { seed: 901 });
    await deliverAll(otherServer, otherMail);
    const config = writeConfig(
      dir,
      sshd,
      [
        { name: 'inbox', remote: `${sshd.hostAlias}:${server}`, local },
        { name: 'other', remote: `${sshd.hostAlias}:${otherServer}`, local: otherLocal },
      ],
      ['onConflict: rename'],
    );
    const r = await run(['--config', config]);
    assert.ok(
      r.code === 0 || r.code === 65,
      `exit 0 (delivered under another name) or 65 (left on the server), got ${r.code}: ${r.err}`,
    );
    assert.is(
      readFileSync(path.join(local, 'new', name), 'utf8'),
      'a different local message under the same unique name\n',
    );
    const serverLeft = await readdir(path.join(server, 'new'));
    const copies = (await readdir(path.join(local, 'new'))).filter(
      (n) => readFileSync(path.join(local, 'new', n), 'utf8') === 'the server copy\n',
    );
    assert.is(
      serverLeft.length + copies.length,
      1,
      'the server copy is either still on the server or delivered once',
    );
    await assertExactlyOnce(expectedOf(otherMail), otherLocal);
    assertTerminalSafe(r.err, 'stderr');
  },
);

/** A server Maildir path whose directory names a shell would split, expand, glob or run. */
function hostilePathParts(): { written: string[]; real: string[] } {
  // In the config, "$NAME" is expanded by syncmail itself (documented); a literal "$HOME" directory is
  // written as "${SM_DOLLAR}HOME" with SM_DOLLAR='$' in the environment. "$(" is kept as written.
  const parts: Array<[string, string]> = [
    ['sp ace', 'sp ace'],
    ['${SM_DOLLAR}HOME', '$HOME'],
    ['${SM_DOLLAR}{HOME}', '${HOME}'],
    [`$(cd;touch pwned-${TAG}-pathdollar)`, `$(cd;touch pwned-${TAG}-pathdollar)`],
    [`\`cd;touch pwned-${TAG}-pathtick\``, `\`cd;touch pwned-${TAG}-pathtick\``],
    [`;cd;touch pwned-${TAG}-pathsemi;`, `;cd;touch pwned-${TAG}-pathsemi;`],
    [`a >pwned-${TAG}-pathredir <b |cat &`, `a >pwned-${TAG}-pathredir <b |cat &`],
    ["it's 'single'", "it's 'single'"],
    ['say "double"', 'say "double"'],
    ['tab\there', 'tab\there'],
    ['star*only-one-match', 'star*only-one-match'],
    ['-e sh', '-e sh'],
    ['--rsh=sh', '--rsh=sh'],
    ['~tilde', '~tilde'],
    ['back\\slash', 'back\\slash'],
    ['ünï©✉', 'ünï©✉'],
    ['inbox', 'inbox'],
  ];
  return { written: parts.map((p) => p[0]), real: parts.map((p) => p[1]) };
}

hostile(
  'a remote path with spaces, $HOME, *, ;, backticks and quotes syncs as written, also with RSYNC_OLD_ARGS=1',
  async ({ sshd }) => {
    const dir = await makeTempDir('hostile-path');
    const parts = hostilePathParts();
    const base = path.join(dir, 'server');
    const server = await makeMaildir(path.join(base, ...parts.real));
    const local = path.join(dir, "local dir $(x) `y` 'q'", 'inbox');
    const config = writeConfig(dir, sshd, [
      { name: 'inbox', remote: `${sshd.hostAlias}:${base}/${parts.written.join('/')}`, local },
    ]);
    const envs: Array<Record<string, string | undefined>> = [
      { SM_DOLLAR: '$' },
      // Left to rsync these make the server's shell split the path, or change how arguments are sent.
      { SM_DOLLAR: '$', RSYNC_OLD_ARGS: '1', RSYNC_PROTECT_ARGS: '0' },
      {
        SM_DOLLAR: '$',
        RSYNC_OLD_ARGS: '2',
        RSYNC_PROTECT_ARGS: '0',
        RSYNC_RSH: `sh -c 'cd;touch pwned-${TAG}-rsh'`,
      },
    ];
    const sent: ReturnType<typeof randomMessages> = [];
    for (const [i, env] of envs.entries()) {
      const batch = randomMessages(3, { seed: 400 + i, host: `run${i}.test` });
      await deliverAll(server, batch);
      sent.push(...batch);
      const r = await run(['--config', config], env);
      assert.is(r.code, 0, `run ${i} with ${JSON.stringify(env)}: exit code (stderr: ${r.err})`);
      assert.is(r.out, 'inbox: 3 new\n', `run ${i}: summary`);
      await assertExactlyOnce(expectedOf(sent), local);
      assert.equal(
        await readdir(path.join(server, 'new')),
        [],
        `run ${i}: the server new/ is empty`,
      );
      await assertNoCanary(dir);
    }
  },
);

hostile(
  'a wildcard in a remote directory name matches only that directory, never its siblings',
  async ({ sshd }) => {
    // The server's rsync expands wildcards in the source path itself (no shell involved): "box*" also matches
    // "box-decoy" and "box[a]" matches "boxa" unless syncmail escapes them.
    const dir = await makeTempDir('hostile-glob');
    const cases = [
      { name: 'star', real: 'box*', decoy: 'box-decoy' },
      { name: 'bracket', real: 'box[a]', decoy: 'boxa' },
      { name: 'question', real: 'box?', decoy: 'boxq' },
    ];
    const boxes: Box[] = [];
    const setups = [];
    for (const [i, c] of cases.entries()) {
      const parent = path.join(dir, 'server', c.name);
      const real = await makeMaildir(path.join(parent, c.real));
      const decoy = await makeMaildir(path.join(parent, c.decoy));
      const realMail = randomMessages(2, { seed: 500 + i, host: `${c.name}-real.test` });
      const decoyMail = randomMessages(2, { seed: 600 + i, host: `${c.name}-decoy.test` });
      await deliverAll(real, realMail);
      await deliverAll(decoy, decoyMail);
      const local = path.join(dir, 'local', c.name);
      boxes.push({ name: c.name, remote: `${sshd.hostAlias}:${real}`, local });
      setups.push({ ...c, real, decoy, realMail, local, decoyBefore: await snapshot(decoy) });
    }
    const config = writeConfig(dir, sshd, boxes);
    const r = await run(['--config', config]);
    const problems: string[] = [];
    for (const s of setups) {
      const decoyAfter = await snapshot(s.decoy);
      if (
        JSON.stringify([...decoyAfter.entries()]) !== JSON.stringify([...s.decoyBefore.entries()])
      ) {
        problems.push(
          `${s.name}: the sibling ${s.decoy} was changed (${(await readdir(path.join(s.decoy, 'new'))).length} of 2 messages left in its new/)`,
        );
      }
      try {
        await assertExactlyOnce(expectedOf(s.realMail), s.local);
      } catch (error) {
        problems.push(`${s.name}: ${(error as Error).message}`);
      }
      const left = await readdir(path.join(s.real, 'new'));
      if (left.length !== 0)
        problems.push(`${s.name}: ${left.length} message(s) left in ${s.real}/new`);
    }
    assert.equal(
      problems,
      [],
      `remote paths with wildcards (exit ${r.code}, stdout ${JSON.stringify(r.out)}, stderr ${JSON.stringify(r.err)})`,
    );
    assert.is(r.code, 0, r.err);
  },
);

// Once: the rsync here is a fake (or missing) one, so there is no pair to vary.
tests(
  'an rsync older than 3.2.7 is refused (78), naming what it lacks, before it runs anything but --version; a missing one is 78 too',
  async ({ sshd }) => {
    const dir = await makeTempDir('hostile-rsync');
    const server = await makeMaildir(path.join(dir, 'server', 'inbox'));
    const messages = randomMessages(2, { seed: 701 });
    await deliverAll(server, messages);
    const serverBefore = await snapshot(server);
    const argvLog = path.join(dir, 'fake-argv.log');
    const fake = path.join(dir, 'bin', 'rsync');
    await mkdir(path.dirname(fake));
    await writeFile(
      fake,
      [
        '#!/bin/sh',
        `for a in "$@"; do printf '[%s]' "$a"; done >> '${argvLog}'`,
        `printf '\\n' >> '${argvLog}'`,
        'if [ "$1" = --version ]; then',
        "  echo 'rsync  version 3.2.3  protocol version 31'",
        "  echo 'Copyright (C) 1996-2022 by Andrew Tridgell, Wayne Davison, and others.'",
        '  exit 0',
        'fi',
        'exit 0',
        '',
      ].join('\n'),
    );
    await chmod(fake, 0o755);
    const local = path.join(dir, 'local', 'inbox');
    const box = { name: 'inbox', remote: `${sshd.hostAlias}:${server}`, local };

    const sub = async (label: string, rsync: string): Promise<Captured> => {
      const d = path.join(dir, label);
      await mkdir(d);
      return run(['--config', writeConfig(d, sshd, [box], [`rsync: ${JSON.stringify(rsync)}`])]);
    };

    const old = await sub('old', fake);
    assert.is(old.code, 78, `old rsync: exit code (stderr: ${old.err})`);
    assert.match(old.err, /rsync 3\.2\.3 is too old/);
    assert.match(old.err, /3\.2\.7 or newer, for --info=NONREG/);
    assert.match(old.err, /upgrade rsync/);
    assertTerminalSafe(old.err, 'stderr');
    const calls = readFileSync(argvLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    assert.ok(calls.length >= 1, 'the fake rsync was asked for its version');
    assert.equal(
      [...new Set(calls)],
      ['[--version]'],
      `the fake rsync only ever ran with --version: ${JSON.stringify(calls)}`,
    );

    const missing = await sub('missing', path.join(dir, 'no-such-dir', 'rsync'));
    assert.is(missing.code, 78, `missing rsync: exit code (stderr: ${missing.err})`);
    assert.match(missing.err, /cannot run ".*no-such-dir\/rsync"/);
    assert.match(missing.err, /install rsync \(Debian and Ubuntu: apt-get install rsync\)/);

    const notOnPath = await sub('not-on-path', `syncmail-no-such-rsync-${TAG}`);
    assert.is(notOnPath.code, 78, `rsync not on PATH: exit code (stderr: ${notOnPath.err})`);
    assert.match(notOnPath.err, new RegExp(`cannot run "syncmail-no-such-rsync-${TAG}"`));

    const notExecutable = path.join(dir, 'bin', 'rsync-noexec');
    await writeFile(notExecutable, '#!/bin/sh\necho rsync  version 3.5.0  protocol version 32\n', {
      mode: 0o644,
    });
    const noexec = await sub('noexec', notExecutable);
    assert.is(noexec.code, 78, `non-executable rsync: exit code (stderr: ${noexec.err})`);
    assert.match(noexec.err, /cannot run/);

    assert.equal(await snapshot(server), serverBefore, 'nothing on the server changed');
    assert.not.ok(existsSync(local), 'the local Maildir was not created');
    assert.equal(
      readFileSync(argvLog, 'utf8')
        .split('\n')
        .filter((l) => l !== '' && l !== '[--version]'),
      [],
      'still only --version',
    );
  },
);

hostile(
  'under umask 000 the new local Maildir and cur/new/tmp are 0700, messages and the transfer log 0600',
  async ({ sshd }) => {
    const dir = await makeTempDir('hostile-umask');
    const server = await makeMaildir(path.join(dir, 'server', 'inbox'));
    const messages = randomMessages(5, { seed: 801 });
    await deliverAll(server, messages);
    for (const m of messages) await chmod(path.join(server, 'new', m.name), 0o666); // the server's modes must not leak
    const local = path.join(dir, 'local', 'fresh', 'inbox');
    const logFile = path.join(dir, 'logs', 'deep', 'transfer.log');
    const config = writeConfig(dir, sshd, [
      { name: 'inbox', remote: `${sshd.hostAlias}:${server}`, local },
    ]);
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(/^log: .*$/m, `log: ${JSON.stringify(logFile)}`),
      { mode: 0o600 },
    );
    const r = await execa(
      'sh',
      [
        '-c',
        'umask 000 && umask >&2 && exec "$@"',
        'sh',
        process.execPath,
        CLI,
        '--config',
        config,
      ],
      {
        reject: false,
        stdin: 'ignore',
        timeout: RUN_LIMIT_MS,
      },
    );
    assert.match(String(r.stderr), /^0+(\n|$)/, 'the CLI ran under umask 000');
    assert.is(r.exitCode, 0, String(r.stderr));
    await assertExactlyOnce(expectedOf(messages), local);
    const mode = async (p: string): Promise<string> => ((await lstat(p)).mode & 0o7777).toString(8);
    for (const d of [local, ...['cur', 'new', 'tmp'].map((s) => path.join(local, s))])
      assert.is(await mode(d), '700', `mode of ${d}`);
    for (const m of messages)
      assert.is(await mode(path.join(local, 'new', m.name)), '600', `mode of new/${m.name}`);
    assert.is(await mode(logFile), '600', 'mode of the transfer log');
    assert.is(
      await mode(path.dirname(logFile)),
      '700',
      'mode of the log directory syncmail created',
    );
    // Everything syncmail created inside the Maildir (its work dirs, lock, stage) is private as well.
    const loose = (await walk(local))
      .filter(
        (f) =>
          (f.st.mode & 0o077) !== 0 ||
          (f.st.isDirectory() ? (f.st.mode & 0o700) !== 0o700 : (f.st.mode & 0o600) !== 0o600),
      )
      .map((f) => `${f.rel} ${(f.st.mode & 0o7777).toString(8)}`);
    assert.equal(loose, [], 'nothing in the local Maildir is open to group or others');
    assert.is(
      await mode(path.join(dir, 'local', 'fresh')),
      '700',
      'a parent directory syncmail created for the Maildir',
    );
  },
);

tests.run();
