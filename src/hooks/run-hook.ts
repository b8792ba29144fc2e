// Runs a hook (or notify-send): the one place that spawns a user's command. It gets the payload on
// stdin and its stdout and stderr are kept, up to OUTPUT_LIMIT, for the transfer log; nothing of it
// reaches the terminal here (cron would mail it). It never throws: a command that cannot start, fails,
// or outlasts its time is a result to report, because the mail it is about is delivered already.
//
// The command gets its own process group (detached), so a timeout can kill all of it: `sh -c 'a | b'`
// or a script's own children die with it, not only the shell. A Ctrl-C meant for syncmail does not
// reach it either (signals.ts holds those); only a forced stop (guard.track) kills it early.
import { execa } from 'execa';
import type { HookCommand } from '../config/types.js';
import { checkFilesForSpawn } from '../fd-limit.js';

/** Bytes of a command's output kept for the log. */
export const OUTPUT_LIMIT = 4096;
/** After SIGTERM at the timeout, how long the group has before SIGKILL. */
const KILL_GRACE_MS = 1000;
/** How long the output pipes may stay open after the command exited (a child it left in background). */
const PIPE_GRACE_MS = 200;

export interface CapturedRun {
  readonly program: string;
  readonly args: readonly string[];
  readonly input: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Registers a stop function (a forced stop of the run calls it); returns its un-register. */
  readonly track?: ((stop: () => void) => () => void) | undefined;
}

export interface CapturedResult {
  /** The exit code; null when it was killed or did not start. */
  readonly code: number | null;
  readonly timedOut: boolean;
  /** Why it has no exit code: it could not be started, or a signal killed it. */
  readonly failed?: string;
  /** stdout and stderr as they came, cut at OUTPUT_LIMIT bytes. */
  readonly output: string;
  readonly ms: number;
}

/** The first OUTPUT_LIMIT bytes of what came, and how many more there were. */
class Captured {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #dropped = 0;

  add(chunk: Buffer): void {
    const room = OUTPUT_LIMIT - this.#kept;
    if (room > 0) this.#chunks.push(chunk.subarray(0, room));
    this.#kept += Math.min(room, chunk.length);
    this.#dropped += Math.max(0, chunk.length - room);
  }

  text(): string {
    const text = Buffer.concat(this.#chunks).toString('utf8');
    return this.#dropped === 0 ? text : `${text}\n[… ${this.#dropped} more bytes]`;
  }
}

const START_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  ENOEXEC: 'not an executable',
};

/** Why spawn failed, in words: "not found" rather than "spawn x ENOENT". */
function startError(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined) return START_ERRORS[code] ?? code;
  return cause instanceof Error ? (cause.message.split('\n')[0] ?? '') : String(cause);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

function start(spec: CapturedRun) {
  return execa(spec.program, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    extendEnv: false,
    detached: true,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    // The timeout below stops it; execa's exit hook would not kill its group anyway.
    cleanup: false,
  });
}

export async function runCaptured(spec: CapturedRun): Promise<CapturedResult> {
  const started = Date.now();
  const output = new Captured();
  const result = (r: Omit<CapturedResult, 'output' | 'ms'>): CapturedResult => ({
    ...r,
    output: output.text(),
    ms: Date.now() - started,
  });
  let child: ReturnType<typeof start>;
  try {
    checkFilesForSpawn(spec.program);
    child = start(spec);
  } catch (error) {
    return result({
      code: null,
      timedOut: false,
      failed: `cannot start ${spec.program}: ${startError(error)}`,
    });
  }
  // A command that does not read its stdin closes it early: EPIPE then is no failure of the hook.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(spec.input);
  child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));

  let timedOut = false;
  let hardKill: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (child.pid === undefined || hardKill !== undefined) return;
    killGroup(child.pid, 'SIGTERM');
    const pid = child.pid;
    hardKill = setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, spec.timeoutMs);
  const untrack = spec.track?.(stop);

  // The end: execa's (its pipes closed too, or it never started), or the exit plus a short grace for
  // pipes that a child left running in the background still holds.
  let grace: NodeJS.Timeout | undefined;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({ code, signal });
      }, PIPE_GRACE_MS);
    });
  });
  const done = child.then((r) => ({
    code: r.exitCode ?? null,
    signal: r.signal ?? null,
    failed:
      r.exitCode === undefined && r.signal === undefined
        ? `cannot start ${spec.program}: ${startError(r.cause)}`
        : undefined,
  }));
  try {
    const end = await Promise.race([done, exited]);
    if (timedOut) {
      // What is left of the group (a child that ignored SIGTERM) goes now.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
      return result({ code: null, timedOut: true });
    }
    if ('failed' in end && end.failed !== undefined)
      return result({ code: null, timedOut: false, failed: end.failed });
    if (end.code === null)
      return result({
        code: null,
        timedOut: false,
        failed: `killed by ${end.signal ?? 'a signal'}`,
      });
    return result({ code: end.code, timedOut: false });
  } finally {
    clearTimeout(timer);
    clearTimeout(hardKill);
    clearTimeout(grace);
    untrack?.();
  }
}

/** The command line for the log: a shell command as written, a list joined by spaces. */
export function commandText(command: HookCommand): string {
  return command.kind === 'shell' ? command.command : command.argv.join(' ');
}

export interface HookSpec {
  readonly command: HookCommand;
  readonly input: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly track?: ((stop: () => void) => () => void) | undefined;
}

/** A shell command runs as /bin/sh -c COMMAND; a list is the program and its arguments. */
export function runHook(spec: HookSpec): Promise<CapturedResult> {
  const { command, ...rest } = spec;
  const [program, ...args] =
    command.kind === 'shell' ? ['/bin/sh', '-c', command.command] : command.argv;
  return runCaptured({ ...rest, program: program as string, args });
}
