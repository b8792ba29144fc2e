// What the end-to-end tests of issue 8 (test/e2e/holes.test.ts) share beyond the fault World
// (test/helpers/faults.ts): configs with any mailboxes (two configs on one local Maildir, one name on two
// servers, a non-root server account, a state directory of their own), runs of the built CLI under any
// config, a wrapper, a shell prefix (ulimit) and a time bound, rsync wrappers that hold, break or fill the
// disk after one pass, the server-side processes of the test sshd, and small checks on the transfer log,
// syncmail's work dirs (tmp/syncmail/FOLDER-KEY/…) and its pending-removal journals (STATE/pending/).
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEMP_DIR } from '../../src/maildir/layout.js';
import { foldJournal } from '../../src/maildir/pending.js';
import { shellQuote } from '../../src/text/shell-quote.js';
import {
  type Box,
  CLI,
  type ConfigOptions,
  type Running,
  type RunResult,
  startProcess,
  type World,
} from './faults.js';
import { type Message, nameKey, sha1, uniqueOf } from './maildir.js';
import { rsyncPathArg } from './rsyncs.js';
import type { Sshd } from './sshd.js';

export function readdirSafe(dir: string): Buffer[] {
  try {
    return readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return [];
  }
}

export function names(dir: string): string[] {
  return readdirSafe(dir)
    .map((n) => nameKey(n))
    .sort();
}

export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  stepMs = 10,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Configs

export interface MailboxSpec {
  readonly name: string;
  /** The server Maildir (a path on the test sshd's machine, which is this one). */
  readonly server: string;
  readonly local: string;
  /** Log in as this server account instead of the current user. */
  readonly user?: string;
  /** Extra rsyncArgs; an --rsync-path here replaces the pair's server rsync. */
  readonly rsyncArgs?: readonly string[];
}

export interface HoleConfig extends ConfigOptions {
  readonly mailboxes: readonly MailboxSpec[];
  /** Config file to write; default the world's own. */
  readonly file?: string;
  readonly maxMinutes?: number;
  /** The local rsync to run (a wrapper); default the pair's client. */
  readonly rsyncProgram?: string;
  /** The config's state directory (journals, folder locks); default the world's. */
  readonly state?: string;
}

