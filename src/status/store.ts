// The status files on disk: one small JSON file per mailbox, STATE/status/NAME.json (record.ts's
// record). Written atomically (a temp file in the same directory, fsynced, renamed over the old one),
// so a reader or a crash sees the old status or the new one, never half of one. A file that cannot be
// read or parsed is no history (record.ts): bookkeeping never fails a sync.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { formatStatus, type MailboxStatus, parseStatus } from './record.js';

export function statusDir(state: string): string {
  return path.join(state, 'status');
}

/** Mailbox names are [A-Za-z0-9._-]+, so NAME.json is always one file in the directory. */
export function statusPath(state: string, mailbox: string): string {
  return path.join(statusDir(state), `${mailbox}.json`);
}

export function readStatus(state: string, mailbox: string): MailboxStatus | undefined {
  try {
    return parseStatus(readFileSync(statusPath(state, mailbox), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Throws the file system's error (the caller says what it means). */
export function writeStatus(state: string, mailbox: string, status: MailboxStatus): void {
  const file = statusPath(state, mailbox);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Dot-named, so a reader listing the directory never takes it for a mailbox's status.
  const temp = path.join(path.dirname(file), `.${mailbox}.json.${process.pid}.tmp`);
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, formatStatus(status));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** Each mailbox's status as it is now (a run's start). */
export function readStatuses(
  state: string,
  mailboxes: readonly string[],
): Map<string, MailboxStatus | undefined> {
  return new Map(mailboxes.map((name) => [name, readStatus(state, name)]));
}
