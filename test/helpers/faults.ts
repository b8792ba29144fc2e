// Fault-injection scenarios for syncmail, shared by test/e2e/faults.test.ts (CI-sized) and
// scripts/fault-soak.mjs (the same scenarios, bigger). Each scenario builds a World (server and local
// Maildirs in a temp dir, a config, a transfer log), runs the built CLI (`node dist/cli.js`) as real
// processes, breaks things (SIGKILL at random moments, the server side killed or frozen, an MDA writing
// meanwhile, concurrent runs, a full disk, name collisions, hand-built recovery states, a kill before every
// link/rename/unlink), then runs syncmail once more cleanly and checks the property:
//
//   every message is exactly once in the local Maildir (new/ or cur/), byte-identical; nothing else is in
//   new/ or cur/; the server's new/ is empty (or holds exactly what must stay); syncmail's work dirs are
//   empty; a message the reader deleted never comes back; no process of the run is left; and, checked
//   every few ms while things run, no message was ever missing from both the server and the local Maildir
//   (that is: nothing was removed from the server before it was in the local Maildir).
//
// A World may also route (World.create's `routing`, test/helpers/routed-mail.ts): rules for the config,
// and the test's own reading of them, a message → the folders it must end up in (its folder, then each
// that keeps a copy; seen: in cur/ as NAME:2,S). The property then holds folder by folder: every message
// exactly once in each folder its rules chose, in no other (a "misrouted" figure of its own), nothing
// half-written in any folder's new/ or cur/, and the reader reads, moves and deletes in every folder (a
// copy it deleted must not come back either). Scenarios 9a-9d are the faults above with routing, and a
// change of the rules between a run cut short and the next.
//
// A World may also hold several mailboxes of one server (World.create's `boxes`), synced at once (the
// config's `jobs`) over one shared ssh connection (`shareConnection`): the runs' XDG_RUNTIME_DIR is in the
// world's dir, so the ssh master's socket, and so its title ("ssh: SOCKET [mux]"), name that dir, and
// procs(), the kills and the final check see the master like any other process of the world. Scenario 10
// is the random kills so, the master killed on its own too (randomKills' `boxes`, kill kind 'master').
//
// Every scenario returns Figures (counts of runs, kills, messages, problems). A scenario never throws for a
// broken property: it records a problem, so the soak script can print the whole table. Tests assert that
// the problem list is empty, and more.
import { spawn } from 'node:child_process';
import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { copyFile, cp, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { mailboxPaths, TEMP_DIR } from '../../src/maildir/layout.js';
import { foldJournal, formatRecord } from '../../src/maildir/pending.js';
import { socketPath } from '../../src/rsync/shared-connection.js';
import { shellQuote } from '../../src/text/shell-quote.js';
import {
  assertExactlyOnce,
  deliver,
  type Message,
  makeMaildir,
  makeTempDir,
  nameKey,
  randomMessages,
  sha1,
  uniqueOf,
} from './maildir.js';
import {
  dress,
  dressAll,
  folderPath,
  INBOX,
  INBOX_ONLY,
  MAIL_KINDS,
  type MailKind,
  type Placement,
  type Routing,
  RULES_A,
  RULES_B,
} from './routed-mail.js';
import { type RsyncPair, rsyncPathArg } from './rsyncs.js';
import type { Sshd } from './sshd.js';

/** rsync's partial dir, inside the stage (see src/rsync/argv.ts). */
const PARTIAL = 'stage/new/.syncmail-partial';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI: run `npm run build` first. */
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness

/** A small seeded generator: a full-period 32-bit LCG whose output goes through an xor-shift/multiply mix. */
export class Rng {
  #state: number;
  constructor(readonly seed: number) {
    this.#state = (seed ^ 0x3c6ef372) >>> 0;
    for (let i = 0; i < 3; i++) this.next();
  }

  next(): number {
    this.#state = (Math.imul(this.#state, 0x2c1b3c6d) + 0x297a2d39) >>> 0;
    let x = this.#state;
    x ^= x >>> 15;
    x = Math.imul(x, 0x2f72b4a5);
    x ^= x >>> 13;
    x = Math.imul(x, 0x6a5d39e9);
    x ^= x >>> 16;
    return (x >>> 0) / 0x1_0000_0000;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  /** A seed for a sub-scenario, so each one reproduces on its own. */
  child(): number {
    return this.int(1, 2_000_000_000);
  }
}

/** SYNCMAIL_FAULT_SEED if set, else a fresh one (print it: failures reproduce with it). */
export function pickSeed(): number {
  const fromEnv = process.env['SYNCMAIL_FAULT_SEED'];
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return (Date.now() % 1_000_000_007) ^ (process.pid << 4);
}

// ---------------------------------------------------------------------------------------------------------
// Figures

export interface Figures {
  name: string;
  seed: number;
  /** Set when the scenario could not run here (e.g. no permission to mount); it then did NOT pass. */
  skipped?: string;
  /** syncmail processes started, the final clean runs included. */
  runs: number;
  kills: Record<string, number>;
  /** Where each kill landed: fetch/remove (syncmail's rsync running), orphan (only an older orphaned rsync), other. */
  phases: Record<string, number>;
  /** Exit codes of runs that were not killed by the test ("75", "0", ...); killed runs count as "killed". */
  exitCodes: Record<string, number>;
  /** Other counts a scenario keeps (busy runs, retries seen, ...). */
  counts: Record<string, number>;
  messages: number;
  bytes: number;
  readerMoved: number;
  readerDeleted: number;
  lost: number;
  duplicated: number;
  resurrected: number;
  corrupted: number;
  /** Server new/ entries left after the final clean run that did not have to stay. */
  stranded: number;
  /** Entries in local new/ or cur/ that are not expected messages (dot-files, leftovers, extras). */
  junk: number;
  /**
   * With routing rules: messages in a folder their rules did not choose (or delivered unread where the
   * rules said seen), at the end or seen so by the monitor while runs were going on.
   */
  misrouted: number;
  /** Files left in syncmail's work dirs (stage, placeholders, temp, partial) or journal after the final run. */
  leftovers: number;
  /** Messages seen missing from both the server and the local Maildir while runs were going on. */
  violations: number;
  /** Processes of the scenario still alive after the final run. */
  orphans: number;
  monitorChecks: number;
  ms: number;
  problems: string[];
  notes: string[];
}

export function newFigures(name: string, seed: number): Figures {
  return {
    name,
    seed,
    runs: 0,
    kills: {},
    phases: {},
    exitCodes: {},
    counts: {},
    messages: 0,
    bytes: 0,
    readerMoved: 0,
    readerDeleted: 0,
    lost: 0,
    duplicated: 0,
    resurrected: 0,
    corrupted: 0,
    stranded: 0,
    junk: 0,
    misrouted: 0,
    leftovers: 0,
    violations: 0,
    orphans: 0,
    monitorChecks: 0,
    ms: 0,
    problems: [],
    notes: [],
  };
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

function histogram(map: Record<string, number>): string {
  const keys = Object.keys(map).sort();
  return keys.length === 0 ? '-' : keys.map((k) => `${k}:${map[k]}`).join(' ');
}

/** The figures as a fixed-width text table, one row per scenario, plus a totals row. */
export function formatTable(all: readonly Figures[]): string {
  const head = [
    'scenario',
    'seed',
    'runs',
    'kills',
    'kill landed in',
    'msgs',
    'MB',
    'read/del',
    'lost',
    'dup',
    'resur',
    'corrupt',
    'strand',
    'junk',
    'misroute',
    'leftover',
    'viol',
    'orphan',
    'exit codes',
    's',
  ];
  const rows = all.map((f) => [
    f.name + (f.skipped !== undefined ? ' (SKIPPED)' : ''),
    String(f.seed),
    String(f.runs),
    histogram(f.kills),
    histogram(f.phases),
    String(f.messages),
    (f.bytes / 1e6).toFixed(1),
    `${f.readerMoved}/${f.readerDeleted}`,
    String(f.lost),
    String(f.duplicated),
    String(f.resurrected),
    String(f.corrupted),
    String(f.stranded),
    String(f.junk),
    String(f.misrouted),
    String(f.leftovers),
    String(f.violations),
    String(f.orphans),
    histogram(f.exitCodes),
    (f.ms / 1000).toFixed(1),
  ]);
  const sum = (pick: (f: Figures) => number) => String(all.reduce((n, f) => n + pick(f), 0));
  const kills: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const phases: Record<string, number> = {};
  for (const f of all) {
    for (const [k, v] of Object.entries(f.kills)) bump(kills, k, v);
    for (const [k, v] of Object.entries(f.exitCodes)) bump(codes, k, v);
    for (const [k, v] of Object.entries(f.phases)) bump(phases, k, v);
  }
  rows.push([
    'TOTAL',
    '',
    sum((f) => f.runs),
    histogram(kills),
    histogram(phases),
    sum((f) => f.messages),
    (all.reduce((n, f) => n + f.bytes, 0) / 1e6).toFixed(1),
    `${sum((f) => f.readerMoved)}/${sum((f) => f.readerDeleted)}`,
    sum((f) => f.lost),
    sum((f) => f.duplicated),
    sum((f) => f.resurrected),
    sum((f) => f.corrupted),
    sum((f) => f.stranded),
    sum((f) => f.junk),
    sum((f) => f.misrouted),
    sum((f) => f.leftovers),
    sum((f) => f.violations),
    sum((f) => f.orphans),
    histogram(codes),
    (all.reduce((n, f) => n + f.ms, 0) / 1000).toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)].join('\n');
}

/** The sum of every "must be zero" figure. */
export function badCount(f: Figures): number {
  return (
    f.lost +
    f.duplicated +
    f.resurrected +
    f.corrupted +
    f.stranded +
    f.junk +
    f.misrouted +
    f.leftovers +
    f.violations +
    f.orphans +
    f.problems.length
  );
}

// ---------------------------------------------------------------------------------------------------------
// Processes

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  argv: string[];
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    if (argv.at(-1) === '') argv.pop();
    return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgid: Number(rest[2]), argv };
  } catch {
    return undefined; // gone meanwhile
  }
}

function allProcs(): Proc[] {
  const procs: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = readProc(Number(entry));
    if (p !== undefined && p.state !== 'Z' && p.state !== 'X') procs.push(p);
  }
  return procs;
}

/** The server port in a process's SSH_CONNECTION, if it has one (then it runs on the server side). */
function sshServerPort(pid: number): number | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
    const entry = env.find((e) => e.startsWith('SSH_CONNECTION='));
    const port = Number(entry?.split(/\s+/)[3]);
    return Number.isInteger(port) ? port : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: already gone
  }
}

const OWN_PGID = readProc(process.pid)?.pgid ?? -1;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

export interface Running {
  readonly pid: number;
  readonly started: number;
  readonly done: Promise<RunResult>;
  exited: boolean;
}

export function startProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Running {
  // detached: its own process group, so a kill of that group reaches exactly syncmail and its
  // non-detached children, never the test runner.
  const child = spawn(command, [...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`cannot start ${command}`);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const started = Date.now();
  const running: { pid: number; started: number; exited: boolean; done: Promise<RunResult> } = {
    pid: child.pid,
    started,
    exited: false,
    done: Promise.resolve({ code: null, signal: null, out: '', err: '', ms: 0 }),
  };
  running.done = new Promise<RunResult>((resolve) => {
    let settled = false;
    const finish = (code: number | null, sig: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      resolve({ code, signal: sig, out, err, ms: Date.now() - started });
    };
    child.once('error', (e) => {
      err += `spawn error: ${e.message}\n`;
      running.exited = true;
      finish(null, null);
    });
    child.once('exit', (code, sig) => {
      running.exited = true;
      // A grandchild may still hold the pipes; never wait long for them.
      const timer = setTimeout(() => finish(code, sig), 300);
      child.once('close', () => {
        clearTimeout(timer);
        finish(code, sig);
      });
    });
  });
  return running;
}

async function waitFor(check: () => boolean, timeoutMs: number, stepMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}

function readdirSafe(dir: string): Buffer[] {
  try {
    return readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return [];
  }
}

function readTextSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function joinRaw(dir: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), name]);
}

/** One message in one folder: its unique name, after the folder's name but in INBOX. */
function slot(folder: string, unique: string): string {
  return folder === INBOX ? unique : `${folder}/${unique}`;
}

/** An entry of a folder as problems name it: new/NAME in INBOX, FOLDER/cur/NAME elsewhere. */
function whereOf(folder: string, sub: string, name: Buffer): string {
  return `${folder === INBOX ? '' : `${folder}/`}${sub}/${nameKey(name)}`;
}

/** The flags of a Maildir name: "NAME:2,FS" → "FS". */
function flagsOf(name: Buffer): string {
  const text = name.toString('latin1');
  const at = text.indexOf(':2,');
  return at === -1 ? '' : text.slice(at + 3);
}

