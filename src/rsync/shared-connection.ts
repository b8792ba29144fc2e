// One ssh connection per server for all of a run's rsync passes (shareConnection), so eight mailboxes on
// one server, or a mailbox's fetch and remove passes, pay for one ssh handshake, not one each.
//
// The first pass to a server runs with ControlMaster=auto and ControlPersist: its ssh becomes the master,
// detaches (its own session, /dev/null for stdio, so neither rsync nor a Ctrl-C holds it) and stays for
// the passes that follow, which connect to its socket with ControlMaster=no. Passes to that server that
// start meanwhile wait for the socket (or for the first pass to end without one) instead of each making
// a master of their own. Before a pass uses a socket, `ssh -O check` must answer within CHECK_MS: a
// master that is stopped (a suspend, a SIGSTOP) or dead is bypassed for the rest of the run, and the pass
// connects on its own (ControlPath=none). A master that wedges mid-transfer is caught by the passes'
// own stall watchdog, and after any failed attempt through it the master is bypassed too.
//
// A server only one mailbox of the run uses gets no master for its fetch: in the most common run, the
// empty sync, a master costs more than it saves (measured: the fetch pass 60 ms longer, plus `ssh -O
// exit`). When that fetch leaves something to remove, though, the remove pass needs a connection of its
// own, and a handshake is the longest part of a short pass: openAhead() then starts a master (`ssh -N`,
// which backgrounds itself once it is logged in) as soon as the fetch has staged a message (steps.ts), so
// the handshake overlaps the rest of the fetch, the delivery and the flush, and the remove pass uses it.
// Without one by then (it failed, or was never opened) the pass connects on its own.
//
// The socket lives in $XDG_RUNTIME_DIR/syncmail/ (0700, ours; socketDir() says where else without it),
// named for this process, so no other run ever uses it. At the end of the run `ssh -O exit` ends each
// master; if syncmail is killed before that, the master exits by itself PERSIST_S after its last pass.
import { lstatSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Mailbox } from '../config/types.js';
import { checkFilesForSpawn } from '../fd-limit.js';
import { rsyncEnv } from './argv.js';
import { sshDefaults } from './rsh.js';

/** How long `ssh -O check` and `-O exit` may take before the master counts as wedged. */
export const CHECK_MS = 3000;
/** Seconds an idle master outlives its last pass: the gaps between passes, and no more. */
export const PERSIST_S = 60;
/** ssh appends a 17-byte random suffix while it creates the socket, and sun_path holds 107 bytes. */
export const SOCKET_PATH_MAX = 89;
const POLL_MS = 20;

type Env = Readonly<Record<string, string | undefined>>;
type Command = 'check' | 'exit' | 'open';

/** The extra ssh words of one pass, and what to do when the pass is over. */
export interface PassConnection {
  words(): Promise<readonly string[]>;
  /** `failed`: the attempt failed as a connection can (transient); the master is not used again. */
  ended(failed: boolean): void;
}

/** Pure: passes share a master only when every word of their ssh command would be the same. */
export function serverKey(mailbox: Mailbox): string | undefined {
  const { remote } = mailbox;
  if (remote.kind !== 'ssh') return undefined;
  return JSON.stringify([mailbox.ssh, remote.user ?? null, remote.host]);
}

/** Pure: the socket of the n-th server of process `pid`, or undefined when the path would be too long. */
export function socketPath(dir: string, pid: number, n: number): string | undefined {
  const path = join(dir, `${pid}-${n}`);
  return Buffer.byteLength(path) <= SOCKET_PATH_MAX ? path : undefined;
}

