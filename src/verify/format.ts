// What `syncmail verify` prints: a few summary lines, then each discrepancy on a line of its own
// (mailbox, name, path), or one JSON object. Pure. Names and paths are any bytes: shown
// terminal-safe, and lossless in JSON (name-fields.ts).
import { nameFields } from '../outputs/name-fields.js';
import { displayName } from '../text/display-name.js';
import type { Discrepancy, Gone, Verdict } from './checks.js';

export interface Report {
  readonly verdict: Verdict;
  readonly exitCode: number;
  readonly log: string;
  readonly logFiles: number;
  /** Lines of the log that are not a record (a SIGKILLed run's partial last line). */
  readonly bad: number;
  /** Every mailbox was asked for (no MAILBOX arguments): name the log's others. */
  readonly all: boolean;
  readonly verbose: boolean;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const shown = (b: Buffer): string => displayName(b);

/** "MAILBOX: WHAT: NAME at PATH[, PATH]": one line a person can act on. */
function line(mailbox: string, what: string, name: Buffer, paths: readonly Buffer[]): string {
  return `${mailbox}: ${what}: ${shown(name)} at ${paths.map(shown).join(', ')}`;
}

function discrepancyLine(d: Discrepancy): string {
  switch (d.kind) {
    case 'delivered-twice':
      return line(d.mailbox, `delivered twice (${d.first} and ${d.again})`, d.name, [d.path]);
    case 'duplicate':
      return line(d.mailbox, `duplicate (${d.paths.length} different files)`, d.name, d.paths);
    case 'still-on-server':
      return line(d.mailbox, `removed (${d.removed}) but still on the server`, d.name, [d.path]);
  }
}

function goneLine(g: Gone): string {
  return line(g.mailbox, `no longer there (delivered ${g.time})`, g.name, [g.path]);
}

function serverLine(v: Verdict): string {
  const kinds = (k: Discrepancy['kind']) => v.discrepancies.filter((d) => d.kind === k).length;
  const dups = kinds('duplicate') + kinds('delivered-twice');
  const left = kinds('still-on-server');
  const listed = v.mailboxes.length - v.offline.length - v.unlisted.length;
  const server =
    listed === 0 && v.mailboxes.length > 0
      ? `servers not listed${v.offline.length > 0 ? ' (--offline)' : ''}`
      : `${count(left, 'removed message', 'removed messages')} still on the server` +
        (listed < v.mailboxes.length
          ? ` (the servers of ${listed} of ${v.mailboxes.length} mailboxes listed)`
          : '');
  return `${count(dups, 'duplicate')}; ${server}`;
}

export function formatText(r: Report): string {
  const v = r.verdict;
  const lines: string[] = [];
  const since = v.since === undefined ? '' : ` since ${v.since.slice(0, 10)}`;
  const where =
    r.logFiles === 0
      ? ` (there is no transfer log at ${r.log} yet)`
      : r.logFiles > 1
        ? ` (${r.log} and ${count(r.logFiles - 1, 'rotated log')})`
        : '';
  const boxes = count(v.mailboxes.length, 'mailbox', 'mailboxes');
  lines.push(`${count(v.delivered, 'message')} delivered${since} in ${boxes}${where}`);
  const moved = v.moved > 0 ? ` (${v.moved} moved or flagged by a reader)` : '';
  const gone = `${v.gone.length} no longer there (deleted or moved away by a reader)`;
  lines.push(`${v.inPlace + v.moved} in the Maildirs${moved}, ${gone}`);
  lines.push(serverLine(v));
  if (r.bad > 0) lines.push(`${count(r.bad, 'line')} of the log could not be read (skipped)`);
  if (r.all && v.unchecked.length > 0)
    lines.push(`not checked, not in the config: ${v.unchecked.join(', ')}`);
  for (const u of v.unlisted)
    lines.push(
      `${u.mailbox}: the server could not be listed: ${u.message}`,
      ...(u.hint === undefined ? [] : [`  ${u.hint}`]),
    );
  lines.push(...v.discrepancies.map(discrepancyLine));
  if (r.verbose) lines.push(...v.gone.map(goneLine));
  return `${lines.join('\n')}\n`;
}

/** A name field under its own key: {KEY, KEY_b64?}, as the transfer log writes it. */
function named(key: string, name: Buffer): Record<string, string> {
  const f = nameFields(name);
  return 'file_b64' in f ? { [key]: f.file, [`${key}_b64`]: f.file_b64 } : { [key]: f.file };
}

function discrepancyJson(d: Discrepancy): Record<string, unknown> {
  const base = { kind: d.kind, mailbox: d.mailbox, ...named('file', d.name) };
  switch (d.kind) {
    case 'delivered-twice':
      return { ...base, ...named('path', d.path), first: d.first, again: d.again };
    case 'duplicate':
      return { ...base, paths: d.paths.map((p) => named('path', p)) };
    case 'still-on-server':
      return { ...base, ...named('path', d.path), removed: d.removed };
  }
}

export function formatJson(r: Report): string {
  const v = r.verdict;
  return `${JSON.stringify({
    exitCode: r.exitCode,
    since: v.since ?? null,
    mailboxes: v.mailboxes,
    delivered: v.delivered,
    inMaildirs: v.inPlace + v.moved,
    movedByReader: v.moved,
    noLongerThere: v.gone.length,
    gone: v.gone.map((g) => ({
      mailbox: g.mailbox,
      ...named('file', g.name),
      ...named('path', g.path),
      time: g.time,
    })),
    discrepancies: v.discrepancies.map(discrepancyJson),
    serverNotListed: v.unlisted,
    offline: v.offline,
    unchecked: v.unchecked,
    logFiles: r.logFiles,
    unreadableLines: r.bad,
  })}\n`;
}
