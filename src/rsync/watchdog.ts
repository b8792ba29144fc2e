import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

// Notices a pass that makes no progress. rsync's --timeout cannot: its own keep-alive messages, and ssh
// answering ServerAlive for a server process that is frozen (SIGSTOP, a hung disk), reset it, so a stuck
// pass would hold the mailbox until --stop-after (measured, docs/rsync-behaviour.md). Progress is any
// output line, or a change in what the pass writes locally (the probe: e.g. the fetch's temp files
// growing), since the fetch prints nothing per file.
export class Watchdog {
  readonly #stallMs: number;
  readonly #now: () => number;
  readonly #probe: () => string;
  #last: number;
  #seen: string;

  constructor(stallMs: number, now: () => number, probe: () => string = () => '') {
    this.#stallMs = stallMs;
    this.#now = now;
    this.#probe = probe;
    this.#last = now();
    this.#seen = probe();
  }

  /** Output arrived. */
  touch(): void {
    this.#last = this.#now();
  }

  /** True when neither output nor the probe has changed for the whole stall time. */
  stalled(): boolean {
    const seen = this.#probe();
    if (seen !== this.#seen) {
      this.#seen = seen;
      this.#last = this.#now();
    }
    return this.#now() - this.#last >= this.#stallMs;
  }
}

/**
 * A probe over local directories: the names and sizes in `growing` (rsync's temp and partial dirs, a
 * file or two that grow while a message arrives) and the number of entries in `counted` (the stage, which
 * gains one entry per message). A missing directory reads as empty.
 */
export function directoryProbe(
  growing: readonly string[],
  counted: readonly string[],
): () => string {
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const size = (file: string): number => {
    try {
      return statSync(file).size;
    } catch {
      return -1;
    }
  };
  return () => {
    const parts: string[] = [];
    for (const dir of growing)
      for (const name of list(dir)) parts.push(`${name}:${size(path.join(dir, name))}`);
    for (const dir of counted) parts.push(`#${list(dir).length}`);
    return parts.join('/');
  };
}
