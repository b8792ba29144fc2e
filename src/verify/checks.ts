// The checks of `syncmail verify`, pure: the ledger (what the log says) and listings of the local
// Maildirs and the servers (what is there) in, what agrees and every discrepancy out.
//
//   - each delivered message is at its path, or under its unique name in the sibling new/ or cur/
//     (a reader moved it and changed its flags), or no longer there: deleted or moved away by a
//     reader, which is not a discrepancy (nothing on disk tells a reader's delete from a loss);
//   - no server name was delivered twice for one mailbox, unless the log says why (a renamed
//     conflict, a message that changed on the server);
//   - no unique name syncmail delivered is in a mailbox's Maildirs twice as different files (hard
//     links are the copies rules make, one file under several names);
//   - no server copy remains of a message the log says was removed.
import { EXIT, worstExit } from '../errors.js';
import { uniqueName } from '../maildir/layout.js';
import type { Delivered, Ledger, Removed } from './ledger.js';

export type Sub = 'new' | 'cur';

export interface LocalFile {
  readonly sub: Sub;
  readonly name: Buffer;
  /** "dev:ino"; the edge fills it in wherever a unique name is there more than once. */
  readonly inode?: string | undefined;
}

/** A Maildir (absolute) → the regular files in its new/ and cur/ (dot-files are no messages). */
export type Listings = ReadonlyMap<string, readonly LocalFile[]>;

export interface ServerFile {
  readonly sub: Sub;
  readonly name: Buffer;
}

export type ServerListing =
  | { readonly kind: 'listed'; readonly files: readonly ServerFile[] }
  | { readonly kind: 'offline' }
  | { readonly kind: 'failed'; readonly message: string; readonly hint?: string | undefined };

/** One mailbox as verify sees it. */
export interface Box {
  readonly name: string;
  readonly local: string;
  /** Its own Maildir, then the folders its rules name (rules/folders.ts mailboxMaildirs). */
  readonly maildirs: readonly string[];
  /** The remote as written, for naming server paths. */
  readonly remoteText: string;
  readonly server: ServerListing;
}

export type Discrepancy =
  | {
      readonly kind: 'delivered-twice';
      readonly mailbox: string;
      readonly name: Buffer;
      readonly path: Buffer;
      readonly first: string;
      readonly again: string;
    }
  | {
      readonly kind: 'duplicate';
      readonly mailbox: string;
      readonly name: Buffer;
      /** One path for each different file (inode). */
      readonly paths: readonly Buffer[];
    }
  | {
      readonly kind: 'still-on-server';
      readonly mailbox: string;
      readonly name: Buffer;
      readonly path: Buffer;
      readonly removed: string;
    };

/** A delivered message that is not in its Maildir any more. */
export interface Gone {
  readonly mailbox: string;
  readonly name: Buffer;
  readonly path: Buffer;
  readonly time: string;
}

export interface Verdict {
  readonly since: string | undefined;
  readonly mailboxes: readonly string[];
  readonly delivered: number;
  /** At the path the log gives. */
  readonly inPlace: number;
  /** Under the same unique name in the sibling new/ or cur/. */
  readonly moved: number;
  readonly gone: readonly Gone[];
  readonly discrepancies: readonly Discrepancy[];
  /** Mailboxes whose server was not listed: with why (a failure), or --offline. */
  readonly unlisted: readonly {
    readonly mailbox: string;
    readonly message: string;
    readonly hint?: string | undefined;
  }[];
  readonly offline: readonly string[];
  /** Mailboxes the log names that are not checked (not in the config, or not asked for). */
  readonly unchecked: readonly string[];
}

interface Place {
  readonly maildir: string;
  readonly sub: string;
  readonly name: Buffer;
}

const SLASH = 0x2f;

/**
 * Where the log says a message was put: its path, or (older logs) the mailbox's new/ and its name.
 */
export function expectedAt(d: Delivered, local: string): Place {
  if (d.path === undefined) return { maildir: local, sub: 'new', name: d.name };
  const cut = d.path.lastIndexOf(SLASH);
  const dir = d.path.subarray(0, cut).toString('utf8');
  const parent = dir.lastIndexOf('/');
  return {
    maildir: parent <= 0 ? '/' : dir.slice(0, parent),
    sub: dir.slice(parent + 1),
    name: d.path.subarray(cut + 1),
  };
}

function placePath(p: { maildir: string; sub: string; name: Buffer }): Buffer {
  return Buffer.concat([Buffer.from(`${p.maildir}/${p.sub}/`), p.name]);
}

const uniq = (name: Buffer): string => uniqueName(name).toString('latin1');

/** Every Maildir to list: each box's own and its rules', and wherever the log says mail was put. */
export function maildirsToList(ledger: Ledger, boxes: readonly Box[]): string[] {
  const dirs = new Set<string>();
  const byName = new Map(boxes.map((b) => [b.name, b]));
  for (const b of boxes) for (const m of b.maildirs) dirs.add(m);
  for (const d of ledger.delivered) {
    const box = byName.get(d.mailbox);
    if (box !== undefined) dirs.add(expectedAt(d, box.local).maildir);
  }
  return [...dirs];
}

/** The unique names (latin1) that are in the listings more than once: only their inodes matter. */
export function repeatedNames(listings: Listings): Set<string> {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const files of listings.values())
    for (const f of files) {
      const u = uniq(f.name);
      if (seen.has(u)) repeated.add(u);
      seen.add(u);
    }
  return repeated;
}

type Index = Map<string, Map<string, LocalFile[]>>;

