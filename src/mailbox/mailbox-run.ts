// What the steps of one mailbox's sequence share (steps.ts): where its files are, what the local Maildir
// holds, what the fetch found, the lock, and how to run an rsync pass and report what it said.
import type { Config, Mailbox } from '../config/types.js';
import {
  ConfigError,
  InternalError,
  isLocalErrno,
  localIoError,
  SyncmailError,
} from '../errors.js';
import type { PassLabel, Scoped, SyncEvent } from '../events.js';
import { outOfFiles } from '../fd-limit.js';
import type { LockResult } from '../lock.js';
import type { Delivering } from '../maildir/deliver.js';
import type { MaildirFs } from '../maildir/fs.js';
import { type MailboxPaths, mailboxPaths } from '../maildir/layout.js';
import { LocalIndex } from '../maildir/local-index.js';
import type { Journal } from '../maildir/pending.js';
import type { Entry } from '../maildir/plan.js';
import type { Outcome } from '../rsync/classify.js';
import type { RsyncEvent } from '../rsync/events.js';
import { runPass } from '../rsync/pass.js';
import type { PassConnection, SharedConnections } from '../rsync/shared-connection.js';
import { mailboxMaildirs } from '../rules/folders.js';
import type { SignalGuard } from '../signals.js';

/** What every mailbox of one run shares. */
export interface RunContext {
  readonly config: Config;
  readonly runId: string;
  /** Seconds to wait for a busy mailbox lock; 0 skips it at once. */
  readonly wait: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly guard: SignalGuard;
  readonly fs: MaildirFs;
  readonly emit: (event: SyncEvent) => void;
  readonly sleep: (ms: number) => Promise<void>;
  /** The run's shared ssh connections (shared-connection.ts). */
  readonly connections: SharedConnections;
}

export const MAILDIR_DIRS = ['cur', 'new', 'tmp'] as const;

/** Strips the "new/" that fetch-pass names carry (they are relative to the Maildir root). */
export function inNew(name: Buffer): Buffer {
  return name.subarray(0, 4).toString('latin1') === 'new/' ? name.subarray(4) : name;
}

function basename(path: Buffer): Buffer {
  const slash = path.lastIndexOf(0x2f);
  return slash === -1 ? path : path.subarray(slash + 1);
}

