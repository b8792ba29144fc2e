// The local Maildir a mailbox delivers into: there (or creatable), cur/ new/ tmp/ real directories on one
// filesystem, writable, with room; files a delivery left in tmp/ for over 36 hours; and what an
// interrupted sync left for the next one to finish (the stage, a partial file, the pending-removal
// journal). Reads only: nothing is created, not even the Maildir a sync would create.
import { accessSync, constants, statfsSync } from 'node:fs';
import path from 'node:path';
import type { Config, Mailbox } from '../config/types.js';
import { EXIT } from '../errors.js';
import type { MaildirFs } from '../maildir/fs.js';
import { mailboxPaths } from '../maildir/layout.js';
import { foldJournal } from '../maildir/pending.js';
import { displayName } from '../text/display-name.js';
import {
  count,
  type Finding,
  LINGER_SECONDS,
  lingering,
  ok,
  problem,
  someNames,
  warn,
} from './finding.js';

/** Below this much free space a warning: a few large messages would fill the disk. */
export const LOW_SPACE = 100 * 1024 * 1024;

export function bytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Pure: a warning when the disk is nearly full (the ok line says how much is free). */
export function spaceFindings(subject: string, free: number): Finding[] {
  if (free >= LOW_SPACE) return [];
  return [
    warn(
      subject,
      `only ${bytes(free)} free on its disk`,
      'free some space: a sync stops when the disk is full, and resumes once there is room',
    ),
  ];
}

/** What an interrupted sync left behind for one mailbox. */
export interface Leftovers {
  readonly staged: number; // fetched, not yet in new/
  readonly partial: number; // cut short, resumed next time
  readonly pendingRemoval: number; // in the local Maildir, server copy still there
  readonly interrupted: number; // a delivery began and its end is unknown (journal intent only)
  readonly renaming: boolean;
}

/** Pure: the leftovers finding, or none when a sync left nothing. */
export function leftoverFindings(subject: string, l: Leftovers): Finding[] {
  const parts = [
    l.staged > 0 ? `${count(l.staged, 'message')} fetched but not yet delivered` : '',
    l.partial > 0 ? `${count(l.partial, 'partly fetched message')}` : '',
    l.pendingRemoval > 0
      ? `${count(l.pendingRemoval, 'delivered message')} whose server copy is still to be removed`
      : '',
    l.interrupted > 0 || l.renaming
      ? `${count(Math.max(l.interrupted, 1), 'delivery', 'deliveries')} cut short`
      : '',
  ].filter((p) => p !== '');
  if (parts.length === 0) return [];
  return [
    warn(
      subject,
      `a sync was interrupted: ${parts.join(', ')}; the next sync finishes them`,
      'nothing to do: run syncmail (it delivers each at most once); keep the state directory',
    ),
  ];
}

