// On a terminal, one line per running mailbox, redrawn in place below what the run has printed: what it
// is doing (fetching, delivering, removing, waiting to retry), the messages so far and the seconds it has
// taken, so a long sync before mutt shows it is moving. Nothing of it stays on the screen: the block is
// erased before any other line is written (and drawn again under it) and at the end of the run. Only on
// a terminal and not --quiet (cron, pipes and --json never see an escape code).
//
// LiveState is pure (events in, lines out); LiveBlock writes the escape codes and owns the timers.
import type { SyncEvent } from '../events.js';
import { displayName } from '../text/display-name.js';

type Phase = 'fetching' | 'delivering' | 'removing' | 'retrying' | 'waiting';

interface Running {
  phase: Phase;
  readonly since: number;
  delivered: number;
  /** Bytes of the messages delivered so far. */
  bytes: number;
  removed: number;
  /** The pass a retry waits to run again. */
  retrying?: string;
}

/** "3 KB", "1.4 MB", "12 MB": enough to see it move. */
function megabytes(bytes: number): string {
  if (bytes < 1e6) return `${Math.ceil(bytes / 1e3)} KB`;
  const mb = bytes / 1e6;
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** Pure: which mailboxes run and what each does, from the run's events. */
export class LiveState {
  readonly #running = new Map<string, Running>();

  /** Takes one event; true when what the block shows changed. */
  apply(e: SyncEvent, now: number): boolean {
    if (e.event === 'mailbox-start') {
      this.#running.set(e.mailbox, {
        phase: 'fetching',
        since: now,
        delivered: 0,
        bytes: 0,
        removed: 0,
      });
      return true;
    }
    if (!('mailbox' in e)) return false;
    const r = this.#running.get(e.mailbox);
    if (r === undefined) return false;
    switch (e.event) {
      case 'mailbox-end':
      case 'busy':
        this.#running.delete(e.mailbox);
        return true;
      case 'stats':
        r.phase = 'delivering';
        return true;
      case 'delivered':
        r.phase = 'delivering';
        r.delivered += 1;
        r.bytes += e.size ?? 0;
        return true;
      case 'waiting':
        r.phase = 'waiting';
        return true;
      case 'removed':
        r.phase = 'removing';
        r.removed += 1;
        return true;
      case 'retry':
        r.phase = 'retrying';
        r.retrying = e.pass;
        return true;
      default:
        if (r.phase === 'retrying') r.phase = r.retrying === 'remove' ? 'removing' : 'fetching';
        if (r.phase === 'waiting') r.phase = 'fetching';
        return false;
    }
  }

  get size(): number {
    return this.#running.size;
  }

  /** One line per running mailbox, in the order they started, each cut to `columns`. */
  lines(now: number, columns: number): string[] {
    return [...this.#running].map(([name, r]) => {
      const seconds = Math.floor((now - r.since) / 1000);
      const what =
        r.phase === 'fetching'
          ? 'fetching'
          : r.phase === 'delivering'
            ? `delivering, ${r.delivered} new${r.bytes > 0 ? `, ${megabytes(r.bytes)}` : ''}`
            : r.phase === 'removing'
              ? `removing from the server, ${r.removed} of ${r.delivered}`
              : r.phase === 'waiting'
                ? 'waiting for another syncmail'
                : `waiting to retry the ${r.retrying ?? 'pass'}`;
      const line = `  ${displayName(Buffer.from(name))}: ${what} (${seconds} s)`;
      return line.length < columns ? line : `${line.slice(0, Math.max(0, columns - 2))}…`;
    });
  }
}

/** How often the block is redrawn at most, and at least (its seconds count). */
const REDRAW_MS = 100;
const TICK_MS = 1000;

export interface LiveBlockOptions {
  readonly write: (text: string) => void;
  readonly columns: number;
  readonly now?: () => number;
}

/** The block on the screen: erased before other output, redrawn after it (throttled) and every second. */
export class LiveBlock {
  readonly #o: LiveBlockOptions;
  readonly #now: () => number;
  readonly #state = new LiveState();
  /** Lines of the block now on the screen. */
  #shown = 0;
  #pending: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;

  constructor(options: LiveBlockOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  event(e: SyncEvent): void {
    if (e.event === 'run-end') {
      this.stop();
      return;
    }
    if (!this.#state.apply(e, this.#now())) return;
    this.#schedule();
    if (this.#tick === undefined && this.#state.size > 0) {
      this.#tick = setInterval(() => this.#draw(), TICK_MS);
      this.#tick.unref();
    }
  }

  /** Erases the block (before other output); it comes back with the next redraw. */
  clear(): void {
    if (this.#shown === 0) return;
    this.#o.write(this.#erase());
    this.#schedule();
  }

  /** The end of the run: the block goes for good. */
  stop(): void {
    clearTimeout(this.#pending);
    clearInterval(this.#tick);
    this.#pending = undefined;
    this.#tick = undefined;
    if (this.#shown > 0) this.#o.write(this.#erase());
  }

  /** Up to the block's first line, then erase to the end of the screen; nothing when none is shown. */
  #erase(): string {
    const text = this.#shown === 0 ? '' : `\x1b[${this.#shown}F\x1b[J`;
    this.#shown = 0;
    return text;
  }

  #schedule(): void {
    if (this.#pending !== undefined) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.#draw();
    }, REDRAW_MS);
    this.#pending.unref();
  }

  #draw(): void {
    const lines = this.#state.lines(this.#now(), this.#o.columns);
    this.#o.write(this.#erase() + lines.map((l) => `${l}\n`).join(''));
    this.#shown = lines.length;
    if (lines.length === 0) {
      clearInterval(this.#tick);
      this.#tick = undefined;
    }
  }
}
