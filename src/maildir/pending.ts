// Which messages are in the local Maildir while their server copy still waits to be removed, for one
// local Maildir and one server folder. The remove pass takes exactly these, and the fetch skips them: a
// message is delivered at most once, even when the reader deletes it before its server copy is gone.
//
// Kept as an append-only journal in the state directory (config `state`), not in the Maildir's tmp/:
// Maildir readers may clean tmp/, and forgetting a pending removal would bring back what the reader
// deleted. Each line is one record, the name in base64 (a name is any bytes), ending in " .":
//
//   I NAME SIZE MTIME [AS [DEST]] .
//                             about to make the staged NAME visible in new/, as AS when renamed after a
//                             conflict (written, and fsynced for the whole batch, before the first move);
//                             DEST (base64 JSON: the rule and the target Maildirs) where routing rules
//                             sent it, so an interrupted delivery finishes where it began, whatever
//                             the rules say by then
//   C NAME K .                its copy for the destination's target K (1, 2, …) is made: never made
//                             again, so a copy the reader moved or deleted before the rename stays so
//   D NAME .                  it is in new/ now
//   E NAME SIZE MTIME .       the same bytes were already in the local Maildir: nothing to deliver
//   R NAME .                  its server copy is gone: forget it
//   U NAME .                  forget an I whose message never became visible (a conflict, a rollback)
//
// A record cut short (a full disk, a power cut while appending) is a prefix of its line, so it lacks the
// final " .": it is skipped, never read as a record with a shorter size or name. The next record starts
// on a line of its own.
//
// SIZE and MTIME (whole seconds) are those of the server's copy as staged: all rsync's quick check
// compares, so a sparse placeholder with them stands for the message in both passes (see steps.ts).
import type { Destination } from '../rules/folders.js';
import type { MaildirFs } from './fs.js';

export interface Pending {
  readonly size: number;
  readonly mtime: number;
  /** False while only the intent (I) is known: the crash came between it and the rename. */
  readonly visible: boolean;
  /** The name it was (to be) delivered as, when not its own. */
  readonly as?: Buffer | undefined;
  /** Where rules sent it; absent: the mailbox's own new/. */
  readonly dest?: Destination | undefined;
  /** The targets of `dest` whose copy is made (C records), while only the intent is known. */
  readonly copied?: readonly number[] | undefined;
}

type JournalRecord =
  | {
      readonly op: 'I' | 'E';
      readonly name: Buffer;
      readonly size: number;
      readonly mtime: number;
      readonly as?: Buffer | undefined;
      readonly dest?: Destination | undefined;
    }
  | { readonly op: 'D' | 'R' | 'U'; readonly name: Buffer }
  | { readonly op: 'C'; readonly name: Buffer; readonly target: number };

export function formatRecord(r: JournalRecord): string {
  const name = r.name.toString('base64');
  if (r.op === 'C') return `C ${name} ${r.target} .\n`;
  if (!('size' in r)) return `${r.op} ${name} .\n`;
  const renamed = r.as !== undefined && !r.as.equals(r.name);
  const dest =
    r.dest === undefined ? '' : ` ${Buffer.from(JSON.stringify(r.dest)).toString('base64')}`;
  const as = renamed || dest !== '' ? ` ${(r.as ?? r.name).toString('base64')}` : '';
  return `${r.op} ${name} ${r.size} ${r.mtime}${as}${dest} .\n`;
}

const B64 = '[A-Za-z0-9+/]*={0,2}';
const LINE = new RegExp(
  `^([IEDRU]) (${B64})(?: (\\d+) (-?\\d+)(?: (${B64})(?: (${B64}))?)?)? \\.$|^C (${B64}) (\\d+) \\.$`,
);

/**
 * An intent written again for a message whose intent was already known (its delivery resumed): the
 * copies made for the same destination stay made.
 */
function again(known: Pending | undefined, next: Pending): Pending {
  if (known?.copied === undefined || known.visible || next.visible) return next;
  const same = JSON.stringify(known.dest) === JSON.stringify(next.dest);
  return same ? { ...next, copied: known.copied } : next;
}

/** The entry a C record leaves: the copy for `target` made. */
function withCopy(known: Pending, target: number): Pending {
  const copied = known.copied ?? [];
  return copied.includes(target) ? known : { ...known, copied: [...copied, target] };
}

/** A DEST field as written by formatRecord; one that does not read back is no destination. */
function readDest(b64: string | undefined): Destination | undefined {
  if (b64 === undefined) return undefined;
  try {
    const dest = JSON.parse(Buffer.from(b64, 'base64').toString()) as Destination;
    return Array.isArray(dest.targets) && dest.targets.length > 0 ? dest : undefined;
  } catch {
    return undefined;
  }
}

function entry(
  name: string,
  size: string,
  mtime: string,
  visible: boolean,
  as: string | undefined,
  dest: string | undefined,
): Pending {
  const asName = as === undefined ? undefined : Buffer.from(as, 'base64');
  const d = readDest(dest);
  return {
    size: Number(size),
    mtime: Number(mtime),
    visible,
    ...(asName === undefined || asName.toString('latin1') === name ? {} : { as: asName }),
    ...(d === undefined ? {} : { dest: d }),
  };
}

