// Is the server folder a Maildir (cur/ new/ tmp/ there, as real directories), and does its tmp/ hold
// files older than Maildir's 36 hours: a delivery that never finished, which never becomes mail. One
// rsync listing over the same ssh as a sync (rsync/argv.ts checkArgv), so it also works under rrsync;
// a failed listing is told by the sync's own classifier (rsync/classify.ts).

import type { Config, Mailbox } from '../config/types.js';
import { EXIT } from '../errors.js';
import { MAILDIR_DIRS } from '../mailbox/mailbox-run.js';
import { checkArgv, rsyncEnv } from '../rsync/argv.js';
import { runListing } from '../rsync/listing.js';
import { parseListLine } from '../rsync/parse-list.js';
import { displayName } from '../text/display-name.js';
import {
  count,
  type Finding,
  fromError,
  LINGER_SECONDS,
  lingering,
  ok,
  problem,
  someNames,
  warn,
} from './finding.js';

export interface Listed {
  readonly path: string; // latin1 of the raw bytes, relative to the Maildir: "tmp/NAME"
  readonly shown: string; // terminal-safe
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  /** Seconds since the epoch: the listing runs with TZ=UTC, so rsync prints UTC. */
  readonly mtime: number;
}

// The time of a --list-only line (parse-list.ts reads the rest): "-rw------- 12 2026/01/02 03:04:05 NAME".
const TIME = /^\S{10,11}\s+[\d,]+ (\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) /;

/** Pure: one line of the listing, or undefined for anything else. */
export function parseListed(line: string): Listed | undefined {
  const entry = parseListLine(line);
  const t = TIME.exec(line);
  if (entry === undefined || t === null) return undefined;
  const [y, mo, d, h, mi, s] = t.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    path: entry.path.toString('latin1'),
    shown: displayName(entry.path),
    type: entry.type,
    mtime: Date.UTC(y, mo - 1, d, h, mi, s) / 1000,
  };
}

/** Pure: what a complete listing says about the server folder. */
export function listingFindings(
  subject: string,
  remoteText: string,
  entries: readonly Listed[],
  now: number,
): Finding[] {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const missing = MAILDIR_DIRS.filter((d) => byPath.get(d)?.type !== 'dir');
  if (missing.length > 0) {
    const why = missing.map((d) =>
      byPath.get(d)?.type === 'symlink' ? `${d}/ is a symbolic link, never followed` : `no ${d}/`,
    );
    return [
      problem(
        subject,
        EXIT.config,
        `${remoteText} is not a Maildir (${why.join('; ')})`,
        'check the mailbox\'s "remote" in the config; a sync removes nothing from it',
      ),
    ];
  }
  const findings = [ok(subject, `${remoteText} is a Maildir (cur/ new/ tmp/)`)];
  const inTmp = entries.filter((e) => e.path.startsWith('tmp/') && e.type === 'file');
  const old = lingering(inTmp, now);
  if (old.length > 0)
    findings.push(
      warn(
        subject,
        `${count(old.length, 'file')} in the server's tmp/ older than ${LINGER_SECONDS / 3600} hours (a delivery that never finished; they never become mail): ${someNames(old.map((e) => e.shown.slice(4)))}`,
        'look at them on the server; Maildir readers and delivery agents may delete them, and syncmail never takes anything from tmp/',
      ),
    );
  return findings;
}

export async function checkRemoteMaildir(
  mailbox: Mailbox,
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): Promise<Finding[]> {
  const subject = `${mailbox.name}: server Maildir`;
  // UTC, so the listed times read back exactly whatever this machine's zone.
  const listEnv = { ...rsyncEnv(env), TZ: 'UTC' };
  const timeout = (config.connectTimeout + config.ioTimeout) * 1000;
  const { lines, timedOut, outcome } = await runListing(
    mailbox,
    config,
    checkArgv(mailbox, config),
    listEnv,
    timeout,
  );
  if (timedOut)
    return [problem(subject, EXIT.tempfail, `listing ${mailbox.remoteText} took too long`)];
  const entries: Listed[] = [];
  for (const line of lines) {
    const entry = parseListed(line);
    if (entry !== undefined) entries.push(entry);
  }
  if (!outcome.ok) return [fromError(subject, outcome.error)];
  return listingFindings(subject, mailbox.remoteText, entries, now);
}
