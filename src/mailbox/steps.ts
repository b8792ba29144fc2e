// The steps of one mailbox's sync, each written once. What makes "never lose, never duplicate, never
// resurrect" hold whatever interrupts them, in order:
//
//   prepare → lock the server folder and the local Maildir → settle what an interrupted run left (the
//   journal's intents, the placeholders) → fetch the server's new/ into the stage
//   (tmp/syncmail/FOLDER/stage), skipping what is pending → deliver each complete staged message into new/
//   (journal first, then an atomic rename; a unique name already in new/ or cur/ compared byte for byte)
//   → flush (syncfs, then the journal) → remove on the server exactly the pending messages, then forget
//   them.
//
// A kill at any point leaves: partial data in the stage (resumed next run), complete messages in the
// stage (delivered next run without fetching again), or delivered messages whose server copy still
// exists (pending in the journal: never fetched or delivered again, removed next run). new/ only ever
// gains complete files, through rename(). The journal is in maildir/pending.ts, the moves in deliver.ts.
//
// Each step also says what it does for --print (the exact command it runs, or what syncmail does itself)
// and, where it has something to show, how --dry-run previews it without changing anything.
import type { Dirent } from 'node:fs';
import type { Config, Mailbox } from '../config/types.js';
import { ConfigError, LocalIoError } from '../errors.js';
import { lockPath } from '../lock.js';
import { lockHolders } from '../lock-holder.js';
import {
  apply,
  type Decision,
  type Delivery,
  decide,
  inboxDestination,
  journalBatch,
  placeholder,
  type Staged,
} from '../maildir/deliver.js';
import { flush } from '../maildir/flush.js';
import { joinName, type MailboxPaths, uniqueName } from '../maildir/layout.js';
import { scanLocal } from '../maildir/local-index.js';
import { Journal, type Pending } from '../maildir/pending.js';
import { planMessage } from '../maildir/plan.js';
import {
  clearDir,
  folderFilesystemProblems,
  prepareFolder,
  prepareLocalMaildir,
} from '../maildir/prepare.js';
import { fetchArgv, listArgv, REMOVE_TEMP_DIR, removeArgv } from '../rsync/argv.js';
import { parseListLine } from '../rsync/parse-list.js';
import { directoryProbe } from '../rsync/watchdog.js';
import { type Destination, destinationOf, mailboxMaildirs, targetPath } from '../rules/folders.js';
import { routeFile } from '../rules/route-file.js';
import { shellCommand } from '../text/shell-quote.js';
import { asSyncmailError, MAILDIR_DIRS, type MailboxRun } from './mailbox-run.js';

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

/** How many messages share one fsync of the journal's intents. */
const BATCH = 1000;
/** What the fetch leaves free for the delivery (layout.ts `reserve`): a batch's directory entries and journal records, with room to spare. */
const RESERVE_BYTES = 512 * 1024;

function rsyncLine(config: Config, argv: readonly string[]): string {
  return `LC_ALL=C ${shellCommand([config.rsync, ...argv])}`;
}

function reportDelivery(m: MailboxRun, d: Delivery): void {
  switch (d.kind) {
    case 'delivered': {
      const [first, ...copies] = d.dest.targets;
      const routed = m.mailbox.rules.length > 0 || d.dest.targets.length > 1;
      m.emit({
        event: 'delivered',
        file: d.name,
        size: d.size,
        ...(d.renamed ? { as: d.as } : {}),
        ...(first === undefined ? {} : { path: targetPath(first, d.as) }),
        ...(d.changedOnServer ? { changedOnServer: true } : {}),
        ...(routed && first !== undefined ? { folder: first.folder } : {}),
        ...(d.dest.rule === undefined ? {} : { rule: d.dest.rule }),
        ...(copies.length > 0 ? { copies: copies.map((t) => t.folder) } : {}),
        ...(first !== undefined && first.info !== '' ? { flags: first.info.slice(3) } : {}),
      });
      for (const local of d.copyConflicts) m.emit({ event: 'copy-conflict', file: d.name, local });
      break;
    }
    case 'exists':
      m.emit({ event: 'exists', file: d.name, local: d.local });
      break;
    case 'conflict':
      m.emit({ event: 'conflict', file: d.name, local: d.local });
      break;
  }
}

