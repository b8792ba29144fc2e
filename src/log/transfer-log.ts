// Appends log records as JSON Lines (one object per line) to the transfer log, and optionally to stdout
// for --json. File names are bytes on disk; nameFields() keeps them lossless in JSON.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LocalIoError } from '../errors.js';
import { nameFields } from './name-field.js';
import type { LogRecord } from './record.js';

export function formatRecord(record: LogRecord, runId: string, now: Date): string {
  const { event, mailbox, ...rest } = record;
  const out: Record<string, unknown> = { time: now.toISOString(), run: runId, event };
  if (mailbox !== undefined) out['mailbox'] = mailbox;
  // Every name field (file, and as, local, target) is lossless the same way: KEY, plus KEY_b64 when the
  // bytes are not valid UTF-8.
  for (const [key, value] of Object.entries(rest)) {
    if (!Buffer.isBuffer(value)) {
      out[key] = value;
      continue;
    }
    const fields = nameFields(value);
    out[key] = fields.file;
    if ('file_b64' in fields) out[`${key}_b64`] = fields.file_b64;
  }
  return `${JSON.stringify(out)}\n`;
}

/**
 * Written with one write(2) per record, not a buffered stream: a record is in the file before the next
 * step runs, so the log of a SIGKILLed run is complete up to the kill, and memory stays flat however many
 * messages move (a stream's buffer grew by the whole log while the link loop kept the event loop busy).
 */
export class TransferLog {
  readonly #fd: number | undefined;
  readonly #runId: string;
  readonly #echo: ((line: string) => void) | undefined;
  #failure: Error | undefined;

  constructor(file: string | undefined, runId: string, echo?: (line: string) => void) {
    this.#runId = runId;
    this.#echo = echo;
    if (file !== undefined) {
      try {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        this.#fd = openSync(file, 'a', 0o600);
      } catch (error) {
        throw new LocalIoError(
          `cannot open the transfer log ${file}: ${(error as Error).message}`,
          'set "log" in the config to a writable place',
        );
      }
    }
  }

  write(record: LogRecord): void {
    const line = formatRecord(record, this.#runId, new Date());
    if (this.#fd !== undefined && this.#failure === undefined) {
      try {
        writeSync(this.#fd, line);
      } catch (error) {
        // A full disk must not stop a sync that is moving mail: report it at the end of the run.
        this.#failure = error as Error;
      }
    }
    this.#echo?.(line);
  }

  /** Closes the file; returns a write failure that happened on the way. */
  close(): Error | undefined {
    if (this.#fd !== undefined) closeSync(this.#fd);
    return this.#failure;
  }
}
