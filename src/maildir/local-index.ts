// What the local Maildir already holds, keyed by unique name. A reader moves new/X to cur/X:2,S, so a
// message is found by the part before ':' in either directory, never by its full name.
import type { MaildirFs } from './fs.js';
import type { MailboxPaths } from './layout.js';
import { joinName, uniqueName } from './layout.js';

export interface LocalEntry {
  readonly dir: 'new' | 'cur';
  readonly name: Buffer;
  readonly path: Buffer;
}

/**
 * Compact on purpose: 100,000 messages must not cost hundreds of MB. Keys are unique names as latin1
 * strings (one char per byte: exact for any bytes, and one byte per char in V8); each value holds, per
 * message, only its directory letter and the rest of its name after the unique part (usually "" or
 * ":2,S"). Entries are rebuilt on lookup.
 */
/** The unique name syncmail gives a message renamed after a conflict (see renamedName in deliver.ts). */
const RENAMED = /^(.*)\.syncmail-\d{8}T\d{6}Z-[0-9a-f]{6}-\d+$/s;

export class LocalIndex {
  readonly #byUnique = new Map<string, string | string[]>();
  readonly #paths: Pick<MailboxPaths, 'new' | 'cur'>;

  constructor(paths: Pick<MailboxPaths, 'new' | 'cur'>) {
    this.#paths = paths;
  }

  add(dir: 'new' | 'cur', name: Buffer): void {
    const unique = uniqueName(name);
    const key = unique.toString('latin1');
    this.#store(
      key,
      `${dir === 'new' ? 'n' : 'c'}${name.subarray(unique.length).toString('latin1')}`,
    );
    // A copy syncmail renamed after a conflict (NAME.syncmail-RUN-N) is also found under NAME, so the
    // same bytes arriving again under NAME are recognised as already here. Stored with its full name.
    const renamedFrom = RENAMED.exec(key)?.[1];
    if (renamedFrom !== undefined)
      this.#store(renamedFrom, `${dir === 'new' ? 'N' : 'C'}${name.toString('latin1')}`);
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
      const letter = stored[0] ?? 'n';
      const dir = letter === 'n' || letter === 'N' ? 'new' : 'cur';
      const rest = Buffer.from(stored.slice(1), 'latin1');
      const entryName = letter === 'N' || letter === 'C' ? rest : Buffer.concat([unique, rest]);
      return {
        dir,
        name: entryName,
        path: joinName(dir === 'new' ? this.#paths.new : this.#paths.cur, entryName),
      };
    });
  }
}

export function scanLocal(paths: Pick<MailboxPaths, 'new' | 'cur'>, fs: MaildirFs): LocalIndex {
  const index = new LocalIndex(paths);
  for (const dir of ['new', 'cur'] as const) {
    for (const name of fs.names(dir === 'new' ? paths.new : paths.cur)) {
      if (name[0] === 0x2e) continue; // dot-files are not messages in a Maildir
      index.add(dir, name);
    }
  }
  return index;
}
