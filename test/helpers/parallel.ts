// What the parallel-mailboxes end-to-end tests (test/e2e/parallel.test.ts) share: a bench (a case's temp
// dir with server and local Maildirs, a config, a transfer log, and a fresh 0700 XDG_RUNTIME_DIR for the
// shared connection's socket), the built CLI run as a real process, and what the tests read back: the
// sshd log's connections and sessions, the ssh ControlMaster (found through `ssh -O check` and /proc), the
// transfer log, where each message is (server, local, both, twice), and a monitor that checks every few ms
// while a run goes on that no message is ever missing from both the server and the local Maildir.
//
// Cleanup: bench() removes the temp dir, pass or fail, after SIGCONT then SIGKILL of every process whose
// command line names it (a syncmail, an orphaned rsync, an ssh master: its title names its socket, which
// lives in the temp dir too), so no case leaves a process, or a stopped one, behind.
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { mailboxPaths } from '../../src/maildir/layout.js';
import { CLI, type Running, startProcess } from './faults.js';
import { waitFor } from './holes.js';
import { deliverAll, type Message, makeMaildir, nameKey, sha1, uniqueOf } from './maildir.js';
import { inTempDir } from './routing.js';
import type { Sshd } from './sshd.js';

// ---------------------------------------------------------------------------------------------------------
// Processes

export interface Proc {
  readonly pid: number;
  readonly state: string;
  readonly argv: readonly string[];
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    while (argv.at(-1) === '') argv.pop();
    return { pid, state, argv };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Live processes (zombies left out) whose command line mentions `text`; never this process. */
export function procsNaming(text: string): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const p = readProc(Number(entry));
    if (p === undefined || p.state === 'Z' || p.state === 'X') continue;
    if (p.argv.some((a) => a.includes(text))) found.push(p);
  }
  return found;
}

/** An ssh client: `ssh …`, `/usr/bin/ssh …`, or a master whose title ssh set to "ssh: SOCKET [mux]". */
function isSsh(p: Proc): boolean {
  return /^(\S*\/)?ssh(:|$)/.test(p.argv[0] ?? '');
}

export function alive(pid: number): boolean {
  const p = readProc(pid);
  return p !== undefined && p.state !== 'Z' && p.state !== 'X';
}

/** The process state letter of /proc/PID/stat (R, S, T for stopped, …), or undefined when it is gone. */
export function procState(pid: number): string | undefined {
  return readProc(pid)?.state;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: gone already
  }
}