/**
 * An intent the last run left, whose staged copy is gone: renamed into new/ (the name, or the fresh one
 * it was to get, is in the folder it was going to; or it is not, because the reader deleted or moved it,
 * and the renaming marker says a batch was cut short), or wiped with the rest of tmp/ by a cleaner before the rename (the
 * marker went with it): then it never became visible, and it is fetched and delivered again.
 */
function settleIntent(m: MailboxRun, name: Buffer, p: Pending, renaming: boolean): void {
  const journal = m.openJournal;
  if (m.fs.lstat(joinName(m.paths.stageNew, name)) !== undefined) return; // the deliver step finishes it
  const as = p.as ?? name;
  const unique = uniqueName(as);
  // In the folder it was renamed into: a copy linked into another folder before the rename says nothing.
  const folder = p.dest?.targets[0]?.maildir ?? m.paths.local;
  const there = m.index
    .find(as)
    .some((e) => e.maildir === folder && uniqueName(e.name).equals(unique));
  if (there || renaming) journal.delivered(name);
  else journal.undo(name);
}

/**
 * The Maildirs to look for a message in: the mailbox's own and its rules' folders, and any folder an
 * interrupted delivery was journaled for (the rules may have changed since; it is found there still).
 */
function indexedMaildirs(m: MailboxRun): string[] {
  return [...new Set([...m.maildirs, ...journaledMaildirs(m.openJournal)])];
}

/** The folders the journal's intents go to (each delivery cut short finishes there). */
function journaledMaildirs(journal: Journal): string[] {
  const dirs = [...journal.entries()].flatMap(([, p]) =>
    p.visible ? [] : (p.dest?.targets.map((t) => t.maildir) ?? []),
  );
  return [...new Set(dirs)];
}

/** Every pending message's placeholder, and nothing else, in pending/new. */
function rebuildPlaceholders(m: MailboxRun): void {
  clearDir(m.fs, m.paths.pendingNew);
  for (const [name, p] of m.openJournal.entries()) {
    if (p.visible) placeholder(m.delivering, name, p.size, p.mtime);
  }
}

/**
 * Makes each of `dirs` a Maildir on the mailbox's filesystem (maildir/prepare.ts); one on another
 * filesystem is a configuration problem, reported before anything moves.
 */
function prepareFolders(m: MailboxRun, dirs: readonly string[]): void {
  const stageDev = m.fs.stat(m.paths.stageNew).dev;
  const plusPlus = m.ctx.config.folderStyle === 'maildir++';
  const problems = dirs.flatMap((dir) => prepareFolder(m.fs, dir, stageDev, plusPlus) ?? []);
  if (problems.length > 0) throw folderError(m, problems, '; nothing was moved');
}

/** Folders on another filesystem, as the configuration problem they are. */
function folderError(m: MailboxRun, problems: readonly string[], done = ''): ConfigError {
  return new ConfigError(
    m.ctx.config.file,
    problems.map((p) => `${m.mailbox.name}: folders: ${p}`),
    `set folders (or the mailbox's folders) to a directory on the same filesystem as ${m.mailbox.local}${done}`,
  );
}

const prepare: Step = {
  name: 'prepare',
  print: (s) => {
    const folders = mailboxMaildirs(s.mailbox, s.config.folderStyle).slice(1);
    const also =
      folders.length === 0
        ? ''
        : `, and each folder of the rules as a Maildir: ${folders.join(', ')}`;
    return [`# prepare: create cur/ new/ tmp/ and ${s.paths.work}/ (mode 0700) if missing${also}`];
  },
  async run(m) {
    prepareLocalMaildir(m.fs, m.paths);
    prepareFolders(m, m.maildirs.slice(1));
    m.fs.mkdir(`${m.ctx.config.state}/pending`, 0o700);
    m.fs.mkdir(`${m.ctx.config.state}/locks`, 0o700);
    return true;
  },
  async preview(m) {
    // Creates nothing: only says now what the real run would refuse.
    const problems = folderFilesystemProblems(m.fs, m.paths.local, m.maildirs.slice(1));
    if (problems.length > 0) {
      m.fail(folderError(m, problems));
      return false;
    }
    return true;
  },
};

