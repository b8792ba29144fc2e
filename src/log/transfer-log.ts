// Appends log records as JSON Lines (one object per line) to the transfer log, and optionally to stdout
// for --json. File names are bytes on disk; nameFields() keeps them lossless in JSON.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { LocalIoError } from '../errors.js';
import { nameFields } from './name-field.js';
import type { LogRecord } from './record.js';

export function formatRecord(record: LogRecord, runId: string, now: Date): string {
  const { event, mailbox, file, ...rest } = record;
  const out: Record<string, unknown> = { time: now.toISOString(), run: runId, event };
  if (mailbox !== undefined) out['mailbox'] = mailbox;
  if (file !== undefined) Object.assign(out, nameFields(file));
  for (const [key, value] of Object.entries(rest)) {
    out[key] = Buffer.isBuffer(value) ? nameFields(value).file : value;
  }
  return `${JSON.stringify(out)}\n`;
}

export class TransferLog {
  readonly #stream: WriteStream | undefined;
  readonly #runId: string;
  readonly #echo: ((line: string) => void) | undefined;
  #failure: Error | undefined;

  constructor(file: string | undefined, runId: string, echo?: (line: string) => void) {
    this.#runId = runId;
    this.#echo = echo;
    if (file !== undefined) {
      try {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      } catch (error) {
        throw new LocalIoError(`cannot create the log directory for ${file}: ${(error as Error).message}`, 'set "log" in the config to a writable place');
      }
      this.#stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
      this.#stream.on('error', (error) => {
        this.#failure = error;
      });
    }
  }

  write(record: LogRecord): void {
    const line = formatRecord(record, this.#runId, new Date());
    this.#stream?.write(line);
    this.#echo?.(line);
  }

  /** Flushes and closes; reports a write failure that happened on the way. */
  async close(): Promise<Error | undefined> {
    const stream = this.#stream;
    if (stream !== undefined) await new Promise<void>((resolve) => stream.end(resolve));
    return this.#failure;
  }
}
