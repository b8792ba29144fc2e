// Small real filesystems for tests that need one: an ext4 on a loop device (truncate + mkfs.ext4 + mount
// -o loop), where adding a name to a directory can need a new block and a full disk fails writes, links
// and renames the way a real disk does; and the checks that say, in words, why one cannot be made here.
//
// Every mount is unmounted and its image removed by unmount(), which a test calls in `finally`; a process
// that dies first still gets them unmounted and removed (an exit hook, also on fatal signals). A test that
// needs root or a loop device fails with what is missing: it never skips silently.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { onExit } from 'signal-exit';
import { makeTempDir, shielded } from './maildir.js';

export interface LoopFs {
  /** Where it is mounted. */
  readonly mnt: string;
  /** The image file behind the loop device. */
  readonly image: string;
  /** The filesystem's block size in bytes. */
  readonly blockSize: number;
  /** Unmounts (the loop device goes with it) and removes the image. Idempotent; never throws. */
  unmount(): Promise<void>;
}

const live = new Map<string, { mnt: string; image: string }>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  onExit(() => {
    shielded(() => {
      for (const { mnt, image } of live.values()) {
        try {
          execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
        } catch {
          // not mounted any more
        }
        if (image !== '') rmSync(image, { force: true });
      }
      live.clear();
    });
  });
}

/** Why this process cannot mount filesystems, or undefined when it can (root, and mount works). */
export function notRoot(): string | undefined {
  if (process.getuid?.() !== 0)
    return `these tests need root (mount, loop devices, useradd); running as uid ${process.getuid?.()}`;
  return undefined;
}

/** Throws, saying what is missing, unless this process is root. */
export function requireRoot(what: string): void {
  const why = notRoot();
  if (why !== undefined) throw new Error(`${what}: ${why}. CI runs the tests as root.`);
}

export interface Ext4Options {
  /** Size of the filesystem in KiB. */
  readonly sizeKb: number;
  /** 1024 (many small directory blocks to fill) or 4096. Default 1024. */
  readonly blockSize?: 1024 | 4096;
  /** Bytes per inode (mkfs -i); default mkfs's. */
  readonly bytesPerInode?: number;
  /** Inode size (mkfs -I); default mkfs's. 128 leaves more room for data on a tiny disk. */
  readonly inodeSize?: number;
}

/**
 * Makes a fresh ext4 of `sizeKb` KiB with no blocks reserved for root (the tests run as root, and root may
 * otherwise use the last 5%), mounts it at `mnt` (created if missing) and returns its handle. Throws with
 * mkfs's or mount's own words when that fails (no loop device, no permission).
 */
export async function mountExt4(mnt: string, o: Ext4Options): Promise<LoopFs> {
  requireRoot('a loop-device ext4');
  hook();
  const blockSize = o.blockSize ?? 1024;
  const images = await makeTempDir('loopfs');
  const image = path.join(images, 'disk.img');
  await execa('truncate', ['-s', `${o.sizeKb}K`, image]);
  const mkfs = await execa(
    'mkfs.ext4',
    [
      '-q',
      '-F',
      '-m',
      '0',
      '-b',
      String(blockSize),
      ...(o.bytesPerInode === undefined ? [] : ['-i', String(o.bytesPerInode)]),
      ...(o.inodeSize === undefined ? [] : ['-I', String(o.inodeSize)]),
      // No lazy init threads writing behind the test's back, no journal to size around.
      '-E',
      'lazy_itable_init=0,lazy_journal_init=0',
      '-O',
      '^has_journal',
      image,
    ],
    { reject: false },
  );
  if (mkfs.exitCode !== 0) {
    await rm(images, { recursive: true, force: true });
    throw new Error(`mkfs.ext4 failed: ${mkfs.stderr || mkfs.shortMessage}`);
  }
  await mkdir(mnt, { recursive: true });
  const mount = await execa('mount', ['-o', 'loop', image, mnt], { reject: false });
  if (mount.exitCode !== 0) {
    await rm(images, { recursive: true, force: true });
    throw new Error(
      `cannot mount a loop-device ext4 at ${mnt}: ${String(mount.stderr || mount.shortMessage).trim()}. These tests need root and a free loop device (/dev/loop-control); CI has both.`,
    );
  }
  // The mount point's own mode comes from the new filesystem's root: private, like a home directory.
  await execa('chmod', ['0700', mnt]);
  const key = `${mnt}\0${image}`;
  live.set(key, { mnt, image });
  let done: Promise<void> | undefined;
  return {
    mnt,
    image,
    blockSize,
    unmount() {
      done ??= (async () => {
        // A process of a failed test may still be working there: lazy unmount detaches it anyway, and the
        // loop device is freed when the last user goes.
        const plain = await execa('umount', [mnt], { reject: false });
        if (plain.exitCode !== 0) await execa('umount', ['-l', mnt], { reject: false });
        live.delete(key);
        await rm(images, { recursive: true, force: true });
      })();
      return done;
    },
  };
}

