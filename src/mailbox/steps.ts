// The steps of one mailbox's sync, each written once. What makes "never lose, never duplicate" hold
// whatever interrupts them, in order:
//
//   prepare → lock → settle what an interrupted remove pass left → fetch the server's new/ into the
//   stage (tmp/syncmail/NAME/stage) → deliver every complete staged message into new/ with link(), never
//   replacing a name, a unique name already in new/ or cur/ being compared byte for byte → flush (syncfs)
//   → remove on the server exactly the delivered names, then forget them.
//
// A kill at any point leaves: partial data in the stage (resumed next run), complete messages in the
// stage (delivered next run without fetching again), or delivered messages whose server copy still
// exists (kept in delivered/, never fetched or delivered again, removed next run). new/ only ever gains
// complete files, through link(). The layout is described in maildir/layout.ts, the moves in deliver.ts.
//
// Each step also says what it does for --print (the exact command it runs, or what syncmail does itself)
// and, where it has something to show, how --dry-run previews it without changing anything.
import type { Config, Mailbox } from '../config/types.js';
import { LocalIoError } from '../errors.js';
import { lockMailbox } from '../lock.js';
import {
  clearRemoving,
  type Delivery,
  deliverFile,
  promoteSettled,
  retireStaged,
  settleRemoving,
} from '../maildir/deliver.js';
import { flush } from '../maildir/flush.js';
import { joinName, type MailboxPaths } from '../maildir/layout.js';
import { scanLocal } from '../maildir/local-index.js';
import { planMessage } from '../maildir/plan.js';
import { clearDir, prepareLocalMaildir } from '../maildir/prepare.js';
import { fetchArgv, listArgv, removeArgv } from '../rsync/argv.js';
import { parseListLine } from '../rsync/parse-list.js';
import { shellCommand } from '../text/shell-quote.js';
import { MAILDIR_DIRS, type MailboxRun } from './mailbox-run.js';

/** What --print needs to know about a mailbox: no process, no disk. */
export interface Setup {
  readonly mailbox: Mailbox;
  readonly config: Config;
  readonly paths: MailboxPaths;
}

export interface Step {
  readonly name: string;
  /** --print: the commands this step runs (shell-quoted), after a comment saying what it does. */
  print(s: Setup): string[];
  /** Does the step; false ends this mailbox's sequence here. */
  run(m: MailboxRun): Promise<boolean>;
  /** --dry-run: the step, changing nothing anywhere; absent when it has nothing to show. */
  preview?(m: MailboxRun): Promise<boolean>;
}

function rsyncLine(config: Config, argv: readonly string[]): string {
  return `LC_ALL=C ${shellCommand([config.rsync, ...argv])}`;
}

function reportDelivery(m: MailboxRun, d: Delivery, changedOnServer = false): void {
  switch (d.kind) {
    case 'delivered':
      m.emit({
        event: 'delivered',
        file: d.name,
        size: d.size,
        ...(d.renamed ? { as: d.as } : {}),
        ...(changedOnServer ? { changedOnServer: true } : {}),
      });
      break;
    case 'exists':
      m.emit({ event: 'exists', file: d.name, local: d.local });
      break;
    case 'conflict':
      m.emit({ event: 'conflict', file: d.name, local: d.local });
      break;
  }
}

/** Delivers what an earlier remove pass left in removing/ (see deliver.ts), then empties it. */
async function settle(m: MailboxRun): Promise<void> {
  const again = settleRemoving(m.delivering);
  for (const d of again) if (d.kind === 'delivered') reportDelivery(m, d, true);
  if (again.length > 0) await flush(m.fs, m.paths.new);
  promoteSettled(m.delivering, again);
  clearRemoving(m.delivering);
}

const prepare: Step = {
  name: 'prepare',
  print: (s) => [`# prepare: create cur/ new/ tmp/ and ${s.paths.work}/ (mode 0700) if missing`],
  async run(m) {
    prepareLocalMaildir(m.fs, m.paths);
    return true;
  },
};

const lock: Step = {
  name: 'lock',
  print: (s) => [`# lock: flock ${s.paths.lock} for the rest; every rsync below inherits it`],
  async run(m) {
    const result = await lockMailbox(m.paths.lock, m.ctx.wait, m.ctx.guard.abortSignal);
    if (result.kind === 'failed') {
      throw new LocalIoError(
        result.message,
        'check that util-linux flock is installed and the Maildir is writable',
        'lock-failed',
      );
    }
    if (result.kind === 'busy') m.emit({ event: 'busy' });
    if (result.kind !== 'locked') return false;
    m.lock = result;
    return true;
  },
};

const settleStep: Step = {
  name: 'settle',
  print: (s) => [
    `# settle: deliver what an interrupted remove pass left in ${s.paths.removingNew}/`,
  ],
  async run(m) {
    // Nothing else can be writing here while we hold the lock (an orphaned rsync would still hold it).
    clearDir(m.fs, m.paths.temp);
    m.index = scanLocal(m.paths, m.fs);
    // A remove pass that was cut short may have left the only copy of a changed message in removing/.
    await settle(m);
    return true;
  },
  async preview(m) {
    // Read only, and only what is there: a dry run creates nothing.
    if (m.fs.lstat(m.paths.new) && m.fs.lstat(m.paths.cur)) m.index = scanLocal(m.paths, m.fs);
    return true;
  },
};

