// Parses `rsync --list-only` lines (used by --dry-run): "-rw-r--r--          1,234 2026/11/28 20:00:00 new/NAME".
// Pure. The name is everything after the time, escaped like every other name rsync prints.
import { decodeRsyncEscapes } from './escape.js';

export interface ListEntry {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly size: number;
  readonly path: Buffer; // relative to the listed directory, e.g. "new/NAME"
}

const LINE =
  /^([-dlpscbD?])[-rwxsStTlL?]{9}[.+@]?\s+([\d,]+) \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (.+)$/;

export function parseListLine(line: string): ListEntry | undefined {
  const match = LINE.exec(line.replace(/\r$/, ''));
  if (match === null) return undefined;
  const [, kind, size, name] = match as unknown as [string, string, string, string];
  const type = kind === '-' ? 'file' : kind === 'd' ? 'dir' : kind === 'l' ? 'symlink' : 'other';
  return { type, size: Number(size.replaceAll(',', '')), path: decodeRsyncEscapes(name) };
}
