// Every filesystem call the Maildir layer and the pending-removal journal make goes through one of these,
// so a test can make the Nth call fail with an errno, or end the run right there as a crash would
// (test/helpers/faulty-fs.ts), the way rimraf's src/fs.ts and mbsync's journal step limit do. The calls are synchronous on purpose: the
// Maildir steps run one message after another with nothing to overlap, and without the thread-pool round
// trip per call the delivery loop runs several times faster.
import {
  closeSync,
  constants,
  copyFileSync,
  type Dirent,
  fsyncSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { checkFilesForSpawn } from '../fd-limit.js';

export type FsPath = string | Buffer;

export interface MaildirFs {
  rename(from: FsPath, to: FsPath): void;
  /** A second name for a file (never over an existing one: EEXIST). */
  link(from: FsPath, to: FsPath): void;
  /** A new file `to` (never over an existing one) with `from`'s bytes, durable before it returns. */
  copyFile(from: FsPath, to: FsPath): void;
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
  /** The whole file as latin1 (one char per byte), or undefined when there is none. */
  readText(path: string): string | undefined;
  /** Opens a file for appending, creating it (mode 0600). */
  openAppend(path: string): number;
  /** Writes all of `text` (latin1) or throws. */
  write(fd: number, text: string): void;
  fsync(fd: number): void;
  /** Replaces a file's content atomically and durably: a new file, fsynced, renamed over, dir fsynced. */
  replace(path: string, text: string): void;
  /**
   * A file of `size` bytes and modification time `mtime` (seconds) that holds no data (sparse): all rsync's
   * quick check looks at, so it stands for a message without taking its space.
   */
  placeholder(path: FsPath, size: number, mtime: number): void;
  /**
   * A file holding `bytes` of real blocks, or as many as fit: room set aside on the local disk, given back
   * by removing the file.
   */
  reserve(path: string, bytes: number): void;
  /**
   * The real path of `path`, symlinks resolved; the part that does not exist yet is appended as written
   * (a Maildir created later under a symlinked parent keeps the name it will have).
   */
  realpath(path: string): string;
  /** Sets a file's (or directory's) access and modification time, in seconds. */
  utimes(path: FsPath, mtime: number): void;
  /**
   * Makes everything written to the filesystem holding `dir` durable, file data and directory entries:
   * one syncfs(2) (coreutils `sync -f`, Node has none) instead of rsync --fsync on every file, which
   * costs about 3x and still leaves the directory entry unsynced. Resolves to an error text on failure.
   */
  syncfs(dir: string): Promise<string | undefined>;
}

/** All of `text` (latin1): a short write (the disk filled part-way) is retried for the rest, which then fails with ENOSPC. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
}

export const realFs: MaildirFs = {
  rename: (from, to) => renameSync(from, to),
  link: (from, to) => linkSync(from, to),
  copyFile: (from, to) => {
    copyFileSync(from, to, constants.COPYFILE_EXCL);
    const fd = openSync(to, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
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
  readText: (file) => {
    try {
      return readFileSync(file, 'latin1');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
  openAppend: (file) => openSync(file, 'a', 0o600),
  write: writeAll,
  fsync: (fd) => fsyncSync(fd),
  replace: (file, text) => {
    const fresh = `${file}.new`;
    const fd = openSync(fresh, 'w', 0o600);
    try {
      writeAll(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(fresh, file);
    const dir = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  },
  reserve: (file, bytes) => {
    const chunk = Buffer.alloc(64 * 1024);
    const fd = openSync(file, 'w', 0o600);
    try {
      for (let done = 0; done < bytes; done += chunk.length) writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      closeSync(fd);
    }
  },
  placeholder: (file, size, mtime) => {
    // Never written through an existing name: in pending/new that may be a message's hard link.
    rmSync(file, { force: true });
    const fd = openSync(file, 'wx', 0o600);
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    utimesSync(file, mtime, mtime);
  },
  utimes: (file, mtime) => utimesSync(file, mtime, mtime),
  realpath: (file) => {
    let head = path.resolve(file);
    let tail = '';
    for (;;) {
      try {
        return path.join(realpathSync(head), tail);
      } catch {
        const parent = path.dirname(head);
        if (parent === head) return path.join(head, tail);
        tail = path.join(path.basename(head), tail);
        head = parent;
      }
    }
  },
  async syncfs(dir) {
    checkFilesForSpawn('sync');
    const result = await execa('sync', ['-f', dir], { reject: false, stdin: 'ignore' });
    return result.exitCode === 0 ? undefined : result.stderr || result.shortMessage;
  },
};
