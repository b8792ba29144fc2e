// Transfer-log rotation, at the start of a sync run (never a dry run), before the log is opened:
// the live log is renamed to LOG.YYYYMMDDTHHMMSSZ once it is too large or its first record too old,
// and rotated logs past config.logKeep are deleted (the log names every message: it is not kept
// forever). The decision is pure (planRotation); rotateLog gathers the facts and applies them.
// Rotation never fails a sync: anything that goes wrong is one warning line, and the run goes on
// with the log as it is.
import {
  closeSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { lockPath } from '../lock.js';
import { parseRecords, rotatedNames } from './records.js';

export interface LogLimits {
  /** Rotate when the live log is larger than this (bytes). */
  readonly maxSize: number;
  /** Rotate when the live log's first record is older than this (seconds). */
  readonly maxAge: number;
  /**
   * Delete rotated logs last written longer ago than this (seconds); 0: all of them, at rotation.
   */
  readonly keep: number;
}

export interface LogFacts {
  /**
   * The live log, when it exists: its size and its first record's time (ms; undefined: none
   * readable).
   */
  readonly live: { readonly size: number; readonly firstTime: number | undefined } | undefined;
  /** The rotated logs (file names in the log's directory) and when each was last written (ms). */
  readonly rotated: readonly { readonly name: string; readonly mtimeMs: number }[];
  /** Every name in the log's directory: a rotated log's new name is none of them. */
  readonly names: readonly string[];
}

export interface RotationPlan {
  /** The live log's new file name (same directory), or undefined: it stays. */
  readonly rename: string | undefined;
  /** Rotated logs to delete (file names). */
  readonly remove: readonly string[];
}

/** 2026-12-01T10:00:01.123Z → 20261201T100001Z */
export function rotationStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * LOG.STAMP, or LOG.STAMP.N when a log was already rotated in that second: never an existing name.
 */
export function rotatedName(base: string, now: Date, names: readonly string[]): string {
  const taken = new Set(names);
  const plain = `${base}.${rotationStamp(now)}`;
  let name = plain;
  for (let n = 1; taken.has(name); n++) name = `${plain}.${n}`;
  return name;
}

export function planRotation(
  base: string,
  facts: LogFacts,
  now: Date,
  limits: LogLimits,
): RotationPlan {
  const live = facts.live;
  const rotate =
    live !== undefined &&
    live.size > 0 &&
    (live.size > limits.maxSize ||
      (live.firstTime !== undefined && now.getTime() - live.firstTime > limits.maxAge * 1000));
  // keep 0 would delete every rotated log at every run, a rotation's own output included at the
  // next run: it means "only the live log", so rotated logs go when the next one is made.
  const remove =
    limits.keep === 0
      ? rotate
        ? facts.rotated.map((r) => r.name)
        : []
      : facts.rotated
          .filter((r) => now.getTime() - r.mtimeMs > limits.keep * 1000)
          .map((r) => r.name);
  return { rename: rotate ? rotatedName(base, now, facts.names) : undefined, remove };
}

function gone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The first readable record's time in the first 64 KiB (a damaged first line does not hide it). */
function firstTime(file: string): number | undefined {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    const n = readSync(fd, chunk, 0, chunk.length, 0);
    const text = chunk.subarray(0, n).toString('utf8');
    // The last line of the chunk may be cut: it is counted bad, not misread.
    for (const r of parseRecords(text).records) {
      const t = Date.parse(r.time);
      if (!Number.isNaN(t)) return t;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** What is on disk now. A file that disappears while it is looked at (another run) is left out. */
export function logFacts(log: string): LogFacts {
  const dir = path.dirname(log);
  const base = path.basename(log);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (gone(error)) return { live: undefined, rotated: [], names: [] };
    throw error;
  }
  let live: LogFacts['live'];
  if (names.includes(base)) {
    try {
      const size = statSync(log).size;
      live = { size, firstTime: size > 0 ? firstTime(log) : undefined };
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }
  const rotated: { name: string; mtimeMs: number }[] = [];
  for (const r of rotatedNames(base, names)) {
    try {
      rotated.push({ name: r.name, mtimeMs: statSync(path.join(dir, r.name)).mtimeMs });
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }
  return { live, rotated, names };
}

function apply(dir: string, base: string, plan: RotationPlan): void {
  if (plan.rename !== undefined) {
    try {
      renameSync(path.join(dir, base), path.join(dir, plan.rename));
    } catch (error) {
      // Another run rotated it first: that is the rotation done.
      if (!gone(error)) throw error;
    }
  }
  for (const name of plan.remove) {
    try {
      unlinkSync(path.join(dir, name));
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }
}

export interface RotateOptions {
  readonly now: Date;
  readonly limits: LogLimits;
  /** Where a rotation that went wrong is said (one line); the sync goes on. */
  readonly warn: (line: string) => void;
}

/**
 * Rotates the transfer log `log` if it is due. Two runs at once: the work is done under a lock
 * (LOG.lock, flock) taken only when something is due; a run that finds it held leaves the rotation
 * to
 * the holder, and the facts are read again under the lock, so no run renames a log another run just
 * started, and no rotated name is ever reused.
 */
export async function rotateLog(log: string, options: RotateOptions): Promise<void> {
  const dir = path.dirname(log);
  const base = path.basename(log);
  const due = (plan: RotationPlan) => plan.rename !== undefined || plan.remove.length > 0;
  try {
    if (!due(planRotation(base, logFacts(log), options.now, options.limits))) return;
    const lock = await lockPath(`${log}.lock`, 'file', 0, new AbortController().signal);
    if (lock.kind === 'busy') return;
    if (lock.kind !== 'locked') {
      throw new Error(lock.kind === 'failed' ? lock.message : 'interrupted');
    }
    try {
      apply(dir, base, planRotation(base, logFacts(log), options.now, options.limits));
    } finally {
      lock.release();
    }
  } catch (error) {
    options.warn(
      `syncmail: warning: could not rotate the transfer log ${log}: ${(error as Error).message}` +
        ' (the sync goes on; it is tried again next run)\n',
    );
  }
}

/** The sync run's one call: the config's log, limits and now; warnings to `err`. */
export function rotateBeforeRun(config: Config, err: (text: string) => void): Promise<void> {
  return rotateLog(config.log, {
    now: new Date(),
    limits: { maxSize: config.logMaxSize, maxAge: config.logMaxAge, keep: config.logKeep },
    warn: err,
  });
}
