// A real, private OpenSSH server for end-to-end tests.
//
// startSshd() runs /usr/sbin/sshd on 127.0.0.1 at a free high port, with throwaway keys in a fresh temp dir,
// and writes an ssh_config whose Host aliases cover the cases syncmail must handle:
//
//   mail-server             works: key auth as the current user, host key pre-trusted
//   mail-server-closed      nothing listens there            → "Connection refused", ssh exits 255
//   mail-server-badkey      a key sshd does not accept        → "Permission denied (publickey)"
//   mail-server-unknownhost empty known_hosts, strict checking → "Host key verification failed."
//   mail-server-blackhole   a TCP server that accepts and never speaks (hangs until a timeout fires)
//
// Use it as `ssh ...sshd.sshArgs <alias> ...` or rsync `-e "ssh -F <sshConfig> ..."`.
//
// sshd runs with -D in its own session (spawn detached), so signals a test sends to a process group
// (its own, or syncmail's) never reach it. Every server-side process (the listener, its per-connection
// children, the user's shell and the remote rsync) is found through /proc: descendants of the listener,
// plus any process whose SSH_CONNECTION names this server's port (this still finds a remote rsync
// after its sshd parent died and it was re-parented). Nothing else on the machine is ever signalled.
//
// Leaks: stop() in an `after` hook is the normal way out; a process-exit hook (also on fatal signals)
// kills whatever is still running and removes the temp dir.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { onExit } from 'signal-exit';
import type { Test } from 'uvu';
import { shielded } from './maildir.js';

export const SSHD_BINARY = '/usr/sbin/sshd';

/** The Host aliases defined in the generated ssh_config. */
export const HOSTS = {
  ok: 'mail-server',
  closed: 'mail-server-closed',
  badKey: 'mail-server-badkey',
  unknownHost: 'mail-server-unknownhost',
  blackHole: 'mail-server-blackhole',
} as const;

export interface Sshd {
  /** The port sshd listens on (127.0.0.1). */
  readonly port: number;
  /** The temp dir holding keys, configs, pid file and log. Removed by stop(). */
  readonly dir: string;
  /** Path of the client ssh_config (pass with -F). */
  readonly sshConfig: string;
  /** ['-F', sshConfig]: put these before the host in an ssh command line. */
  readonly sshArgs: string[];
  /** 'mail-server': the alias that works. */
  readonly hostAlias: 'mail-server';
  /** Port of mail-server-closed (nothing listens there). */
  readonly closedPort: number;
  /** Port of mail-server-blackhole (accepts TCP, never sends a byte). */
  readonly blackHolePort: number;
  /** The sshd listener's pid. */
  readonly pid: number;
  /** How long the readiness check `ssh -F cfg mail-server true` took, in ms (one full round trip). */
  readonly readyRoundTripMs: number;
  /** Kills the listener, every server-side process it started, and the black hole; removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * SIGKILLs the per-connection sshd children and everything they started (shells, remote rsync), leaving
   * the listener up: the client sees its connection drop, and new connections still work.
   */
  killServerSide(): Promise<void>;
  /** SIGSTOPs the listener and all server-side processes: connections freeze, new ones hang before the banner. */
  pause(): Promise<void>;
  /** SIGCONTs what pause() stopped (and anything else server-side). */
  resume(): Promise<void>;
  /** The sshd log (-E file) so far. Still available after stop(). */
  log(): string;
}

export interface SshdOptions {
  /** Bound on the wait for sshd to accept a connection and run `true`. Default 30 s (login shells can be slow). */
  readyTimeoutMs?: number;
}

interface Live {
  child: ChildProcess;
  port: number;
  dir: string;
  blackHole: net.Server;
  blackHoleSockets: Set<net.Socket>;
}

// ---------------------------------------------------------------------------------------------------------
// /proc scanning

interface ProcInfo {
  ppid: number;
  state: string;
}

function readProcs(): Map<number, ProcInfo> {
  const procs = new Map<number, ProcInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    const ppid = Number(rest[1]);
    if (state === undefined || !Number.isInteger(ppid)) continue;
    procs.set(Number(entry), { ppid, state });
  }
  return procs;
}