// ---------------------------------------------------------------------------------------------------------
// The world: Maildirs, config, runs, the monitor, the reader, the final check

export interface Box {
  readonly name: string;
  readonly server: string;
  readonly local: string;
  /** The pending-removal journal of this Maildir and server folder, in the world's state dir. */
  readonly journal: string;
  /** tmp/syncmail/FOLDER-KEY inside the local Maildir. */
  readonly work: string;
  /** Unique name → sha1 of every message that must end up locally (delivered to the server, not deleted by the reader). */
  readonly expected: Map<string, string>;
  /** Unique name → the folders it must end up in (absent: INBOX only, unread), from the routing rules. */
  readonly placement: Map<string, Placement>;
  /** Unique names the reader deleted (from every folder that held them): they must never come back. */
  readonly deleted: Set<string>;
  /** Unique name → the folders the reader deleted it from while others still hold it: it must not come back there. */
  readonly removedFrom: Map<string, Set<string>>;
  /** Slots (see slot()) of unread messages that may be in cur/: the reader moved them there, or the test put them. */
  readonly inCur: Set<string>;
  readonly misroutedSeen: Set<string>;
  readonly violations: Set<string>;
  readonly resurrectedSeen: Set<string>;
  readonly junkSeen: Set<string>;
  readonly duplicateSeen: Set<string>;
  readonly corruptSeen: Set<string>;
}

export interface ConfigOptions {
  /** ssh (via the sshd) unless the world has no sshd: then the remote is a local path. */
  rsyncArgs?: readonly string[];
  ssh?: readonly string[];
  retries?: number;
  retryDelay?: number;
  connectTimeout?: number;
  ioTimeout?: number;
  onConflict?: 'keep' | 'rename';
  /** Mailboxes synced at once (the config's `jobs`, 1-8; syncmail's default 4). */
  jobs?: number | undefined;
  /** One ssh master per server two or more mailboxes use (the config's `shareConnection`; default true). */
  shareConnection?: boolean | undefined;
}

/**
 * What a kill hits: syncmail alone, its process group, everything of the world, or only the ssh master
 * of the shared connection (the run goes on without it).
 */
export type KillKind = 'syncmail' | 'group' | 'all' | 'master';

/**
 * The ssh master of a shared connection: detached from the pass that made it, it titles itself
 * "ssh: SOCKET [mux]" (the mux clients of the passes keep an `ssh … ControlPath=SOCKET` command line);
 * one opened ahead for a lone mailbox's remove pass (`ssh -N`) keeps its command line.
 */
function isMaster(p: Proc): boolean {
  const title = p.argv[0] ?? '';
  if (title.startsWith('ssh:')) return title.includes('[mux]');
  return p.argv.includes('-N') && p.argv.some((a) => a.startsWith('ControlPersist='));
}

/**
 * What goes after a scenario's name: the rsync pair, " [client 3.2.7 / server 3.5.0]"; with a local-path
 * remote rsync runs both ends itself, so only the client counts, " [client 3.2.7, local-path remote]".
 */
export function rsyncSuffix(rsync: RsyncPair | undefined, viaSsh: boolean): string {
  if (rsync === undefined) return '';
  return viaSsh ? ` [${rsync.label}]` : ` [client ${rsync.client.version}, local-path remote]`;
}

export class World {
  readonly fig: Figures;
  readonly configFile: string;
  readonly logFile: string;
  /** The config's `state` directory: the pending-removal journals and the server folder locks. */
  readonly stateDir: string;
  /**
   * XDG_RUNTIME_DIR of the runs (0700): the shared connection's sockets go in its syncmail/, so an ssh
   * master's title names the world's dir and procs(), the kills and verify() see it.
   */
  readonly runtimeDir: string;
  /** The pids of the ssh masters procs() has come across. */
  readonly #masters = new Set<number>();
  readonly #began = Date.now();
  #monitor: NodeJS.Timeout | undefined;
  #ok = true;

  private constructor(
    readonly dir: string,
    readonly sshd: Sshd | undefined,
    /** The rsyncs to run (client locally, server over ssh); undefined: `rsync` on PATH at both ends. */
    readonly rsync: RsyncPair | undefined,
    readonly boxes: readonly Box[],
    fig: Figures,
    readonly log: Log,
  ) {
    this.fig = fig;
    this.configFile = path.join(dir, 'syncmail.yaml');
    this.logFile = path.join(dir, 'transfer.log');
    this.stateDir = path.join(dir, 'state');
    this.runtimeDir = path.join(dir, 'run');
  }

  static async create(opts: {
    name: string;
    seed: number;
    sshd?: Sshd | undefined;
    rsync?: RsyncPair | undefined;
    boxes?: readonly string[] | undefined;
    localRoot?: string;
    /** Routing rules for the config, and where they send each message (see routed-mail.ts). */
    routing?: Routing | undefined;
    log?: Log;
  }): Promise<World> {
    const dir = await makeTempDir(`faults-${opts.name}`);
    const boxes: Box[] = [];
    for (const name of opts.boxes ?? ['inbox']) {
      const server = await makeMaildir(path.join(dir, 'server', name));
      const local = path.join(opts.localRoot ?? path.join(dir, 'local'), name);
      // The remote as World.configure writes it: syncmail keys its work dir and journal by it.
      const remoteText = opts.sshd === undefined ? server : `${opts.sshd.hostAlias}:${server}`;
      const paths = mailboxPaths({ local, remoteText }, path.join(dir, 'state'));
      boxes.push({
        name,
        server,
        local,
        work: paths.work,
        journal: paths.journal,
        expected: new Map(),
        placement: new Map(),
        deleted: new Set(),
        removedFrom: new Map(),
        inCur: new Set(),
        misroutedSeen: new Set(),
        violations: new Set(),
        resurrectedSeen: new Set(),
        junkSeen: new Set(),
        duplicateSeen: new Set(),
        corruptSeen: new Set(),
      });
    }
    const log = opts.log ?? (() => undefined);
    const name = opts.name + rsyncSuffix(opts.rsync, opts.sshd !== undefined);
    log(`${name}: seed ${opts.seed}, dir ${dir}`);
    const world = new World(dir, opts.sshd, opts.rsync, boxes, newFigures(name, opts.seed), log);
    await mkdir(world.runtimeDir, { mode: 0o700 });
    if (opts.routing !== undefined) world.route(opts.routing);
    return world;
  }

  // --- routing -------------------------------------------------------------------------------------------

  #routing: Routing | undefined;
  /** Every folder any rules of this world named (INBOX aside): the checks look in all of them. */
  readonly #folders = new Set<string>();

  get routing(): Routing | undefined {
    return this.#routing;
  }

  /** Rules for the next configure(), and where they send the messages added from now on. */
  route(routing: Routing | undefined): void {
    this.#routing = routing;
    for (const f of routing?.folders ?? []) this.#folders.add(f);
  }

