// Runs one rsync process. The only module that spawns rsync.
//
// rsync gets its own session (detached: setsid), because blocking or ignoring signals does not protect
// it: rsync unblocks and re-handles INT, TERM and HUP at start (docs/rsync-behaviour.md). In its own
// session a Ctrl-C, which the terminal sends to the whole foreground process group, and a kill of
// syncmail's group do not reach it; syncmail holds its own signals meanwhile (signals.ts).
import { execa } from 'execa';
import { checkFilesForSpawn } from '../fd-limit.js';
import type { RsyncExit } from './classify.js';
import type { RsyncEvent } from './events.js';
import { forEachLine } from './lines.js';
import { parseRsyncLine } from './parse.js';

/** How long rsync's stdout and stderr may stay open after it exited (a frozen ssh master holds them). */
export const PIPE_GRACE_MS = 1000;

export interface RsyncHandle {
  /** Asks rsync to stop: SIGTERM to its whole process group, so ssh and the receiver go too. */
  terminate(): void;
  readonly done: Promise<RsyncExit>;
}

export interface RsyncSpawn {
  readonly program: string;
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** Open file descriptors rsync inherits as fd 3, 4, …: the locks, so an orphaned rsync keeps them. */
  readonly lockFds: readonly number[];
  readonly onEvent: (event: RsyncEvent) => void;
  /** Takes stdout lines raw instead of parsing them into events (the --list-only listing of a dry run). */
  readonly onStdoutLine?: ((line: string) => void) | undefined;
}

export function spawnRsync(spec: RsyncSpawn): RsyncHandle {
  const stdio = ['ignore', 'pipe', 'pipe', ...spec.lockFds];
  checkFilesForSpawn(spec.program);
  const child = execa(spec.program, [...spec.argv], {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    detached: true,
    stdio: stdio as ['pipe', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    // Nothing kills rsync behind our back: forced stops are explicit (terminate) and signals are ours.
    cleanup: false,
  });
  const parsed = (stream: 'stdout' | 'stderr') => (line: string) => {
    const event = parseRsyncLine(line, stream);
    if (event !== undefined) spec.onEvent(event);
  };
  const reading = Promise.all([
    child.stdout ? forEachLine(child.stdout, spec.onStdoutLine ?? parsed('stdout')) : undefined,
    child.stderr ? forEachLine(child.stderr, parsed('stderr')) : undefined,
  ]);
  const done = (async (): Promise<RsyncExit> => {
    const result = await child;
    await reading.catch(() => undefined);
    const spawnFailed = result.exitCode === undefined && result.signal === undefined;
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      spawnError: spawnFailed ? result.shortMessage : undefined,
    };
  })();
  // ssh hands its stdio to the ControlMaster of a shared connection (shared-connection.ts), so the
  // master holds our pipes too: a frozen master would keep them open, and the pass waiting for their
  // end, for ever after rsync exited. So rsync's exit also ends the pass, PIPE_GRACE_MS later, with
  // the pipes given up (execa's own promise then never settles, and holds nothing).
  let grace: NodeJS.Timeout | undefined;
  const exited = new Promise<RsyncExit>((resolve) => {
    child.once('exit', (code, signal) => {
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({
          exitCode: code ?? undefined,
          signal: signal ?? undefined,
          spawnError: undefined,
        });
      }, PIPE_GRACE_MS);
    });
  });
  const settled = Promise.race([done, exited]).finally(() => clearTimeout(grace));
  return {
    terminate() {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone: nothing to stop.
      }
    },
    done: settled,
  };
}