/** Takes one lock; false when the mailbox is busy or the run is interrupted. */
async function take(m: MailboxRun, target: string, kind: 'file' | 'directory'): Promise<boolean> {
  const abort = m.ctx.guard.abortSignal;
  let result = await lockPath(target, kind, 0, abort);
  if (result.kind === 'busy' && m.ctx.wait > 0) {
    // Said before the wait, so a person at the terminal knows why nothing happens, and for whom.
    m.emit({ event: 'waiting', seconds: m.ctx.wait, holders: lockHolders(target, process.pid) });
    result = await lockPath(target, kind, m.ctx.wait, abort);
  }
  if (result.kind === 'failed') {
    throw new LocalIoError(
      result.message,
      'check that util-linux flock is installed and the Maildir and the state directory are writable',
      'lock-failed',
    );
  }
  if (result.kind === 'busy') m.emit({ event: 'busy' });
  if (result.kind !== 'locked') return false;
  m.locks.push(result);
  return true;
}

const lock: Step = {
  name: 'lock',
  print: (s) => [
    `# lock: flock ${s.paths.folderLock} (the server folder) and ${s.paths.local}/ (the local Maildir, and each folder its rules or the journal deliver to) for the rest; every rsync below inherits them`,
  ],
  async run(m) {
    // Always the server folder first, then the local Maildirs in one order (sorted): two runs never
    // wait on each other in a ring.
    if (!(await take(m, m.paths.folderLock, 'file'))) return false;
    // Under the server folder's lock the journal is this run's to read: a delivery it says was cut
    // short goes on into the folders it names, whatever the rules say now, so those are Maildirs
    // (again, if someone removed one) and locked too.
    m.journal = new Journal(m.fs, m.paths.journal);
    const journaled = journaledMaildirs(m.journal).filter((dir) => !m.maildirs.includes(dir));
    prepareFolders(m, journaled);
    for (const dir of [...m.maildirs, ...journaled].sort()) {
      if (!(await take(m, dir, 'directory'))) return false;
    }
    return true;
  },
};

const settleStep: Step = {
  name: 'settle',
  print: (s) => [
    `# settle: finish what an interrupted run left, from the journal ${s.paths.journal}`,
  ],
  async run(m) {
    // Nothing else can be writing here while we hold the locks (an orphaned rsync would still hold them).
    clearDir(m.fs, m.paths.temp);
    m.index = scanLocal(indexedMaildirs(m), m.fs);
    const renaming = m.fs.lstat(m.paths.renaming) !== undefined;
    const intents = [...m.openJournal.entries()].filter(([, p]) => !p.visible);
    for (const [name, p] of intents) settleIntent(m, name, p, renaming);
    // Every intent left now has its staged copy: the marker has said what it had to.
    endRenaming(m);
    rebuildPlaceholders(m);
    return true;
  },
  async preview(m) {
    // Read only, and only what is there: a dry run creates nothing.
    if (m.fs.lstat(m.paths.new) && m.fs.lstat(m.paths.cur)) m.index = scanLocal(m.maildirs, m.fs);
    return true;
  },
};

/**
 * The fetch copies the server's cur/, new/ and tmp/ directories bare into the stage; for the check that
 * the remote is a Maildir to mean something, this fetch must be what puts them there: the stage's cur/ and
 * tmp/ go, and its new/ (which holds the staged messages) gets mtime 0, which rsync --times replaces
 * with the server's new/'s.
 */
function unmarkStage(m: MailboxRun): void {
  m.fs.remove(`${m.paths.stage}/cur`);
  m.fs.remove(`${m.paths.stage}/tmp`);
  m.fs.utimes(m.paths.stageNew, 0);
}

function readStage(m: MailboxRun): void {
  if (m.fs.lstat(`${m.paths.stage}/cur`)?.isDirectory()) m.remoteDirs.add('cur');
  if (m.fs.lstat(`${m.paths.stage}/tmp`)?.isDirectory()) m.remoteDirs.add('tmp');
  if ((m.fs.lstat(m.paths.stageNew)?.mtimeMs ?? 0) !== 0) m.remoteDirs.add('new');
}

