// What a person sees on the terminal: one summary line per mailbox, problems on stderr with what to do,
// every message with --verbose. Quiet means nothing at all unless something went wrong, because cron
// mails whatever is printed. With --json only the problems are shown here (on stderr); stdout is the
// JSON Lines.
import { Chalk, type ChalkInstance } from 'chalk';
import { type ErrorReason, EXIT } from '../errors.js';
import type { NotAMessage, Output, SyncEvent } from '../events.js';
import { displayName } from '../text/display-name.js';
import { failureSummary } from './failure-words.js';
import type { LiveBlock } from './live-lines.js';

export interface TerminalOptions {
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly dryRun: boolean;
  /** Only problems, on stderr (--json). */
  readonly problemsOnly: boolean;
  readonly colorLevel: 0 | 1 | 2 | 3;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** On a terminal: the running mailboxes' live lines (live-lines.ts), erased before each line here. */
  readonly live?: LiveBlock | undefined;
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

const NOT_A_MESSAGE: Record<NotAMessage, string> = {
  directory: 'a directory',
  'dot-file': 'a dot-file',
  special: 'not a regular file',
};

/** A hook that did not end well, in one line; undefined when it exited 0. */
export function hookTrouble(e: Extract<SyncEvent, { event: 'hook' }>): string | undefined {
  const who = `hook ${e.hook}${e.scope === 'run' ? '' : ` (${e.scope})`}`;
  const said = e.output.trim().split('\n')[0]?.trim() ?? '';
  const first = said === '' ? '' : `: ${said}`;
  if (e.timedOut) return `${who} was killed after ${Math.round(e.ms / 1000)} s${first}`;
  if (e.failed !== undefined) return `${who} failed: ${e.failed}`;
  if (e.code !== 0) return `${who} exited with ${e.code}${first}`;
  return undefined;
}

const LOOK_ON_SERVER = 'look at it on the server and remove or move it by hand';

export class Terminal implements Output {
  readonly #o: TerminalOptions;
  readonly #c: ChalkInstance;

  constructor(options: TerminalOptions) {
    this.#o = options;
    this.#c = new Chalk({ level: options.colorLevel });
  }

  #problem(text: string, hint?: string): void {
    this.#err(`${this.#c.red('syncmail:')} ${text}\n`);
    if (hint !== undefined && hint !== '') this.#err(`  ${this.#c.dim(hint)}\n`);
  }

  #line(text: string): void {
    if (this.#o.problemsOnly) return;
    this.#o.live?.clear();
    this.#o.out(`${text}\n`);
  }

