// Maildir helpers for tests, over real temp dirs.
//
// File names are handled as raw bytes (Buffer) wherever they are read back, so names that are not valid
// UTF-8 survive. Where a name must be a string (Map keys, messages), nameKey() gives a lossless, readable
// form: valid UTF-8 without a backslash is kept as is; anything else is spelled byte by byte, printable
// ASCII kept and every other byte (and '\' itself) written as \xNN.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onExit } from 'signal-exit';

// ---------------------------------------------------------------------------------------------------------
// Temp dirs

const tempDirs = new Set<string>();
let exitHookInstalled = false;

/**
 * A fresh directory under os.tmpdir() named `syncmail-<prefix>-XXXXXX`. Removed when the test process ends,
 * passed or failed (also on SIGINT or SIGTERM); with SYNCMAIL_KEEP_TMP=1 all are kept and listed on stderr.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(
    path.join(os.tmpdir(), `syncmail-${prefix.replace(/[^A-Za-z0-9._-]/g, '_')}-`),
  );
  tempDirs.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    onExit(() => {
      if (tempDirs.size === 0) return;
      if (process.env['SYNCMAIL_KEEP_TMP'] === '1') {
        process.stderr.write(
          `test temp dirs kept for inspection (SYNCMAIL_KEEP_TMP=1):\n  ${[...tempDirs].join('\n  ')}\n`,
        );
        return;
      }
      shielded(() => removeTempDirs([...tempDirs]));
    });
  }
  return dir;
}

/**
 * Runs an exit hook to its end even when more signals come: on the first one signal-exit removes its own
 * listeners, so a second (Ctrl-C reaches the test process from the terminal and again through
 * scripts/run-tests.mjs) would kill the process halfway through the cleanup. Listeners that do nothing
 * hold such signals off meanwhile, and are gone again before signal-exit re-raises the first one.
 */
export function shielded(hook: () => void): void {
  const ignore = (): void => undefined;
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, ignore);
  try {
    hook();
  } finally {
    for (const signal of signals) process.off(signal, ignore);
  }
}

/** Blocks for `ms` (an exit hook cannot wait for a timer). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Live processes whose command line passes `names`, and their descendants (an orphaned rsync's ssh names
 * no temp dir itself); never this process or its ancestors.
 */
function leftoverProcesses(names: (text: string) => boolean): number[] {
  const parent = new Map<number, number>();
  const matched: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // a zombie is dead already
      parent.set(pid, Number(fields[1]));
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').some(names)) matched.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  const spared = new Set<number>();
  for (
    let pid: number | undefined = process.pid;
    pid !== undefined && pid > 0;
    pid = parent.get(pid)
  )
    spared.add(pid);
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parent) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found = new Set<number>();
  for (const queue = [...matched]; queue.length > 0; ) {
    const pid = queue.pop() as number;
    if (found.has(pid) || spared.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...found];
}

/**
 * Removes the dirs for good, even after a test that failed halfway: first every process still working in
 * them (a syncmail a failed test left running, an rsync orphaned in its own session: anything whose command
 * line names one of the dirs, as the fault tests find their own) and its descendants, so none writes into
 * a dir being removed; then any mount inside them (a full-disk tmpfs); then the dirs.
 */