function isAlive(procs: Map<number, ProcInfo>, pid: number): boolean {
  const info = procs.get(pid);
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

/** The server port in a process's SSH_CONNECTION ("client-ip client-port server-ip server-port"), if any. */
function sshConnectionPort(pid: number): number | undefined {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
  const prefix = Buffer.from('SSH_CONNECTION=');
  let start = 0;
  while (start < environ.length) {
    let end = environ.indexOf(0, start);
    if (end === -1) end = environ.length;
    const entry = environ.subarray(start, end);
    if (entry.subarray(0, prefix.length).equals(prefix)) {
      const fields = entry.subarray(prefix.length).toString('latin1').trim().split(/\s+/);
      const port = Number(fields[3]);
      return Number.isInteger(port) ? port : undefined;
    }
    start = end + 1;
  }
  return undefined;
}

/** Live pids on the server side of this sshd: descendants of the listener plus SSH_CONNECTION matches. */
function serverSidePids(live: Live, includeListener: boolean): number[] {
  const listener = live.child.pid;
  const procs = readProcs();
  const found = new Set<number>();
  if (listener !== undefined && isAlive(procs, listener)) {
    const children = new Map<number, number[]>();
    for (const [pid, info] of procs) {
      const list = children.get(info.ppid);
      if (list) list.push(pid);
      else children.set(info.ppid, [pid]);
    }
    const queue = [listener];
    for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
      if (isAlive(procs, pid)) found.add(pid);
      queue.push(...(children.get(pid) ?? []));
    }
  }
  for (const pid of procs.keys()) {
    if (pid === process.pid || found.has(pid) || !isAlive(procs, pid)) continue;
    if (sshConnectionPort(pid) === live.port) found.add(pid);
  }
  if (!includeListener && listener !== undefined) found.delete(listener);
  return [...found];
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: already gone
    }
  }
}

/**
 * Freezes the server side (SIGSTOP until no new process shows up, so nothing forks or gets re-parented out
 * of sight), then SIGKILLs it and waits until nothing is left.
 */
