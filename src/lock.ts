// One sync of a local Maildir, and of a server folder, at a time, with kernel locks (flock): freed the
// instant their holder dies, kept through a laptop suspend (nothing is judged stale by age), and
// inherited by rsync, so an rsync that outlives a killed syncmail still keeps them. Node has no flock(),
// so util-linux flock(1) takes the lock on the open file description we share with it, then exits; the
// lock stays with our fd. A local Maildir is locked on its own directory: no lock file that a cleaning of
// tmp/ could delete (and a second syncmail then lock anew), and one lock however the path is spelled.
import { closeSync, openSync } from 'node:fs';
import { execa } from 'execa';
import { checkFilesForSpawn } from './fd-limit.js';

export type LockResult =
  | { readonly kind: 'locked'; readonly fd: number; release(): void }
  | { readonly kind: 'busy' }
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'failed'; readonly message: string };

/** Locks a directory, or a lock file (created if missing). */
export async function lockPath(
  file: string,
  kind: 'directory' | 'file',
  waitSeconds: number,
  abort: AbortSignal,
): Promise<LockResult> {
  const fd = kind === 'directory' ? openSync(file, 'r') : openSync(file, 'a', 0o600);
  const mode = waitSeconds > 0 ? ['--timeout', String(waitSeconds)] : ['--nonblock'];
  checkFilesForSpawn('flock');
  const result = await execa('flock', ['--exclusive', ...mode, '--conflict-exit-code', '75', '3'], {
    // execa's types do not list a bare fd for extra stdio entries; Node's spawn accepts it (tested).
    stdio: ['ignore', 'pipe', 'pipe', fd] as unknown as ['ignore', 'pipe', 'pipe'],
    reject: false,
    cancelSignal: abort,
  });
  if (result.exitCode === 0) {
    let released = false;
    return {
      kind: 'locked',
      fd,
      release() {
        if (!released) closeSync(fd);
        released = true;
      },
    };
  }
  closeSync(fd);
  if (result.isCanceled) return { kind: 'interrupted' };
  if (result.exitCode === 75) return { kind: 'busy' };
  return {
    kind: 'failed',
    message: `flock failed on ${file}: ${result.stderr || result.shortMessage}`,
  };
}