/** Writes a config like World.configure(), but with any mailboxes; returns its path. */
export function writeConfig(world: World, o: HoleConfig): string {
  const file = o.file ?? world.configFile;
  const lines: string[] = [];
  const sshd = world.sshd;
  if (sshd !== undefined)
    lines.push(`ssh: ${JSON.stringify(['-F', sshd.sshConfig, ...(o.ssh ?? [])])}`);
  const program = o.rsyncProgram ?? world.rsync?.client.path;
  if (program !== undefined) lines.push(`rsync: ${JSON.stringify(program)}`);
  lines.push(`log: ${JSON.stringify(world.logFile)}`);
  lines.push(`state: ${JSON.stringify(o.state ?? world.stateDir)}`);
  lines.push(`retries: ${o.retries ?? 1}`);
  // Every failure printed under --quiet too (the quiet policy is tested in status-quiet.test.ts).
  lines.push('quietFailuresFor: 0');
  lines.push(`retryDelay: ${o.retryDelay ?? 0.2}`);
  if (o.connectTimeout !== undefined) lines.push(`connectTimeout: ${o.connectTimeout}`);
  if (o.ioTimeout !== undefined) lines.push(`ioTimeout: ${o.ioTimeout}`);
  if (o.maxMinutes !== undefined) lines.push(`maxMinutes: ${o.maxMinutes}`);
  if (o.onConflict !== undefined) lines.push(`onConflict: ${o.onConflict}`);
  lines.push('mailboxes:');
  for (const m of o.mailboxes) {
    const args = [...(o.rsyncArgs ?? []), ...(m.rsyncArgs ?? [])];
    if (
      sshd !== undefined &&
      world.rsync !== undefined &&
      !args.some((a) => a.startsWith('--rsync-path='))
    )
      args.unshift(rsyncPathArg(world.rsync.server));
    const user = m.user === undefined ? '' : `${m.user}@`;
    lines.push(`  - name: ${m.name}`);
    lines.push(
      `    remote: ${JSON.stringify(sshd === undefined ? m.server : `${user}${sshd.hostAlias}:${m.server}`)}`,
    );
    lines.push(`    local: ${JSON.stringify(m.local)}`);
    if (args.length > 0) lines.push(`    rsyncArgs: ${JSON.stringify(args)}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

/** The world's first box as a MailboxSpec (its name, server and local Maildir). */
export function spec(world: World, extra: Partial<MailboxSpec> = {}): MailboxSpec {
  const box = world.box;
  return { name: box.name, server: box.server, local: box.local, ...extra };
}

// ---------------------------------------------------------------------------------------------------------
// Runs

export interface CliOptions {
  /** The config file (default the world's). */
  readonly config?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** A command the CLI runs under (strace ...). */
  readonly wrap?: readonly string[];
  /** Shell commands to run first, in `bash -c '…; exec node …'` (ulimit -n 56). */
  readonly shellPrefix?: string;
}

/** Starts the built CLI (its own process group, like World.syncmail) under `o`. */
export function startCli(world: World, args: readonly string[], o: CliOptions = {}): Running {
  world.fig.runs += 1;
  const cli = [process.execPath, CLI, '--config', o.config ?? world.configFile, ...args];
  let argv = [...(o.wrap ?? []), ...cli];
  if (o.shellPrefix !== undefined)
    argv = ['bash', '-c', `${o.shellPrefix}; exec ${argv.map(shellQuote).join(' ')}`];
  return startProcess(argv[0] as string, argv.slice(1), { ...process.env, ...o.env });
}

export interface Bounded extends RunResult {
  /** The run had not ended after the bound and was killed (with everything of the world). */
  readonly timedOut: boolean;
}

/** Waits for a run, at most `limitMs`; past that, kills everything of the world and says so. */
export async function bounded(world: World, run: Running, limitMs: number): Promise<Bounded> {
  const late = Symbol('late');
  // Not ref'd: a bound still pending must not keep the test process alive after every run has ended.
  const first = await Promise.race([run.done, sleep(limitMs, late, { ref: false })]);
  if (first !== late) return { ...(first as RunResult), timedOut: false };
  await world.sshd?.resume();
  await world.killStragglers();
  return { ...(await run.done), timedOut: true };
}

/** Runs the CLI to its end (at most limitMs) and records its exit code in the world's figures. */
export async function runCli(
  world: World,
  args: readonly string[],
  o: CliOptions & { limitMs?: number } = {},
): Promise<Bounded> {
  const result = await bounded(world, startCli(world, args, o), o.limitMs ?? 90_000);
  const key = result.timedOut
    ? 'timed out'
    : result.signal !== null
      ? `sig${result.signal}`
      : String(result.code);
  world.fig.exitCodes[key] = (world.fig.exitCodes[key] ?? 0) + 1;
  return result;
}

/** One line for an assertion message: exit code (or signal, or time-out), time, stdout and stderr. */
export function told(r: Bounded | RunResult): string {
  const how =
    'timedOut' in r && r.timedOut
      ? `still running after ${r.ms} ms (killed)`
      : r.signal !== null
        ? `killed by ${r.signal}`
        : `exit ${r.code}`;
  return `${how} after ${r.ms} ms; stdout ${JSON.stringify(r.out.slice(-500))}; stderr ${JSON.stringify(r.err.slice(-1200))}`;
}

// ---------------------------------------------------------------------------------------------------------
// rsync wrappers

/**
 * A client-side rsync that, for the remove pass (--remove-source-files), touches `held` and waits until
 * `release` exists before it runs the real rsync: the test acts between syncmail's passes.
 */
export async function holdingRsync(
  dir: string,
  real: string,
): Promise<{ program: string; held: string; release: string }> {
  const program = path.join(dir, 'holding-rsync');
  const held = path.join(dir, 'remove-pass-held');
  const release = path.join(dir, 'remove-pass-release');
  await writeFile(
    program,
    `#!/bin/sh
case " $* " in
  *" --remove-source-files "*)
    : > ${shellQuote(held)}
    while [ ! -e ${shellQuote(release)} ]; do sleep 0.02; done ;;
esac
exec ${shellQuote(real)} "$@"
`,
    { mode: 0o755 },
  );
  return { program, held, release };
}

/**
 * A client-side rsync that runs the fetch pass (the one with --compare-dest) to its end, then fills the
 * filesystem holding `fillDir` (one file, written until the disk is full) before it exits: the disk is
 * full from the moment syncmail starts delivering. With `leaveKb`, that many KiB (whole blocks of a
 * 1 KiB-block ext4) are set aside first and freed again after the fill: exactly that much stays free.
 * With `spendReserve` (the default) the room syncmail holds back during the fetch for its delivery is
 * emptied before the fill, so the delivery finds the disk that full; without it, what syncmail held
 * back is what the delivery has.
 */
export async function fillingRsync(
  dir: string,
  real: string,
  fillDir: string,
  leaveKb = 0,
  spendReserve = true,
): Promise<string> {
  const program = path.join(dir, 'filling-rsync');
  const filler = shellQuote(path.join(fillDir, 'filler'));
  const reserve = shellQuote(path.join(fillDir, 'reserve'));
  await writeFile(
    program,
    `#!/bin/sh
case " $* " in
  *" --compare-dest="*)
    ${shellQuote(real)} "$@"
    rc=$?
    ${spendReserve ? ': > reserve # the room syncmail held back for its delivery (rsync runs in its work dir)' : ':'}
    ${leaveKb > 0 ? `dd if=/dev/zero of=${reserve}-$$ bs=1k count=${leaveKb} 2>/dev/null` : ':'}
    dd if=/dev/zero of=${filler}-$$ bs=1k 2>/dev/null
    ${leaveKb > 0 ? `sync -f ${shellQuote(fillDir)}; rm -f ${reserve}-$$` : ':'}
    sync -f ${shellQuote(fillDir)}
    exit $rc ;;
esac
exec ${shellQuote(real)} "$@"
`,
    { mode: 0o755 },
  );
  return program;
}

/**
 * A server-side rsync (for --rsync-path) that runs `onRemove` (shell code) instead of rsync for the remove
 * pass, and the real server rsync for every other pass. The server's rsync is started with
 * `--remove-source-files` among its arguments only in the remove pass.
 */
export async function serverRsyncWrapper(
  dir: string,
  real: string,
  onRemove: string,
  name = 'server-rsync',
): Promise<string> {
  const program = path.join(dir, name);
  await writeFile(
    program,
    `#!/bin/sh
case " $* " in
  *" --remove-source-files "*) ${onRemove} ;;
