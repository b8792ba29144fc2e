// One event as one line of JSON (JSON Lines), as the transfer log and --json write it: the event's own
// fields, after `time`, `run` and `event`. File names are bytes on disk; every name field (file, as,
// local) is lossless: KEY holds the name, plus KEY_b64 when its bytes are not valid UTF-8 (name-fields.ts).
import type { SyncEvent } from '../events.js';
import { nameFields } from './name-fields.js';

export function formatRecord(event: SyncEvent, runId: string, now: Date): string {
  const out: Record<string, unknown> = { time: now.toISOString(), run: runId };
  for (const [key, value] of Object.entries(event)) {
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