  #err(text: string): void {
    this.#o.live?.clear();
    this.#o.err(text);
  }

  write(e: SyncEvent): void {
    this.#o.live?.event(e);
    const { quiet, verbose, dryRun } = this.#o;
    const show = verbose && !this.#o.problemsOnly;
    switch (e.event) {
      case 'delivered': {
        if (e.folder !== undefined && !dryRun) this.#countFolder(e.mailbox, e.folder);
        if (show) this.#line(`${e.mailbox}: ${this.#delivered(e)}`);
        break;
      }
      case 'unrouted':
        if (!quiet)
          this.#line(
            `${e.mailbox}: ${displayName(e.file)}: its header block is over 1 MiB, so no rule was asked; delivered to the mailbox's own Maildir`,
          );
        break;
      case 'exists':
        if (show)
          this.#line(`${e.mailbox}: ${dryRun ? 'already here' : '='} ${displayName(e.file)}`);
        break;
      case 'conflict':
        this.#problem(
          `${e.mailbox}: ${displayName(e.file)}: a different message with this unique name is already in the local Maildir; left on the server`,
          'compare the two, then set onConflict: rename to take the server copy under a new name, or delete it on the server',
        );
        break;
      case 'copy-conflict':
        this.#problem(
          `${e.mailbox}: ${displayName(e.file)}: delivered, but its copy was not made: a different message has that name already (${displayName(e.local)})`,
          'compare the two; the delivered message is in the folder its rule chose',
        );
        break;
      case 'nonregular':
        this.#problem(
          `${e.mailbox}: ${displayName(e.file)}: not a regular file (symlink, FIFO, socket or device) in the server's new/; left there`,
          LOOK_ON_SERVER,
        );
        break;
      case 'not-a-message': {
        const what = NOT_A_MESSAGE[e.reason];
        if (!dryRun) {
          this.#problem(
            `${e.mailbox}: ${displayName(e.file)}: ${what} in the server's new/; left there`,
            LOOK_ON_SERVER,
          );
        } else if (!quiet) this.#line(`${e.mailbox}: would leave ${displayName(e.file)}: ${what}`);
        break;
      }
      case 'changed':
        this.#problem(
          `${e.mailbox}: ${displayName(e.file)}: changed on the server during the sync; left there`,
          'syncmail takes it on a later run',
        );
        break;
      case 'vanished':
        if (show)
          this.#line(
            `${e.mailbox}: ${displayName(e.file)} vanished from the server before it was sent`,
          );
        break;
      case 'waiting':
        if (!quiet && !this.#o.problemsOnly) {
          const pids = e.holders.length === 0 ? '' : ` (pid ${e.holders.join(', ')})`;
          this.#err(
            `${e.mailbox}: waiting up to ${e.seconds} s for another syncmail${pids}, which is syncing it\n`,
          );
        }
        break;
      case 'busy':
        if (!quiet && !this.#o.problemsOnly) {
          this.#err(
            `${e.mailbox}: skipped, another syncmail is syncing it (use --wait SECONDS to wait)\n`,
          );
        }
        break;
      case 'error':
        if (!this.#failures.has(e.mailbox)) this.#failures.set(e.mailbox, e.reason);
        this.#problem(e.message, e.hint);
        break;
      case 'mailbox-start':
        this.#remotes.set(e.mailbox, e.remote);
        break;
      case 'run-start':
        this.#order.push(...e.mailboxes);
        break;
      case 'mailbox-end':
        this.#ended.set(e.mailbox, e.busy || quiet ? undefined : this.#summary(e));
        this.#flushSummaries(false);
        break;
      case 'run-end':
        this.#flushSummaries(true);
        break;
      case 'timed-out': {
        const n = e.skipped.length;
        const skipped = n > 0 ? `; ${n} ${n === 1 ? 'mailbox' : 'mailboxes'} not synced` : '';
        this.#err(
          `syncmail: stopped at --max-time ${e.seconds} s${skipped}; what was moving resumes on the next run\n`,
        );
        break;
      }
      case 'interrupted': {
        const n = e.skipped.length;
        const skipped = n > 0 ? `; ${n} ${n === 1 ? 'mailbox' : 'mailboxes'} not synced` : '';
        const transfer = e.forced
          ? 'the running transfer was stopped and resumes on the next run'
          : 'the transfer that was running finished';
        this.#err(`syncmail: interrupted by ${e.signal}${skipped}; ${transfer}\n`);
        break;
      }
      case 'hook': {
        // Its output goes to the log only, unless it failed: then its first line, to say why.
        const trouble = hookTrouble(e);
        if (trouble !== undefined) this.#problem(trouble);
        break;
      }
      case 'notified':
        if (show)
          this.#line(
            e.failed === undefined
              ? `notified of ${plural(e.messages, 'new message')}`
              : `no notification: ${e.failed}`,
          );
        break;
      default:
        break;
    }
  }

  /** The mailboxes in config order (run-start), and the summary of each that ended (none: say nothing). */
  readonly #order: string[] = [];
  readonly #ended = new Map<string, string | undefined>();

  /**
   * Prints the summaries in config order, whichever mailbox of a parallel run ends first: a line waits
   * for the mailboxes before it. At the end of the run (`all`) what is left goes out, skipping the
   * mailboxes a signal kept from running.
   */
  #flushSummaries(all: boolean): void {
    while (this.#order.length > 0) {
      const next = this.#order[0] as string;
      if (!this.#ended.has(next) && !all) return;
      this.#order.shift();
      const line = this.#ended.get(next);
      if (line !== undefined) this.#line(line);
    }
  }

  /** Per mailbox: its remote as written, and the reason of its first error, for its summary line. */
  readonly #remotes = new Map<string, string>();
  readonly #failures = new Map<string, ErrorReason>();

  /** Per mailbox, how many messages each folder got in this run (routing rules). */
  readonly #folders = new Map<string, Map<string, number>>();

  #countFolder(mailbox: string, folder: string): void {
    const counts = this.#folders.get(mailbox) ?? new Map<string, number>();
    counts.set(folder, (counts.get(folder) ?? 0) + 1);
    this.#folders.set(mailbox, counts);
  }

  /** "+ NAME → lists.lkml (rule lkml), copy in archive", or what a dry run can say. */
  #delivered(e: Extract<SyncEvent, { event: 'delivered' }>): string {
    const as = e.as === undefined ? '' : ` (as ${displayName(e.as)})`;
    const mark = this.#o.dryRun ? 'would move' : this.#c.green('+');
    let where = '';
    if (e.routedWhenFetched) where = ' (its folder is chosen by the rules once it is fetched)';
    else if (e.folder !== undefined) {
      const rule = e.rule === undefined ? '' : ` (rule ${e.rule})`;
      const copies = e.copies === undefined ? '' : `, copy in ${e.copies.join(', ')}`;
      where = ` → ${e.folder}${rule}${copies}`;
    }
    return `${mark} ${displayName(e.file)}${as}${where}`;
  }

  #summary(e: Extract<SyncEvent, { event: 'mailbox-end' }>): string {
    const n = e.delivered;
    const folders = [...(this.#folders.get(e.mailbox) ?? [])].map(([f, k]) => `${f} ${k}`);
    const parts = [
      this.#o.dryRun
        ? `${n} would move`
        : n > 0
          ? this.#c.bold(`${n} new`) +
            (folders.length > 1 || folders[0]?.startsWith('INBOX ') === false
              ? ` (${folders.join(', ')})`
              : '')
          : e.code === EXIT.ok
            ? 'no new mail'
            : // A failed mailbox may well have new mail: it just did not arrive.
              this.#c.red(
                failureSummary(this.#failures.get(e.mailbox), e.code, this.#remotes.get(e.mailbox)),
              ),
    ];
    if (n > 0 && e.code !== EXIT.ok) parts.push(this.#c.red('then failed (see above)'));
    if (e.leftOnServer > 0)
      parts.push(this.#c.yellow(`${plural(e.leftOnServer, 'item')} left on the server`));
    return `${e.mailbox}: ${parts.join(', ')}`;
  }
}