function indexListings(listings: Listings): Index {
  const index: Index = new Map();
  for (const [maildir, files] of listings) {
    const byName = new Map<string, LocalFile[]>();
    for (const f of files) {
      const u = uniq(f.name);
      byName.set(u, [...(byName.get(u) ?? []), f]);
    }
    index.set(maildir, byName);
  }
  return index;
}

interface Presence {
  inPlace: number;
  moved: number;
  gone: Gone[];
}

/**
 * Latest first: a file answers for one delivery only, so when one name was delivered twice (a
 * changed message after the reader deleted the first version) the earlier delivery is the one gone.
 */
function presence(box: Box, delivered: readonly Delivered[], index: Index): Presence {
  const out: Presence = { inPlace: 0, moved: 0, gone: [] };
  const claimed = new Set<string>();
  for (const d of [...delivered].reverse()) {
    const at = expectedAt(d, box.local);
    const u = uniq(at.name);
    const claim = `${at.maildir}\0${u}`;
    const files = claimed.has(claim) ? [] : (index.get(at.maildir)?.get(u) ?? []);
    claimed.add(claim);
    if (files.some((f) => f.sub === at.sub && f.name.equals(at.name))) out.inPlace += 1;
    else if (files.length > 0) out.moved += 1;
    else out.gone.push({ mailbox: d.mailbox, name: d.name, path: placePath(at), time: d.time });
  }
  out.gone.reverse();
  return out;
}

function deliveredTwice(box: Box, delivered: readonly Delivered[]): Discrepancy[] {
  const first = new Map<string, Delivered>();
  const found: Discrepancy[] = [];
  for (const d of delivered) {
    const u = uniq(d.file);
    const earlier = first.get(u);
    if (earlier === undefined) first.set(u, d);
    else if (!d.renamed && !d.changedOnServer)
      found.push({
        kind: 'delivered-twice',
        mailbox: box.name,
        name: d.name,
        path: placePath(expectedAt(d, box.local)),
        first: earlier.time,
        again: d.time,
      });
  }
  return found;
}

function duplicates(
  box: Box,
  delivered: readonly Delivered[],
  index: Index,
  otherBytes: ReadonlySet<string>,
): Discrepancy[] {
  const maildirs = [
    ...new Set([...box.maildirs, ...delivered.map((d) => expectedAt(d, box.local).maildir)]),
  ];
  const names = [...new Set(delivered.map((d) => uniq(d.name)))];
  const found: Discrepancy[] = [];
  for (const u of names) {
    // One path per file: the other names of a hard-linked file are the copies rules made.
    const files = new Map<string, Buffer>();
    for (const maildir of maildirs)
      for (const f of index.get(maildir)?.get(u) ?? []) {
        const p = placePath({ maildir, sub: f.sub, name: f.name });
        if (otherBytes.has(p.toString('latin1'))) continue;
        const inode = f.inode ?? `path:${p.toString('latin1')}`;
        if (!files.has(inode)) files.set(inode, p);
      }
    if (files.size > 1)
      found.push({
        kind: 'duplicate',
        mailbox: box.name,
        name: Buffer.from(u, 'latin1'),
        paths: [...files.values()],
      });
  }
  return found;
}

function stillOnServer(box: Box, removed: readonly Removed[]): Discrepancy[] {
  if (box.server.kind !== 'listed') return [];
  const there = new Map(box.server.files.map((f) => [uniq(f.name), f]));
  const base = box.remoteText.replace(/\/+$/, '');
  const found: Discrepancy[] = [];
  for (const r of removed) {
    const f = there.get(uniq(r.file));
    if (f === undefined) continue;
    found.push({
      kind: 'still-on-server',
      mailbox: box.name,
      name: f.name,
      path: Buffer.concat([Buffer.from(`${base}/${f.sub}/`), f.name]),
      removed: r.time,
    });
  }
  return found;
}

export function verify(ledger: Ledger, boxes: readonly Box[], listings: Listings): Verdict {
  const index = indexListings(listings);
  const checked = new Set(boxes.map((b) => b.name));
  let inPlace = 0;
  let moved = 0;
  let delivered = 0;
  const gone: Gone[] = [];
  const discrepancies: Discrepancy[] = [];
  for (const box of boxes) {
    const mine = ledger.delivered.filter((d) => d.mailbox === box.name);
    const p = presence(box, mine, index);
    delivered += mine.length;
    inPlace += p.inPlace;
    moved += p.moved;
    gone.push(...p.gone);
    discrepancies.push(
      ...deliveredTwice(box, mine),
      ...duplicates(box, mine, index, ledger.otherBytes),
      ...stillOnServer(
        box,
        ledger.removed.filter((r) => r.mailbox === box.name),
      ),
    );
  }
  const unlisted = boxes.flatMap((b) =>
    b.server.kind === 'failed'
      ? [{ mailbox: b.name, message: b.server.message, hint: b.server.hint }]
      : [],
  );
  return {
    since: ledger.since,
    mailboxes: boxes.map((b) => b.name),
    delivered,
    inPlace,
    moved,
    gone,
    discrepancies,
    unlisted,
    offline: boxes.filter((b) => b.server.kind === 'offline').map((b) => b.name),
    unchecked: [...ledger.mailboxes].filter((m) => !checked.has(m)),
  };
}

/** 65 for any discrepancy (a data problem), else 75 when a server could not be listed, else 0. */
export function verdictExit(v: Verdict): number {
  return worstExit([
    v.discrepancies.length > 0 ? EXIT.data : EXIT.ok,
    v.unlisted.length > 0 ? EXIT.tempfail : EXIT.ok,
  ]);
}
