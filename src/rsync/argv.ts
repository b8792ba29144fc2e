// Builds every rsync command line syncmail runs. Pure: the same config always gives the same argv, and
// `syncmail --print` shows exactly these. Each flag says why it is there; the essay's flags that are
// gone say where their purpose went.
//
// The essay ran one command: rsync --ignore-existing --links --safe-links --one-file-system
// --partial-dir=tmp --recursive --remove-source-files --times SERVER:new/ new. Under faults that leaves
// copies on the server for ever (--ignore-existing), dot-temp files and a tmp/ directory inside new/
// (the relative partial dir), and removes server copies before the local directory entry is on disk.
// syncmail splits it into a fetch pass (into a private stage inside the local tmp/), a local delivery
// (journal, rename into new/, one flush), and a remove pass over exactly the delivered names.
import type { Config, Mailbox, Remote } from '../config/types.js';
import { type MailboxPaths, PARTIAL_DIR, TEMP_DIR } from '../maildir/layout.js';
import { rshOption } from './rsh.js';

type RunConfig = Pick<Config, 'connectTimeout' | 'ioTimeout' | 'maxMinutes'>;

/**
 * The server-side rsync expands wildcards in the paths it is given (rsync 3.2.4+ protects them from the
 * remote shell, not from rsync's own glob), so "box[a]" would also match a sibling "boxa" and move its
 * mail. A backslash makes each of these characters literal for that glob.
 */
