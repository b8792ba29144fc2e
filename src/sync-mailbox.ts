// Syncs one mailbox: the sequence that makes "never lose, never duplicate" hold whatever interrupts it.
//
//   lock → settle what an interrupted remove pass left → fetch the server's new/ into the stage
//   (tmp/syncmail/NAME/stage) → link every complete staged message into new/, never replacing a name, a
//   unique name already in new/ or cur/ being compared byte for byte → syncfs → remove on the server
//   exactly the delivered names → forget them.
//
// A kill at any point leaves: partial data in tmp/ (resumed next run), complete messages in the stage
// (delivered next run without fetching again), or delivered messages whose server copy still exists
// (kept in delivered/, never fetched or delivered again, removed next run). new/ only ever gains
// complete files, through link(). The layout is described in maildir/layout.ts, the moves in deliver.ts.
import { linkSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import type { Config, Mailbox } from './config/types.js';
import {
  ConfigError,
  EXIT,
  InternalError,
  LocalIoError,
  SyncmailError,
  worstExit,
} from './errors.js';
import { lockMailbox } from './lock.js';
import type { LogRecord } from './log/record.js';
import {
  clearRemoving,
  type Delivery,
  deliverStaged,
  promoteSettled,
  settleRemoving,
} from './maildir/deliver.js';
import { flushFilesystem } from './maildir/flush.js';
import { joinName, type MailboxPaths, mailboxPaths } from './maildir/layout.js';
import { type LocalIndex, scanLocal } from './maildir/local-index.js';
import { clearDir, prepareLocalMaildir } from './maildir/prepare.js';
import { fetchArgv, removeArgv } from './rsync/argv.js';
import type { Outcome } from './rsync/classify.js';
import type { RsyncEvent } from './rsync/events.js';
import { runPass } from './rsync/pass.js';
import type { SignalGuard } from './signals.js';

export interface MailboxContext {
  readonly config: Config;
  readonly runId: string;
  readonly wait: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly guard: SignalGuard;
  readonly log: (record: LogRecord) => void;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface MailboxResult {
  readonly name: string;
  readonly exitCode: number;
  readonly delivered: number;
  readonly removed: number;
  /** Messages or entries that stay on the server for a person to look at. */
  readonly leftOnServer: number;
  readonly busy: boolean;
}

/** Strips the "new/" that fetch-pass names carry (they are relative to the Maildir root). */
function inNew(name: Buffer): Buffer {
  return name.subarray(0, 4).toString('latin1') === 'new/' ? name.subarray(4) : name;
}

function basename(path: Buffer): Buffer {
  const slash = path.lastIndexOf(0x2f);
  return slash === -1 ? path : path.subarray(slash + 1);
}

class MailboxRun {
  readonly codes: number[] = [];
  delivered = 0;
  removed = 0;
  leftOnServer = 0;
  busy = false;
  /** Names of non-regular files already reported in this run. */
  readonly reported = new Set<string>();
  /** rsync's STATS2 numbers from the fetch pass. */
  readonly stats: Record<string, number> = {};
  /** The mailbox lock, passed to every rsync so an orphaned one still holds it. */
  lockFd: number | undefined;
  readonly paths: MailboxPaths;

  constructor(
    readonly mailbox: Mailbox,
    readonly ctx: MailboxContext,
  ) {
    this.paths = mailboxPaths(mailbox.local, mailbox.name);
  }

  log(record: Omit<LogRecord, 'mailbox'>): void {
    this.ctx.log({ ...record, mailbox: this.mailbox.name } as LogRecord);
  }

  fail(error: SyncmailError): void {
    this.codes.push(error.exitCode);
    this.log({
      event: 'error',
      class: error.name,
      code: error.exitCode,
      message: error.message,
      hint: error.hint,
    });
  }

  dataProblem(): void {
    this.leftOnServer += 1;
    this.codes.push(EXIT.data);
  }

  /** Runs one rsync pass for this mailbox (rsync/pass.ts). */
  pass(
    label: 'fetch' | 'remove',
    argv: string[],
    onEvent: (event: RsyncEvent) => void,
  ): Promise<Outcome> {
    return runPass({
      label,
      argv,
      config: this.ctx.config,
      env: this.ctx.env,
      cwd: this.paths.work,
      lockFd: this.lockFd,
      mailbox: this.mailbox.name,
      server: this.mailbox.remoteText,
      guard: this.ctx.guard,
      sleep: this.ctx.sleep,
      onEvent,
      onRetry: (message) => this.log({ event: 'warning', pass: label, message }),
    });
  }

  /** Shared handling of what rsync reports, whichever pass it comes from. */
  onRsyncEvent = (event: RsyncEvent): void => {
    switch (event.kind) {
      case 'nonregular':
      case 'unsafe-symlink': {
        // Once per name, though a retried pass reports it again.
        const name = inNew(event.name);
        if (this.reported.has(name.toString('latin1'))) break;
        this.reported.add(name.toString('latin1'));
        this.log({
          event: 'nonregular',
          file: name,
          ...(event.kind === 'unsafe-symlink' ? { target: event.target } : {}),
        });
        this.dataProblem();
        break;
      }
      case 'vanished':
        this.log({ event: 'vanished', file: basename(event.path) });
        break;
      case 'changed':
        this.log({ event: 'changed', file: inNew(event.name) });
        this.dataProblem();
        break;
      case 'stat':
        this.stats[event.key] = event.value;
        break;
      case 'message':
        if (event.stream === 'stderr') this.log({ event: 'warning', message: event.text });
        break;
      default:
        break;
    }
  };

  async run(): Promise<void> {
    const { config, guard } = this.ctx;
    await prepareLocalMaildir(this.paths);
    const lock = await lockMailbox(this.paths.lock, this.ctx.wait, guard.abortSignal);
    if (lock.kind === 'busy') {
      this.log({ event: 'busy', message: 'another syncmail is syncing this mailbox' });
      this.codes.push(EXIT.tempfail);
      this.busy = true;
      return;
    }
    if (lock.kind === 'interrupted') return;
    if (lock.kind === 'failed')
      throw new LocalIoError(
        lock.message,
        'check that util-linux flock is installed and the Maildir is writable',
      );
    this.lockFd = lock.fd;
    try {
      await this.locked(config);
    } finally {
      lock.release();
    }
  }

  async locked(config: Config): Promise<void> {
    const { paths } = this;
    // Nothing else can be writing here while we hold the lock (an orphaned rsync would still hold it).
    clearDir(paths.temp);
    const index = scanLocal(paths);
    // A remove pass that was cut short may have left the only copy of a changed message in removing/.
    await this.settle(index);

    const fetch = await this.pass(
      'fetch',
      fetchArgv(this.mailbox, config, paths),
      this.onRsyncEvent,
    );
    if (Object.keys(this.stats).length > 0)
      this.log({ event: 'stats', pass: 'fetch', ...this.stats });
    if (!fetch.ok) this.fail(fetch.error);
    // A full or read-only local disk still let rsync reach the server: the remove pass may then free the
    // server (and, once the reader deletes mail, the local disk) of what was delivered before it filled.
    const localTrouble = !fetch.ok && fetch.error instanceof LocalIoError;
    const mayRemove = (fetch.ok || localTrouble) && this.remoteLooksLikeMaildir(fetch.ok);
    // Stale partials, or give the space back.
    if (fetch.ok || localTrouble) rmSync(paths.partial, { recursive: true, force: true });

    // Whatever is complete in the stage is delivered, even after a failed fetch: those files are whole.
    await deliverStaged(paths, index, config.onConflict, this.ctx.runId, this.report);
    // latin1: one char per byte, exact for any name, and a quarter of the memory of Buffers.
    const pending = readdirSync(paths.deliveredNew, { encoding: 'latin1' });
    if (pending.length === 0) return;
    // Durable before removed: once this syncfs returns, every message linked into new/ is on disk, data
    // and directory entry. Only then may a server copy go, and only for names in delivered/.
    await flushFilesystem(paths.new);
    if (!mayRemove) return;
    await this.removeOnServer(pending, index);
  }

  /** Delivers what an earlier remove pass left in removing/ (see deliver.ts), then empties it. */
  async settle(index: LocalIndex): Promise<void> {
    const again = await settleRemoving(this.paths, index, this.ctx.runId);
    for (const d of again) {
      if (d.kind === 'delivered') {
        this.delivered += 1;
        this.log({
          event: 'delivered',
          file: d.name,
          size: d.size,
          as: d.as,
          message: 'changed on the server during the sync; delivered as a separate message',
        });
      }
    }
    if (again.length > 0) await flushFilesystem(this.paths.new);
    promoteSettled(this.paths, again);
    clearRemoving(this.paths);
  }

  /**
   * The fetch filters copy the server's cur/, new/ and tmp/ directories (empty) into the stage: all three
   * must be there before anything is removed. Reported as a config error only after a complete fetch.
   */
  remoteLooksLikeMaildir(report: boolean): boolean {
    const present = new Set(
      readdirSync(this.paths.stage).filter((n) => ['cur', 'new', 'tmp'].includes(n)),
    );
    if (present.size === 3) return true;
    const missing = ['cur', 'new', 'tmp'].filter((n) => !present.has(n)).map((n) => `${n}/`);
    if (report) {
      this.fail(
        new ConfigError(
          undefined,
          [
            `${this.mailbox.name}: ${this.mailbox.remoteText} is not a Maildir (no ${missing.join(', ')} there)`,
          ],
          'check the mailbox\'s "remote" in the config; nothing was removed from the server',
        ),
      );
    }
    return false;
  }

  /** Logs one delivery and counts what stays on the server. */
  report = (d: Delivery): void => {
    switch (d.kind) {
      case 'delivered':
        this.delivered += 1;
        this.log({
          event: 'delivered',
          file: d.name,
          size: d.size,
          ...(d.renamed ? { as: d.as } : {}),
        });
        break;
      case 'exists':
        this.log({ event: 'exists', file: d.name, local: d.local });
        break;
      case 'conflict':
        this.log({
          event: 'conflict',
          file: d.name,
          local: d.local,
          message:
            'a different message with this unique name is already in the local Maildir; left on the server',
        });
        this.dataProblem();
        break;
      case 'not-a-message':
        this.log({
          event: 'not-a-message',
          file: d.name,
          message: `${d.what} in the server's new/; left there`,
        });
        this.dataProblem();
        break;
    }
  };

  /** Removes on the server exactly the messages in delivered/, then forgets those whose server copy is gone. */
  async removeOnServer(pending: readonly string[], index: LocalIndex): Promise<void> {
    const { paths } = this;
    const file = (dir: string, name: string): Buffer => joinName(dir, Buffer.from(name, 'latin1'));
    for (const name of pending)
      linkSync(file(paths.deliveredNew, name), file(paths.removingNew, name));
    const gone = new Set<string>();
    const outcome = await this.pass(
      'remove',
      removeArgv(this.mailbox, this.ctx.config, paths),
      (event) => {
        if (event.kind === 'removed' || event.kind === 'already-removed') {
          gone.add(event.name.toString('latin1'));
          if (event.kind === 'removed') {
            this.removed += 1;
            this.log({ event: 'removed', file: event.name });
          }
        } else {
          this.onRsyncEvent(event);
        }
      },
    );
    if (!outcome.ok && !outcome.changed) this.fail(outcome.error);
    await this.settle(index);
    // After a clean pass, a name rsync did not report is no longer a regular file on the server (gone, or
    // replaced by something that is reported next run); either way its message is delivered, so it goes.
    for (const name of pending) {
      if (outcome.ok || gone.has(name)) unlinkSync(file(paths.deliveredNew, name));
    }
  }
}

export async function syncMailbox(mailbox: Mailbox, ctx: MailboxContext): Promise<MailboxResult> {
  const run = new MailboxRun(mailbox, ctx);
  try {
    await run.run();
  } catch (error) {
    // One mailbox's failure, even a bug, must not keep the others from syncing: it is logged with its
    // exit code, and whatever it left is safe for the next run to finish (see the top of this file).
    if (error instanceof SyncmailError) run.fail(error);
    else
      run.fail(
        new InternalError(
          `${mailbox.name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          'please report this; nothing was removed from the server that is not safely in the local Maildir',
        ),
      );
  }
  const exitCode = worstExit(run.codes);
  return {
    name: mailbox.name,
    exitCode,
    delivered: run.delivered,
    removed: run.removed,
    leftOnServer: run.leftOnServer,
    busy: run.busy,
  };
}
