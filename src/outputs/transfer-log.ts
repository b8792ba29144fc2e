// The transfer log: every event appended as JSON Lines to the log file (mode 0600).
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LocalIoError } from '../errors.js';
import type { Output, SyncEvent } from '../events.js';
import { formatRecord } from './record.js';

/**
 * Written with one write(2) per record, not a buffered stream: a record is in the file before the next
 * step runs, so the log of a SIGKILLed run is complete up to the kill, and memory stays flat however many
 * messages move (a stream's buffer grew by the whole log while the link loop kept the event loop busy).
 */
export class TransferLog implements Output {
  readonly #fd: number;
  readonly #runId: string;
  #failure: Error | undefined;

  constructor(file: string, runId: string) {
    this.#runId = runId;
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      this.#fd = openSync(file, 'a', 0o600);
    } catch (error) {
      throw new LocalIoError(
        `cannot open the transfer log ${file}: ${(error as Error).message}`,
        'set "log" in the config to a writable place',
        'log-failed',
      );
    }
  }

  write(event: SyncEvent): void {
    if (this.#failure !== undefined) return;
    try {
      writeSync(this.#fd, formatRecord(event, this.#runId, new Date()));
    } catch (error) {
      // A full disk must not stop a sync that is moving mail: report it at the end of the run.
      this.#failure = error as Error;
    }
  }

  close(): Error | undefined {
    closeSync(this.#fd);
    return this.#failure;
  }
}