const fetch: Step = {
  name: 'fetch',
  print: (s) => [
    "# fetch: copy the server's new/ into the stage (nothing is removed)",
    rsyncLine(s.config, fetchArgv(s.mailbox, s.config, s.paths)),
  ],
  async run(m) {
    const { mailbox, ctx, paths } = m;
    const stats: Record<string, number> = {};
    const reportRsync = m.reportRsync('fetch');
    const outcome = await m.pass('fetch', fetchArgv(mailbox, ctx.config, paths), (event) => {
      if (event.kind === 'stat') stats[event.key] = event.value;
      else reportRsync(event);
    });
    if (Object.keys(stats).length > 0) m.emit({ event: 'stats', pass: 'fetch', counts: stats });
    if (!outcome.ok) m.fail(outcome.error);
    // A full or read-only local disk still let rsync reach the server: the remove pass may then free the
    // server (and, once the reader deletes mail, the local disk) of what was delivered before it filled.
    const localTrouble = !outcome.ok && outcome.error instanceof LocalIoError;
    for (const name of m.fs.names(paths.stage)) m.remoteDirs.add(name.toString('latin1'));
    m.mayRemove = (outcome.ok || localTrouble) && m.checkMaildir(outcome.ok);
    // Stale partials, or give the space back.
    if (outcome.ok || localTrouble) m.fs.remove(paths.partial);
    // Whatever is complete in the stage is delivered next, even after a failed fetch: those files are whole.
    return true;
  },
  async preview(m) {
    const { mailbox, ctx } = m;
    const outcome = await m.pass(
      'listing',
      listArgv(mailbox, ctx.config),
      m.reportRsync('listing'),
      (line) => {
        const entry = parseListLine(line);
        if (entry === undefined) return;
        const path = entry.path.toString('latin1');
        if (entry.type === 'dir' && (MAILDIR_DIRS as readonly string[]).includes(path))
          m.remoteDirs.add(path);
        if (!path.startsWith('new/')) return;
        const type = entry.type === 'file' ? 'file' : entry.type === 'dir' ? 'directory' : 'other';
        m.listing.push({ name: entry.path.subarray(4), type });
      },
    );
    if (!outcome.ok) m.fail(outcome.error);
    else m.checkMaildir(true);
    return true;
  },
};

const deliver: Step = {
  name: 'deliver',
  print: (s) => [
    `# deliver: link each complete staged message into new/ (never replacing a name), then move it to ${s.paths.deliveredNew}/`,
  ],
  async run(m) {
    const d = m.delivering;
    for (const entry of m.fs.entries(m.paths.stageNew)) {
      const name = entry.name;
      const staged = joinName(m.paths.stageNew, name);
      const type = entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : 'other';
      const plan = planMessage({ name, type }, m.index);
      if (plan.action === 'skip') continue;
      if (plan.action === 'leave') {
        m.fs.remove(staged);
        m.emit({ event: 'not-a-message', file: name, reason: plan.reason });
        continue;
      }
      const delivery = deliverFile(d, staged, name, plan);
      retireStaged(d, staged, delivery);
      reportDelivery(m, delivery);
    }
    m.pending = m.fs.names(m.paths.deliveredNew).map((n) => n.toString('latin1'));
    return m.pending.length > 0;
  },
  async preview(m) {
    for (const entry of m.listing) {
      const plan = planMessage(entry, m.index);
      if (plan.action === 'leave') {
        m.emit({ event: 'not-a-message', file: entry.name, reason: plan.reason, dryRun: true });
      } else if (plan.action === 'compare')
        m.emit({ event: 'exists', file: entry.name, dryRun: true });
      else if (plan.action === 'deliver')
        m.emit({ event: 'delivered', file: entry.name, dryRun: true });
    }
    return false;
  },
};

const flushStep: Step = {
  name: 'flush',
  print: (s) => [
    '# flush: make the delivered messages durable before anything leaves the server',
    shellCommand(['sync', '-f', s.paths.new]),
  ],
  async run(m) {
    await flush(m.fs, m.paths.new);
    return m.mayRemove;
  },
};

const remove: Step = {
  name: 'remove',
  print: (s) => [
    `# remove: link the delivered messages into ${s.paths.removingNew}/, then remove exactly those on the server`,
    rsyncLine(s.config, removeArgv(s.mailbox, s.config, s.paths)),
  ],
  async run(m) {
    const { paths, fs } = m;
    const file = (dir: string, name: string): Buffer => joinName(dir, Buffer.from(name, 'latin1'));
    for (const name of m.pending)
      fs.link(file(paths.deliveredNew, name), file(paths.removingNew, name));
    const gone = new Set<string>();
    const reportRsync = m.reportRsync('remove');
    const outcome = await m.pass('remove', removeArgv(m.mailbox, m.ctx.config, paths), (event) => {
      if (event.kind === 'removed' || event.kind === 'already-removed') {
        gone.add(event.name.toString('latin1'));
        if (event.kind === 'removed') m.emit({ event: 'removed', file: event.name });
      } else reportRsync(event);
    });
    if (!outcome.ok && !outcome.changed) m.fail(outcome.error);
    await settle(m);
    // After a clean pass, a name rsync did not report is no longer a regular file on the server (gone, or
    // replaced by something that is reported next run); either way its message is delivered, so it goes.
    for (const name of m.pending) {
      if (outcome.ok || gone.has(name)) fs.unlink(file(paths.deliveredNew, name));
    }
    return true;
  },
};

/** The sequence, in order. */
export const STEPS: readonly Step[] = [
  prepare,
  lock,
  settleStep,
  fetch,
  deliver,
  flushStep,
  remove,
];