/** Sets room aside for the delivery; a disk that cannot give it (read-only) is found by the fetch itself. */
function holdRoom(m: MailboxRun): void {
  try {
    m.fs.reserve(m.paths.reserve, RESERVE_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
  }
}

/** How often the fetch looks for its first staged message. */
const STAGED_POLL_MS = 100;

/**
 * A remove pass follows the fetch once something is staged or pending, and its connection can be made
 * meanwhile (shared-connection.ts openAhead): at once when messages are pending, else as soon as the
 * first message is in the stage, so the handshake overlaps the rest of the fetch and the delivery. An
 * empty sync opens nothing. Returns what stops the watching.
 */
function openAheadOnceStaged(m: MailboxRun): () => void {
  const open = () => m.ctx.connections.openAhead(m.mailbox);
  if (m.openJournal.size > 0) {
    open();
    return () => undefined;
  }
  const timer = setInterval(() => {
    if (m.fs.names(m.paths.stageNew).length === 0) return;
    clearInterval(timer);
    open();
  }, STAGED_POLL_MS);
  return () => clearInterval(timer);
}

const fetch: Step = {
  name: 'fetch',
  print: (s) => [
    `# fetch: copy the server's new/ into the stage (nothing is removed), with ${RESERVE_BYTES / 1024} KiB held in ${s.paths.reserve} for the delivery`,
    rsyncLine(s.config, fetchArgv(s.mailbox, s.config, s.paths)),
  ],
  async run(m) {
    const { mailbox, ctx, paths } = m;
    const stats: Record<string, number> = {};
    const reportRsync = m.reportRsync('fetch');
    unmarkStage(m);
    holdRoom(m);
    const stopWatching = openAheadOnceStaged(m);
    const outcome = await m.pass(
      'fetch',
      (shared) => fetchArgv(mailbox, ctx.config, paths, shared),
      (event) => {
        if (event.kind === 'stat') stats[event.key] = event.value;
        else reportRsync(event);
      },
      undefined,
      // The fetch prints nothing per file: its progress is what arrives on disk.
      directoryProbe([paths.temp, paths.partial], [paths.stageNew]),
    );
    stopWatching();
    m.fs.remove(paths.reserve);
    if (Object.keys(stats).length > 0) m.emit({ event: 'stats', pass: 'fetch', counts: stats });
    if (!outcome.ok) m.fail(outcome.error);
    readStage(m);
    // A pass that failed only for single files (one the server account cannot read) did all the rest.
    const complete = outcome.ok || outcome.partial === true;
    if (complete && !m.checkMaildir(true)) {
      // Not a Maildir: what came from its new/ is not delivered, and nothing is removed.
      clearDir(m.fs, paths.stageNew);
      return false;
    }
    // A full or read-only local disk still let rsync reach the server, and the pending messages are ours:
    // the remove pass may then free the server (and, once the reader deletes mail, the local disk).
    const localTrouble = !outcome.ok && outcome.error instanceof LocalIoError;
    m.mayRemove = complete || localTrouble;
    // Stale partials, or give the space back.
    if (complete || localTrouble) m.fs.remove(paths.partial);
    // Whatever is complete in the stage is delivered next, even after a failed fetch: those files are whole.
    return true;
  },
  async preview(m) {
    const { mailbox, ctx } = m;
    const outcome = await m.pass(
      'listing',
      (shared) => listArgv(mailbox, ctx.config, shared),
      m.reportRsync('listing'),
      (line) => {
        const entry = parseListLine(line);
        if (entry === undefined) return;
        const path = entry.path.toString('latin1');
        const top = (MAILDIR_DIRS as readonly string[]).includes(path);
        if (top && entry.type === 'dir') m.remoteDirs.add(path);
        if (top && entry.type === 'symlink') m.remoteSymlinks.add(path);
        if (!path.startsWith('new/')) return;
        const type = entry.type === 'file' ? 'file' : entry.type === 'dir' ? 'directory' : 'other';
        m.listing.push({ name: entry.path.subarray(4), type });
      },
    );
    if (!outcome.ok) m.fail(outcome.error);
    else if (!m.checkMaildir(true)) return false;
    return true;
  },
};

/**
 * Brackets a batch's renames. The marker is made before the batch's intents are journaled, so any intent
 * whose message may have been renamed has it; it goes once the journal says where each message is.
 */
function beginRenaming(m: MailboxRun, batch: readonly Decision[]): void {
  // Older than every message of the batch: a cleaner of old files in tmp/ that takes any of their staged
  // copies takes the marker too, so a marker still there proves no staged copy of the batch was cleaned.
  const oldest = Math.min(...batch.map((x) => x.staged.mtime));
  m.fs.placeholder(m.paths.renaming, 0, Math.max(0, oldest - 1));
}

function endRenaming(m: MailboxRun): void {
  m.openJournal.sync();
  m.fs.remove(m.paths.renaming);
}

/**
 * Where a staged message goes: where an interrupted run journaled it would (so a rule changed since
 * never puts it in a second folder), else where its rules send it, read from its header block.
 */
function destination(m: MailboxRun, staged: Staged, pinned: Destination | undefined): Destination {
  if (pinned !== undefined) return pinned;
  const { mailbox, ctx } = m;
  if (mailbox.rules.length === 0) return inboxDestination(m.paths);
  const { route: r } = routeFile(m.fs, staged.path, staged.size, mailbox.rules);
  if (r.unread !== undefined) m.emit({ event: 'unrouted', file: staged.name, reason: r.unread });
  return destinationOf(mailbox, ctx.config.folderStyle, r);
}

/** The staged messages of one batch, decided; what is not a message is reported and dropped. */
function decideBatch(m: MailboxRun, entries: Iterable<Dirent<Buffer>>): Decision[] {
  const d = m.delivering;
  const decisions: Decision[] = [];
  for (const entry of entries) {
    const name = entry.name;
    const path = joinName(m.paths.stageNew, name);
    const type = entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : 'other';
    const info = type === 'file' ? m.fs.stat(path) : undefined;
    const staged: Staged = {
      path,
      name,
      size: info?.size ?? 0,
      mtime: Math.floor((info?.mtimeMs ?? 0) / 1000),
    };
    const pending = d.journal.get(name);
    const plan = planMessage(
      { name, type, size: staged.size, mtime: staged.mtime, pending },
      m.index,
    );
    if (plan.action === 'skip') continue;
    if (plan.action === 'leave') {
      m.fs.remove(path);
      m.emit({ event: 'not-a-message', file: name, reason: plan.reason });
      continue;
    }
    // An intent without DEST was going to the mailbox's own new/: it goes on there too.
    const pinned =
      pending?.visible === false ? (pending.dest ?? inboxDestination(m.paths)) : undefined;
    const dest =
      plan.action === 'drop' ? inboxDestination(m.paths) : destination(m, staged, pinned);
    const copied = pinned === undefined ? [] : (pending?.copied ?? []);
    decisions.push(decide(d, staged, plan, dest, copied));
  }
  return decisions;
}

/**
 * A local disk failure mid-batch (full or read-only): what is delivered so far is flushed and its server
 * copies removed; the rest stays on the server. What is still staged goes, so that deleting local mail
 * frees the disk (a later run fetches it again), except a message whose intent could not be undone: its
 * staged copy is what tells the next run it never became visible. The renaming marker stays until that
 * run has settled the batch.
 */
function giveUp(m: MailboxRun, error: unknown, rest: readonly Decision[]): boolean {
  const failure = asSyncmailError(error, m.mailbox.name);
  if (!(failure instanceof LocalIoError)) throw error;
  m.fail(failure);
  const journal = m.openJournal;
  for (const x of rest) {
    try {
      // A staged copy that is gone was renamed (its D is what failed): the next run settles it.
      const moved = m.fs.lstat(x.staged.path) === undefined;
      if (x.kind === 'move' && !moved && journal.get(x.staged.name)?.visible === false)
        journal.undo(x.staged.name);
    } catch {
      // Kept, as said above.
    }
  }
  try {
    for (const name of m.fs.names(m.paths.stageNew)) {
      if (journal.get(name)?.visible === false) continue;
      m.fs.remove(joinName(m.paths.stageNew, name));
    }
    journal.sync();
  } catch {
    // Nothing more to free now; the next run settles what is left.
  }
  return true;
}

const deliver: Step = {
  name: 'deliver',
  print: (s) => [
    `# deliver: journal each complete staged message in ${s.paths.journal}, then rename it into new/ (never over a name)`,
  ],
  async run(m) {
    const d = m.delivering;
    const entries = m.fs.entries(m.paths.stageNew);
    // Staged in the fetch's last moments, between two looks (openAheadOnceStaged).
    if (m.mayRemove && entries.length > 0) m.ctx.connections.openAhead(m.mailbox);
    for (let start = 0; start < entries.length; start += BATCH) {
      const decisions = decideBatch(m, entries.slice(start, start + BATCH));
      if (decisions.length === 0) continue;
      try {
        beginRenaming(m, decisions);
        journalBatch(d, decisions);
      } catch (error) {
        return giveUp(m, error, decisions);
      }
      for (const [i, x] of decisions.entries()) {
        try {
          const delivery = apply(d, x);
          if (delivery !== undefined) reportDelivery(m, delivery);
        } catch (error) {
          return giveUp(m, error, decisions.slice(i));
        }
      }
      endRenaming(m);
    }
    return true;
  },
  async preview(m) {
    for (const entry of m.listing) {
      const plan = planMessage(entry, m.index);
      if (plan.action === 'leave') {
        m.emit({ event: 'not-a-message', file: entry.name, reason: plan.reason, dryRun: true });
      } else if (plan.action === 'compare')
        m.emit({ event: 'exists', file: entry.name, dryRun: true });
      else if (plan.action === 'deliver') {
        const routed = m.mailbox.rules.length > 0 ? { routedWhenFetched: true as const } : {};
        m.emit({ event: 'delivered', file: entry.name, dryRun: true, ...routed });
      }
    }
    return false;
  },
};

const flushStep: Step = {
  name: 'flush',
  print: (s) => [
    '# flush: make the delivered messages and the journal durable before anything leaves the server',
    shellCommand(['sync', '-f', s.paths.new]),
  ],
  async run(m) {
    const journal = m.openJournal;
    if (![...journal.entries()].some(([, p]) => p.visible)) return false;
    await flush(m.fs, m.paths.new);
    journal.sync();
    return m.mayRemove;
  },
};

/** The pending name a remove-pass report stands for: rsync may shorten a name in its temp file names. */
function pendingName(m: MailboxRun, reported: Buffer): Buffer | undefined {
  const journal = m.openJournal;
  if (journal.get(reported) !== undefined) return reported;
  const candidates = [...journal.entries()].filter(([name]) =>
    name.subarray(0, reported.length).equals(reported),
  );
  return candidates.length === 1 ? candidates[0]?.[0] : undefined;
}

const remove: Step = {
  name: 'remove',
  print: (s) => [
    `# remove: remove on the server exactly the pending messages (placeholders in ${s.paths.pendingNew}/)`,
    rsyncLine(s.config, removeArgv(s.mailbox, s.config, s.paths)),
  ],
  async run(m) {
    const { paths, fs } = m;
    const journal = m.openJournal;
    if (!fs.lstat(REMOVE_TEMP_DIR)?.isDirectory()) {
      throw new LocalIoError(
        `${REMOVE_TEMP_DIR} is missing (is /proc mounted?); syncmail needs it to remove server copies safely`,
        'mount /proc; nothing was removed from the server',
        'local-maildir',
      );
    }
    // What the pass can take: a visible entry whose placeholder could not be made is not among them.
    const offered = [...journal.entries()].filter(
      ([name, p]) => p.visible && fs.lstat(joinName(paths.pendingNew, name)) !== undefined,
    );
    const gone = new Set<string>();
    const reportRsync = m.reportRsync('remove');
    const argv = (shared: readonly string[]) => removeArgv(m.mailbox, m.ctx.config, paths, shared);
    const outcome = await m.pass('remove', argv, (event) => {
      if (event.kind === 'removed' || event.kind === 'already-removed') {
        gone.add(event.name.toString('latin1'));
        if (event.kind === 'removed') m.emit({ event: 'removed', file: event.name });
      } else if (event.kind === 'changed') {
        m.emit({ event: 'changed', file: pendingName(m, event.name) ?? event.name });
      } else reportRsync(event);
    });
    if (!outcome.ok && !outcome.changed) m.fail(outcome.error);
    // After a clean pass, a name rsync did not report is no longer a regular file on the server (gone, or
    // replaced by something that is reported next run); either way its message is delivered, so it goes.
    for (const [name] of offered) {
      if (!(outcome.ok || gone.has(name.toString('latin1')))) continue;
      journal.removed(name);
      fs.remove(joinName(paths.pendingNew, name));
    }
    journal.sync();
    journal.compact();
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
