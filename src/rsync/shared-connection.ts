// One ssh connection per server for all of a run's rsync passes (shareConnection), so eight mailboxes on
// one server, or a mailbox's fetch and remove passes, pay for one ssh handshake, not one each.
//
// The first pass to a server runs with ControlMaster=auto and ControlPersist: its ssh becomes the master,
// detaches (its own session, /dev/null for stdio, so neither rsync nor a Ctrl-C holds it) and stays for
// the passes that follow, which connect to its socket with ControlMaster=no. Passes to that server that
// start meanwhile wait for the socket (or for the first pass to end without one) instead of each making
// a master of their own. Before a pass uses a socket, `ssh -O check` must answer within CHECK_MS: a
// master that is stopped (a suspend, a SIGSTOP) or dead is bypassed for the rest of the run, and the pass
// connects on its own (ControlPath=none). The passes' own stall watchdog covers a master that wedges
// mid-transfer; the retry then finds it unresponsive and bypasses it.
//
// The socket lives in $XDG_RUNTIME_DIR/syncmail/ (0700, ours), named for this process, so no other run
// ever uses it; without XDG_RUNTIME_DIR nothing is shared. At the end of the run `ssh -O exit` ends each
// master; if syncmail is killed before that, the master exits by itself PERSIST_S after its last pass.
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** The extra ssh words of one pass, and what to do when the pass is over. */
export interface PassConnection {
  words(): Promise<readonly string[]>;
  ended(): void;
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

/** $XDG_RUNTIME_DIR/syncmail, made 0700 if need be; undefined unless it is a directory only we can use. */
export function socketDir(env: Env): string | undefined {
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime === undefined || !runtime.startsWith('/')) return undefined;
  const dir = join(runtime, 'syncmail');
  try {
    if (!statSync(runtime).isDirectory()) return undefined;
    mkdirSync(dir, { mode: 0o700, recursive: true });
    const st = lstatSync(dir);
    const mine = process.getuid === undefined || st.uid === process.getuid();
    return st.isDirectory() && mine && (st.mode & 0o077) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

interface Server {
  readonly socket: string;
  readonly mailbox: Mailbox;
  /** Set while the first pass is making the master: resolves once its socket is there or the pass ended. */
  making: Promise<void> | undefined;
  made: boolean;
  bypassed: boolean;
}

export interface SharedConnectionsOptions {
  readonly dir: string | undefined;
  readonly env: Env;
  readonly connectTimeout: number;
  readonly pid: number;
  /** Runs `ssh … -O command`; resolves whether it succeeded within CHECK_MS. */
  readonly control?: (
    mailbox: Mailbox,
    socket: string,
    command: 'check' | 'exit',
  ) => Promise<boolean>;
  readonly exists?: (path: string) => boolean;
}

export class SharedConnections {
  readonly #o: SharedConnectionsOptions;
  readonly #servers = new Map<string, Server>();
  readonly #control: NonNullable<SharedConnectionsOptions['control']>;
  readonly #exists: (path: string) => boolean;

  constructor(options: SharedConnectionsOptions) {
    this.#o = options;
    this.#control = options.control ?? ((m, s, c) => this.#ssh(m, s, c));
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
      server = { socket, mailbox, making: undefined, made: false, bypassed: false };
      this.#servers.set(key, server);
    }
    const s = server;
    let endMaking: (() => void) | undefined;
    return {
      words: async () => {
        while (s.making !== undefined) await s.making;
        if (s.bypassed) return muxWords('bypass', s.socket);
        if (this.#exists(s.socket)) {
          if (await this.#control(s.mailbox, s.socket, 'check')) return muxWords('use', s.socket);
          s.bypassed = true;
          return muxWords('bypass', s.socket);
        }
        // No master yet (or it exited when idle): this pass makes one.
        s.made = true;
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
      ended: () => endMaking?.(),
    };
  }

  /** Ends every master this run made (a wedged one's socket is left for ControlPersist to end). */
  async close(): Promise<void> {
    const made = [...this.#servers.values()].filter((s) => s.made && this.#exists(s.socket));
    await Promise.all(made.map((s) => this.#control(s.mailbox, s.socket, 'exit')));
  }

  async #ssh(mailbox: Mailbox, socket: string, command: 'check' | 'exit'): Promise<boolean> {
    if (mailbox.remote.kind !== 'ssh') return false;
    const { user, host } = mailbox.remote;
    checkFilesForSpawn('ssh');
    const result = await execa(
      'ssh',
      [
        ...mailbox.ssh,
        ...sshDefaults({ connectTimeout: this.#o.connectTimeout }),
        '-o',
        `ControlPath=${socket}`,
        '-O',
        command,
        '--',
        `${user === undefined ? '' : `${user}@`}${host}`,
      ],
      {
        env: rsyncEnv(this.#o.env),
        extendEnv: false,
        // Its own session: a Ctrl-C meant for the run must not cut the check or the goodbye short.
        detached: true,
        stdin: 'ignore',
        reject: false,
        timeout: CHECK_MS,
        killSignal: 'SIGKILL',
      },
    );
    return result.exitCode === 0;
  }
}