/** Pure: the ssh options for a pass that makes the master, uses it, or goes around it. */
export function muxWords(role: 'make' | 'use' | 'bypass', socket: string): string[] {
  if (role === 'bypass') return ['-o', 'ControlPath=none'];
  if (role === 'use') return ['-o', 'ControlMaster=no', '-o', `ControlPath=${socket}`];
  return [
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${socket}`,
    '-o',
    `ControlPersist=${PERSIST_S}`,
  ];
}

/**
 * Where the sockets go: $XDG_RUNTIME_DIR/syncmail; without XDG_RUNTIME_DIR (cron sets none) the
 * login's /run/user/UID/syncmail if there is one, else STATE/run (no `state`: a dry run, which writes
 * nothing of its own, does not make one). The first that is, or can be made, a
 * 0700 directory of ours; undefined when none is (nothing is then shared).
 */
export function socketDir(env: Env, state: string | undefined): string | undefined {
  const uid = process.getuid?.();
  const runtime = env['XDG_RUNTIME_DIR'];
  const candidates = [
    runtime?.startsWith('/') ? join(runtime, 'syncmail') : undefined,
    uid === undefined ? undefined : join('/run/user', String(uid), 'syncmail'),
    state === undefined ? undefined : join(state, 'run'),
  ];
  for (const dir of candidates) if (dir !== undefined && privateDir(dir, uid)) return dir;
  return undefined;
}

/** Whether `dir` is (made if its parent exists) a directory that only `uid` can use. */
function privateDir(dir: string, uid: number | undefined): boolean {
  try {
    if (!statSync(dirname(dir)).isDirectory()) return false;
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** Whether a process lives (one of another user's counts: it is not ours to judge). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Server {
  readonly socket: string;
  readonly mailbox: Mailbox;
  /** Set while the first pass is making the master: resolves once its socket is there or the pass ended. */
  making: Promise<void> | undefined;
  made: boolean;
  bypassed: boolean;
  /** Used by one mailbox only: no pass makes its master, openAhead() may (see the top). */
  readonly ahead: boolean;
  /** Stops an openAhead() still logging in. */
  readonly stop: AbortController;
}

export interface SharedConnectionsOptions {
  readonly dir: string | undefined;
  readonly env: Env;
  readonly connectTimeout: number;
  readonly pid: number;
  /**
   * The run's mailboxes: a server that two or more of them use gets a master from its first pass; one
   * that a single mailbox uses gets one only from openAhead().
   */
  readonly mailboxes: readonly Mailbox[];
  /** Runs `ssh … -O command` (or opens a master, `open`); resolves whether it succeeded in time. */
  readonly control?: (
    mailbox: Mailbox | undefined,
    socket: string,
    command: Command,
    stop?: AbortSignal,
  ) => Promise<boolean>;
  readonly exists?: (path: string) => boolean;
}

export class SharedConnections {
  readonly #o: SharedConnectionsOptions;
  readonly #servers = new Map<string, Server>();
  /** The servers that two or more of the run's mailboxes use: only those get a master. */
  readonly #sharedKeys: ReadonlySet<string>;
  readonly #control: NonNullable<SharedConnectionsOptions['control']>;
  readonly #exists: (path: string) => boolean;

  constructor(options: SharedConnectionsOptions) {
    this.#o = options;
    const keys = options.mailboxes.map(serverKey);
    this.#sharedKeys = new Set(
      keys.filter((k, i): k is string => k !== undefined && keys.indexOf(k) !== i),
    );
    this.#control = options.control ?? ((m, s, c, stop) => this.#ssh(m, s, c, stop));
    this.#exists =
      options.exists ??
      ((path) => {
        try {
          return lstatSync(path).isSocket();
        } catch {
          return false;
        }
      });
  }

  /** The connection a mailbox's passes use, or undefined when its passes connect on their own. */
  forMailbox(mailbox: Mailbox): PassConnection | undefined {
    const key = serverKey(mailbox);
    const { dir } = this.#o;
    if (key === undefined || dir === undefined) return undefined;
    let server = this.#servers.get(key);
    if (server === undefined) {
      const socket = socketPath(dir, this.#o.pid, this.#servers.size);
      if (socket === undefined) return undefined;
      const ahead = !this.#sharedKeys.has(key);
      const stop = new AbortController();
      server = { socket, mailbox, making: undefined, made: false, bypassed: false, ahead, stop };
      this.#servers.set(key, server);
    }
    const s = server;
    let endMaking: (() => void) | undefined;
    let usedMaster = false;
    return {
      words: async () => {
        while (s.making !== undefined) await s.making;
        usedMaster = false;
        if (s.bypassed) return s.ahead ? [] : muxWords('bypass', s.socket);
        if (this.#exists(s.socket)) {
          if (await this.#control(s.mailbox, s.socket, 'check')) {
            usedMaster = true;
            return muxWords('use', s.socket);
          }
          s.bypassed = true;
          return s.ahead ? [] : muxWords('bypass', s.socket);
        }
        // No master opened ahead: as without sharing, the user's own ssh settings decide.
        if (s.ahead) return [];
        // No master yet (or it exited when idle): this pass makes one.
        s.made = true;
        usedMaster = true;
        s.making = new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (this.#exists(s.socket)) done();
          }, POLL_MS);
          const done = () => {
            clearInterval(timer);
            s.making = undefined;
            endMaking = undefined;
            resolve();
          };
          endMaking = done;
        });
        return muxWords('make', s.socket);
      },
      ended: (failed) => {
        endMaking?.();
        // A master that answers -O check may still be wedged (its server side frozen): after a failed
        // attempt through it, the retry and every later pass connect on their own.
        if (failed && usedMaster) s.bypassed = true;
      },
    };
  }

  /**
   * Starts the master of a server only this mailbox uses, for its passes to come (the remove pass), and
   * returns at once; those passes wait for it. Once per run and server; nothing for a shared server
   * (its first pass made the master) or one not shared at all.
   */
  openAhead(mailbox: Mailbox): void {
    const key = serverKey(mailbox);
    const s = key === undefined ? undefined : this.#servers.get(key);
    if (s === undefined || !s.ahead || s.made || s.bypassed) return;
    s.made = true;
    // Whatever goes wrong here (no descriptors left, say), the passes meet it again and report it.
    s.making = this.#control(s.mailbox, s.socket, 'open', s.stop.signal)
      .catch(() => false)
      .then((opened) => {
        if (!opened) s.bypassed = true;
        s.making = undefined;
      });
  }

  /** Ends every master this run made (a wedged one's socket is left for ControlPersist to end). */
  async close(): Promise<void> {
    // A master still logging in (opened ahead for a pass that never came) is stopped, not waited for.
    for (const s of this.#servers.values()) s.stop.abort();
    await Promise.all([...this.#servers.values()].map((s) => s.making));
    // Every socket that exists, made or not: a login stopped just as ssh had put its master in the
    // background (ControlPersist) leaves a master that the stop did not reach (fault scenario 1a
    // caught one).
    const left = [...this.#servers.values()].filter((s) => this.#exists(s.socket));
    await Promise.all(left.map((s) => this.#control(s.mailbox, s.socket, 'exit')));
  }

  /**
   * Ends the masters that runs killed before their end left behind (the process named in the socket is
   * gone), and removes sockets nobody answers on, so they neither linger for ControlPersist nor meet a
   * later run with the same process id. Best effort; an orphaned rsync of that run loses its session
   * and resumes next run, like any cut connection.
   */
  async reapStale(): Promise<void> {
    const { dir } = this.#o;
    if (dir === undefined) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    const stale = names.filter((name) => {
      const pid = Number(/^(\d+)-\d+$/.exec(name)?.[1]);
      return Number.isInteger(pid) && pid !== this.#o.pid && !alive(pid);
    });
    await Promise.all(
      stale.map(async (name) => {
        const socket = join(dir, name);
        if (!(await this.#control(undefined, socket, 'exit'))) rmSync(socket, { force: true });
      }),
    );
  }

  /**
   * `ssh -O command` on a socket, without a mailbox (a stale socket) with no ssh options of its own; or
   * `open`: the master of an ahead server, `ssh -N`, which logs in, backgrounds itself (ControlPersist)
   * and exits, so its exit says the socket is ready (it may take as long as any connection).
   */
  async #ssh(
    mailbox: Mailbox | undefined,
    socket: string,
    command: Command,
    stop?: AbortSignal,
  ): Promise<boolean> {
    const remote = mailbox?.remote;
    if (remote !== undefined && remote.kind !== 'ssh') return false;
    if (command === 'open') {
      const ms = (this.#o.connectTimeout + 5) * 1000;
      return this.#run(mailbox, [...muxWords('make', socket), '-N'], ms, stop);
    }
    // The host is not looked up for -O: the socket alone says which master.
    return this.#run(mailbox, ['-o', `ControlPath=${socket}`, '-O', command], CHECK_MS);
  }

  /** Runs ssh with these options for the mailbox's server; resolves whether it succeeded within `ms`. */
  async #run(
    mailbox: Mailbox | undefined,
    words: readonly string[],
    ms: number,
    cancelSignal?: AbortSignal,
  ): Promise<boolean> {
    const remote = mailbox?.remote;
    const destination =
      remote?.kind !== 'ssh'
        ? 'syncmail-stale'
        : `${remote.user === undefined ? '' : `${remote.user}@`}${remote.host}`;
    checkFilesForSpawn('ssh');
    const result = await execa(
      'ssh',
      [
        ...(mailbox?.ssh ?? []),
        ...words,
        ...sshDefaults({ connectTimeout: this.#o.connectTimeout }),
        '--',
        destination,
      ],
      {
        env: rsyncEnv(this.#o.env),
        extendEnv: false,
        // Its own session: a Ctrl-C meant for the run must not cut the check or the goodbye short.
        detached: true,
        stdio: 'ignore',
        reject: false,
        timeout: ms,
        killSignal: 'SIGKILL',
        ...(cancelSignal === undefined ? {} : { cancelSignal }),
      },
    );
    return result.exitCode === 0;
  }
}