/**
 * Pure: the live entries a journal's text leaves, keyed by the name as latin1 (one char per byte).
 * A line that does not parse (a record cut short) is skipped.
 */
export function foldJournal(text: string): Map<string, Pending> {
  const live = new Map<string, Pending>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const [, op, b64 = '', size, mtime, as, dest, cB64, cTarget] = m as unknown as [
      string,
      string?,
      string?,
      string?,
      string?,
      string?,
      string?,
      string?,
      string?,
    ];
    if (op === undefined) {
      const key = Buffer.from(cB64 ?? '', 'base64').toString('latin1');
      const known = live.get(key);
      if (known !== undefined) live.set(key, withCopy(known, Number(cTarget)));
      continue;
    }
    const key = Buffer.from(b64, 'base64').toString('latin1');
    if ((op === 'I' || op === 'E') && size !== undefined && mtime !== undefined) {
      live.set(key, again(live.get(key), entry(key, size, mtime, op === 'E', as, dest)));
    } else if (op === 'D') {
      const known = live.get(key);
      if (known !== undefined) live.set(key, { ...known, visible: true });
    } else if (op === 'R' || op === 'U') live.delete(key);
  }
  return live;
}

export class Journal {
  readonly #fs: MaildirFs;
  readonly #file: string;
  readonly #live: Map<string, Pending>;
  #fd: number | undefined;
  /** Records appended since the journal was last compacted (a rewrite drops the dead ones). */
  #appended = 0;
  /** The file may end inside a record cut short: the next record first ends that line. */
  #torn: boolean;

  constructor(fs: MaildirFs, file: string) {
    this.#fs = fs;
    this.#file = file;
    const text = fs.readText(file) ?? '';
    this.#live = foldJournal(text);
    this.#torn = text !== '' && !text.endsWith('\n');
  }

  get(name: Buffer): Pending | undefined {
    return this.#live.get(name.toString('latin1'));
  }

  /** Every live entry, the name as raw bytes. */
  *entries(): Generator<[Buffer, Pending]> {
    for (const [key, pending] of this.#live) yield [Buffer.from(key, 'latin1'), pending];
  }

  get size(): number {
    return this.#live.size;
  }

  #append(r: JournalRecord): void {
    const line = formatRecord(r);
    const torn = this.#torn;
    this.#torn = true; // until this write is known to be whole
    this.#io(() => {
      this.#fd ??= this.#fs.openAppend(this.#file);
      this.#fs.write(this.#fd, torn ? `\n${line}` : line);
    });
    this.#torn = false;
    this.#appended += 1;
    const key = r.name.toString('latin1');
    if (r.op === 'I' || r.op === 'E') {
      const as = r.as === undefined || r.as.equals(r.name) ? undefined : r.as;
      const next: Pending = {
        size: r.size,
        mtime: r.mtime,
        visible: r.op === 'E',
        ...(as ? { as } : {}),
        ...(r.dest ? { dest: r.dest } : {}),
      };
      this.#live.set(key, again(this.#live.get(key), next));
    } else if (r.op === 'D') {
      const known = this.#live.get(key);
      if (known !== undefined) this.#live.set(key, { ...known, visible: true });
    } else if (r.op === 'C') {
      const known = this.#live.get(key);
      if (known !== undefined) this.#live.set(key, withCopy(known, r.target));
    } else this.#live.delete(key);
  }

  intend(name: Buffer, size: number, mtime: number, as: Buffer = name, dest?: Destination): void {
    this.#append({ op: 'I', name, size, mtime, as, dest });
  }

  delivered(name: Buffer): void {
    this.#append({ op: 'D', name });
  }

  copied(name: Buffer, target: number): void {
    this.#append({ op: 'C', name, target });
  }

  exists(name: Buffer, size: number, mtime: number): void {
    this.#append({ op: 'E', name, size, mtime });
  }

  removed(name: Buffer): void {
    this.#append({ op: 'R', name });
  }

  undo(name: Buffer): void {
    this.#append({ op: 'U', name });
  }

  /** Makes every record so far durable. */
  sync(): void {
    const fd = this.#fd;
    if (fd !== undefined) this.#io(() => this.#fs.fsync(fd));
  }

  /** A failure on the journal's descriptor names no file: it is told with the journal's path. */
  #io(op: () => void): void {
    try {
      op();
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code !== undefined && !e.message.includes(this.#file)) e.message += `, ${this.#file}`;
      throw error;
    }
  }

  /** Rewrites the file with the live entries only (atomically), or removes it when none is left. */
  compact(): void {
    if (this.#appended === 0) return;
    this.close();
    if (this.#live.size === 0) this.#fs.remove(this.#file);
    else {
      let text = '';
      for (const [name, p] of this.entries()) {
        // A delivered message's destination is no longer needed: only an intent's is.
        const dest = p.visible ? undefined : p.dest;
        text += formatRecord({ op: 'I', name, size: p.size, mtime: p.mtime, as: p.as, dest });
        if (!p.visible)
          for (const target of p.copied ?? []) text += formatRecord({ op: 'C', name, target });
        if (p.visible) text += formatRecord({ op: 'D', name });
      }
      this.#fs.replace(this.#file, text);
    }
    this.#appended = 0;
  }

  close(): void {
    if (this.#fd !== undefined) this.#fs.close(this.#fd);
    this.#fd = undefined;
  }
}
