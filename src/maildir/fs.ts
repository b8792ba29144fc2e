// Every filesystem call the Maildir layer makes goes through one of these, so a test can make the Nth
// call fail with an errno, or end the run right there as a crash would (test/helpers/faulty-fs.ts), the
// way rimraf's src/fs.ts and mbsync's journal step limit do. The calls are synchronous on purpose: the
// Maildir steps run one message after another with nothing to overlap, and without the thread-pool round
// trip per call the delivery loop runs several times faster.
import {
  closeSync,
  type Dirent,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { execa } from 'execa';

export type FsPath = string | Buffer;

export interface MaildirFs {
  link(existing: FsPath, created: FsPath): void;
  rename(from: FsPath, to: FsPath): void;
  unlink(path: FsPath): void;
  /** Removes a file or a whole tree; nothing there is fine. */
  remove(path: FsPath): void;
  mkdir(path: string, mode: number): void;
  /** Raw names: a name from a server may be any bytes. */
  names(dir: string): Buffer[];
  entries(dir: string): Dirent<Buffer>[];
  /** undefined when nothing is there. */
  lstat(path: FsPath): Stats | undefined;
  stat(path: FsPath): Stats;
  open(path: FsPath): number;
  read(fd: number, buffer: Buffer): number;
  close(fd: number): void;
  /**
   * Makes everything written to the filesystem holding `dir` durable, file data and directory entries:
   * one syncfs(2) (coreutils `sync -f`, Node has none) instead of rsync --fsync on every file, which
   * costs about 3x and still leaves the directory entry unsynced. Resolves to an error text on failure.
   */
  syncfs(dir: string): Promise<string | undefined>;
}

export const realFs: MaildirFs = {
  link: (existing, created) => linkSync(existing, created),
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
  remove: (path) => rmSync(path, { recursive: true, force: true }),
  mkdir: (path, mode) => {
    mkdirSync(path, { recursive: true, mode });
  },
  names: (dir) => readdirSync(dir, { encoding: 'buffer' }),
  entries: (dir) => readdirSync(dir, { encoding: 'buffer', withFileTypes: true }),
  lstat: (path) => lstatSync(path, { throwIfNoEntry: false }),
  stat: (path) => statSync(path),
  open: (path) => openSync(path, 'r'),
  read: (fd, buffer) => readSync(fd, buffer, 0, buffer.length, null),
  close: (fd) => closeSync(fd),
  async syncfs(dir) {
    const result = await execa('sync', ['-f', dir], { reject: false, stdin: 'ignore' });
    return result.exitCode === 0 ? undefined : result.stderr || result.shortMessage;
  },
};
