// Runs one rsync process. The only module that spawns rsync.
//
// rsync gets its own session (detached: setsid), because blocking or ignoring signals does not protect
// it: rsync unblocks and re-handles INT, TERM and HUP at start (rsync-facts §7). In its own session a
// Ctrl-C, which the terminal sends to the whole foreground process group, and a kill of syncmail's
// group do not reach it; syncmail holds its own signals meanwhile (signals.ts) and lets it finish.
import { execa } from 'execa';
import type { RsyncEvent } from './events.js';
import { forEachLine } from './lines.js';
import { parseRsyncLine } from './parse.js';

export interface RsyncRun {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** The spawn itself failed (rsync not installed, ENOENT). */
  readonly spawnError: string | undefined;
  /** The last stderr lines, for error messages. */
  readonly stderrTail: readonly string[];
}

export interface RsyncHandle {
  readonly pid: number | undefined;
  /** Asks rsync to stop: SIGTERM to its whole process group, so ssh and the receiver go too. */
  terminate(): void;
  readonly done: Promise<RsyncRun>;
}

export interface RsyncSpawn {
  readonly program: string;
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** An open file descriptor rsync inherits as fd 3: the mailbox lock, so an orphaned rsync keeps it. */
  readonly lockFd?: number;
  readonly onEvent: (event: RsyncEvent) => void;
  /** Takes stdout lines raw instead of parsing them into events (the --list-only listing of a dry run). */
  readonly onStdoutLine?: (line: string) => void;
}

const TAIL_LINES = 20;

export function spawnRsync(spec: RsyncSpawn): RsyncHandle {
  const stdio = ['ignore', 'pipe', 'pipe', ...(spec.lockFd === undefined ? [] : [spec.lockFd])];
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
  const tail: string[] = [];
  const handle = (stream: 'stdout' | 'stderr') => (line: string) => {
    if (stream === 'stderr') {
      tail.push(line.replace(/\r$/, ''));
      if (tail.length > TAIL_LINES) tail.shift();
    }
    if (stream === 'stdout' && spec.onStdoutLine !== undefined) {
      spec.onStdoutLine(line);
      return;
    }
    const event = parseRsyncLine(line, stream);
    if (event !== undefined) spec.onEvent(event);
  };
  const reading = Promise.all([
    child.stdout ? forEachLine(child.stdout, handle('stdout')) : Promise.resolve(),
    child.stderr ? forEachLine(child.stderr, handle('stderr')) : Promise.resolve(),
  ]);
  const done = (async (): Promise<RsyncRun> => {
    const result = await child;
    await reading.catch(() => undefined);
    const spawnError =
      result.exitCode === undefined && result.signal === undefined
        ? result.shortMessage
        : undefined;
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      spawnError,
      stderrTail: tail,
    };
  })();
  return {
    pid: child.pid,
    terminate() {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone: nothing to stop.
      }
    },
    done,
  };
}