/** Any failure as one of syncmail's errors: the environment's own (a full disk) are never called a bug. */
export function asSyncmailError(error: unknown, mailbox: string): SyncmailError {
  if (error instanceof SyncmailError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (isLocalErrno(code)) return localIoError(code, mailbox, text);
  if (outOfFiles(error)) return localIoError('EMFILE', mailbox, text);
  const detail = error instanceof Error ? (error.stack ?? text) : text;
  return new InternalError(
    `${mailbox}: internal error: ${detail}`,
    'please report this; nothing was removed from the server that is not safely in the local Maildir',
  );
}

type Held = Extract<LockResult, { kind: 'locked' }>;

export class MailboxRun {
  readonly paths: MailboxPaths;
  /** The Maildirs this mailbox delivers to: its own `local` first, then every folder of its rules. */
  readonly maildirs: readonly string[];
  /** What those Maildirs hold; read by the settle step. */
  index: LocalIndex;
  /** The server folder's lock and the local Maildir's, in that order; every rsync inherits both. */
  readonly locks: Held[] = [];
  /** The pending removals of this local Maildir and server folder; opened by the lock step. */
  journal: Journal | undefined;
  /** The server's new/ as the dry run's listing saw it. */
  readonly listing: Entry[] = [];
  /** Which of cur/ new/ tmp/ the server showed (the fetch copies them bare into the stage). */
  readonly remoteDirs = new Set<string>();
  /** Which of them are symbolic links on the server (never followed). */
  readonly remoteSymlinks = new Set<string>();
  /** The fetch succeeded and the remote is a Maildir, or the fetch failed only on the local disk. */
  mayRemove = false;
  /** This mailbox's server connection, shared with the run's other passes to that server. */
  readonly connection: PassConnection | undefined;
  /** Names of non-regular files already reported in this run (a retried pass reports them again). */
  readonly #reported = new Set<string>();

  constructor(
    readonly mailbox: Mailbox,
    readonly ctx: RunContext,
  ) {
    this.paths = mailboxPaths(mailbox, ctx.config.state, ctx.fs.realpath(mailbox.local));
    this.maildirs = mailboxMaildirs(mailbox, ctx.config.folderStyle);
    this.index = new LocalIndex(this.maildirs);
    this.connection = ctx.connections.forMailbox(mailbox);
  }

  get fs(): MaildirFs {
    return this.ctx.fs;
  }

  /** The journal, for the steps after lock (which opens it under the server folder's lock). */
  get openJournal(): Journal {
    if (this.journal === undefined) throw new Error('the journal is opened by the lock step');
    return this.journal;
  }

  get delivering(): Delivering {
    const { config, runId, fs } = this.ctx;
    return {
      paths: this.paths,
      index: this.index,
      onConflict: config.onConflict,
      runId,
      fs,
      journal: this.openJournal,
    };
  }

  emit(event: Scoped): void {
    this.ctx.emit({ ...event, mailbox: this.mailbox.name } as SyncEvent);
  }

  fail(error: SyncmailError): void {
    this.emit({
      event: 'error',
      class: error.name,
      code: error.exitCode,
      reason: error.reason,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    });
  }

  /** Runs one rsync pass for this mailbox (rsync/pass.ts). */
  pass(
    label: PassLabel,
    argv: (shared: readonly string[]) => string[],
    onEvent: (event: RsyncEvent) => void,
    onStdoutLine?: (line: string) => void,
    progress?: () => string,
  ): Promise<Outcome> {
    const { config } = this.ctx;
    return runPass({
      label,
      argv,
      connection: this.connection,
      // A dry run is a quick look: it does not retry.
      config: label === 'listing' ? { ...config, retries: 0 } : config,
      env: this.ctx.env,
      cwd: this.locks.length === 0 ? '/' : this.paths.work,
      lockFds: this.locks.map((l) => l.fd),
      mailbox: this.mailbox.name,
      server: this.mailbox.remoteText,
      guard: this.ctx.guard,
      sleep: this.ctx.sleep,
      onEvent,
      ...(onStdoutLine === undefined ? {} : { onStdoutLine }),
      stallMs: config.ioTimeout * 1000,
      progress,
      onRetry: (outcome, delayMs) =>
        this.emit({
          event: 'retry',
          pass: label,
          reason: outcome.error.reason,
          message: outcome.error.message,
          delayMs,
        }),
    });
  }

  /** What rsync says in any pass that is not about removals: reported the same way whichever pass. */
  reportRsync(label: PassLabel): (event: RsyncEvent) => void {
    return (event) => {
      switch (event.kind) {
        case 'nonregular': {
          // The server's cur/, new/ or tmp/ itself is a symlink: the Maildir check reports it.
          const top = event.name.toString('latin1');
          if ((MAILDIR_DIRS as readonly string[]).includes(top)) {
            this.remoteSymlinks.add(top);
            break;
          }
          const file = inNew(event.name);
          const key = file.toString('latin1');
          if (this.#reported.has(key)) break;
          this.#reported.add(key);
          this.emit({ event: 'nonregular', file });
          break;
        }
        case 'vanished':
          this.emit({ event: 'vanished', file: basename(event.path) });
          break;
        case 'changed':
          this.emit({ event: 'changed', file: inNew(event.name) });
          break;
        case 'failure':
        case 'message':
          if (event.kind === 'failure' || event.stream === 'stderr') {
            this.emit({ event: 'warning', pass: label, message: event.text });
          }
          break;
        default:
          break;
      }
    };
  }

  /**
   * Whether the remote showed cur/, new/ and tmp/: all three must be there before anything is removed.
   * Reported as a config error only when the pass that looked was complete.
   */
  checkMaildir(report: boolean): boolean {
    const missing = MAILDIR_DIRS.filter((d) => !this.remoteDirs.has(d));
    if (missing.length === 0) return true;
    if (report) {
      const { name, remoteText } = this.mailbox;
      this.fail(
        new ConfigError(
          undefined,
          [
            `${name}: ${remoteText} is not a Maildir (${missing.map((d) => (this.remoteSymlinks.has(d) ? `${d}/ is a symbolic link, never followed` : `no ${d}/`)).join('; ')})`,
          ],
          'check the mailbox\'s "remote" in the config; nothing was removed from the server',
          'not-a-maildir',
        ),
      );
    }
    return false;
  }

  release(): void {
    this.journal?.close();
    for (const lock of this.locks.splice(0).reverse()) lock.release();
  }
}