function writable(dir: string): string | undefined {
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function nearestExisting(fs: MaildirFs, dir: string): string {
  let at = dir;
  while (fs.lstat(at) === undefined && path.dirname(at) !== at) at = path.dirname(at);
  return at;
}

/** The directory part: there, creatable, real directories on one filesystem, writable, room. */
function structure(fs: MaildirFs, local: string, subject: string): Finding[] {
  const info = fs.lstat(local);
  const root = info?.isSymbolicLink() ? fs.lstat(`${local}/.`) : info;
  if (info === undefined) {
    const parent = nearestExisting(fs, local);
    const denied = writable(parent);
    if (denied !== undefined || !fs.stat(parent).isDirectory())
      return [
        problem(
          subject,
          EXIT.ioerr,
          `${local} does not exist and cannot be created: ${denied ?? `${parent} is not a directory`}`,
          'create it, or fix the permissions of its parent',
        ),
      ];
    const room = freeBytes(parent);
    return [
      ok(subject, `${local} does not exist yet: the first sync creates it (${bytes(room)} free)`),
      ...spaceFindings(subject, room),
    ];
  }
  if (root === undefined || !root.isDirectory())
    return [
      problem(
        subject,
        EXIT.ioerr,
        `${local} is not a directory`,
        'move it away, or change "local"',
      ),
    ];
  const found: Finding[] = [];
  const devices = new Set<number>();
  const absent: string[] = [];
  for (const sub of ['cur', 'new', 'tmp']) {
    const dir = path.join(local, sub);
    const s = fs.lstat(dir);
    if (s === undefined) {
      absent.push(`${sub}/`);
      continue;
    }
    if (s.isSymbolicLink() || !s.isDirectory()) {
      found.push(
        problem(
          subject,
          EXIT.ioerr,
          `${dir} is ${s.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`,
          `make ${sub}/ a real directory of the Maildir`,
        ),
      );
      continue;
    }
    devices.add(s.dev);
    const denied = writable(dir);
    if (denied !== undefined && sub !== 'cur')
      found.push(
        problem(
          subject,
          EXIT.ioerr,
          `cannot write ${dir}: ${denied}`,
          'check the permissions and mount of the local Maildir',
        ),
      );
  }
  if (devices.size > 1)
    found.push(
      problem(
        subject,
        EXIT.ioerr,
        `cur/, new/ and tmp/ of ${local} are on different filesystems`,
        'put the whole Maildir on one filesystem (syncmail moves mail from tmp/ into new/ with rename(), which needs that)',
      ),
    );
  const denied = absent.length > 0 ? writable(local) : undefined;
  if (denied !== undefined)
    found.push(
      problem(
        subject,
        EXIT.ioerr,
        `${local} has no ${absent.join(' ')} and cannot get them: ${denied}`,
        'check the permissions and mount of the local Maildir',
      ),
    );
  if (found.length > 0) return found;
  const room = freeBytes(local);
  const state =
    absent.length > 0
      ? `${local}: ${absent.join(' ')} missing, the next sync creates them`
      : `${local} is a writable Maildir`;
  return [ok(subject, `${state} (${bytes(room)} free)`), ...spaceFindings(subject, room)];
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Files in the local tmp/ (syncmail's own work dir aside) older than 36 hours. */
function oldInTmp(fs: MaildirFs, tmp: string, subject: string, now: number): Finding[] {
  if (fs.lstat(tmp)?.isDirectory() !== true) return [];
  const files = fs
    .names(tmp)
    .filter((n) => n.toString('latin1') !== 'syncmail')
    .flatMap((name) => {
      const s = fs.lstat(Buffer.concat([Buffer.from(`${tmp}/`), name]));
      return s?.isFile() ? [{ name: displayName(name), mtime: s.mtimeMs / 1000 }] : [];
    });
  const old = lingering(files, now);
  if (old.length === 0) return [];
  return [
    warn(
      subject,
      `${count(old.length, 'file')} in ${tmp} older than ${LINGER_SECONDS / 3600} hours: ${someNames(old.map((f) => f.name))}`,
      'a delivery that never finished left them; they never become mail, and Maildir readers may delete them',
    ),
  ];
}

function namesIn(fs: MaildirFs, dir: string): Buffer[] {
  return fs.lstat(dir)?.isDirectory() === true ? fs.names(dir) : [];
}

function leftovers(fs: MaildirFs, mailbox: Mailbox, state: string): Leftovers {
  const paths = mailboxPaths(mailbox, state, fs.realpath(mailbox.local));
  const journal = foldJournal(fs.readText(paths.journal) ?? '');
  let interrupted = 0;
  for (const entry of journal.values()) if (!entry.visible) interrupted += 1;
  return {
    staged: namesIn(fs, paths.stageNew).filter((n) => n[0] !== 0x2e).length,
    partial: namesIn(fs, paths.partial).length,
    pendingRemoval: journal.size - interrupted,
    interrupted,
    renaming: fs.lstat(paths.renaming) !== undefined,
  };
}

/**
 * `seen`: the local Maildirs already looked at (mailboxes may share one); its directory checks are
 * made once, the leftovers (per server folder) for every mailbox.
 */
export function checkLocalMaildir(
  fs: MaildirFs,
  mailbox: Mailbox,
  config: Pick<Config, 'state'>,
  now: number,
  seen: Set<string>,
): Finding[] {
  const subject = `${mailbox.name}: local Maildir`;
  const first = !seen.has(mailbox.local);
  seen.add(mailbox.local);
  const dirs = first
    ? [
        ...structure(fs, mailbox.local, subject),
        ...oldInTmp(fs, path.join(mailbox.local, 'tmp'), subject, now),
      ]
    : [];
  return [...dirs, ...leftoverFindings(subject, leftovers(fs, mailbox, config.state))];
}
