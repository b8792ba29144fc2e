// What the local Maildirs already hold (the mailbox's own and every folder its rules deliver to), keyed
// by unique name. A reader moves new/X to cur/X:2,S, so a message is found by the part before ':' in
// either directory, never by its full name; and a message is found in whichever folder it is in.
import path from 'node:path';
import type { MaildirFs } from './fs.js';
import { joinName, uniqueName } from './layout.js';

export interface LocalEntry {
  /** The Maildir it is in. */
  readonly maildir: string;
  readonly dir: 'new' | 'cur';
  readonly name: Buffer;
  readonly path: Buffer;
}

/**
 * Compact on purpose: 100,000 messages must not cost hundreds of MB. Keys are unique names as latin1
 * strings (one char per byte: exact for any bytes, and one byte per char in V8); each value holds, per
 * message, only its Maildir's number (one char), its directory letter and the rest of its name after
 * the unique part (usually "" or ":2,S"). Entries are rebuilt on lookup.
 */
/** The unique name syncmail gives a message renamed after a conflict (see renamedName in deliver.ts). */
const RENAMED = /^(.*)\.syncmail-\d{8}T\d{6}Z-[0-9a-f]{6}-\d+$/s;

export class LocalIndex {
  readonly #byUnique = new Map<string, string | string[]>();
  /** The Maildirs, the mailbox's own first; absolute paths. */
  readonly maildirs: readonly string[];

  constructor(maildirs: readonly string[]) {
    this.maildirs = maildirs;
  }

  /** `maildir`: one of `maildirs` (the first when not given). */
  add(dir: 'new' | 'cur', name: Buffer, maildir: string = this.maildirs[0] ?? ''): void {
    const unique = uniqueName(name);
    const key = unique.toString('latin1');
    const m = String.fromCharCode(Math.max(0, this.maildirs.indexOf(maildir)));
    this.#store(
      key,
      `${m}${dir === 'new' ? 'n' : 'c'}${name.subarray(unique.length).toString('latin1')}`,
    );
    // A copy syncmail renamed after a conflict (NAME.syncmail-RUN-N) is also found under NAME, so the
    // same bytes arriving again under NAME are recognised as already here. Stored with its full name.
    const renamedFrom = RENAMED.exec(key)?.[1];
    if (renamedFrom !== undefined)
      this.#store(renamedFrom, `${m}${dir === 'new' ? 'N' : 'C'}${name.toString('latin1')}`);
  }

  #store(key: string, stored: string): void {
    const known = this.#byUnique.get(key);
    if (known === undefined) this.#byUnique.set(key, stored);
    else if (typeof known === 'string') this.#byUnique.set(key, [known, stored]);
    else known.push(stored);
  }

  find(name: Buffer): LocalEntry[] {
    const unique = uniqueName(name);
    const known = this.#byUnique.get(unique.toString('latin1'));
    if (known === undefined) return [];
    return (typeof known === 'string' ? [known] : known).map((stored) => {
      const maildir = this.maildirs[stored.charCodeAt(0)] ?? '';
      const letter = stored[1] ?? 'n';
      const dir = letter === 'n' || letter === 'N' ? 'new' : 'cur';
      const rest = Buffer.from(stored.slice(2), 'latin1');
      const entryName = letter === 'N' || letter === 'C' ? rest : Buffer.concat([unique, rest]);
      return { maildir, dir, name: entryName, path: joinName(path.join(maildir, dir), entryName) };
    });
  }
}

/** Every message in the new/ and cur/ of each Maildir (one that is not there yet holds none). */
export function scanLocal(maildirs: readonly string[], fs: MaildirFs): LocalIndex {
  const index = new LocalIndex(maildirs);
  for (const maildir of maildirs) {
    for (const dir of ['new', 'cur'] as const) {
      const at = path.join(maildir, dir);
      if (maildir !== maildirs[0] && fs.lstat(at) === undefined) continue;
      for (const name of fs.names(at)) {
        if (name[0] === 0x2e) continue; // dot-files are not messages in a Maildir
        index.add(dir, name, maildir);
      }
    }
  }
  return index;
}
