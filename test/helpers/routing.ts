// What the routing end-to-end tests (test/e2e/routing.test.ts) share: a case's own temp dir, removed when
// the case ends whether it passed or not; a config (JSON, which the YAML loader reads too) with routing
// rules for mailboxes served by the test sshd; main() run in-process with its stdout and stderr apart;
// messages built from header lines; and a Maildir folder's new/ and cur/ as one listing of raw names and
// content hashes, so a case compares every folder's whole content with what it expects.
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { type MaildirFs, realFs } from '../../src/maildir/fs.js';
import { main } from '../../src/main.js';
import { type Message, makeTempDir, nameKey, sha1 } from './maildir.js';
import type { Sshd } from './sshd.js';

/**
 * Runs `fn` with a fresh temp dir, then removes it (and unmounts nothing: a case unmounts what it mounted
 * in its own `finally`), pass or fail. SYNCMAIL_KEEP_TMP=1 keeps it for inspection.
 */
export async function inTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTempDir(prefix);
  try {
    return await fn(dir);
  } finally {
    if (process.env['SYNCMAIL_KEEP_TMP'] !== '1') await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Configs

export interface RoutedMailbox {
  readonly name: string;
  /** The server Maildir (a path on this machine, reached through the test sshd). */
  readonly server: string;
  readonly local: string;
  readonly folders?: string;
  readonly rules?: readonly unknown[];
}

export interface RoutingConfig {
  readonly sshd: Sshd;
  /** The case's dir: the log (transfer.log) and state (state/) go there. */
  readonly dir: string;
  readonly mailboxes: readonly RoutedMailbox[];
  /** Top-level keys: rules, folders, folderStyle, trashFolder, …; they override the defaults here. */
  readonly top?: Readonly<Record<string, unknown>>;
  /** The file to write; default DIR/syncmail.json. */
  readonly file?: string;
}

/** Writes the config and returns its path. The mailboxes' rules are passed as written (bad ones too). */
export function writeRoutingConfig(o: RoutingConfig): string {
  const file = o.file ?? path.join(o.dir, 'syncmail.json');
  const config = {
    ssh: ['-F', o.sshd.sshConfig],
    log: logFile(o.dir),
    state: path.join(o.dir, 'state'),
    retries: 0,
    retryDelay: 0.2,
    ...o.top,
    mailboxes: o.mailboxes.map((m) => ({
      name: m.name,
      remote: `${o.sshd.hostAlias}:${m.server}`,
      local: m.local,
      ...(m.folders === undefined ? {} : { folders: m.folders }),
      ...(m.rules === undefined ? {} : { rules: m.rules }),
    })),
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export function logFile(dir: string): string {
  return path.join(dir, 'transfer.log');
}

/** The transfer log's records, oldest first; none when there is no log. */
export function logRecords(dir: string): Record<string, unknown>[] {
  const file = logFile(dir);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// ---------------------------------------------------------------------------------------------------------
// Runs

export interface SyncRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** main() in-process, with the real environment (no colour) and `fs` as the Maildir layer's filesystem. */
export async function syncmail(args: readonly string[], fs: MaildirFs = realFs): Promise<SyncRun> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: { ...process.env, NO_COLOR: '1' },
    cwd: process.cwd(),
    homedir: process.env['HOME'] ?? '/root',
    isTTY: false,
    fs,
  });
  return { code, out, err };
}

export function told(r: SyncRun): string {
  return `exit ${r.code}\n--- stdout ---\n${r.out}--- stderr ---\n${r.err}---`;
}

// ---------------------------------------------------------------------------------------------------------
// Messages and folders

/** A message of these header lines (joined with `eol`), a blank line and `body`; `body` undefined: no blank line at all. */
export function mail(
  name: string | Buffer,
  headers: readonly string[],
  body: string | undefined = 'Hello.\n',
  eol = '\n',
): Message & { raw: Buffer } {
  const text = `${headers.join(eol)}${eol}${body === undefined ? '' : `${eol}${body}`}`;
  const content = Buffer.from(text, 'utf8');
  const raw = typeof name === 'string' ? Buffer.from(name) : name;
  return { name: nameKey(raw), raw, content, sha1: sha1(content) };
}

/**
 * Every entry of a Maildir's new/ and cur/ as "new/NAME" or "cur/NAME" (nameKey form, sorted), each with
 * the sha1 of its content ("dir" for anything but a regular file). A missing new/ or cur/ shows as
 * "new: missing".
 */
export function folderListing(maildir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const sub of ['new', 'cur']) {
    const dir = path.join(maildir, sub);
    if (!existsSync(dir)) {
      out[`${sub}: missing`] = '';
      continue;
    }
    for (const name of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const file = Buffer.concat([Buffer.from(`${dir}/`), name]);
      const info = lstatSync(file);
      out[`${sub}/${nameKey(name)}`] = info.isFile() ? sha1(readFileSync(file)) : 'not a file';
    }
  }
  return out;
}

/** The listing folderListing() should give: entries [new/ or cur/, the file's name, its message]. */
export function expectListing(
  entries: readonly (readonly ['new' | 'cur', string | Buffer, Message])[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [sub, name, m] of entries)
    out[`${sub}/${nameKey(typeof name === 'string' ? Buffer.from(name) : name)}`] = m.sha1;
  return out;
}

/** The names in a directory (nameKey form, sorted); [] when it is missing. */
export function listDir(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { encoding: 'buffer' })
    .sort(Buffer.compare)
    .map((n) => nameKey(n));
}

/**
 * A small tmpfs at `dir` (created if missing): another filesystem than the temp dirs'. Returns the
 * unmount, which never throws; a case calls it in `finally` (makeTempDir's exit hook unmounts what a
 * killed process left). Needs root: it throws with mount's words when that fails.
 */
export async function mountTmpfs(dir: string, size = '1m'): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const r = await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], {
    reject: false,
  });
  if (r.exitCode !== 0)
    throw new Error(`cannot mount a tmpfs at ${dir} (needs root): ${String(r.stderr).trim()}`);
  return async () => {
    const plain = await execa('umount', [dir], { reject: false });
    if (plain.exitCode !== 0) await execa('umount', ['-l', dir], { reject: false });
  };
}