export function escapeRemoteGlob(path: string): string {
  // Not the backslash itself: rsync 3.5 finds a directory named a\b as written, and misses it once the
  // backslash is doubled (verified against the real server rsync).
  return path.replace(/[*?[]/g, (c) => `\\${c}`);
}

/**
 * A server path as the server's rsync must get it. A leading ~ is written as the home-relative path it
 * means ("~/Maildir" as "Maildir": the server's rsync starts in the home directory), so it means the same
 * whether a shell sees the path or not (--secluded-args); config validation refuses ~user.
 */
function serverPath(path: string): string {
  if (path === '~') return '.';
  return path.startsWith('~/') ? path.slice(2) || '.' : path;
}

/** `host:path`, `user@host:path` or a local path, with a trailing slash: "the contents of". */
export function remoteSpec(remote: Remote, subdir = ''): string {
  const where = remote.kind === 'ssh' ? serverPath(remote.path) : remote.path;
  const base = where.endsWith('/') ? where : `${where}/`;
  const path = `${base}${subdir}${subdir === '' || subdir.endsWith('/') ? '' : '/'}`;
  if (remote.kind === 'local') return path;
  return `${remote.user === undefined ? '' : `${remote.user}@`}${remote.host}:${escapeRemoteGlob(path)}`;
}

/** `shared`: the ssh options of the run's shared connection to this server, if any (--print has none). */
type Shared = readonly string[];

function transportArgs(mailbox: Mailbox, config: RunConfig, shared: Shared): string[] {
  const args: string[] = [];
  if (mailbox.remote.kind === 'ssh') args.push(`--rsh=${rshOption(mailbox, config, shared)}`);
  // rsync 3.2.4+ quotes the paths it puts on the remote shell's command line, but 3.2.7 passes a
  // backquote through, and the server's shell then runs what the path holds between backquotes
  // (measured, docs/rsync-behaviour.md). Such a path travels inside rsync's protocol instead; not every
  // path, because rrsync, the usual forced command on the server, refuses --secluded-args.
  if (mailbox.remote.kind === 'ssh' && mailbox.remote.path.includes('`'))
    args.push('--secluded-args');
  args.push(
    // Gives up when the connection is silent this long (it misses a stall mid-transfer, hence ssh's
    // ServerAlive options in --rsh and --stop-after below).
    `--timeout=${config.ioTimeout}`,
    // A wall-clock bound: a hung server process cannot hold the mailbox for ever. rsync stops cleanly,
    // keeps the partial file, and the next run resumes it.
    `--stop-after=${config.maxMinutes}`,
  );
  return args;
}

/**
 * The remove pass's temp dir: a directory where nobody, root included, can create a file. The remove pass
 * must never write a message: a server file that changed since the fetch would be received and its server
 * copy unlinked before syncmail's flush, so a power cut could lose it. Here rsync cannot even start such a
 * transfer (`mkstemp "/proc/sys/NAME.XXXXXX" failed`); the changed file stays on the server and the next
 * fetch takes it.
 */
export const REMOVE_TEMP_DIR = '/proc/sys';

function commonArgs(tempDir: string): string[] {
  return [
    // Keeps the server's mtime: rsync's quick check (size and mtime) is how both passes recognise a
    // staged copy or a placeholder as the server's file.
    '--times',
    // Never cross into another filesystem on the server (the essay's flag, same purpose).
    '--one-file-system',
    `--temp-dir=${tempDir}`,
    // Mail is private: new files 0600, directories 0700, whatever the server's modes.
    '--chmod=Du=rwx,Dgo=,Fu=rw,Fgo=',
    // Line-buffered output, so the transfer log follows the run instead of arriving at the end.
    '--outbuf=L',
  ];
}

/**
 * The server's new/ and its files, and the bare cur/ and tmp/ directories (so the remote can be checked to
 * be a Maildir); nothing inside cur/, tmp/ or subdirectories of new/. The server's own
 * new/.syncmail-partial (a dot-entry, so never a message) is left alone: that name is our partial dir.
 */
const MAILDIR_FILTERS = [
  `--filter=- /new/${PARTIAL_DIR}/`,
  '--filter=+ /new/',
  '--filter=+ /new/*',
  '--filter=+ /cur/',
  '--filter=+ /tmp/',
  '--filter=- *',
];

/**
 * Fetch pass: copy the server's new/ into the stage. No --links: a symlink on the server is never
 * recreated locally (rsync reports it as a non-regular file and syncmail leaves it there, which covers
 * the essay's --safe-links purpose and more). No --ignore-existing: the stage is private, an up-to-date
 * stage file is simply not sent again, and "never overwrite a local message" is the delivery's job (it
 * checks the name in new/ and cur/ before each rename, under the local Maildir's lock).
 */
export function fetchArgv(
  mailbox: Mailbox,
  config: RunConfig,
  paths: MailboxPaths,
  shared: Shared = [],
): string[] {
  return [
    ...transportArgs(mailbox, config, shared),
    '--recursive',
    // Files being received live in the stage's TEMP_DIR, never in new/ (the essay's relative partial dir
    // put a tmp/ and .NAME.XXXXXX dot-files inside new/). Relative to the stage, which is what rsync
    // resolves a relative temp dir against; no "..": rsync 3.5 refuses ".." in these paths.
    ...commonArgs(TEMP_DIR),
    // An interrupted file is kept here and resumed by the next run (the essay's --partial-dir purpose):
    // stage/new/.syncmail-partial, inside the private stage, so no reader ever sees it. Relative on
    // purpose: an absolute partial dir makes the resumed file fail verification on Debian's 3.2.7 and
    // upstream 3.4.0-3.4.3 (measured; fixed upstream in 3.4.4), and the file would never arrive.
    `--partial-dir=${PARTIAL_DIR}`,
    ...MAILDIR_FILTERS,
    // A message already delivered whose server copy waits to be removed (a placeholder with its size and
    // mtime in pending/new) is not sent again, even after the reader deleted it.
    `--compare-dest=${paths.pending}`,
    // NONREG1: name each symlink, FIFO, socket or device left behind. STATS2: end-of-run counts, as plain
    // numbers. No NAME1 or SKIP: those lines begin with a server-chosen file name and could be forged.
    '--info=NONREG1,STATS2',
    '--no-human-readable',
    ...mailbox.rsyncArgs,
    '--',
    remoteSpec(mailbox.remote),
    `${paths.stage}/`,
  ];
}

/**
 * Remove pass: the destination, pending/new, holds a placeholder (the size and mtime of the server's copy,
 * no data) for exactly the messages that are durably in the local Maildir. --existing means rsync creates
 * nothing there and so takes nothing else (mail that arrived since the fetch is not touched); the
 * placeholders are up to date by rsync's quick check, so it sends nothing and only unlinks the server
 * copies, after re-checking size and mtime. A server file that changed since the fetch cannot be received
 * (REMOVE_TEMP_DIR): it stays on the server for the next fetch.
 * --dirs, not --recursive and not --files-from: the server's new/ is listed without descending, and a
 * name list makes rsync 3.5's client slow down quadratically (60 s for 100,000 names, measured).
 */
export function removeArgv(
  mailbox: Mailbox,
  config: RunConfig,
  paths: MailboxPaths,
  shared: Shared = [],
): string[] {
  return [
    ...transportArgs(mailbox, config, shared),
    '--dirs',
    '--existing',
    '--remove-source-files',
    ...commonArgs(REMOVE_TEMP_DIR),
    // REMOVE1: `sender removed NAME`, the only proof that a server copy is gone. The fetch pass already
    // reported the non-regular files.
    '--info=REMOVE1,NONREG0',
    ...mailbox.rsyncArgs,
    '--',
    remoteSpec(mailbox.remote, 'new'),
    `${paths.pendingNew}/`,
  ];
}

/** Dry run: list what the server holds without copying anything. */
export function listArgv(mailbox: Mailbox, config: RunConfig, shared: Shared = []): string[] {
  return [
    ...transportArgs(mailbox, config, shared),
    '--list-only',
    '--recursive',
    '--one-file-system',
    ...MAILDIR_FILTERS,
    ...mailbox.rsyncArgs.filter((arg) => !arg.startsWith('--bwlimit')),
    '--',
    remoteSpec(mailbox.remote),
  ];
}

/**
 * `syncmail check`: list the server folder's cur/ new/ tmp/ and the entries directly in tmp/ (their
 * mtimes tell mail a delivery left behind), never what is in new/ or cur/: one short listing, read-only.
 */
export function checkArgv(mailbox: Mailbox, config: RunConfig): string[] {
  return [
    ...transportArgs(mailbox, config, []),
    '--list-only',
    '--recursive',
    '--one-file-system',
    '--filter=+ /cur/',
    '--filter=+ /new/',
    '--filter=+ /tmp/',
    '--filter=+ /tmp/*',
    '--filter=- *',
    ...mailbox.rsyncArgs.filter((arg) => !arg.startsWith('--bwlimit')),
    '--',
    remoteSpec(mailbox.remote),
  ];
}

/**
 * The environment rsync runs in. LC_ALL=C makes rsync escape every byte >= 0x80 in names, so its output
 * is plain ASCII that decodes back to the exact bytes. The RSYNC_* variables would silently change
 * argument splitting (RSYNC_OLD_ARGS lets the server's shell split paths), where partial files go, or
 * which remote shell runs: syncmail decides those itself.
 */
export function rsyncEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key.startsWith('RSYNC_') || key.startsWith('LC_') || key === 'LANG' || key === 'LANGUAGE')
      continue;
    clean[key] = value;
  }
  clean['LC_ALL'] = 'C';
  return clean;
}