async function killUntilGone(
  live: Live,
  includeListener: boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const frozen = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const fresh = serverSidePids(live, true).filter((pid) => !frozen.has(pid));
    if (fresh.length === 0) break;
    signalAll(fresh, 'SIGSTOP');
    for (const pid of fresh) frozen.add(pid);
  }
  try {
    for (;;) {
      const pids = serverSidePids(live, includeListener);
      if (pids.length === 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `sshd helper: server-side processes survived SIGKILL for ${timeoutMs} ms: ${pids.join(' ')}`,
        );
      }
      signalAll(pids, 'SIGKILL');
      await sleep(20);
    }
  } finally {
    // The listener was frozen with the rest; when it is meant to survive, let it run again.
    if (!includeListener && live.child.pid !== undefined) signalAll([live.child.pid], 'SIGCONT');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Last-chance cleanup

const liveServers = new Set<Live>();
let exitHookInstalled = false;

function destroySync(live: Live): void {
  liveServers.delete(live);
  try {
    signalAll(serverSidePids(live, true), 'SIGKILL');
  } catch {
    // /proc unreadable: nothing more we can do here
  }
  for (const socket of live.blackHoleSockets) socket.destroy();
  live.blackHole.close();
  rmSync(live.dir, { recursive: true, force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  onExit(() => {
    shielded(() => {
      for (const live of [...liveServers]) destroySync(live);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Ports

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** A port that was free a moment ago (bind port 0, read it, close). Racy by nature: callers retry. */
async function freePort(avoid: readonly number[] = []): Promise<number> {
  for (;;) {
    const server = net.createServer();
    const port = await listen(server, 0);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!avoid.includes(port)) return port;
  }
}

function canConnect(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------------------
// Config files

function sshdConfigText(dir: string, port: number): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey "${dir}/host_ed25519"`,
    `AuthorizedKeysFile "${dir}/authorized_keys"`,
    `PidFile "${dir}/sshd.pid"`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'MaxStartups 100',
    'MaxSessions 50',
    'LogLevel VERBOSE',
    'PrintMotd no',
    'X11Forwarding no',
    '',
  ].join('\n');
}

function sshConfigText(p: {
  dir: string;
  port: number;
  closedPort: number;
  blackHolePort: number;
  user: string;
}): string {
  const host = (alias: string, port: number, identity: string, knownHosts: string) =>
    [
      `Host ${alias}`,
      `  Port ${port}`,
      `  IdentityFile "${p.dir}/${identity}"`,
      `  UserKnownHostsFile "${p.dir}/${knownHosts}"`,
      '',
    ].join('\n');
  return [
    '# Generated by test/helpers/sshd.ts. ssh uses the first value it finds, so specific hosts come first.',
    host(HOSTS.ok, p.port, 'client_ed25519', 'known_hosts'),
    host(HOSTS.closed, p.closedPort, 'client_ed25519', 'known_hosts'),
    host(HOSTS.badKey, p.port, 'wrong_ed25519', 'known_hosts'),
    host(HOSTS.unknownHost, p.port, 'client_ed25519', 'known_hosts_empty'),
    host(HOSTS.blackHole, p.blackHolePort, 'client_ed25519', 'known_hosts'),
    'Host *',
    '  HostName 127.0.0.1',
    `  User ${p.user}`,
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    '  BatchMode yes',
    '  PasswordAuthentication no',
    '  KbdInteractiveAuthentication no',
    '  StrictHostKeyChecking yes',
    '  GlobalKnownHostsFile /dev/null',
    '  UpdateHostKeys no',
    '  CheckHostIP no',
    '  ControlMaster no',
    '  ControlPath none',
    '',
  ].join('\n');
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function readOr(file: string, fallback = ''): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

// ---------------------------------------------------------------------------------------------------------

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir; needs root
  } catch (err) {
    throw new Error(
      `sshd helper: cannot create /run/sshd (tests must run as root): ${(err as Error).message}`,
    );
  }
  installExitHook();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'syncmail-sshd-'));
  const blackHoleSockets = new Set<net.Socket>();
  const blackHole = net.createServer((socket) => {
    // Accept and say nothing, ever. Never keep the test process alive for it.
    socket.unref();
    socket.on('error', () => {});
    blackHoleSockets.add(socket);
    socket.once('close', () => blackHoleSockets.delete(socket));
  });
  let cleanupOnFailure: (() => void) | undefined = () => {
    blackHole.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const blackHolePort = await listen(blackHole, 0);
    blackHole.unref();

    await Promise.all(
      ['host_ed25519', 'client_ed25519', 'wrong_ed25519'].map((key) =>
        execa('ssh-keygen', [
          '-q',
          '-t',
          'ed25519',
          '-N',
          '',
          '-C',
          `syncmail-test-${key}`,
          '-f',
          path.join(dir, key),
        ]),
      ),
    );
    writeFileSync(
      path.join(dir, 'authorized_keys'),
      readFileSync(path.join(dir, 'client_ed25519.pub')),
      { mode: 0o600 },
    );
    writeFileSync(path.join(dir, 'known_hosts_empty'), '');
    const hostKey = readFileSync(path.join(dir, 'host_ed25519.pub'), 'utf8')
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(' ');

    const sshdConfig = path.join(dir, 'sshd_config');
    const sshConfig = path.join(dir, 'ssh_config');
    const logFile = path.join(dir, 'sshd.log');
    const stderrFile = path.join(dir, 'sshd.stderr');
    const user = os.userInfo().username;
    const started = Date.now();
    const failures: string[] = [];

    for (let attempt = 1; attempt <= 5; attempt++) {
      const port = await freePort([blackHolePort]);
      const closedPort = await freePort([blackHolePort, port]);
      writeFileSync(sshdConfig, sshdConfigText(dir, port));
      writeFileSync(sshConfig, sshConfigText({ dir, port, closedPort, blackHolePort, user }));
      writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
      writeFileSync(logFile, '');

      const stderrFd = openSync(stderrFile, 'w');
      const child = spawn(SSHD_BINARY, ['-D', '-f', sshdConfig, '-E', logFile], {
        detached: true,
        stdio: ['ignore', 'ignore', stderrFd],
      });
      closeSync(stderrFd);
      const live: Live = { child, port, dir, blackHole, blackHoleSockets };
      liveServers.add(live);
      let exited: string | undefined;
      child.once('exit', (code, signal) => {
        exited = signal ? `signal ${signal}` : `exit code ${code}`;
      });
      child.once('error', (err) => {
        exited = `spawn error: ${err.message}`;
      });

      const describe = (why: string) =>
        `${why}\n--- sshd stderr ---\n${tail(readOr(stderrFile))}\n--- sshd log (${logFile}, tail) ---\n${tail(readOr(logFile))}`;

      let lastProblem = 'sshd did not accept a TCP connection';
      let roundTripMs: number | undefined;
      while (Date.now() - started < readyTimeoutMs) {
        if (exited !== undefined) break;
        if (!(await canConnect(port, 1000))) {
          await sleep(25);
          continue;
        }
        if (exited !== undefined) break; // someone else owns the port
        const remaining = Math.max(1000, readyTimeoutMs - (Date.now() - started));
        const t0 = performance.now();
        const probe = await execa(
          'ssh',
          ['-F', sshConfig, '-o', 'ConnectTimeout=5', HOSTS.ok, 'true'],
          {
            reject: false,
            stdin: 'ignore',
            timeout: remaining,
          },
        );
        if (probe.exitCode === 0) {
          roundTripMs = performance.now() - t0;
          break;
        }
        lastProblem = `\`ssh -F ${sshConfig} ${HOSTS.ok} true\` failed (${probe.shortMessage}): ${probe.stderr}`;
        await sleep(100);
      }

      if (roundTripMs !== undefined) {
        const pid = child.pid;
        if (pid === undefined) throw new Error('sshd helper: sshd has no pid');
        child.unref(); // a forgotten stop() must not keep the test process alive; the exit hook cleans up
        cleanupOnFailure = undefined;
        return makeHandle(live, {
          sshConfig,
          logFile,
          closedPort,
          blackHolePort,
          pid,
          roundTripMs,
        });
      }

      // Not ready: find out why, clean this attempt up, maybe retry on another port.
      await killUntilGone(live, true).catch(() => {});
      liveServers.delete(live);
      const log = readOr(logFile) + readOr(stderrFile);
      if (
        exited !== undefined &&
        /Address already in use|Cannot bind any address|Bind to port/i.test(log)
      ) {
        failures.push(`attempt ${attempt}: port ${port} was taken (bind race), retrying`);
        continue;
      }
      const why =
        exited !== undefined
          ? `sshd exited early (${exited})`
          : `not ready within ${readyTimeoutMs} ms: ${lastProblem}`;
      throw new Error(describe(`sshd helper: ${why}`));
    }
    throw new Error(`sshd helper: could not bind a port:\n${failures.join('\n')}`);
  } finally {
    cleanupOnFailure?.();
  }
}

function makeHandle(
  live: Live,
  p: {
    sshConfig: string;
    logFile: string;
    closedPort: number;
    blackHolePort: number;
    pid: number;
    roundTripMs: number;
  },
): Sshd {
  let stopped: Promise<void> | undefined;
  let finalLog: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    if (live.child.exitCode !== null || live.child.signalCode !== null) resolve();
    else live.child.once('exit', () => resolve());
  });

  const stopOnce = async (): Promise<void> => {
    live.child.ref(); // keep the event loop alive while we wait for its exit
    try {
      await killUntilGone(live, true);
      const giveUp = new AbortController();
      await Promise.race([
        exitedPromise,
        sleep(5000, undefined, { signal: giveUp.signal }).catch(() => {}),
      ]);
      giveUp.abort();
    } finally {
      live.child.unref();
      finalLog = readOr(p.logFile);
      for (const socket of live.blackHoleSockets) socket.destroy();
      await new Promise<void>((resolve) => live.blackHole.close(() => resolve()));
      liveServers.delete(live);
      rmSync(live.dir, { recursive: true, force: true });
    }
  };

  return {
    port: live.port,
    dir: live.dir,
    sshConfig: p.sshConfig,
    sshArgs: ['-F', p.sshConfig],
    hostAlias: HOSTS.ok,
    closedPort: p.closedPort,
    blackHolePort: p.blackHolePort,
    pid: p.pid,
    readyRoundTripMs: p.roundTripMs,
    stop() {
      stopped ??= stopOnce();
      return stopped;
    },
    async killServerSide() {
      if (stopped) throw new Error('sshd helper: killServerSide() after stop()');
      await killUntilGone(live, false);
    },
    async pause() {
      if (stopped) throw new Error('sshd helper: pause() after stop()');
      signalAll(serverSidePids(live, true), 'SIGSTOP');
    },
    async resume() {
      if (stopped) return;
      signalAll(serverSidePids(live, true), 'SIGCONT');
    },
    log() {
      return finalLog ?? readOr(p.logFile);
    },
  };
}

/**
 * One sshd for all the tests of a suite (as `ctx.sshd`), stopped after them. `needs`: files that must
 * exist before (the built CLI). uvu drops what a before hook throws, so it is printed too.
 */
export function withSshd(tests: Test<{ sshd: Sshd }>, needs: readonly string[] = []): void {
  tests.before(async (ctx) => {
    try {
      for (const file of needs)
        if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
      ctx.sshd = await startSshd();
    } catch (error) {
      console.error('the suite cannot start:', error);
      throw error;
    }
  });
  tests.after(async (ctx) => {
    await ctx.sshd?.stop();
  });
}
