// --json: the transfer log's lines on stdout, for scripts.
import type { Output, SyncEvent } from '../events.js';
import { formatRecord } from './record.js';

export class JsonLines implements Output {
  constructor(
    readonly out: (text: string) => void,
    readonly runId: string,
  ) {}

  write(event: SyncEvent): void {
    this.out(formatRecord(event, this.runId, new Date()));
  }
}