/** Free blocks an unprivileged write could still use, and the block size (statfs, via stat -f). */
export async function freeBlocks(dir: string): Promise<{ free: number; blockSize: number }> {
  const r = await execa('stat', ['-f', '-c', '%a %S', dir]);
  const [free, size] = r.stdout.trim().split(/\s+/).map(Number);
  return { free: free ?? 0, blockSize: size ?? 0 };
}

/**
 * How many names prefill(0), prefill(1), … a fresh directory on the filesystem holding `parent` must get so
 * that exactly `fit` of `incoming` still fit in its first block: the next name then needs a new directory
 * block. Measured on that filesystem (scratch directories under `parent`, removed again), since the block's
 * layout (checksum tail, record rounding) is the filesystem's business.
 */
export async function prefillLeaving(
  parent: string,
  prefill: (i: number) => string,
  incoming: readonly string[],
  fit: number,
): Promise<number> {
  if (incoming.length <= fit) throw new Error('prefillLeaving: give more incoming names than fit');
  const file = path.join(parent, '.calibrate');
  await writeFile(file, '');
  try {
    for (let p = 0; p < 10_000; p++) {
      const dir = path.join(parent, `.calibrate-${p}`);
      await mkdir(dir);
      try {
        const block = (await stat(dir)).size;
        for (let i = 0; i < p; i++) await link(file, path.join(dir, prefill(i)));
        if ((await stat(dir)).size > block) break;
        let fits = 0;
        for (const name of incoming) {
          await link(file, path.join(dir, name));
          if ((await stat(dir)).size > block) break;
          fits += 1;
        }
        if (fits === fit) return p;
        if (fits < fit) break;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await rm(file, { force: true });
  }
  throw new Error(`prefillLeaving: no prefill leaves room for exactly ${fit} names`);
}

/** Makes `dir` span many directory blocks, all empty again: what a big folder the reader emptied looks like. */
export async function growDirectory(dir: string, blocks: number, blockSize: number): Promise<void> {
  const file = path.join(dir, '.grow');
  await writeFile(file, '');
  // 200-byte names: four entries fill a 1 KiB block.
  const perBlock = Math.max(1, Math.floor(blockSize / 212));
  const made: string[] = [];
  for (let i = 0; i < blocks * perBlock + 1; i++) {
    const name = path.join(dir, `.grow-${String(i).padStart(6, '0')}-${'g'.repeat(186)}`);
    await link(file, name);
    made.push(name);
  }
  for (const name of made) await rm(name);
  await rm(file);
}

/** A bind mount of `from` at `to` (created if missing); returns the unmount. Needs root. */
export async function bindMount(from: string, to: string): Promise<() => Promise<void>> {
  requireRoot('a bind mount');
  hook();
  await mkdir(to, { recursive: true });
  const r = await execa('mount', ['--bind', from, to], { reject: false });
  if (r.exitCode !== 0)
    throw new Error(
      `cannot bind-mount ${from} at ${to}: ${String(r.stderr || r.shortMessage).trim()}`,
    );
  const key = `${to}\0`;
  live.set(key, { mnt: to, image: '' });
  return async () => {
    const plain = await execa('umount', [to], { reject: false });
    if (plain.exitCode !== 0) await execa('umount', ['-l', to], { reject: false });
    live.delete(key);
  };
}