  /** INBOX (the mailbox's local Maildir) and every folder rules of this world named, with their directories. */
  folders(box: Box): { name: string; dir: string }[] {
    return [INBOX, ...[...this.#folders].sort()].map((name) => ({
      name,
      dir: folderPath(box.local, name),
    }));
  }

  placementOf(box: Box, unique: string): Placement {
    return box.placement.get(unique) ?? INBOX_ONLY;
  }

  /** The folders a message must be in now: those of its placement the reader has not deleted it from. */
  wantedIn(box: Box, unique: string): string[] {
    const gone = box.removedFrom.get(unique);
    return this.placementOf(box, unique).folders.filter((f) => gone?.has(f) !== true);
  }

  /** Every unique name visible in new/ or cur/ of any folder of the box. */
  localUniques(box: Box): Set<string> {
    const found = new Set<string>();
    for (const { dir } of this.folders(box))
      for (const sub of ['new', 'cur'])
        for (const name of readdirSafe(path.join(dir, sub)))
          if (name[0] !== 0x2e) found.add(uniqueOf(name));
    return found;
  }

  get box(): Box {
    return this.boxes[0] as Box;
  }

  /** The server-side rsync command, for an --rsync-path that wraps it (in strace, say). */
  get serverRsync(): string {
    return this.rsync === undefined ? 'rsync' : shellQuote(this.rsync.server.path);
  }

  configure(opts: ConfigOptions = {}): void {
    const lines: string[] = [];
    if (this.sshd !== undefined)
      lines.push(`ssh: ${JSON.stringify(['-F', this.sshd.sshConfig, ...(opts.ssh ?? [])])}`);
    if (this.rsync !== undefined) lines.push(`rsync: ${JSON.stringify(this.rsync.client.path)}`);
    const rsyncArgs = [...(opts.rsyncArgs ?? [])];
    // A local-path remote has no server rsync to choose; an --rsync-path of the caller's already names it.
    if (
      this.sshd !== undefined &&
      this.rsync !== undefined &&
      !rsyncArgs.some((a) => a.startsWith('--rsync-path='))
    )
      rsyncArgs.unshift(rsyncPathArg(this.rsync.server));
    lines.push(`log: ${JSON.stringify(this.logFile)}`);
    lines.push(`state: ${JSON.stringify(this.stateDir)}`);
    lines.push(`retries: ${opts.retries ?? 1}`);
    lines.push(`retryDelay: ${opts.retryDelay ?? 0.2}`);
    // Every failure printed, --quiet or not: these runs check that each is explained (the quiet policy
    // that holds back a short outage is tested in status-quiet.test.ts).
    lines.push('quietFailuresFor: 0');
    if (this.#routing !== undefined) lines.push(...this.#routing.yaml);
    if (opts.connectTimeout !== undefined) lines.push(`connectTimeout: ${opts.connectTimeout}`);
    if (opts.ioTimeout !== undefined) lines.push(`ioTimeout: ${opts.ioTimeout}`);
    if (opts.onConflict !== undefined) lines.push(`onConflict: ${opts.onConflict}`);
    if (opts.jobs !== undefined) lines.push(`jobs: ${opts.jobs}`);
    if (opts.shareConnection !== undefined) lines.push(`shareConnection: ${opts.shareConnection}`);
    lines.push('mailboxes:');
    for (const box of this.boxes) {
      lines.push(`  - name: ${box.name}`);
      lines.push(
        `    remote: ${JSON.stringify(this.sshd === undefined ? box.server : `${this.sshd.hostAlias}:${box.server}`)}`,
      );
      lines.push(`    local: ${JSON.stringify(box.local)}`);
      if (rsyncArgs.length > 0) lines.push(`    rsyncArgs: ${JSON.stringify(rsyncArgs)}`);
    }
    writeFileSync(this.configFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  // --- mail --------------------------------------------------------------------------------------------

  /** Delivers messages to the server the way an MDA does, and expects each one locally in the end. */
  async addMail(box: Box, messages: readonly Message[], mtime?: Date): Promise<void> {
    for (const m of messages) await this.addOne(box, m, mtime);
  }

  async addOne(box: Box, m: Message, mtime?: Date): Promise<void> {
    await deliver(box.server, m.name, m.content, mtime === undefined ? {} : { mtime });
    box.expected.set(uniqueOf(m.name), m.sha1);
    if (this.#routing !== undefined)
      box.placement.set(uniqueOf(m.name), this.#routing.route(m.content));
    this.fig.messages += 1;
    this.fig.bytes += m.content.length;
  }

  // --- runs --------------------------------------------------------------------------------------------

  /**
   * Starts `node dist/cli.js --config CFG ...args`, optionally under a wrapper command (strace), with
   * XDG_RUNTIME_DIR the world's runtimeDir unless `env` says otherwise.
   */
  syncmail(
    args: readonly string[],
    opts: { wrap?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
  ): Running {
    this.fig.runs += 1;
    const cli = [process.execPath, CLI, '--config', this.configFile, ...args];
    const argv = [...(opts.wrap ?? []), ...cli];
    return startProcess(argv[0] as string, argv.slice(1), {
      ...process.env,
      XDG_RUNTIME_DIR: this.runtimeDir,
      ...opts.env,
    });
  }

  /** Runs syncmail to the end and checks its exit code is one of `allowed`. */
  async run(args: readonly string[], allowed: readonly number[], what: string): Promise<RunResult> {
    const result = await this.syncmail(args).done;
    this.expectExit(result, allowed, what);
    return result;
  }

  expectExit(result: RunResult, allowed: readonly number[], what: string): void {
    bump(this.fig.exitCodes, result.signal !== null ? `sig${result.signal}` : String(result.code));
    if (result.code === null || !allowed.includes(result.code)) {
      this.problem(
        `${what}: exit ${result.code ?? result.signal}, expected ${allowed.join(' or ')}; stdout ${JSON.stringify(result.out.slice(-400))}, stderr ${JSON.stringify(result.err.slice(-800))}`,
      );
    }
  }

  problem(text: string): void {
    this.fig.problems.push(text);
    this.log(`  PROBLEM ${this.fig.name}: ${text}`);
  }

  count(key: string, by = 1): void {
    bump(this.fig.counts, key, by);
  }

  /**
   * Live processes of this world on the client side: anything whose command line names the world's dir
   * (an ssh master too: its title names its socket, in runtimeDir). Counts each master it comes across
   * ("ssh masters seen").
   */
  procs(): Proc[] {
    const found = allProcs().filter((p) => {
      if (p.pid === process.pid || !p.argv.some((a) => a.includes(this.dir))) return false;
      return this.sshd === undefined || sshServerPort(p.pid) !== this.sshd.port;
    });
    for (const p of found.filter(isMaster)) {
      if (this.#masters.has(p.pid)) continue;
      this.#masters.add(p.pid);
      this.count('ssh masters seen');
    }
    return found;
  }

  /**
   * The live ssh masters of this world's shared connections; of `run` only: the sockets syncmail names
   * after its pid ($XDG_RUNTIME_DIR/syncmail/PID-N).
   */
  masters(run?: Running): Proc[] {
    const mine = run === undefined ? undefined : `/${run.pid}-`;
    return this.procs().filter(
      (p) => isMaster(p) && (mine === undefined || p.argv.some((a) => a.includes(mine))),
    );
  }

  /** What the run is doing: its own rsync fetching or removing, only an orphaned rsync alive, or other. */
  phase(running: Running): 'fetch' | 'remove' | 'orphan' | 'other' {
    const rsyncs = this.procs().filter(
      (p) =>
        path.basename(p.argv[0] ?? '') === 'rsync' &&
        this.boxes.some((b) => p.argv.some((a) => a.includes(b.work))),
    );
    const mine = rsyncs.filter((p) => p.ppid === running.pid);
    if (mine.some((p) => p.argv.includes('--remove-source-files'))) return 'remove';
    if (mine.length > 0) return 'fetch';
    return rsyncs.length > 0 ? 'orphan' : 'other';
  }

  /** Is a file being received (rsync's temp dir not empty) in `box`, or in any box of the world? */
  receiving(box?: Box): boolean {
    return (box === undefined ? this.boxes : [box]).some(
      (b) => readdirSafe(path.join(b.work, 'stage', TEMP_DIR)).length > 0,
    );
  }

  /**
   * SIGKILLs the run: syncmail alone; syncmail's process group (rsync, in its own session, survives both as
   * an orphan that keeps the lock); everything, rsync's sessions included (a crash, minus the page cache);
   * or only the ssh master (detached, in a session of its own), and the run goes on to its end.
   */
  async kill(running: Running, kind: KillKind): Promise<string> {
    const phase = this.phase(running);
    if (kind === 'syncmail') signal(running.pid, 'SIGKILL');
    else if (kind === 'group') signal(-running.pid, 'SIGKILL');
    else if (kind === 'master') {
      const masters = this.masters(running);
      if (masters.length === 0) throw new Error(`run ${running.pid} has no ssh master to kill`);
      for (const m of masters) signal(m.pid, 'SIGKILL');
    } else {
      const groups = new Set([running.pid, ...this.procs().map((p) => p.pgid)]);
      for (const g of groups) if (g > 1 && g !== OWN_PGID) signal(-g, 'SIGKILL');
      await this.killStragglers();
    }
    bump(this.fig.kills, kind);
    bump(this.fig.phases, phase);
    await running.done;
    return phase;
  }

  /** SIGKILLs every client-side process of this world until none shows up for a while. */
  async killStragglers(): Promise<number> {
    let killed = 0;
    for (let round = 0, quiet = 0; round < 200 && quiet < 3; round++) {
      const victims = this.procs();
      if (victims.length === 0) quiet += 1;
      else quiet = 0;
      for (const p of victims) {
        if (p.pgid > 1 && p.pgid !== OWN_PGID) signal(-p.pgid, 'SIGKILL');
        signal(p.pid, 'SIGKILL');
        killed += 1;
      }
      await sleep(10);
    }
    return killed;
  }

  // --- the monitor ---------------------------------------------------------------------------------------

  /**
   * Every few ms, synchronously (nothing else in this process runs meanwhile: the reader and the MDA book-
   * keeping are synchronous too): list the server's new/, then the local new/ and cur/. A message expected
   * locally that is in neither was removed from the server before it reached the local Maildir. (Read in
   * that order, a message moving from server to local is always seen in one of them.)
   */
  startMonitor(everyMs = 25): void {
    this.stopMonitor();
    // unref: a monitor a crashed scenario never stopped must not keep the test process alive.
    this.#monitor = setInterval(() => this.checkOnce(), everyMs).unref();
  }

  stopMonitor(): void {
    if (this.#monitor !== undefined) clearInterval(this.#monitor);
    this.#monitor = undefined;
  }

  checkOnce(): void {
    for (const box of this.boxes) {
      const onServer = new Set(readdirSafe(path.join(box.server, 'new')).map((n) => uniqueOf(n)));
      // Unique name → how often it is in each folder.
      const local = new Map<string, Map<string, number>>();
      for (const folder of this.folders(box)) {
        for (const sub of ['new', 'cur'] as const) {
          for (const name of readdirSafe(path.join(folder.dir, sub))) {
            if (name[0] === 0x2e) {
              box.junkSeen.add(whereOf(folder.name, sub, name));
              continue;
            }
            const u = uniqueOf(name);
            const counts = local.get(u) ?? new Map<string, number>();
            counts.set(folder.name, (counts.get(folder.name) ?? 0) + 1);
            local.set(u, counts);
            const wrong = this.misplaced(box, folder.name, sub, name);
            if (wrong !== undefined)
              box.misroutedSeen.add(`${whereOf(folder.name, sub, name)} ${wrong}`);
          }
        }
      }
      for (const u of box.expected.keys()) {
        if (!onServer.has(u) && !local.has(u) && !box.violations.has(u)) {
          box.violations.add(u);
          this.log(`  VIOLATION ${this.fig.name}: ${u} is neither on the server nor local`);
        }
      }
      for (const [u, counts] of local) {
        for (const [folder, n] of counts) {
          if (n > 1) box.duplicateSeen.add(slot(folder, u));
          if (box.deleted.has(u) || box.removedFrom.get(u)?.has(folder) === true)
            box.resurrectedSeen.add(slot(folder, u));
        }
      }
    }
    this.fig.monitorChecks += 1;
  }

  /**
   * Why a message of the box must not be where it is (in a folder its rules did not choose, unread where
   * they said seen, in cur/ unread without the reader having moved it there), or undefined. Names that
   * are no known message are junk, not misrouted, and so are reported by the callers.
   */
  misplaced(box: Box, folder: string, sub: 'new' | 'cur', name: Buffer): string | undefined {
    const u = uniqueOf(name);
    // A message deleted everywhere is a resurrection wherever it shows up; an unknown name is junk.
    if (box.deleted.has(u) || !(box.expected.has(u) || box.placement.has(u))) return undefined;
    const p = this.placementOf(box, u);
    if (!p.folders.includes(folder))
      return `is in a folder its rules did not choose (they chose ${p.folders.join(' + ')})`;
    if (this.#routing === undefined && box.placement.size === 0) return undefined;
    if (p.seen && (sub === 'new' || !flagsOf(name).includes('S')))
      return 'is not marked read (its rules said seen: in cur/ as NAME:2,S)';
    if (!p.seen && sub === 'cur' && !box.inCur.has(slot(folder, u)))
      return 'is in cur/ although its rules did not say seen and the reader never moved it';
    return undefined;
  }

  // --- the reader ----------------------------------------------------------------------------------------

  /**
   * A mail reader (mutt), in every folder of the box: reads up to `move` messages in new/ (checking their
   * content) and moves them to cur/NAME:2,S, then deletes up to `remove` read messages from cur/ but
   * the ones in `spare` (unique names: e.g. local copies syncmail never delivered, which it would rightly
   * fetch again while the server holds them). Synchronous, so the monitor never sees a message
   * half-moved. Deleted messages must never come back (in that folder; a copy in another folder stays).
   */
  reader(
    box: Box,
    rng: Rng,
    move: number,
    remove: number,
    spare: ReadonlySet<string> = new Set(),
  ): void {
    for (const folder of this.folders(box)) this.#readFolder(box, folder, rng, move, remove, spare);
  }

  #readFolder(
    box: Box,
    folder: { name: string; dir: string },
    rng: Rng,
    move: number,
    remove: number,
    spare: ReadonlySet<string>,
  ): void {
    const read = (dir: string, name: Buffer): void => {
      const u = uniqueOf(name);
      const want = box.expected.get(u);
      try {
        if (want !== undefined && sha1(readFileSync(joinRaw(dir, name))) !== want)
          box.corruptSeen.add(slot(folder.name, u));
      } catch {
        // vanished: the monitor and the final check will say why
      }
    };
    const newDir = path.join(folder.dir, 'new');
    const curDir = path.join(folder.dir, 'cur');
    const fresh = rng.shuffle(
      readdirSafe(newDir).filter((n) => n[0] !== 0x2e && !n.includes(0x3a)),
    );
    for (const name of fresh.slice(0, move)) {
      read(newDir, name);
      try {
        renameSync(
          joinRaw(newDir, name),
          Buffer.concat([joinRaw(curDir, name), Buffer.from(':2,S')]),
        );
        box.inCur.add(slot(folder.name, uniqueOf(name)));
        this.fig.readerMoved += 1;
      } catch {
        // gone meanwhile
      }
    }
    const seen = rng.shuffle(
      readdirSafe(curDir).filter((n) => {
        const u = uniqueOf(n);
        return (
          n[0] !== 0x2e &&
          box.expected.has(u) &&
          !spare.has(u) &&
          this.wantedIn(box, u).includes(folder.name)
        );
      }),
    );
    for (const name of seen.slice(0, remove)) {
      read(curDir, name);
      try {
        unlinkSync(joinRaw(curDir, name));
      } catch {
        continue;
      }
      const u = uniqueOf(name);
      const gone = box.removedFrom.get(u) ?? new Set<string>();
      gone.add(folder.name);
      box.removedFrom.set(u, gone);
      if (this.wantedIn(box, u).length === 0) {
        box.expected.delete(u);
        box.deleted.add(u);
      }
      this.fig.readerDeleted += 1;
    }
  }

  // --- the final check -------------------------------------------------------------------------------------

  /**
   * The run every scenario ends with: no bandwidth limit (`opts`: the rest of the config, jobs say), and
   * --wait so an orphaned rsync still holding the lock finishes first; then the whole property is checked.
   */
  async finalCleanRun(opts: ConfigOptions = {}): Promise<void> {
    this.configure(opts);
    await this.run(['--wait', '60'], [0], 'final clean run');
    this.checkOnce();
    await this.verify('after the final run');
  }

  /**
   * Checks the property now, after a final clean run. mustStay: per box, the server new/ names that must
   * still be there (and may still be in the stage). Figures keep the worst value seen over all calls.
   * With routing, every folder of the box is looked at: each message must be exactly once in each folder
   * its rules chose (unless the reader deleted it there), and in no other.
   */
  async verify(
    what: string,
    mustStay: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
  ): Promise<void> {
    const f = this.fig;
    for (const box of this.boxes) {
      const stay = mustStay.get(box.name) ?? new Set<string>();
      // slot (a message in one folder) → the files found for it there
      const copies = new Map<string, { where: string; sha: string }[]>();
      let junk = 0;
      let misrouted = 0;
      const misplacedNow = new Set<string>();
      // Unique names found in a folder their rules did not choose: missing from theirs, but not lost.
      const elsewhere = new Set<string>();
      let cameBack = 0;
      const resurrected = new Set(box.resurrectedSeen);
      for (const folder of this.folders(box)) {
        for (const sub of ['new', 'cur'] as const) {
          const dir = path.join(folder.dir, sub);
          for (const name of readdirSafe(dir)) {
            const where = whereOf(folder.name, sub, name);
            const u = uniqueOf(name);
            if (name[0] === 0x2e) {
              junk += 1;
              this.problem(`${what}: ${box.name}: dot-file ${where}`);
              continue;
            }
            if (box.deleted.has(u) || box.removedFrom.get(u)?.has(folder.name) === true) {
              resurrected.add(slot(folder.name, u));
              cameBack += 1;
              this.problem(`${what}: ${box.name}: ${where} came back after the reader deleted it`);
              continue;
            }
            if (!box.expected.has(u)) {
              junk += 1;
              this.problem(`${what}: ${box.name}: unexpected ${where}`);
              continue;
            }
            const wrong = this.misplaced(box, folder.name, sub, name);
            if (wrong !== undefined) {
              misrouted += 1;
              misplacedNow.add(`${where} ${wrong}`);
              this.problem(`${what}: ${box.name}: ${where} ${wrong}`);
              // In a folder of its own it still counts as its copy there (a flag wrong); elsewhere not.
              if (!this.placementOf(box, u).folders.includes(folder.name)) {
                elsewhere.add(u);
                continue;
              }
            }
            let sha = '';
            try {
              sha = sha1(await readFile(joinRaw(dir, name)));
            } catch (e) {
              sha = `unreadable: ${(e as Error).message}`;
            }
            const key = slot(folder.name, u);
            const list = copies.get(key) ?? [];
            list.push({ where, sha });
            copies.set(key, list);
          }
        }
      }
      misrouted += this.#strayFolders(box, what);
      for (const m of box.misroutedSeen) {
        if (misplacedNow.has(m)) continue;
        misrouted += 1;
        this.problem(`${what}: ${box.name}: ${m}, seen during a run`);
      }
      if (this.#routing !== undefined) this.#checkFolders(box, what);
      let lost = 0;
      let notMoved = 0;
      let duplicated = 0;
      let corrupted = box.corruptSeen.size;
      const onServer = new Set(readdirSafe(path.join(box.server, 'new')).map((n) => uniqueOf(n)));
      for (const [u, want] of box.expected) {
        for (const folder of this.wantedIn(box, u)) {
          const list = copies.get(slot(folder, u)) ?? [];
          const label = folder === INBOX ? u : `${u} (in ${folder})`;
          if (list.length === 0 && onServer.has(u)) {
            // Not lost, but not moved either: it shows up as stranded on the server below.
            notMoved += 1;
            if (notMoved <= 5)
              this.problem(
                `${what}: ${box.name}: ${label} never reached the local Maildir (still on the server)`,
              );
          } else if (list.length === 0 && elsewhere.has(u)) {
            // Counted as misrouted above.
            this.problem(`${what}: ${box.name}: ${label} is not there (misrouted)`);
          } else if (list.length === 0) {
            lost += 1;
            if (lost <= 10)
              this.problem(`${what}: ${box.name}: lost ${label} (neither local nor on the server)`);
          } else if (list.length > 1) {
            duplicated += list.length - 1;
            this.problem(
              `${what}: ${box.name}: ${label} ×${list.length}: ${list.map((c) => c.where).join(', ')}`,
            );
          } else if (list[0]?.sha !== want) {
            corrupted += 1;
            this.problem(`${what}: ${box.name}: ${list[0]?.where} has the wrong content`);
          }
        }
      }
      for (const u of box.duplicateSeen)
        if (!copies.has(u) || (copies.get(u)?.length ?? 0) < 2) duplicated += 1;
      for (const j of box.junkSeen) {
        junk += 1;
        this.problem(`${what}: ${box.name}: ${j} was visible during a run`);
      }
      const serverNames = readdirSafe(path.join(box.server, 'new')).map((n) => nameKey(n));
      const stranded = serverNames.filter((n) => !stay.has(n));
      if (stranded.length > 0)
        this.problem(
          `${what}: ${box.name}: ${stranded.length} stranded on the server: ${stranded.slice(0, 5).join(', ')}`,
        );
      for (const n of stay)
        if (!serverNames.includes(n))
          this.problem(`${what}: ${box.name}: ${n} had to stay on the server and is gone`);
      let leftovers = 0;
      for (const sub of ['stage/new', 'pending/new', `stage/${TEMP_DIR}`, PARTIAL]) {
        const names = readdirSafe(path.join(box.work, sub))
          .map((n) => nameKey(n))
          .filter((n) => !(sub === 'stage/new' && stay.has(n)));
        if (names.length > 0)
          this.problem(`${what}: ${box.name}: left in ${sub}: ${names.slice(0, 5).join(', ')}`);
        leftovers += names.length;
      }
      const pending = [...foldJournal(readTextSafe(box.journal)).keys()];
      if (pending.length > 0)
        this.problem(
          `${what}: ${box.name}: still pending in the journal: ${pending.slice(0, 5).join(', ')}`,
        );
      leftovers += pending.length;
      if (box.violations.size > 0)
        this.problem(
          `${what}: ${box.name}: removed from the server before they were local: ${[...box.violations].slice(0, 5).join(', ')}`,
        );
      if (lost + notMoved + duplicated + corrupted + junk + misrouted + cameBack === 0) {
        // The helper's own check, as a second opinion (its message duplicates the ones above otherwise),
        // folder by folder: exactly the messages placed there, and nothing else.
        for (const folder of this.folders(box)) {
          const here = new Map<string, string>();
          for (const [u, sha] of box.expected)
            if (this.wantedIn(box, u).includes(folder.name)) here.set(u, sha);
          if (folder.name !== INBOX && here.size === 0 && !existsSync(folder.dir)) continue;
          try {
            await assertExactlyOnce(here, folder.dir);
          } catch (e) {
            this.problem(`${what}: ${(e as Error).message}`);
          }
        }
      }
      f.lost = Math.max(f.lost, lost);
      f.duplicated = Math.max(f.duplicated, duplicated);
      f.resurrected = Math.max(f.resurrected, resurrected.size);
      f.corrupted = Math.max(f.corrupted, corrupted);
      f.stranded = Math.max(f.stranded, stranded.length);
      f.junk = Math.max(f.junk, junk);
      f.misrouted = Math.max(f.misrouted, misrouted);
      f.leftovers = Math.max(f.leftovers, leftovers);
      f.violations = Math.max(f.violations, box.violations.size);
    }
    // A server-side process of a connection cut just before (a resumed black hole) may still be on its
    // way out, its environment already gone, so it is not told from ours: give it a moment.
    let alive = this.procs();
    for (let i = 0; i < 30 && alive.length > 0; i++) {
      await sleep(100);
      alive = this.procs();
    }
    if (alive.length > 0) {
      this.problem(
        `${what}: processes still alive after the final run: ${alive.map((p) => `${p.pid} ${p.argv.slice(0, 3).join(' ')}`).join('; ')}`,
      );
      f.orphans = Math.max(f.orphans, alive.length);
    }
  }

  /**
   * Messages in a directory of the local Maildir that no rules of this world named (a folder name
   * mapped to the wrong directory, say): each one is misrouted.
   */
  #strayFolders(box: Box, what: string): number {
    const known = new Set([
      'cur',
      'new',
      'tmp',
      ...this.folders(box).map((x) => path.basename(x.dir)),
    ]);
    let stray = 0;
    for (const entry of readdirSafe(box.local)) {
      if (known.has(entry.toString('latin1'))) continue;
      const dir = joinRaw(box.local, entry).toString('latin1');
      for (const sub of ['new', 'cur']) {
        const names = readdirSafe(path.join(dir, sub)).filter((n) => n[0] !== 0x2e);
        for (const name of names.slice(0, 5))
          this.problem(
            `${what}: ${box.name}: ${nameKey(entry)}/${sub}/${nameKey(name)} is in a folder no rule chose`,
          );
        stray += names.length;
      }
    }
    return stray;
  }

  /** Every folder the rules made is a Maildir, and a Maildir++ subfolder says so (a maildirfolder file). */
  #checkFolders(box: Box, what: string): void {
    for (const folder of this.folders(box)) {
      if (folder.name === INBOX || !existsSync(folder.dir)) continue;
      for (const sub of ['cur', 'new', 'tmp', 'maildirfolder'])
        if (!existsSync(path.join(folder.dir, sub)))
          this.problem(`${what}: ${box.name}: the folder ${folder.name} has no ${sub}`);
    }
  }

  /** Transfer log records (JSON Lines), all runs. */
  records(): Array<Record<string, unknown>> {
    if (!existsSync(this.logFile)) return [];
    const out: Array<Record<string, unknown>> = [];
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.problem(`transfer log line is not JSON: ${line.slice(0, 200)}`);
      }
    }
    return out;
  }

  /** Stops the monitor, kills anything left (after verify() has counted it), and fills in the time. */
  async finish(): Promise<Figures> {
    this.stopMonitor();
    if (this.sshd !== undefined) await this.sshd.resume();
    await this.killStragglers();
    this.fig.ms = Date.now() - this.#began;
    if (this.#ok && this.fig.problems.length > 0) {
      this.#ok = false;
      this.log(
        process.env['SYNCMAIL_KEEP_TMP'] === '1'
          ? `  ${this.fig.name}: kept for inspection: ${this.dir} (transfer log ${this.logFile})`
          : `  ${this.fig.name}: ${this.dir} is removed at exit; SYNCMAIL_KEEP_TMP=1 keeps it for inspection`,
      );
    }
    return this.fig;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Mail

/** count messages (big of them between bigMin and bigMax bytes), names unique to `tag`, big ones mixed in. */
export function makeMessages(
  rng: Rng,
  tag: string,
  count: number,
  big = 0,
  bigMin = 1_000_000,
  bigMax = 3_000_000,
  smallMax = 8000,
): Message[] {
  const small = randomMessages(Math.max(0, count - big), {
    seed: rng.child(),
    host: `${tag}.test`,
    minSize: 200,
    maxSize: smallMax,
  });
  const large =
    big > 0
      ? randomMessages(big, {
          seed: rng.child(),
          host: `${tag}-big.test`,
          minSize: bigMin,
          maxSize: bigMax,
        })
      : [];
  const all = [...small];
  for (const m of large) all.splice(rng.int(0, all.length), 0, m);
  return all;
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 1: random SIGKILLs

export interface Common {
  seed: number;
  /** The client and server rsync; default `rsync` on PATH at both ends. */
  rsync?: RsyncPair | undefined;
  log?: Log;
}

export interface RandomKillOptions extends Common {
  sshd: Sshd;
  kind: KillKind;
  /** Kills take these kinds in turn (default: `kind` every time). */
  kinds?: readonly KillKind[];
  /**
   * Mailboxes on the one server (default one, "inbox"): the mail is dealt out to them in turn, the reader
   * reads in every one, and the kills aim at whatever any of them is doing.
   */
  boxes?: readonly string[];
  /** The config's `jobs` and `shareConnection` (default: syncmail's, 4 and true), the final run's too. */
  jobs?: number;
  shareConnection?: boolean;
  /**
   * Routing rules: the messages get headers the rules tell apart (routed-mail.ts), and the reader reads and
   * deletes in every folder.
   */
  routing?: Routing;
  /** Where kills are aimed, one drawn per run (default KILL_TARGETS: twice a random moment, twice the fetch, once the delivery, once the remove pass). */
  targets?: readonly KillTarget[];
  /** Runs to kill (runs that end before the moment aimed at do not count; at most 3 × kills runs). */
  kills: number;
  messages: number;
  big: number;
  bigMin?: number;
  bigMax?: number;
  /** rsync --bwlimit (KB/s), so kills land mid-transfer. */
  bwlimit?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Let a mail reader move and delete messages between runs (default true). */
  reader?: boolean;
  /**
   * The chance, after each run, that a Maildir tmp/ cleaner deletes everything under the local tmp/ (and
   * surely after the first killed run)
   * (readers may delete what is older than 36 hours there, and staged copies carry the server's mtime).
   */
  wipeTmp?: number;
  /** The scenario's name in the figures (default from `kind`). */
  name?: string;
}

const KIND_LABEL: Record<KillKind, string> = {
  syncmail: 'a syncmail',
  group: 'b group',
  all: 'c all',
  master: ' ssh master',
};

/**
 * Where a kill is aimed: a random moment, or a moment inside one of the run's phases; `transfer`: a fetch
 * or remove pass under way while the run's ssh master is up (where every kill of the master is aimed).
 */
export type KillTarget = 'time' | 'fetch' | 'deliver' | 'remove' | 'transfer';
const KILL_TARGETS: readonly KillTarget[] = ['time', 'time', 'fetch', 'fetch', 'deliver', 'remove'];
/** How long after reaching its phase a kill may still wait (ms, drawn from 0 up to this). */
const KILL_JITTER_MS: Record<Exclude<KillTarget, 'time'>, number> = {
  fetch: 600,
  remove: 150,
  deliver: 5,
  transfer: 300,
};

/** Waits for the moment a kill is aimed at; false if the run ended first. */
async function aim(
  world: World,
  run: Running,
  rng: Rng,
  target: KillTarget,
  o: { minDelayMs?: number; maxDelayMs?: number },
  typicalMs: number,
): Promise<boolean> {
  const staged = () =>
    world.boxes.some((b) => readdirSafe(path.join(b.work, 'stage', 'new')).length > 0);
  const master = () => world.masters(run).length > 0;
  if (target === 'time') {
    // A moment within the length of a typical run (the last one that ran to its end).
    // Never later than most of a typical run, or fast runs would always end first.
    const lo = Math.min(o.minDelayMs ?? 150, Math.floor(typicalMs / 3));
    const delay = rng.int(
      lo,
      Math.max(lo + 20, Math.min(o.maxDelayMs ?? 2500, Math.floor(typicalMs * 0.9))),
    );
    return !(await Promise.race([run.done.then(() => true), sleep(delay).then(() => false)]));
  }
  const reached = await waitFor(
    () => {
      if (run.exited) return true;
      const phase = world.phase(run);
      const fetching = phase === 'fetch' && (world.receiving() || Date.now() - run.started > 900);
      if (target === 'fetch') return fetching;
      if (target === 'remove') return phase === 'remove';
      if (target === 'transfer') return (fetching || phase === 'remove') && master();
      // deliver: syncmail's own work between the passes, with something in the stage
      return Date.now() - run.started > 300 && phase === 'other' && staged();
    },
    60_000,
    3,
  );
  if (!reached || run.exited) return false;
  await sleep(rng.int(0, KILL_JITTER_MS[target]));
  return !run.exited && (target !== 'transfer' || master());
}

/** Runs a scenario's body in its world: a crash of the body is one of its problems, and the world finishes. */
async function finishing(world: World, body: () => Promise<void>): Promise<Figures> {
  try {
    await body();
  } catch (e) {
    world.problem(`scenario crashed: ${(e as Error).stack ?? String(e)}`);
  }
  return world.finish();
}

export async function randomKills(o: RandomKillOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const world = await World.create({
    name: o.name ?? `1${KIND_LABEL[o.kind]}`,
    seed: o.seed,
    rsync: o.rsync,
    sshd: o.sshd,
    routing: o.routing,
    boxes: o.boxes,
    ...(o.log ? { log: o.log } : {}),
  });
  const parallel: ConfigOptions = { jobs: o.jobs, shareConnection: o.shareConnection };
  // With too long a socket path nothing is shared: say so, rather than kill masters that never come.
  if (socketPath(path.join(world.runtimeDir, 'syncmail'), 4_194_304, 9) === undefined)
    world.problem(`${world.runtimeDir} is too deep for an ssh master's socket: use a shorter name`);
  world.configure({ ...parallel, rsyncArgs: [`--bwlimit=${o.bwlimit ?? 2000}`] });
  const dressed = (m: Message[]) => (o.routing === undefined ? m : dressAll(m));
  const small = dressed(makeMessages(rng, `k${o.kind}${o.seed}`, o.messages - o.big));
  const big = dressed(makeMessages(rng, `k${o.kind}${o.seed}b`, o.big, o.big, o.bigMin, o.bigMax));
  const kinds = o.kinds ?? [o.kind];
  const smallFirst = Math.ceil(small.length * 0.6);
  const bigFirst = Math.ceil(big.length / 3);
  const perRun = Math.ceil((small.length - smallFirst) / Math.max(1, o.kills));
  let nextSmall = 0;
  let nextBig = 0;
  let nextBox = 0;
  const feed = async (nSmall: number, nBig: number) => {
    const batch = [
      ...small.slice(nextSmall, nextSmall + nSmall),
      ...big.slice(nextBig, nextBig + nBig),
    ];
    nextSmall = Math.min(small.length, nextSmall + nSmall);
    nextBig = Math.min(big.length, nextBig + nBig);
    // Dealt out to the boxes in turn.
    for (const m of rng.shuffle(batch))
      await world.addOne(world.boxes[nextBox++ % world.boxes.length] as Box, m);
  };
  return finishing(world, async () => {
    await feed(smallFirst, bigFirst);
    world.startMonitor();
    // Until o.kills runs were really killed (a run may end before the moment aimed at), at most 6 × o.kills runs.
    let typicalMs = o.maxDelayMs ?? 2500;
    // The ssh masters a kill of syncmail (or its group) left behind: the next run must end them.
    let stale: Proc[] = [];
    for (let i = 0, killed = 0; killed < o.kills && i < 6 * o.kills; i++) {
      await feed(perRun, rng.chance(0.5) ? 1 : 0);
      const run = world.syncmail(['--quiet', '--wait', '60']);
      const targets = o.targets ?? KILL_TARGETS;
      const kind = kinds[killed % kinds.length] as KillKind;
      const drawn = targets[rng.int(0, targets.length - 1)] as KillTarget;
      const target = kind === 'master' ? 'transfer' : drawn;
      // The first run is not killed: a kill of everything usually lands in the fetch (the longest step),
      // so without it the reader could find nothing to read or delete in any run.
      let ended = true;
      if (i === 0 || !(await aim(world, run, rng, target, o, typicalMs))) {
        world.count('finished before the kill');
        const result = await run.done;
        typicalMs = Math.round(result.ms * 1.2);
        world.expectExit(result, [0], `run ${i + 1} (not killed)`);
      } else {
        const at = Date.now() - run.started;
        const phase = await world.kill(run, kind);
        killed += 1;
        // Without its master the run goes on: the passes cut fail, and their retry goes around it.
        if (kind === 'master')
          world.expectExit(await run.done, [0], `run ${i + 1} (its ssh master killed)`);
        else bump(world.fig.exitCodes, 'killed');
        ended = kind === 'master';
        world.log(
          `  ${world.fig.name}: run ${i + 1} aimed at ${target}, ${kind} killed after ${at} ms (${phase})`,
        );
      }
      if (ended) {
        // A run that ends ends its master, and reaps those of killed runs before it (`ssh -O exit`
        // is answered before the master is gone: give it a moment).
        await waitFor(() => world.masters().length === 0, 3000, 20);
        const left = world.masters();
        for (const p of left)
          world.problem(
            `run ${i + 1} ended, and the ssh master ${p.pid} (${p.argv[0] ?? ''}) is still there${stale.some((s) => s.pid === p.pid) ? ': a killed run left it, and this run did not reap it' : ''}`,
          );
        const reaped = stale.filter((s) => !left.some((p) => p.pid === s.pid));
        if (reaped.length > 0) world.count('stale masters reaped', reaped.length);
        stale = [];
      } else stale = world.masters();
      // The reader acts after every run (moving at least one message when new/ has any), so every variant
      // exercises "read before the next run" and "deleted before the next run".
      if (o.reader !== false)
        for (const box of world.boxes) world.reader(box, rng, rng.int(1, 6), rng.int(0, 2));
      // The first kill is always followed by a wipe, so every seed wipes at least once after a kill.
      const firstKill = killed === 1 && world.fig.counts['tmp/ wiped'] === undefined;
      if (o.wipeTmp !== undefined && (firstKill || rng.chance(o.wipeTmp))) {
        for (const tmp of world.boxes.map((b) => path.join(b.local, 'tmp')))
          for (const entry of readdirSafe(tmp))
            rmSync(joinRaw(tmp, entry), { recursive: true, force: true });
        world.count('tmp/ wiped');
      }
    }
    await feed(small.length, big.length);
    await world.finalCleanRun(parallel);
    // Passes cut by a kill of the master are retried (the retry goes around it).
    const retries = world.records().filter((r) => r['event'] === 'retry').length;
    if (retries > 0) world.count('retries (transfer log)', retries);
    world.log(`  ${world.fig.name}: ${JSON.stringify(world.fig.counts)}`);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 2: the server side killed or frozen mid-transfer

export type ServerFault =
  | 'kill-fetch'
  | 'kill-every-fetch'
  | 'kill-remove'
  | 'blackhole-fetch'
  | 'blackhole-remove';
export const SERVER_FAULTS: readonly ServerFault[] = [
  'kill-fetch',
  'kill-every-fetch',
  'kill-remove',
  'blackhole-fetch',
  'blackhole-remove',
];

export interface ServerFaultOptions extends Common {
  sshd: Sshd;
  /** How many times to go through every fault. */
  repeat: number;
  messages: number;
  big: number;
  faults?: readonly ServerFault[];
  /** How long the server's rsync waits before each unlink in the remove-pass faults (default 80 ms). */
  unlinkDelayMs?: number;
}

export async function serverFaults(o: ServerFaultOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const world = await World.create({
    name: '2 server side',
    seed: o.seed,
    rsync: o.rsync,
    sshd: o.sshd,
    ...(o.log ? { log: o.log } : {}),
  });
  const { sshd } = o;
  const box = world.box;
  // ServerAlive 1 s × 2 notices a frozen server in ~3 s; connectTimeout 3 bounds the retry's connect.
  const faultConfig: ConfigOptions = {
    rsyncArgs: ['--bwlimit=1500'],
    ssh: ['-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=2'],
    connectTimeout: 3,
    retries: 1,
    retryDelay: 0.2,
  };
  try {
    world.startMonitor();
    for (let r = 0; r < o.repeat; r++) {
      for (const fault of o.faults ?? SERVER_FAULTS) {
        // For the remove pass, the server's rsync runs under strace, each unlink delayed, so a cut lands
        // while some server copies are gone and others are not.
        const slowUnlinks = `--rsync-path=strace -f -qq -o /dev/null -e trace=unlink,unlinkat -e inject=unlink,unlinkat:delay_enter=${o.unlinkDelayMs ?? 80}000 ${world.serverRsync}`;
        world.configure(
          fault.endsWith('remove')
            ? { ...faultConfig, rsyncArgs: [...(faultConfig.rsyncArgs ?? []), slowUnlinks] }
            : faultConfig,
        );
        await world.addMail(
          box,
          makeMessages(rng, `s${o.seed}r${r}${fault}`, o.messages, o.big, 600_000, 1_200_000),
        );
        const run = world.syncmail(['--quiet']);
        let allowed: number[] = [0, 75];
        let hit = false;
        if (fault === 'kill-fetch' || fault === 'blackhole-fetch') {
          hit = await waitFor(
            () => run.exited || (world.receiving() && world.phase(run) === 'fetch'),
            30_000,
          );
          hit &&= !run.exited;
          if (hit) {
            await sleep(rng.int(0, 300));
            if (fault === 'kill-fetch') {
              await sshd.killServerSide();
              bump(world.fig.kills, 'server');
            } else {
              await sshd.pause();
              bump(world.fig.kills, 'blackhole');
              allowed = [75];
            }
          }
        } else if (fault === 'kill-remove' || fault === 'blackhole-remove') {
          const total = readdirSafe(path.join(box.server, 'new')).length;
          // Wait until the first server copies are gone, then cut after a moment.
          hit = await waitFor(
            () =>
              run.exited ||
              (world.phase(run) === 'remove' &&
                readdirSafe(path.join(box.server, 'new')).length < total),
            30_000,
            2,
          );
          hit &&= !run.exited;
          if (hit) {
            await sleep(rng.int(0, 400));
            const before = readdirSafe(path.join(box.server, 'new')).length;
            if (fault === 'kill-remove') {
              await sshd.killServerSide();
              bump(world.fig.kills, 'server');
            } else {
              await sshd.pause();
              bump(world.fig.kills, 'blackhole');
            }
            world.log(
              `  ${world.fig.name}: ${fault}: ${before} of ${total} still on the server when the remove pass was cut`,
            );
            if (before > 0 && before < total) world.count('remove passes cut halfway');
          }
        } else {
          // kill-every-fetch: kill the server side under every fetch attempt until syncmail gives up.
          const killed = new Set<number>();
          while (!run.exited) {
            const fetch = world
              .procs()
              .find(
                (p) =>
                  p.ppid === run.pid &&
                  path.basename(p.argv[0] ?? '') === 'rsync' &&
                  !p.argv.includes('--remove-source-files'),
              );
            if (fetch !== undefined && !killed.has(fetch.pid) && world.receiving()) {
              killed.add(fetch.pid);
              await sshd.killServerSide();
              bump(world.fig.kills, 'server');
            }
            await sleep(20);
          }
          hit = killed.size > 0;
          if (killed.size >= 2) allowed = [75];
          world.count('server kills per run (kill-every-fetch)', killed.size);
        }
        if (hit) bump(world.fig.phases, fault.endsWith('remove') ? 'remove' : 'fetch');
        else world.count(`missed (${fault})`);
        const started = Date.now();
        const result = await run.done;
        await sshd.resume();
        world.expectExit(result, allowed, `${fault} run`);
        if (hit && fault.startsWith('blackhole') && result.ms > 40_000)
          world.problem(`${fault}: syncmail took ${result.ms} ms to give up on a frozen server`);
        if (
          result.code === 75 &&
          !/cannot reach|timed out|not responding|connection|rsync/i.test(result.err)
        ) {
          world.problem(`${fault}: exit 75 without saying why: ${JSON.stringify(result.err)}`);
        }
        world.log(
          `  ${world.fig.name}: ${fault}: exit ${result.code} after ${Date.now() - started + (started - run.started)} ms`,
        );
        world.configure({});
        await world.run(['--wait', '60'], [0], `clean run after ${fault}`);
        world.checkOnce();
        await world.verify(`after ${fault}`);
      }
    }
  } catch (e) {
    world.problem(`scenario crashed: ${(e as Error).stack ?? String(e)}`);
  }
  await sshd.resume();
  return world.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 3: an MDA delivering on the server while syncs run (some killed)

export interface MdaOptions extends Common {
  sshd: Sshd;
  seconds: number;
  /** Messages per second the MDA delivers. */
  rate: number;
  killChance: number;
}

export async function mdaWhileSyncing(o: MdaOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const world = await World.create({
    name: '3 MDA + syncs',
    seed: o.seed,
    rsync: o.rsync,
    sshd: o.sshd,
    ...(o.log ? { log: o.log } : {}),
  });
  const box = world.box;
  world.configure({ rsyncArgs: ['--bwlimit=3000'] });
  const pool = makeMessages(
    rng,
    `mda${o.seed}`,
    Math.ceil(o.seconds * o.rate * 2) + 20,
    Math.ceil(o.seconds / 5),
    200_000,
    900_000,
    30_000,
  );
  let stop = false;
  const mdaRng = new Rng(rng.child());
  const mda = (async () => {
    for (const m of pool) {
      if (stop) break;
      await world.addOne(box, m);
      await sleep(mdaRng.int(0, Math.ceil(2000 / o.rate)));
    }
  })();
  const kinds: KillKind[] = ['syncmail', 'group', 'all'];
  try {
    world.startMonitor();
    const end = Date.now() + o.seconds * 1000;
    for (let i = 0; Date.now() < end; i++) {
      const run = world.syncmail(['--quiet', '--wait', '60']);
      if (rng.chance(o.killChance)) {
        const delay = rng.int(100, 1500);
        const finished = await Promise.race([
          run.done.then(() => true),
          sleep(delay).then(() => false),
        ]);
        if (finished) world.expectExit(await run.done, [0], `sync ${i + 1}`);
        else {
          await world.kill(run, kinds[i % kinds.length] as KillKind);
          bump(world.fig.exitCodes, 'killed');
        }
      } else {
        world.expectExit(await run.done, [0], `sync ${i + 1}`);
      }
      if (rng.chance(0.3)) world.reader(box, rng, rng.int(0, 10), rng.int(0, 3));
    }
    stop = true;
    await mda;
    await world.finalCleanRun();
  } catch (e) {
    world.problem(`scenario crashed: ${(e as Error).stack ?? String(e)}`);
  } finally {
    stop = true;
    await mda.catch(() => undefined);
  }
  return world.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 4: several syncmail processes at once

export interface ConcurrentOptions extends Common {
  sshd: Sshd;
  rounds: number;
  procs: number;
  perRound: number;
}

export async function concurrentRuns(o: ConcurrentOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const world = await World.create({
    name: '4 concurrent',
    seed: o.seed,
    rsync: o.rsync,
    sshd: o.sshd,
    boxes: ['inbox', 'lists'],
    ...(o.log ? { log: o.log } : {}),
  });
  world.configure({ rsyncArgs: ['--bwlimit=4000'] });
  return finishing(world, async () => {
    world.startMonitor();
    for (let r = 0; r < o.rounds; r++) {
      const wait = r % 2 === 1;
      for (const box of world.boxes)
        await world.addMail(
          box,
          makeMessages(rng, `c${o.seed}r${r}${box.name}`, o.perRound, 2, 200_000, 500_000),
        );
      const runs = Array.from({ length: o.procs }, () =>
        world.syncmail(['--quiet', ...(wait ? ['--wait', '30'] : [])]),
      );
      const results = await Promise.all(runs.map((run) => run.done));
      for (const [i, result] of results.entries()) {
        world.expectExit(
          result,
          wait ? [0] : [0, 75],
          `round ${r + 1} (${wait ? '--wait 30' : 'no --wait'}) process ${i + 1}`,
        );
        if (result.code === 75) world.count('busy (75)');
        if (result.out !== '' || result.err !== '')
          world.problem(
            `round ${r + 1} process ${i + 1} printed under --quiet: ${JSON.stringify(result.out + result.err)}`,
          );
      }
      world.checkOnce();
      for (const box of world.boxes) {
        const left = readdirSafe(path.join(box.server, 'new')).length;
        if (left > 0)
          world.problem(
            `round ${r + 1}: ${box.name}: ${left} messages still on the server, although every process tried every mailbox`,
          );
      }
      await world.verify(`after round ${r + 1}`);
    }
    // No kills here, so the log is complete: every message delivered exactly once, by exactly one process.
    const delivered = new Map<string, number>();
    for (const rec of world.records()) {
      if (rec['event'] === 'delivered')
        delivered.set(
          `${String(rec['mailbox'])}/${String(rec['file'])}`,
          (delivered.get(`${String(rec['mailbox'])}/${String(rec['file'])}`) ?? 0) + 1,
        );
    }
    let twice = 0;
    for (const [key, n] of delivered) {
      if (n > 1) {
        twice += n - 1;
        world.problem(`${key} was delivered ${n} times (transfer log)`);
      }
    }
    world.fig.duplicated = Math.max(world.fig.duplicated, twice);
    const want = world.boxes.reduce((n, b) => n + b.expected.size, 0);
    if (delivered.size !== want)
      world.problem(
        `the transfer log shows ${delivered.size} deliveries, ${want} messages were sent`,
      );
  });
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 5: a full local disk

export interface FullDiskOptions extends Common {
  sshd: Sshd;
  /** How space is freed afterwards: grow the tmpfs (remount), or let the reader delete the local mail. */
  free: 'grow' | 'delete';
  big: number;
  small: number;
  /** Routing rules: the messages get headers the rules tell apart, and land in several folders of the disk. */
  routing?: Routing;
  /** The scenario's name in the figures (default "5 full disk (FREE)"). */
  name?: string;
}

/** Mounts a tmpfs of `size` at dir, or says why it cannot. */
export async function mountTmpfs(dir: string, size: string): Promise<string | undefined> {
  await mkdir(dir, { recursive: true });
  const result = await execa(
    'mount',
    ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir],
    { reject: false },
  );
  if (result.exitCode === 0) return undefined;
  return `${result.stderr || result.shortMessage}`.trim();
}

export async function fullDisk(o: FullDiskOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const probe = await makeTempDir('faults-disk');
  const mnt = path.join(probe, 'disk');
  const world = await World.create({
    name: o.name ?? `5 full disk (${o.free})`,
    seed: o.seed,
    rsync: o.rsync,
    sshd: o.sshd,
    localRoot: mnt,
    routing: o.routing,
    ...(o.log ? { log: o.log } : {}),
  });
  const why = await mountTmpfs(mnt, '3m');
  if (why !== undefined) {
    world.fig.skipped = `cannot mount a tmpfs: ${why}`;
    world.log(`SKIP full-disk: ${world.fig.skipped}`);
    return world.finish();
  }
  const box = world.box;
  try {
    world.configure({});
    // ~4.5 MB on the server, 3 MB of disk.
    const mail = makeMessages(rng, `d${o.seed}`, o.big + o.small, o.big, 330_000, 420_000, 20_000);
    await world.addMail(box, o.routing === undefined ? mail : dressAll(mail));
    world.startMonitor(10);
    const first = await world.run(['--quiet'], [74], 'run on the full disk');
    if (!/disk is full|No space left/i.test(first.err))
      world.problem(
        `the full-disk run did not mention the full disk: ${JSON.stringify(first.err)}`,
      );
    world.checkOnce();
    // In any folder (without routing, new/ of the one Maildir: the reader has not run yet).
    const local = world.localUniques(box).size;
    const server = readdirSafe(path.join(box.server, 'new')).length;
    world.count('local after the full-disk run', local);
    world.count('server after the full-disk run', server);
    // What was delivered before the disk filled is flushed, so its server copies may go (that is how deleting
    // local mail can later free the disk); everything else must still be on the server.
    if (server + local < box.expected.size)
      world.problem(
        `after the full-disk run the server holds ${server} and the local folders ${local} of ${box.expected.size}: a message is in neither place`,
      );
    if (local === 0 && server !== box.expected.size)
      world.problem(
        `after the full-disk run nothing is local but the server holds only ${server} of ${box.expected.size}`,
      );
    if (o.free === 'grow') {
      const grow = await execa('mount', ['-o', 'remount,size=64m', mnt], { reject: false });
      if (grow.exitCode !== 0) world.problem(`remount failed: ${grow.stderr}`);
      await world.run(['--quiet'], [0], 'run after growing the disk');
    } else {
      let done = false;
      for (let attempt = 1; attempt <= 6 && !done; attempt++) {
        // The reader reads and deletes everything delivered so far.
        world.reader(box, rng, 1000, 1000);
        const again = await world.syncmail(['--quiet']).done;
        world.expectExit(again, [0, 74], `run ${attempt} after deleting local mail`);
        world.log(
          `  ${world.fig.name}: after deleting local mail, run ${attempt}: exit ${again.code}, server holds ${readdirSafe(path.join(box.server, 'new')).length}`,
        );
        done = again.code === 0;
      }
      if (!done)
        world.problem(
          'deleting the local mail never let syncmail finish the move (exit 74 every time)',
        );
    }
    world.checkOnce();
    await world.verify('after freeing space');
  } catch (e) {
    world.problem(`scenario crashed: ${(e as Error).stack ?? String(e)}`);
  } finally {
    world.stopMonitor();
    // The tmpfs goes with the umount: a kept world keeps a copy of it.
    if (process.env['SYNCMAIL_KEEP_TMP'] === '1') {
      await cp(mnt, path.join(world.dir, 'disk-copy'), { recursive: true }).catch(() => undefined);
      world.log(
        `  ${world.fig.name}: the tmpfs content is copied to ${path.join(world.dir, 'disk-copy')}`,
      );
    }
    await execa('umount', [mnt], { reject: false });
  }
  return world.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 6: name collisions

export interface CollisionOptions extends Common {
  sshd: Sshd;
}

export async function collisions(o: CollisionOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const world = await World.create({
    name: '6 collisions',
    seed: o.seed,
    rsync: o.rsync,
    sshd: o.sshd,
    ...(o.log ? { log: o.log } : {}),
  });
  const box = world.box;
  const [same, sameCur, other, otherCur, plain, again] = makeMessages(rng, `n${o.seed}`, 6) as [
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
  ];
  const variant = (m: Message): Message => {
    const content = Buffer.concat([m.content, Buffer.from('\nX-Local-Edit: yes\n')]);
    return { name: m.name, content, sha1: sha1(content) };
  };
  const localOther = variant(other);
  const localOtherCur = variant(otherCur);
  return finishing(world, async () => {
    world.configure({ onConflict: 'keep' });
    await makeMaildir(box.local);
    const put = async (sub: string, name: string, content: Buffer) => {
      await writeFile(path.join(box.local, sub, name), content, { mode: 0o600 });
      return stat(path.join(box.local, sub, name));
    };
    const before = new Map<string, { ino: number; mtimeMs: number }>();
    for (const [sub, name, content] of [
      ['new', same.name, same.content],
      ['cur', `${sameCur.name}:2,S`, sameCur.content],
      ['new', other.name, localOther.content],
      ['cur', `${otherCur.name}:2,S`, localOtherCur.content],
    ] as const) {
      const st = await put(sub, name, content);
      before.set(`${sub}/${name}`, { ino: st.ino, mtimeMs: st.mtimeMs });
    }
    // The server: the same four unique names, with the server's content, plus one ordinary message.
    await world.addMail(box, [same, sameCur, other, otherCur, plain]);
    box.expected.set(uniqueOf(other.name), localOther.sha1);
    box.expected.set(uniqueOf(otherCur.name), localOtherCur.sha1);
    world.startMonitor();
    const keep = new Map([[box.name, new Set([other.name, otherCur.name])]]);
    for (const pass of [1, 2]) {
      const result = await world.run([], [65], `onConflict keep, run ${pass}`);
      if (!/conflict|different|same (unique )?name/i.test(result.out + result.err))
        world.problem(
          `run ${pass}: exit 65 without naming the conflict: ${JSON.stringify(result.out + result.err)}`,
        );
      world.checkOnce();
      await world.verify(`onConflict keep, run ${pass}`, keep);
    }
    for (const [key, was] of before) {
      const now = await stat(path.join(box.local, key));
      if (now.ino !== was.ino || now.mtimeMs !== was.mtimeMs)
        world.problem(`local ${key} was touched`);
    }
    const recs = world.records();
    const events = (event: string) =>
      new Set(recs.filter((r) => r['event'] === event).map((r) => String(r['file'])));
    for (const m of [same, sameCur])
      if (!events('exists').has(m.name)) world.problem(`no "exists" log record for ${m.name}`);
    for (const m of [other, otherCur])
      if (!events('conflict').has(m.name)) world.problem(`no "conflict" log record for ${m.name}`);
    for (const m of [same, sameCur, other, otherCur])
      if (events('delivered').has(m.name))
        world.problem(`${m.name} was delivered although the name was taken`);

    // A message read (moved to cur/) and then offered again by the server is never delivered a second time.
    await world.run(['--quiet'], [65], 'before re-offering a read message');
    world.reader(box, rng, 100, 0);
    await world.addMail(box, [again]);
    await world.run(['--quiet'], [65], 'deliver the one to be re-offered');
    world.reader(box, rng, 100, 0);
    await deliver(box.server, again.name, again.content);
    await world.run(['--quiet'], [65], 're-offered after it moved to cur/');
    if (existsSync(path.join(box.local, 'new', again.name)))
      world.problem(`${again.name} was delivered into new/ again after it moved to cur/`);
    await world.verify('after re-offering a read message', keep);

    // onConflict: rename delivers the server versions under fresh names.
    world.configure({ onConflict: 'rename' });
    const renamed = await world.run([], [0], 'onConflict rename');
    world.checkOnce();
    for (const m of [other, otherCur]) {
      const fresh = readdirSafe(path.join(box.local, 'new'))
        .map((n) => n.toString('latin1'))
        .filter((n) => n.startsWith(`${m.name}.`));
      if (fresh.length !== 1) {
        world.problem(
          `onConflict rename: ${m.name} is in new/ under ${fresh.length} fresh names: ${fresh.join(', ')}; ${renamed.out}`,
        );
        continue;
      }
      box.expected.set(uniqueOf(fresh[0] as string), m.sha1);
    }
    await world.verify('onConflict rename');
    const renames = world
      .records()
      .filter((r) => r['event'] === 'delivered' && typeof r['as'] === 'string');
    if (renames.length !== 2)
      world.problem(`expected 2 "delivered … as" records, found ${renames.length}`);
    world.count('exists records', world.records().filter((r) => r['event'] === 'exists').length);
    world.count(
      'conflict records',
      world.records().filter((r) => r['event'] === 'conflict').length,
    );
  });
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 7: recovery states built by hand (a local-path remote, no timing)

/** Copies a server message into a work dir with the server's mtime (what rsync --times leaves). */
async function copyLikeRsync(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  await copyFile(from, to);
  const st = await stat(from);
  await utimes(to, st.atime, st.mtime);
}

/** A journal as an interrupted run leaves it: one record per entry, written as syncmail writes them. */
async function writeJournal(
  box: Box,
  records: readonly { op: 'I' | 'D' | 'E'; m: Message; as?: string }[],
  mtime: Date,
): Promise<void> {
  let text = '';
  for (const r of records) {
    const name = Buffer.from(r.m.name);
    text +=
      r.op === 'D'
        ? formatRecord({ op: 'D', name })
        : formatRecord({
            op: r.op,
            name,
            size: r.m.content.length,
            mtime: Math.floor(mtime.getTime() / 1000),
            ...(r.as === undefined ? {} : { as: Buffer.from(r.as) }),
          });
  }
  await mkdir(path.dirname(box.journal), { recursive: true });
  await writeFile(box.journal, text);
}

export async function recoveryStates(o: Common): Promise<Figures> {
  const rng = new Rng(o.seed);
  const world = await World.create({
    name: '7 recovery states',
    seed: o.seed,
    rsync: o.rsync,
    ...(o.log ? { log: o.log } : {}),
  });
  const box = world.box;
  const w = (sub: string, name = '') => path.join(box.work, sub, name);
  const m = makeMessages(rng, `r${o.seed}`, 13);
  const [
    staged,
    deletedByReader,
    readByReader,
    changed,
    changedAndDeleted,
    renamedThenDeleted,
    renamedKept,
    notRenamed,
    another,
    stale,
    half,
    ordinary,
    renamedFresh,
  ] = m as [
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
    Message,
  ];
  const v2 = (x: Message): Message => {
    const content = Buffer.concat([x.content, Buffer.from('\nX-Changed-On-Server: yes\n')]);
    return { name: x.name, content, sha1: sha1(content) };
  };
  return finishing(world, async () => {
    world.configure({});
    const mtime = new Date('2024-05-01T08:00:00Z');
    // Every message starts on the server (an MDA delivered it).
    await world.addMail(box, m, mtime);
    await makeMaildir(box.local);
    for (const d of ['stage/new', 'pending/new', `stage/${TEMP_DIR}`, PARTIAL])
      await mkdir(w(d), { recursive: true });
    const srv = (x: Message) => path.join(box.server, 'new', x.name);
    const local = (sub: 'new' | 'cur', name: string) => path.join(box.local, sub, name);
    const forget = (x: Message) => {
      box.expected.delete(uniqueOf(x.name));
      box.deleted.add(uniqueOf(x.name));
    };

    // Killed after the fetch, before delivery: a complete message in the stage.
    await copyLikeRsync(srv(staged), w('stage/new', staged.name));
    // Delivered by a killed run (journaled I and D), server copy still there; the reader deleted it.
    forget(deletedByReader);
    // Delivered the same way, and the reader moved it to cur/.
    await copyLikeRsync(srv(readByReader), local('cur', `${readByReader.name}:2,S`));
    // Delivered (v1 in new/), and the server's copy changed before the remove pass: v2 must arrive too.
    const changedV2 = v2(changed);
    await copyLikeRsync(srv(changed), local('new', changed.name));
    await writeFile(srv(changed), changedV2.content);
    await utimes(srv(changed), mtime, new Date(mtime.getTime() + 60_000));
    // The same, but the reader had deleted v1: v2 arrives under its own name.
    const changedAndDeletedV2 = v2(changedAndDeleted);
    await writeFile(srv(changedAndDeleted), changedAndDeletedV2.content);
    await utimes(srv(changedAndDeleted), mtime, new Date(mtime.getTime() + 60_000));
    box.expected.set(uniqueOf(changedAndDeleted.name), changedAndDeletedV2.sha1);
    // Killed between a rename into new/ and its D record (the renaming marker is there), then the reader
    // deleted it: it must not come back.
    forget(renamedThenDeleted);
    // The same, the reader left it alone.
    await copyLikeRsync(srv(renamedKept), local('new', renamedKept.name));
    // The same for a message renamed after a conflict: it is in new/ under its fresh name.
    const fresh = `${renamedFresh.name}.syncmail-0-1`;
    await copyLikeRsync(srv(renamedFresh), local('new', fresh));
    box.expected.delete(uniqueOf(renamedFresh.name));
    box.expected.set(uniqueOf(fresh), renamedFresh.sha1);
    // Killed after the intent, before the rename: still staged.
    await copyLikeRsync(srv(notRenamed), w('stage/new', notRenamed.name));
    await writeFile(path.join(box.work, 'renaming'), '');
    await utimes(path.join(box.work, 'renaming'), 0, 0);
    // rsync's leftovers: an orphaned temp file, a partial of a server message, a partial of a message gone.
    const staleBytes = await readFile(srv(stale));
    await writeFile(
      w(`stage/${TEMP_DIR}`, `${stale.name}.Ab3dE9`),
      staleBytes.subarray(0, Math.floor(staleBytes.length / 2)),
    );
    const halfBytes = await readFile(srv(half));
    await writeFile(w(PARTIAL, half.name), halfBytes.subarray(0, Math.floor(halfBytes.length / 3)));
    await writeFile(
      w(PARTIAL, '1600000000.M1P1Q1.gone.test'),
      'a partial of a message no longer on the server\n',
    );
    await writeJournal(
      box,
      [
        { op: 'I', m: deletedByReader },
        { op: 'D', m: deletedByReader },
        { op: 'I', m: readByReader },
        { op: 'D', m: readByReader },
        { op: 'I', m: changed },
        { op: 'D', m: changed },
        { op: 'I', m: changedAndDeleted },
        { op: 'D', m: changedAndDeleted },
        { op: 'I', m: renamedThenDeleted },
        { op: 'I', m: renamedKept },
        { op: 'I', m: renamedFresh, as: fresh },
        { op: 'I', m: notRenamed },
        // A torn last line, as a crash while appending leaves it.
      ],
      mtime,
    );
    await writeFile(box.journal, 'I QUJD', { flag: 'a' });
    // `ordinary` and `another` are just on the server.

    const result = await world.run(['--verbose'], [0], 'recovery run');
    world.log(`  ${world.fig.name}: ${result.out.trim().split('\n').join(' | ')}`);
    // The changed version of `changed` arrives under a fresh name next to v1.
    const freshV2 = readdirSafe(path.join(box.local, 'new'))
      .map((n) => n.toString('latin1'))
      .filter((n) => n.startsWith(`${changed.name}.`));
    if (freshV2.length !== 1)
      world.problem(
        `the changed version of ${changed.name} is in new/ under ${freshV2.length} fresh names (${freshV2.join(', ')})`,
      );
    else box.expected.set(uniqueOf(freshV2[0] as string), changedV2.sha1);
    await world.verify('after the recovery run');
    const recs = world.records();
    const delivered = recs.filter((r) => r['event'] === 'delivered').map((r) => String(r['file']));
    for (const x of [
      staged,
      half,
      stale,
      ordinary,
      another,
      changed,
      changedAndDeleted,
      notRenamed,
    ]) {
      if (delivered.filter((d) => d === x.name).length !== 1)
        world.problem(
          `expected one "delivered" record for ${x.name}, found ${delivered.filter((d) => d === x.name).length}`,
        );
    }
    for (const x of [
      deletedByReader,
      readByReader,
      renamedThenDeleted,
      renamedKept,
      renamedFresh,
    ]) {
      if (delivered.includes(x.name)) world.problem(`${x.name} was delivered again`);
    }
    // A second run changes nothing.
    const again = await world.run([], [0], 'second run');
    if (again.out !== 'inbox: no new mail\n')
      world.problem(`second run printed ${JSON.stringify(again.out)}`);
    await world.verify('after a second run');
  });
}

/**
 * A cleaning of the local tmp/ (everything under it) after a run was killed between journaling its
 * intents and renaming: the staged copies and the renaming marker are gone, so the intents are undone
 * and the messages fetched again: each arrives exactly once, none is lost.
 */
export async function wipedTmp(o: Common): Promise<Figures> {
  const rng = new Rng(o.seed);
  const world = await World.create({
    name: '7c tmp/ wiped after a kill',
    seed: o.seed,
    rsync: o.rsync,
    ...(o.log ? { log: o.log } : {}),
  });
  const box = world.box;
  return finishing(world, async () => {
    world.configure({});
    const mtime = new Date('2024-05-01T08:00:00Z');
    const m = makeMessages(rng, `w${o.seed}`, 4);
    await world.addMail(box, m, mtime);
    await makeMaildir(box.local);
    await writeJournal(
      box,
      m.map((x) => ({ op: 'I' as const, m: x })),
      mtime,
    );
    // The cleaner took the stage, the marker and everything else under tmp/.
    await world.run(['--quiet'], [0], 'run after the wipe');
    world.checkOnce();
    await world.verify('after the run');
  });
}

/**
 * Delivered v1, and before the remove pass the server's copy changed to v2 (same name, other bytes and
 * mtime): the journal holds v1, new/ holds v1, the server v2. The next runs must leave v2 exactly once
 * in the local Maildir beside v1, the server empty, and exit 0.
 */
export async function changedVersionStillOnServer(o: Common): Promise<Figures> {
  const rng = new Rng(o.seed);
  const world = await World.create({
    name: '7b changed on the server before the remove pass',
    seed: o.seed,
    rsync: o.rsync,
    ...(o.log ? { log: o.log } : {}),
  });
  const box = world.box;
  return finishing(world, async () => {
    world.configure({});
    const late = makeMessages(rng, `r${o.seed}late`, 1)[0] as Message;
    const lateV2: Message = {
      name: late.name,
      content: Buffer.concat([late.content, Buffer.from('\nX-Changed-On-Server: yes\n')]),
      sha1: '',
    };
    lateV2.sha1 = sha1(lateV2.content);
    const mtime = new Date('2024-05-01T08:00:00Z');
    await world.addMail(box, [late], mtime);
    await world.run(['--quiet'], [0], 'deliver v1');
    // The state a kill before the remove pass leaves, with the server's copy changed meanwhile.
    await writeJournal(
      box,
      [
        { op: 'I', m: late },
        { op: 'D', m: late },
      ],
      mtime,
    );
    await deliver(box.server, late.name, lateV2.content);
    world.startMonitor();
    const first = await world.run([], [0], 'run after the kill');
    world.log(
      `  ${world.fig.name}: ${first.out.trim().split('\n').join(' | ')} ${first.err.trim().split('\n').join(' | ')}`,
    );
    await world.run([], [0], 'one more run');
    world.checkOnce();
    const fresh = readdirSafe(path.join(box.local, 'new'))
      .map((n) => n.toString('latin1'))
      .filter((n) => n.startsWith(`${late.name}.`));
    world.count('local copies of v2', fresh.length);
    if (fresh.length !== 1)
      world.problem(
        `v2 of ${late.name} is in new/ under ${fresh.length} fresh names: ${fresh.join(', ')}`,
      );
    if (fresh.length > 1) world.fig.duplicated += fresh.length - 1;
    for (const name of fresh) box.expected.set(uniqueOf(name), lateV2.sha1);
    await world.verify('after the runs');
  });
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 8: a SIGKILL before every rename, journal write, fsync and unlink syncmail makes (strace)

export interface StepKillOptions extends Common {
  messages: number;
  /**
   * Syscalls of syncmail's to stop at; 'syncfs' stands for a flush that fails (the `sync -f` syncmail runs is
   * one that dies of SIGKILL).
   */
  syscalls?: readonly string[];
  /**
   * Routing rules: the messages get the headers of the kinds the rules tell apart in turn (STEP_KINDS: the
   * one already local, in INBOX and read, is plain; then a list, a copy unread, a copy seen, the trash,
   * ...), and the reader moves everything and deletes one message per folder in between (so the copies
   * of a message are read and deleted apart).
   */
  routing?: Routing;
  /** The scenario's name in the figures (default "8 kill at every step"). */
  name?: string;
}

/** Adds the figures of one world of a scenario that makes a world per kill point to the scenario's. */
function absorb(fig: Figures, f: Figures, label: string): void {
  fig.runs += f.runs;
  fig.messages += f.messages;
  fig.bytes += f.bytes;
  fig.readerMoved += f.readerMoved;
  fig.readerDeleted += f.readerDeleted;
  for (const key of [
    'lost',
    'duplicated',
    'resurrected',
    'corrupted',
    'stranded',
    'junk',
    'misrouted',
    'leftovers',
    'violations',
    'orphans',
  ] as const)
    fig[key] += f[key];
  for (const [c, n] of Object.entries(f.counts)) bump(fig.counts, c, n);
  for (const [c, n] of Object.entries(f.exitCodes)) bump(fig.exitCodes, c, n);
  fig.monitorChecks += f.monitorChecks;
  fig.problems.push(...f.problems.map((p) => `${label}: ${p}`));
}

/**
 * strace around syncmail that SIGKILLs it at its `nth` call of `syscall`. Without -f it traces node's
 * main thread alone, where syncmail makes its link/rename/unlink calls (all *Sync), and none of its
 * children: with -f the call counted could be rsync's own (3.2.7 calls rename() and unlink(), 3.5
 * renameat() and unlinkat()), and the SIGKILL hit rsync.
 */
function straceKill(syscall: string, nth: number): string[] {
  return [
    'strace',
    '-qq',
    '-o',
    '/dev/null',
    '-e',
    `trace=${syscall}`,
    '-e',
    `inject=${syscall}:signal=SIGKILL:when=${nth}`,
  ];
}

/** The kinds of mail of the routed step kills, in turn: the first few make the most of few messages. */
const STEP_KINDS: readonly MailKind[] = [
  'plain',
  'list',
  'shop',
  'invoice',
  'alert',
  'shop-invoice',
  'report',
];

export async function haveStrace(): Promise<boolean> {
  const r = await execa('strace', ['-V'], { reject: false });
  return r.exitCode === 0;
}

export async function stepKills(o: StepKillOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const fig = newFigures(
    `${o.name ?? '8 kill at every step'}${rsyncSuffix(o.rsync, false)}`,
    o.seed,
  );
  const began = Date.now();
  const log = o.log ?? (() => undefined);
  log(`${fig.name}: seed ${o.seed}`);
  const made = makeMessages(rng, `t${o.seed}`, o.messages);
  const pool = o.routing === undefined ? made : dressAll(made, STEP_KINDS);
  const [first] = pool as [Message];
  for (const syscall of o.syscalls ?? ['rename', 'write', 'fsync', 'unlink', 'syncfs']) {
    for (let k = 1; k <= 60; k++) {
      const world = await World.create({
        name: `8 ${syscall}#${k}`,
        seed: o.seed,
        rsync: o.rsync,
        routing: o.routing,
        log: () => undefined,
      });
      let reached = false;
      let crashed = false;
      try {
        world.configure({});
        await world.addMail(world.box, pool);
        // One message is already local (read): the run finds it "exists". In INBOX, whatever its rules
        // say: the same bytes in any folder are the message already here, and it stays where it is.
        await makeMaildir(world.box.local);
        await writeFile(path.join(world.box.local, 'cur', `${first.name}:2,S`), first.content);
        world.box.placement.set(uniqueOf(first.name), INBOX_ONLY);
        world.box.inCur.add(uniqueOf(first.name));
        world.startMonitor(5);
        let run: Running;
        const syncCalls = path.join(world.dir, 'sync-calls');
        if (syscall === 'syncfs') {
          // The `sync -f` syncmail runs dies of SIGKILL, as if killed in syncfs(2): a `sync` first on PATH.
          // (strace cannot do it without -f, and with -f it would trace rsync too: see below.)
          const bin = path.join(world.dir, 'failing-sync');
          await mkdir(bin);
          await writeFile(
            path.join(bin, 'sync'),
            `#!/bin/sh
  echo "$*" >> '${syncCalls}'
  kill -KILL $$
  `,
            { mode: 0o755 },
          );
          run = world.syncmail(['--quiet'], {
            env: { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}` },
          });
        } else {
          run = world.syncmail(['--quiet'], { wrap: straceKill(syscall, k) });
        }
        const killed = await run.done;
        reached = killed.signal === 'SIGKILL';
        world.checkOnce();
        if (syscall === 'syncfs') {
          // Every `sync -f` dies: the flush fails, so nothing may be removed from the server.
          world.expectExit(killed, [74], 'run whose flush fails');
          if (!existsSync(syncCalls)) world.problem('the failing `sync` was never run');
          const server = readdirSafe(path.join(world.box.server, 'new')).length;
          if (server !== pool.length)
            world.problem(`a failed flush, yet ${pool.length - server} server copies were removed`);
        } else if (!reached) {
          world.expectExit(killed, [0], `${syscall}#${k} never reached`);
        }
        if (reached) bump(world.fig.exitCodes, 'killed');
        if (reached || syscall === 'syncfs') {
          bump(fig.kills, 'step');
          bump(fig.phases, syscall);
          // The reader reads and deletes every message syncmail delivered: none may come back. With
          // routing it reads everything and deletes one message per folder.
          world.reader(
            world.box,
            rng,
            100,
            o.routing === undefined ? 100 : 1,
            new Set([uniqueOf(first.name)]),
          );
        }
        await world.run(['--quiet'], [0], `clean run after a kill before ${syscall}#${k}`);
        world.checkOnce();
        await world.verify(`kill before ${syscall}#${k}`);
      } catch (e) {
        // Recorded, and the world still finished: no process or monitor of it outlives the scenario.
        world.problem(`scenario crashed: ${(e as Error).stack ?? String(e)}`);
        crashed = true;
      }
      absorb(fig, await world.finish(), `${syscall}#${k}`);
      if (!reached || crashed || syscall === 'syncfs') break;
    }
  }
  fig.ms = Date.now() - began;
  return fig;
}

// ---------------------------------------------------------------------------------------------------------
// Scenario 9c: the routing rules change between an interrupted run and the next

/** Where the interrupted run is cut: a SIGKILL before syncmail's nth rename or link (strace), or during the fetch. */
export type Cut =
  | { readonly at: 'rename' | 'link'; readonly nth: number }
  | { readonly at: 'fetch' };

export interface RuleChangeOptions extends Common {
  cuts: readonly Cut[];
}

/** A Maildir++ folder as a reader (or an earlier run) left it. */
async function makeFolder(dir: string): Promise<void> {
  await makeMaildir(dir);
  await writeFile(path.join(dir, 'maildirfolder'), '');
}

/**
 * One world per cut: mail of every kind arrives under rules A (RULES_A: its folders already there), a run
 * is cut, the config changes to rules B (RULES_B: every kind but plain goes elsewhere), more mail
 * arrives, the reader reads in every folder, and a clean run must leave each message exactly where the
 * rules it was journaled under sent it: rules A for every message the cut run journaled (an intent,
 * delivered or not), and its journaled destination must be what rules A say; rules B for the rest
 * (fetched, or staged, but never journaled). Never in two folders.
 */
export async function ruleChange(o: RuleChangeOptions): Promise<Figures> {
  const rng = new Rng(o.seed);
  const fig = newFigures(`9c rules changed after a cut${rsyncSuffix(o.rsync, false)}`, o.seed);
  const began = Date.now();
  (o.log ?? (() => undefined))(`${fig.name}: seed ${o.seed}`);
  for (const cut of o.cuts) {
    const label = cut.at === 'fetch' ? 'fetch' : `${cut.at}#${cut.nth}`;
    const world = await World.create({
      name: `9 ${label}`,
      seed: o.seed,
      rsync: o.rsync,
      routing: RULES_A,
      log: () => undefined,
    });
    const box = world.box;
    const body = async () => {
      // Slow enough that the fetch cut lands while the big message is still coming.
      world.configure(cut.at === 'fetch' ? { rsyncArgs: ['--bwlimit=400'] } : {});
      const mail = dressAll(makeMessages(rng, `x${o.seed}${cut.at}`, MAIL_KINDS.length * 2));
      if (cut.at === 'fetch') {
        // Last in rsync's (sorted) order: the others are staged before it, and it is not.
        const [big] = makeMessages(rng, `x${o.seed}big`, 1, 1, 500_000, 600_000) as [Message];
        mail.push(dress({ ...big, name: `2${big.name.slice(1)}` }, 'shop'));
      }
      await world.addMail(box, mail);
      for (const folder of RULES_A.folders) await makeFolder(folderPath(box.local, folder));
      world.startMonitor(5);
      const run =
        cut.at === 'fetch'
          ? world.syncmail(['--quiet'])
          : world.syncmail(['--quiet'], { wrap: straceKill(cut.at, cut.nth) });
      let reached: boolean;
      if (cut.at === 'fetch') {
        const stage = path.join(box.work, 'stage', 'new');
        reached =
          (await waitFor(
            () => run.exited || readdirSafe(stage).some((n) => n[0] !== 0x2e),
            30_000,
            2,
          )) && !run.exited;
        if (reached) await world.kill(run, 'all');
        await run.done;
      } else {
        const result = await run.done;
        reached = result.signal === 'SIGKILL';
        if (!reached) world.expectExit(result, [0], `${label} never reached`);
      }
      world.checkOnce();
      if (!reached) {
        world.count(`missed (${label})`);
        return;
      }
      bump(world.fig.exitCodes, 'killed');
      bump(fig.kills, 'cut');
      bump(fig.phases, cut.at);
      // What the cut run journaled stays with rules A; its destination must be rules A's.
      const journaled = new Set<string>();
      for (const [key, p] of foldJournal(readTextSafe(box.journal))) {
        const u = uniqueOf(Buffer.from(key, 'latin1'));
        journaled.add(u);
        world.count(p.visible ? 'delivered before the cut' : 'journaled, not yet delivered');
        const want = world.placementOf(box, u);
        if (p.visible) continue;
        const got = p.dest?.targets ?? [{ folder: INBOX, maildir: box.local, info: '' }];
        const ok =
          got.length === want.folders.length &&
          got.every(
            (t, i) =>
              t.folder === want.folders[i] &&
              t.maildir === folderPath(box.local, want.folders[i] as string) &&
              t.info === (want.seen ? ':2,S' : ''),
          );
        if (!ok)
          world.problem(
            `the intent for ${u} was journaled for ${JSON.stringify(got)}; rules A send it to ${want.folders.join(' + ')}${want.seen ? ' (seen)' : ''}`,
          );
      }
      // Visible somewhere without a journal record would be a delivery the journal does not know of.
      for (const u of world.localUniques(box))
        if (!journaled.has(u))
          world.problem(`${u} is local, but the cut run's journal has no record of it`);
      world.route(RULES_B);
      world.configure({});
      for (const m of mail) {
        const u = uniqueOf(m.name);
        if (journaled.has(u)) continue;
        box.placement.set(u, RULES_B.route(m.content));
        world.count('routed by the new rules');
      }
      await world.addMail(
        box,
        dressAll(makeMessages(rng, `x${o.seed}${cut.at}late`, 3), ['list', 'shop', 'invoice']),
      );
      world.reader(box, rng, 100, 1);
      await world.run(['--quiet'], [0], `the run with the changed rules after a cut at ${label}`);
      world.checkOnce();
      await world.verify(`rules changed after a cut at ${label}`);
    };
    absorb(fig, await finishing(world, body), label);
  }
  fig.ms = Date.now() - began;
  return fig;
}
