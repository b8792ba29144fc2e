// Who holds a lock another run waits for: the processes with the locked file open, for a message that
// says whom --wait is waiting for. flock locks belong to open files, not processes (and /proc/locks names
// the flock(1) helper that took it, long gone), so this reads /proc/PID/fd of the node processes. Only
// for a message: any error means "unknown", and it never delays the wait itself.
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

/** The pids of node processes (syncmail runs under node) other than `self` with `file` open. */
export function lockHolders(file: string, self: number): number[] {
  let target: string;
  try {
    target = realpathSync(file);
  } catch {
    return [];
  }
  const holders: number[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  for (const pid of pids) {
    if (Number(pid) === self) continue;
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('node')) continue;
      const fds = readdirSync(`/proc/${pid}/fd`);
      if (fds.some((fd) => safeReadlink(`/proc/${pid}/fd/${fd}`) === target))
        holders.push(Number(pid));
    } catch {
      // Gone, or not ours to look at.
    }
  }
  return holders;
}

function safeReadlink(link: string): string | undefined {
  try {
    return readlinkSync(link);
  } catch {
    return undefined;
  }
}
