// Durable before removed: once this returns, every message linked into new/ is on disk, data and
// directory entry. Only then may a server copy go.
import { LocalIoError } from '../errors.js';
import type { MaildirFs } from './fs.js';

export async function flush(fs: MaildirFs, dir: string): Promise<void> {
  const failure = await fs.syncfs(dir);
  if (failure === undefined) return;
  throw new LocalIoError(
    `could not flush ${dir} to disk: ${failure}`,
    'nothing was removed from the server; check the disk and run syncmail again',
    'flush-failed',
  );
}
