// What a person sees on the terminal. Human text only: --json prints log records instead (main.ts).
// Quiet means nothing at all unless something went wrong, because cron mails whatever is printed.
import { Chalk, type ChalkInstance } from 'chalk';
import type { LogRecord } from '../log/record.js';
import { displayName } from './display-name.js';

export interface ReporterOptions {
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly dryRun: boolean;
  readonly colorLevel: 0 | 1 | 2 | 3;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** NO_COLOR (any non-empty value), --no-color and a non-terminal all mean plain text. */
export function colorLevel(
  color: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean,
): 0 | 1 | 2 | 3 {
  if (color === false) return 0;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return 0;
  if (color === true) return 1;
  if (!isTTY || env['TERM'] === 'dumb') return 0;
  return 1;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export class Reporter {
  readonly #o: ReporterOptions;
  readonly #c: ChalkInstance;

  constructor(options: ReporterOptions) {
    this.#o = options;
    this.#c = new Chalk({ level: options.colorLevel });
  }

  #name(record: LogRecord): string {
    return record.file === undefined ? '' : displayName(record.file);
  }

  #problem(text: string, hint?: unknown): void {
    this.#o.err(`${this.#c.red('syncmail:')} ${text}\n`);
    if (typeof hint === 'string' && hint !== '') this.#o.err(`  ${this.#c.dim(hint)}\n`);
  }

  handle(record: LogRecord): void {
    const { quiet, verbose, dryRun } = this.#o;
    const box = record.mailbox ?? '';
    switch (record.event) {
      case 'delivered':
        if (verbose)
          this.#o.out(
            `${box}: ${dryRun ? 'would move' : this.#c.green('+')} ${this.#name(record)}${record['as'] ? ` (as ${displayName(record['as'] as Buffer)})` : ''}\n`,
          );
        break;
      case 'exists':
        if (verbose)
          this.#o.out(`${box}: ${dryRun ? 'already here' : '='} ${this.#name(record)}\n`);
        break;
      case 'conflict':
        this.#problem(
          `${box}: ${this.#name(record)}: a different message with this unique name is already in the local Maildir; left on the server`,
          'compare the two, then set onConflict: rename to take the server copy under a new name, or delete it on the server',
        );
        break;
      case 'nonregular':
        this.#problem(
          `${box}: ${this.#name(record)}: not a regular file (symlink, FIFO, socket or device) in the server's new/; left there`,
          'look at it on the server and remove or move it by hand',
        );
        break;
      case 'not-a-message':
        if (!dryRun)
          this.#problem(
            `${box}: ${this.#name(record)}: ${String(record['message'] ?? 'not a message')}`,
            'look at it on the server and remove or move it by hand',
          );
        else if (!quiet)
          this.#o.out(
            `${box}: would leave ${this.#name(record)}: ${String(record['message'] ?? '')}\n`,
          );
        break;
      case 'changed':
        this.#problem(
          `${box}: ${this.#name(record)}: changed on the server during the sync; left there`,
          'syncmail takes it on a later run',
        );
        break;
      case 'vanished':
        if (verbose)
          this.#o.out(
            `${box}: ${this.#name(record)} vanished from the server before it was sent\n`,
          );
        break;
      case 'busy':
        if (!quiet)
          this.#o.err(
            `${box}: skipped, another syncmail is syncing it (use --wait SECONDS to wait)\n`,
          );
        break;
      case 'error':
        this.#problem(String(record['message']), record['hint']);
        break;
      case 'mailbox-end':
        if (record['busy'] !== true) this.#summary(record);
        break;
      default:
        break;
    }
  }

  #summary(record: LogRecord): void {
    if (this.#o.quiet) return;
    const n = Number(record['delivered'] ?? 0);
    const left = Number(record['leftOnServer'] ?? 0);
    const parts = [
      this.#o.dryRun ? `${n} would move` : n === 0 ? 'no new mail' : this.#c.bold(`${n} new`),
    ];
    if (left > 0) parts.push(this.#c.yellow(`${plural(left, 'item')} left on the server`));
    this.#o.out(`${record.mailbox}: ${parts.join(', ')}\n`);
  }
}