function removeTempDirs(dirs: readonly string[]): void {
  const names = (text: string) => dirs.some((d) => text === d || text.includes(`${d}/`));
  for (let round = 0; round < 5; round++) {
    const victims = leftoverProcesses(names);
    if (victims.length === 0) break;
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    pause(20);
  }
  let mounts: string[] = [];
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((mountPoint) => mountPoint !== '' && names(mountPoint));
  } catch {
    // no /proc/self/mounts: nothing mounted that we could find
  }
  for (const mountPoint of mounts.reverse()) spawnSync('umount', ['-l', mountPoint]);
  for (const d of dirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch (err) {
      process.stderr.write(`test temp dir ${d} could not be removed: ${(err as Error).message}\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Names

/** Lossless string form of a raw file name (see the top of this file). */
export function nameKey(name: Buffer): string {
  const text = name.toString('utf8');
  if (!text.includes('\\') && Buffer.from(text, 'utf8').equals(name)) return text;
  let out = '';
  for (const byte of name) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function toBuffer(name: string | Buffer): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

/** The Maildir unique name: everything before the first ':' (the rest is info such as "2,S"), as nameKey(). */
export function uniqueOf(name: Buffer | string): string {
  const bytes = toBuffer(name);
  const colon = bytes.indexOf(0x3a);
  return nameKey(colon === -1 ? bytes : bytes.subarray(0, colon));
}

export function sha1(content: Buffer | string): string {
  return createHash('sha1').update(content).digest('hex');
}

/** dir (a string) joined with raw name bytes, as a Buffer path node:fs accepts. */
function joinRaw(dir: string | Buffer, name: Buffer): Buffer {
  const base = toBuffer(dir);
  const sep = base[base.length - 1] === 0x2f ? Buffer.alloc(0) : Buffer.from('/');
  return Buffer.concat([base, sep, name]);
}

// ---------------------------------------------------------------------------------------------------------
// Maildirs and delivery

/** Creates path/{cur,new,tmp} (and path itself); returns path. */
export async function makeMaildir(maildir: string): Promise<string> {
  for (const sub of ['cur', 'new', 'tmp'])
    await mkdir(path.join(maildir, sub), { recursive: true });
  return maildir;
}

export interface DeliverOptions {
  /** Sets the message file's mtime (and atime) before it appears in new/. */
  mtime?: Date;
}

/**
 * Delivers one message the way an MDA does: write tmp/NAME, then link it into new/NAME and unlink the tmp
 * copy, so new/ never shows a partial file. Fails (EEXIST) rather than overwrite a message already in new/.
 */
export async function deliver(
  maildir: string,
  name: string | Buffer,
  content: Buffer | string,
  opts: DeliverOptions = {},
): Promise<void> {
  const bytes = toBuffer(name);
  const tmpPath = joinRaw(path.join(maildir, 'tmp'), bytes);
  const newPath = joinRaw(path.join(maildir, 'new'), bytes);
  await writeFile(tmpPath, content, { flag: 'wx' });
  if (opts.mtime) await utimes(tmpPath, opts.mtime, opts.mtime);
  await link(tmpPath, newPath);
  await unlink(tmpPath);
}

export interface Message {
  /** Maildir-style unique name, `${time}.M${micro}P${pid}Q${seq}.${host}` (no ':' info part). */
  name: string;
  content: Buffer;
  sha1: string;
}

/** deliver()s each message; an mtime option applies to all. */
export async function deliverAll(
  maildir: string,
  messages: Iterable<Message>,
  opts: DeliverOptions = {},
): Promise<void> {
  for (const m of messages) await deliver(maildir, m.name, m.content, opts);
}

export interface RandomMessagesOptions {
  /** Smallest content size in bytes (default 200). */
  minSize?: number;
  /** Largest content size in bytes (default 4096). */
  maxSize?: number;
  /** Same seed → same names and contents. Default 1. */
  seed?: number;
  /** Host part of the names (default 'mx.test'). */
  host?: string;
}

/** A small seeded PRNG (xorshift32 over a mixed seed); returns floats in [0, 1). */
function prng(seed: number): () => number {
  let state = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 0x6d2b79f5;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

const BODY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ ';

/**
 * n messages with distinct Maildir-style names and deterministic, mail-like content whose size is
 * uniformly drawn from [minSize, maxSize] (a header, then filler lines, cut or padded to that size).
 * Names and contents depend only on the options: the same seed gives the same messages, so use different
 * seeds for messages that must coexist.
 */
export function randomMessages(n: number, opts: RandomMessagesOptions = {}): Message[] {
  const { minSize = 200, maxSize = 4096, seed = 1, host = 'mx.test' } = opts;
  if (!(minSize >= 0 && maxSize >= minSize))
    throw new RangeError(`randomMessages: bad sizes ${minSize}..${maxSize}`);
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pid = int(1000, 99999);
  let time = 1_700_000_000 + int(0, 10_000_000);
  const messages: Message[] = [];
  for (let seq = 1; seq <= n; seq++) {
    time += int(0, 3);
    const micro = int(0, 999_999);
    const name = `${time}.M${micro}P${pid}Q${seq}.${host}`;
    const size = int(minSize, maxSize);
    const header =
      `Return-Path: <sender${seq}@example.org>\n` +
      `Message-ID: <${time}.${micro}.${seq}@${host}>\n` +
      `Date: ${new Date(time * 1000).toUTCString()}\n` +
      `From: Sender ${seq} <sender${seq}@example.org>\n` +
      `To: user@${host}\n` +
      `Subject: test message ${seq} (seed ${seed})\n\n`;
    const chunks = [header];
    let length = header.length;
    while (length < size) {
      let line = '';
      for (let i = 0; i < 72; i++) line += BODY_ALPHABET[Math.floor(rand() * BODY_ALPHABET.length)];
      line += '\n';
      chunks.push(line);
      length += line.length;
    }
    const content = Buffer.from(chunks.join(''), 'latin1').subarray(0, size);
    messages.push({ name, content, sha1: sha1(content) });
  }
  return messages;
}

/** Map from unique name to sha1 of content, the `expected` argument of assertExactlyOnce(). */
export function expectedOf(
  messages: Iterable<{ name: string | Buffer; content: Buffer | string }>,
): Map<string, string> {
  const expected = new Map<string, string>();
  for (const m of messages) {
    const unique = uniqueOf(m.name);
    if (expected.has(unique)) throw new Error(`expectedOf: unique name ${unique} appears twice`);
    expected.set(unique, sha1(m.content));
  }
  return expected;
}

// ---------------------------------------------------------------------------------------------------------
// Snapshots

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface Entry {
  type: EntryType;
  /** sha1 of a file's content, of a symlink's target; null for dirs and others. */
  sha1: string | null;
  size: number;
  mtimeMs: number;
  /** Raw path relative to the maildir, e.g. <new/NAME>. */
  rawPath: Buffer;
}

/**
 * Everything under a maildir (not following symlinks), keyed by relative path with nameKey() components:
 * 'cur', 'new', 'tmp' themselves (type 'dir'), 'new/NAME', 'cur/NAME:2,S', 'tmp/syncmail/...', and any
 * other entry at any depth.
 */
export async function snapshot(maildir: string): Promise<Map<string, Entry>> {
  const result = new Map<string, Entry>();
  const walk = async (dir: Buffer, keyPrefix: string, rawPrefix: Buffer | null): Promise<void> => {
    const names = await readdir(dir, { encoding: 'buffer' });
    names.sort(Buffer.compare);
    for (const name of names) {
      const full = joinRaw(dir, name);
      const key = keyPrefix + nameKey(name);
      const rawPath = rawPrefix ? joinRaw(rawPrefix, name) : name;
      const st = await lstat(full);
      let type: EntryType = 'other';
      let digest: string | null = null;
      if (st.isFile()) {
        type = 'file';
        digest = sha1(await readFile(full));
      } else if (st.isSymbolicLink()) {
        type = 'symlink';
        digest = sha1(await readlink(full, { encoding: 'buffer' }));
      } else if (st.isDirectory()) {
        type = 'dir';
      }
      result.set(key, { type, sha1: digest, size: st.size, mtimeMs: st.mtimeMs, rawPath });
      if (type === 'dir') await walk(full, `${key}/`, rawPath);
    }
  };
  await walk(Buffer.from(maildir), '', null);
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// The exactly-once check

const LIST_LIMIT = 20;

function listed(items: string[]): string {
  const shown = items
    .slice(0, LIST_LIMIT)
    .map((item) => `\n    ${item}`)
    .join('');
  return items.length > LIST_LIMIT
    ? `${shown}\n    … and ${items.length - LIST_LIMIT} more`
    : shown;
}

/**
 * Checks that every expected message (unique name → sha1 of content) is in localMaildir's new/ or cur/
 * exactly once with the right content, and that nothing else is there: any other entry in new/ or cur/,
 * dot-files included (a leftover temp file is junk even if readers skip it), fails the check. tmp/ is not
 * looked at. Throws an Error listing lost, duplicated, corrupted, extra and dot-file entries.
 */
export async function assertExactlyOnce(
  expected: ReadonlyMap<string, string>,
  localMaildir: string,
): Promise<void> {
  const found = new Map<string, { where: string; sha1: string; size: number }[]>();
  const extra: string[] = [];
  const hidden: string[] = [];
  const problems: string[] = [];
  let visible = 0;

  for (const sub of ['new', 'cur']) {
    const dir = path.join(localMaildir, sub);
    let names: Buffer[];
    try {
      names = await readdir(dir, { encoding: 'buffer' });
    } catch (err) {
      problems.push(`cannot read ${dir}: ${(err as Error).message}`);
      continue;
    }
    names.sort(Buffer.compare);
    for (const name of names) {
      const where = `${sub}/${nameKey(name)}`;
      if (name[0] === 0x2e) {
        hidden.push(where);
        continue;
      }
      visible++;
      const st = await lstat(joinRaw(dir, name));
      const unique = uniqueOf(name);
      if (!st.isFile() || !expected.has(unique)) {
        extra.push(
          st.isFile()
            ? where
            : `${where} (${st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'not a regular file'})`,
        );
        continue;
      }
      const list = found.get(unique) ?? [];
      list.push({ where, sha1: sha1(await readFile(joinRaw(dir, name))), size: st.size });
      found.set(unique, list);
    }
  }

  const lost: string[] = [];
  const duplicated: string[] = [];
  const corrupted: string[] = [];
  for (const [unique, want] of expected) {
    const copies = found.get(unique) ?? [];
    if (copies.length === 0) lost.push(unique);
    else if (copies.length > 1) {
      duplicated.push(
        `${unique} ×${copies.length}: ${copies.map((c) => `${c.where}${c.sha1 === want ? '' : ' (wrong content)'}`).join(', ')}`,
      );
    } else if (copies[0]!.sha1 !== want) {
      corrupted.push(
        `${copies[0]!.where}: ${copies[0]!.size} bytes, sha1 ${copies[0]!.sha1}, expected sha1 ${want}`,
      );
    }
  }

  // Dot-files in new/ or cur/ are half-written junk (rsync's .NAME.XXXXXX temp files): syncmail must never
  // leave one there, so they fail the check too.
  if (
    problems.length +
      lost.length +
      duplicated.length +
      corrupted.length +
      extra.length +
      hidden.length ===
    0
  )
    return;
  let message = `exactly-once check failed for ${localMaildir}: expected ${expected.size} messages, found ${visible} visible entries in new/ and cur/`;
  if (problems.length) message += `\n  ${problems.join('\n  ')}`;
  if (lost.length) message += `\n  lost (${lost.length}):${listed(lost)}`;
  if (duplicated.length) message += `\n  duplicated (${duplicated.length}):${listed(duplicated)}`;
  if (corrupted.length) message += `\n  corrupted (${corrupted.length}):${listed(corrupted)}`;
  if (extra.length) message += `\n  extra (${extra.length}):${listed(extra)}`;
  if (hidden.length) message += `\n  dot-files (${hidden.length}):${listed(hidden)}`;
  throw new Error(message);
}