esac
exec ${shellQuote(real)} "$@"
`,
    { mode: 0o755 },
  );
  await chmod(program, 0o755);
  return program;
}

// ---------------------------------------------------------------------------------------------------------
// The server side of the test sshd

export interface ServerProc {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly state: string;
}

/** Live processes whose SSH_CONNECTION names the test sshd's port (the server side of a session). */
export function serverProcs(sshd: Sshd): ServerProc[] {
  const found: ServerProc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      const conn = env.find((e) => e.startsWith('SSH_CONNECTION='));
      if (conn === undefined || Number(conn.split(/\s+/)[3]) !== sshd.port) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?';
      if (state === 'Z') continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0');
      if (argv.at(-1) === '') argv.pop();
      found.push({ pid: Number(entry), argv, state });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Mail and the reader

/**
 * n messages of `size` bytes whose names all have the same length (directory-entry sizes are then known):
 * 1700000000.M1000NN.P4242Q10NN.TAG.test.
 */
export function sameLengthMessages(tag: string, n: number, size: number): Message[] {
  const out: Message[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `1700000000.M${100_000 + i}P4242Q${1000 + i}.${tag}.test`;
    const head = `Message-ID: <${i}.${tag}@test>\nSubject: ${tag} ${i}\n\n`;
    const content = Buffer.from(head.padEnd(size, 'x').slice(0, size));
    out.push({ name, content, sha1: sha1(content) });
  }
  return out;
}

/**
 * The reader deletes every message in the local new/ and cur/ (checking each one's content first): none
 * of them may ever come back. Returns how many it deleted.
 */
export function readerDeletesAll(world: World, box: Box = world.box): number {
  let deleted = 0;
  for (const sub of ['new', 'cur']) {
    const dir = path.join(box.local, sub);
    for (const name of readdirSafe(dir)) {
      if (name[0] === 0x2e) continue;
      const file = Buffer.concat([Buffer.from(`${dir}/`), name]);
      const u = uniqueOf(name);
      const want = box.expected.get(u);
      try {
        if (want !== undefined && sha1(readFileSync(file)) !== want) box.corruptSeen.add(u);
        unlinkSync(file);
      } catch {
        continue;
      }
      box.expected.delete(u);
      box.deleted.add(u);
      world.fig.readerDeleted += 1;
      deleted += 1;
    }
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------------------
// Checks

/**
 * Files syncmail left anywhere in the local Maildir's work dirs (every tmp/syncmail/FOLDER-KEY/: the stage,
 * rsync's partial dir, the placeholders, rsync's temp dir, the renaming marker), as "KEY/sub/name", and
 * every journal in the state directory that still holds a pending entry, as "journal NAME: N pending".
 */
export function workLeftovers(local: string, state: string): string[] {
  const root = path.join(local, 'tmp', 'syncmail');
  const left: string[] = [];
  for (const key of names(root)) {
    const work = path.join(root, key);
    for (const sub of [
      'stage/new',
      'stage/new/.syncmail-partial',
      'pending/new',
      `stage/${TEMP_DIR}`,
    ]) {
      for (const n of names(path.join(work, sub))) {
        if (sub === 'stage/new' && n === '.syncmail-partial' && isDir(path.join(work, sub, n)))
          continue;
        left.push(`${key}/${sub}/${n}`);
      }
    }
    if (names(work).includes('renaming')) left.push(`${key}/renaming`);
  }
  const journals = path.join(state, 'pending');
  for (const n of names(journals)) {
    let text = '';
    try {
      text = readFileSync(path.join(journals, n), 'latin1');
    } catch {
      continue;
    }
    const live = foldJournal(text).size;
    if (live > 0) left.push(`journal ${n}: ${live} pending`);
  }
  return left;
}

function isDir(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** The transfer-log records of one event. */
export function events(world: World, event: string): Array<Record<string, unknown>> {
  return world.records().filter((r) => r['event'] === event);
}

/** What a box's journal says of each name: 'visible' (delivered, awaiting removal) or 'intent' (I only). */
export function journalState(box: Box): Map<string, 'visible' | 'intent'> {
  let text = '';
  try {
    text = readFileSync(box.journal, 'latin1');
  } catch {
    // no journal: nothing pending
  }
  const out = new Map<string, 'visible' | 'intent'>();
  for (const [key, p] of foldJournal(text))
    out.set(nameKey(Buffer.from(key, 'latin1')), p.visible ? 'visible' : 'intent');
  return out;
}