/** Where the open file descriptors of a process point (readlink of /proc/PID/fd/*). */
export function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  const out: string[] = [];
  for (const fd of readdirSync(dir)) {
    try {
      out.push(readlinkSync(path.join(dir, fd)));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** SIGCONTs, then SIGKILLs, the processes until none is left (or 5 s passed). */
async function killAll(find: () => Proc[]): Promise<void> {
  for (const p of find()) signal(p.pid, 'SIGCONT');
  await waitFor(
    () => {
      const left = find();
      for (const p of left) signal(p.pid, 'SIGKILL');
      return left.length === 0;
    },
    5000,
    20,
  );
}

// ---------------------------------------------------------------------------------------------------------
// The sshd log

export interface SshdUse {
  /** Client ports of the connections sshd accepted (one "Accepted publickey … port N" line each). */
  readonly connections: readonly number[];
  /** Sessions started ("Starting session: … port N id K"), by the client port of their connection. */
  readonly sessions: ReadonlyMap<number, number>;
  readonly text: string;
}

/**
 * What the sshd log says about the connections from `from` (an offset into it, sshd.log().length taken
 * before the run) on. One connection writes "Connection from", two "Accepted key", one "Accepted
 * publickey", then one "Starting session" per session (a pass through a ControlMaster is a session of the
 * master's connection): connections are counted by their "Accepted publickey" line, so by client port.
 */
export function sshdUse(sshd: Sshd, from: number): SshdUse {
  const text = sshd.log().slice(from);
  const connections: number[] = [];
  for (const m of text.matchAll(/^Accepted publickey for \S+ from \S+ port (\d+) /gm))
    connections.push(Number(m[1]));
  const sessions = new Map<number, number>();
  for (const m of text.matchAll(/^Starting session: .* port (\d+) id \d+$/gm)) {
    const port = Number(m[1]);
    sessions.set(port, (sessions.get(port) ?? 0) + 1);
  }
  return { connections, sessions, text };
}

// ---------------------------------------------------------------------------------------------------------
// The bench

export interface Box {
  readonly name: string;
  /** The server Maildir (reached through the test sshd as mail-server:PATH). */
  readonly server: string;
  readonly local: string;
  /** stage/new of this mailbox's work dir: messages fetched and not yet delivered. */
  readonly stageNew: string;
  /** The messages put on its server, by unique name. */
  readonly messages: Map<string, Message>;
}

export interface BoxSpec {
  readonly name: string;
  /** Default DIR/local/NAME; two boxes may name one Maildir. */
  readonly local?: string;
  readonly rsyncArgs?: readonly string[];
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

export function told(r: RunResult): string {
  return `exit ${r.code ?? r.signal}\n--- stdout ---\n${r.out}--- stderr ---\n${r.err}---`;
}

/** ssh's socket path limit as syncmail counts it (shared-connection.ts SOCKET_PATH_MAX). */
const SOCKET_PATH_MAX = 89;

export class Bench {
  readonly configFile: string;
  readonly logFile: string;
  readonly stateDir: string;
  /** XDG_RUNTIME_DIR of the runs (0700, fresh). */
  readonly runtime: string;
  /** $XDG_RUNTIME_DIR/syncmail: where the shared connection's sockets go. */
  readonly socketDir: string;
  readonly boxes: Box[] = [];
  readonly #specs = new Map<string, BoxSpec>();

  constructor(
    readonly dir: string,
    readonly sshd: Sshd,
  ) {
    this.configFile = path.join(dir, 'syncmail.json');
    this.logFile = path.join(dir, 'transfer.log');
    this.stateDir = path.join(dir, 'state');
    this.runtime = path.join(dir, 'run');
    this.socketDir = path.join(this.runtime, 'syncmail');
  }

  /** Adds a mailbox with its own server folder, holding `messages`. */
  async box(spec: BoxSpec, messages: readonly Message[]): Promise<Box> {
    const server = await makeMaildir(path.join(this.dir, 'server', spec.name));
    const local = spec.local ?? path.join(this.dir, 'local', spec.name);
    const remoteText = `${this.sshd.hostAlias}:${server}`;
    const box: Box = {
      name: spec.name,
      server,
      local,
      stageNew: mailboxPaths({ local, remoteText }, this.stateDir).stageNew,
      messages: new Map(messages.map((m) => [uniqueOf(m.name), m])),
    };
    await deliverAll(server, messages);
    this.boxes.push(box);
    this.#specs.set(spec.name, spec);
    return box;
  }

  /** Writes the config: the boxes, and these top-level keys (jobs, shareConnection, retries, ...). */
  configure(top: Readonly<Record<string, unknown>> = {}, rsyncArgs?: readonly string[]): void {
    const config = {
      ssh: ['-F', this.sshd.sshConfig],
      log: this.logFile,
      state: this.stateDir,
      retries: 0,
      retryDelay: 0.2,
      ...top,
      mailboxes: this.boxes.map((b) => {
        const args = rsyncArgs ?? this.#specs.get(b.name)?.rsyncArgs;
        return {
          name: b.name,
          remote: `${this.sshd.hostAlias}:${b.server}`,
          local: b.local,
          ...(args === undefined || args.length === 0 ? {} : { rsyncArgs: args }),
        };
      }),
    };
    writeFileSync(this.configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }

  /**
   * Starts `node dist/cli.js -c CONFIG ...args` in its own process group, with XDG_RUNTIME_DIR set to
   * the bench's runtime dir.
   */
  start(args: readonly string[] = []): Running {
    const env = { ...process.env, NO_COLOR: '1', XDG_RUNTIME_DIR: this.runtime };
    return startProcess(process.execPath, [CLI, '-c', this.configFile, ...args], env);
  }

  async run(args: readonly string[] = []): Promise<RunResult> {
    return this.start(args).done;
  }

  /** The transfer log's records, oldest first. */
  records(): Record<string, unknown>[] {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The socket dir's entries (none when it does not exist). */
  sockets(): string[] {
    return listNames(this.socketDir);
  }

  /** Live ssh processes whose command line names the socket dir: masters, and passes using them. */
  sshProcs(): Proc[] {
    return procsNaming(this.socketDir).filter(isSsh);
  }

  /** The pid of the master at `socket`, as `ssh -O check` tells it; undefined when it does not answer. */
  async masterPid(socket: string): Promise<number | undefined> {
    const r = await execa(
      'ssh',
      [...this.sshd.sshArgs, '-o', `ControlPath=${socket}`, '-O', 'check', this.sshd.hostAlias],
      { reject: false, stdin: 'ignore', timeout: 3000 },
    );
    const m = /Master running \(pid=(\d+)\)/.exec(String(r.stderr));
    return m === null ? undefined : Number(m[1]);
  }

  /**
   * Waits until a run has made its master and is moving mail: a socket in the socket dir (whose master's
   * pid `ssh -O check` tells), then every box of `boxes` with at least one message fetched (in its
   * stage) and at least two still to come, so its fetch is still on for a while (half a second per
   * message at --bwlimit=200). Throws if that does not happen within 20 s or the run ended first.
   */
  async untilMidTransfer(
    run: Running,
    boxes: readonly Box[],
  ): Promise<{ socket: string; pid: number }> {
    const staged = (b: Box) => listNames(b.stageNew).filter((n) => !n.startsWith('.')).length;
    const problem = (what: string) =>
      new Error(
        run.exited
          ? `the run ended before ${what}`
          : `no ${what} after 20 s: sockets [${this.sockets().join(' ')}], staged ${boxes.map(staged).join(' ')}`,
      );
    if (!(await waitFor(() => run.exited || this.sockets().length > 0, 20_000, 5)) || run.exited)
      throw problem('socket');
    const socket = path.join(this.socketDir, this.sockets()[0] as string);
    // The socket can be there a moment before its master answers: ask again for up to 5 s.
    let pid: number | undefined;
    for (const until = Date.now() + 5000; pid === undefined && Date.now() < until; )
      pid = await this.masterPid(socket);
    if (pid === undefined) throw new Error(`ssh -O check found no master at ${socket}`);
    const mid = () => boxes.every((b) => staged(b) > 0 && staged(b) <= b.messages.size - 2);
    if (!(await waitFor(() => run.exited || mid(), 20_000, 5)) || run.exited)
      throw problem('transfer under way in every box');
    return { socket, pid };
  }

  /** The rsync clients whose ssh goes through the master at `socket` (their --rsh= names it). */
  rsyncsUsing(socket: string): Proc[] {
    return procsNaming(socket).filter((p) => path.basename(p.argv[0] ?? '') === 'rsync');
  }

  /** SIGCONTs, then SIGKILLs, every process whose command line names the bench's dir. */
  async killLeftovers(): Promise<void> {
    await killAll(() => procsNaming(this.dir));
  }
}

/**
 * Runs `fn` with a fresh bench in a temp dir (its runtime dir made 0700), then kills whatever process of
 * the bench is left (SIGCONT first) and removes the dir, pass or fail.
 */
export async function bench<T>(
  sshd: Sshd,
  prefix: string,
  fn: (b: Bench) => Promise<T>,
): Promise<T> {
  return inTempDir(prefix, async (dir) => {
    const b = new Bench(dir, sshd);
    await mkdir(b.runtime, { mode: 0o700 });
    const longest = `${b.socketDir}/${'9'.repeat(7)}-9`;
    if (Buffer.byteLength(longest) > SOCKET_PATH_MAX)
      throw new Error(
        `the temp dir ${dir} is too deep for an ssh socket (${longest}): set TMPDIR to a shorter path`,
      );
    try {
      return await fn(b);
    } finally {
      await b.killLeftovers();
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Where the messages are

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir, { encoding: 'buffer' })
      .sort(Buffer.compare)
      .map((n) => nameKey(n));
  } catch {
    return [];
  }
}

function listRaw(dir: string): Buffer[] {
  try {
    return readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return [];
  }
}

export interface Placement {
  /** Unique names in the local new/ or cur/ (any count). */
  readonly local: Set<string>;
  /** Unique names in the server's new/. */
  readonly server: Set<string>;
  /** Problems: lost, on both sides, twice locally, wrong bytes, anything unknown or half-written. */
  readonly problems: string[];
}

/**
 * Where each of the box's messages is now: every one must be either in the local Maildir (new/ or cur/,
 * once, byte-identical) or still in the server's new/, never both, never twice; and nothing else may be
 * in the local new/ or cur/ (an unknown name, a dot-file) or in the server's new/. `others`: more boxes
 * that deliver into the same local Maildir, whose messages are theirs to count.
 */
export function placement(box: Box, others: readonly Box[] = []): Placement {
  const problems: string[] = [];
  const server = new Set<string>();
  for (const name of listNames(path.join(box.server, 'new'))) {
    const u = uniqueOf(name);
    if (!box.messages.has(u)) problems.push(`${box.name}: unknown server file new/${name}`);
    server.add(u);
  }
  const counts = new Map<string, number>();
  for (const sub of ['new', 'cur']) {
    const dir = path.join(box.local, sub);
    for (const raw of listRaw(dir)) {
      const where = `${sub}/${nameKey(raw)}`;
      if (raw[0] === 0x2e) {
        problems.push(`${box.name}: a dot-file in the local ${where}`);
        continue;
      }
      const u = uniqueOf(raw);
      if (others.some((o) => o.messages.has(u))) continue;
      const m = box.messages.get(u);
      if (m === undefined) {
        problems.push(`${box.name}: unknown local ${where}`);
        continue;
      }
      counts.set(u, (counts.get(u) ?? 0) + 1);
      const bytes = readFileSync(Buffer.concat([Buffer.from(`${dir}/`), raw]));
      if (sha1(bytes) !== m.sha1) problems.push(`${box.name}: ${where} has the wrong content`);
    }
  }
  for (const [u, n] of counts) if (n > 1) problems.push(`${box.name}: ${u} is local ${n} times`);
  for (const u of box.messages.keys()) {
    const here = counts.has(u);
    if (here && server.has(u)) problems.push(`${box.name}: ${u} is both local and on the server`);
    if (!here && !server.has(u))
      problems.push(`${box.name}: ${u} is lost (neither local nor on the server)`);
  }
  return { local: new Set(counts.keys()), server, problems };
}

/**
 * Every message of the box is in its local new/ exactly once, byte-identical (cur/ holds none of them),
 * and the server's new/ is empty. Returns the problems (none: all good).
 */
export function allLocal(box: Box, others: readonly Box[] = []): string[] {
  const p = placement(box, others);
  const problems = [...p.problems];
  if (p.server.size > 0) problems.push(`${box.name}: ${p.server.size} still on the server`);
  const inNew = new Set(listNames(path.join(box.local, 'new')).map((n) => uniqueOf(n)));
  for (const u of p.local)
    if (!inNew.has(u)) problems.push(`${box.name}: ${u} is in cur/, not in new/`);
  return problems;
}

/** None of the box's messages is local, all are still on the server, and nothing is half-written. */
export function untouched(box: Box): string[] {
  const p = placement(box);
  const problems = [...p.problems];
  if (p.local.size > 0) problems.push(`${box.name}: ${p.local.size} were delivered`);
  if (p.server.size !== box.messages.size)
    problems.push(`${box.name}: ${box.messages.size - p.server.size} left the server`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// The monitor

/**
 * Every few ms, synchronously: the server's new/, then the local new/ and cur/, of each box. A message in
 * neither left the server before it was local (read in that order, a message on its way is always seen
 * on one side); a unique name twice in a local Maildir is a duplicate. Both are recorded, once each.
 */
export class Monitor {
  readonly problems: string[] = [];
  readonly #seen = new Set<string>();
  readonly #timer: NodeJS.Timeout;

  constructor(readonly boxes: readonly Box[]) {
    this.#timer = setInterval(() => this.check(), 10);
    this.#timer.unref();
  }

  check(): void {
    for (const box of this.boxes) {
      const server = new Set(listRaw(path.join(box.server, 'new')).map((n) => uniqueOf(n)));
      const local = new Map<string, number>();
      for (const sub of ['new', 'cur'])
        for (const n of listRaw(path.join(box.local, sub)))
          if (n[0] !== 0x2e) local.set(uniqueOf(n), (local.get(uniqueOf(n)) ?? 0) + 1);
      for (const u of box.messages.keys()) {
        if (!server.has(u) && !local.has(u))
          this.#note(`${box.name}: ${u} was neither on the server nor local`);
        if ((local.get(u) ?? 0) > 1) this.#note(`${box.name}: ${u} was local twice`);
      }
    }
  }

  stop(): string[] {
    clearInterval(this.#timer);
    this.check();
    return this.problems;
  }

  #note(problem: string): void {
    if (this.#seen.has(problem)) return;
    this.#seen.add(problem);
    this.problems.push(problem);
  }
}

/** `p`'s value, or undefined when it has not settled within `ms` (a guard against a run that hangs). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  const giveUp = new AbortController();
  try {
    return await Promise.race([
      p,
      sleep(ms, undefined, { signal: giveUp.signal }).catch(() => undefined),
    ]);
  } finally {
    giveUp.abort();
  }
}

/**
 * The Unix sockets `holder` holds whose other end `owner` holds, as "holder fd N = owner fd M" (from
 * `ss -xp`); [] when ss is not there. Pipes between Node and its children are socket pairs, so this
 * tells which of a process's child pipes another process keeps open.
 */
export async function sharedSockets(holder: number, owner: number): Promise<string[]> {
  const r = await execa('ss', ['-xpn'], { reject: false, stdin: 'ignore', timeout: 3000 });
  if (r.exitCode !== 0) return [];
  const byInode = new Map<string, { pid: number; fd: number }[]>();
  const peers: [string, string][] = [];
  for (const line of String(r.stdout).split('\n')) {
    const f = line.trim().split(/\s+/);
    const [inode, peer] = [f[5], f[7]];
    if (inode === undefined || peer === undefined) continue;
    const users = [...line.matchAll(/pid=(\d+),fd=(\d+)/g)].map((m) => ({
      pid: Number(m[1]),
      fd: Number(m[2]),
    }));
    byInode.set(inode, users);
    peers.push([inode, peer]);
  }
  const out: string[] = [];
  for (const [inode, peer] of peers)
    for (const h of byInode.get(inode) ?? [])
      for (const o of byInode.get(peer) ?? [])
        if (h.pid === holder && o.pid === owner)
          out.push(`${holder} fd ${h.fd} = ${owner} fd ${o.fd}`);
  return out;
}
