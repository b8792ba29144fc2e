// The transfer log read back: its files (rotated ones oldest first, then the live log) and its
// records. Readers (`syncmail log`, `syncmail verify`) share this so they agree on what a record is
// and on which lines to skip: a SIGKILLed run may leave a partial last line, and that must not hide
// the rest.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LocalIoError } from '../errors.js';
import { nameFromFields } from '../outputs/name-fields.js';

export interface LogRecord {
  readonly time: string;
  readonly run: string;
  readonly event: string;
  readonly [key: string]: unknown;
}

/**
 * A rotated log's name: LOG.YYYYMMDDTHHMMSSZ, plus .N when that second's name was taken already.
 */
const ROTATED = /^\.(\d{8}T\d{6}Z)(?:\.(\d+))?$/;

export interface RotatedName {
  readonly name: string;
  readonly stamp: string;
  readonly n: number;
}

/** The rotated logs of `base` (a file name) among `names`, oldest first. Pure. */
export function rotatedNames(base: string, names: readonly string[]): RotatedName[] {
  const found: RotatedName[] = [];
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const m = ROTATED.exec(name.slice(base.length));
    if (m === null) continue;
    found.push({ name, stamp: m[1] as string, n: m[2] === undefined ? 0 : Number(m[2]) });
  }
  return found.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.n - b.n));
}

function notFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function cannotRead(file: string, error: unknown): LocalIoError {
  return new LocalIoError(
    `cannot read the transfer log ${file}: ${(error as Error).message}`,
    'check its permissions, or set "log" in the config to where the log is',
    'log-failed',
  );
}

/** The rotated logs (oldest first), then the live log: those that exist. */
export function logFiles(log: string): string[] {
  const dir = path.dirname(log);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (notFound(error)) return [];
    throw cannotRead(dir, error);
  }
  const base = path.basename(log);
  const files = rotatedNames(base, names).map((r) => path.join(dir, r.name));
  if (names.includes(base)) files.push(log);
  return files;
}

function isRecord(value: unknown): value is LogRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r['time'] === 'string' && typeof r['run'] === 'string' && typeof r['event'] === 'string'
  );
}

/**
 * The records of JSON Lines text; `bad` counts lines that are not a record (malformed, truncated).
 */
export function parseRecords(text: string): { records: LogRecord[]; bad: number } {
  const records: LogRecord[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      bad++;
      continue;
    }
    if (isRecord(value)) records.push(value);
    else bad++;
  }
  return { records, bad };
}

/**
 * Every record of the files, in file order. A file that is gone (a concurrent run rotated or
 * deleted it
 * since it was listed) is skipped; one that cannot be read is a LocalIoError.
 */
export function readRecords(files: readonly string[]): { records: LogRecord[]; bad: number } {
  const records: LogRecord[] = [];
  let bad = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (notFound(error)) continue;
      throw cannotRead(file, error);
    }
    const parsed = parseRecords(text);
    for (const r of parsed.records) records.push(r);
    bad += parsed.bad;
  }
  return { records, bad };
}

/** A name field (file, as, local, path) as the bytes on disk: KEY_b64 when present, else KEY. */
export function recordName(r: LogRecord, key: string): Buffer | undefined {
  const text = r[key];
  const b64 = r[`${key}_b64`];
  if (typeof text !== 'string') {
    return typeof b64 === 'string' ? Buffer.from(b64, 'base64') : undefined;
  }
  try {
    return nameFromFields(typeof b64 === 'string' ? { file: text, file_b64: b64 } : { file: text });
  } catch {
    // A hand-edited or damaged field: the best bytes there are rather than no name at all.
    return typeof b64 === 'string' ? Buffer.from(b64, 'base64') : Buffer.from(text, 'utf8');
  }
}
