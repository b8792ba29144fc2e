// Makes everything written to the local Maildir's filesystem durable: file data and the directory entries
// that link() created in new/. One syncfs(2) (coreutils `sync -f`) instead of rsync --fsync on every
// file, which costs ~3x and still leaves the directory entry unsynced (rsync-facts §5).
import { execa } from 'execa';
import { LocalIoError } from '../errors.js';

export async function flushFilesystem(dir: string): Promise<void> {
  const result = await execa('sync', ['-f', dir], { reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    throw new LocalIoError(
      `could not flush ${dir} to disk: ${result.stderr || result.shortMessage}`,
      'nothing was removed from the server; check the disk and run syncmail again',
    );
  }
}
