// Fault injection through the Maildir layer's one filesystem module (src/maildir/fs.ts), no root and no
// strace needed: the Nth call of one operation fails with an errno, or "crashes": it throws a Crash, which
// ends the mailbox's sequence right there, the way a SIGKILL at that instant would (nothing after it
// touches the disk; only the lock is let go, as the kernel would).
import type { MaildirFs } from '../../src/maildir/fs.js';

export type FsOp = keyof MaildirFs;

/** The operations that change the disk, where a crash or an error matters. */
export const WRITING_OPS: readonly FsOp[] = [
  'rename',
  'link',
  'copyFile',
  'unlink',
  'remove',
  'mkdir',
  'syncfs',
  'openAppend',
  'write',
  'fsync',
  'replace',
  'placeholder',
  'reserve',
  'utimes',
];

export class Crash extends Error {
  constructor(op: FsOp, nth: number) {
    super(`simulated crash at ${op} #${nth}`);
  }
}

export interface Fault {
  readonly op: FsOp;
  readonly nth: number;
  /** 'crash', or an errno code such as 'ENOSPC' for the call to fail with. */
  readonly effect: 'crash' | string;
}

export interface FaultyFs {
  readonly fs: MaildirFs;
  /** Whether the fault was reached. */
  readonly hit: () => boolean;
}

export function faultyFs(base: MaildirFs, fault: Fault): FaultyFs {
  let calls = 0;
  let hit = false;
  const trip = (): void => {
    calls += 1;
    if (calls !== fault.nth) return;
    hit = true;
    if (fault.effect === 'crash') throw new Crash(fault.op, fault.nth);
    const error = new Error(
      `${fault.effect}: injected at ${fault.op} #${fault.nth}`,
    ) as NodeJS.ErrnoException;
    error.code = fault.effect;
    throw error;
  };
  const fs = { ...base };
  const original = base[fault.op] as (...args: unknown[]) => unknown;
  (fs as Record<FsOp, unknown>)[fault.op] = (...args: unknown[]) => {
    if (fault.op === 'syncfs') {
      // Async: a failing flush resolves to its error text, as the real one does.
      try {
        trip();
      } catch (error) {
        if (error instanceof Crash) return Promise.reject(error);
        return Promise.resolve((error as Error).message);
      }
    } else trip();
    return original.apply(base, args);
  };
  return { fs, hit: () => hit };
}
